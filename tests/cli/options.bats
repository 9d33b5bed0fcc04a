#!/usr/bin/env bats
# options.bats - what README promises of every program's command line:
# --help and --version, the common -c FILE, -q and -v, usage errors as
# exit 64, and one version for all of them.

load helpers
bats_require_minimum_version 1.5.0

programs=(gcu-resolve gcu-partition gcu-fetch gcu-merge gcu-send gcu-verify gcu-sim gcu-report
	gcu-config gcu-sim-run)

# each PROGRAM...: the programs that are built (gcu-run is run.sh).
each() {
	local p
	for p in "${programs[@]}"; do [ -x "$GCU_BIN/$p" ] && printf '%s\n' "$p"; done
	printf '%s\n' run.sh
}

# cmd PROGRAM: how to call it.
cmd() { if [ "$1" = run.sh ]; then printf '%s\n' "$ROOT/run.sh"; else printf '%s\n' "$1"; fi; }

@test "options: --help prints the options on stdout, nothing on stderr, and exits 0" {
	local p
	for p in $(each); do
		run --separate-stderr "$(cmd "$p")" --help
		[ "$status" -eq 0 ] || { echo "$p: exit $status"; false; }
		[ -z "$stderr" ] || { echo "$p: stderr: $stderr"; false; }
		[[ $output == usage:* ]] || { echo "$p: no usage line"; false; }
		for o in -c -q -v; do
			grep -qE -- "(^|[[ ,])$o([], ]|$)" <<<"$output" || { echo "$p --help lacks $o"; false; }
		done
	done
}

@test "options: --version names the program and the one version of gcu" {
	local p want
	want=$(gcu-config --version)
	want=${want##* }
	[ -n "$want" ]
	for p in $(each); do
		run --separate-stderr "$(cmd "$p")" --version
		[ "$status" -eq 0 ] || { echo "$p: exit $status"; false; }
		local name=$p
		[ "$p" = run.sh ] && name=gcu-run
		[ "$output" = "$name $want" ] || { echo "$p: '$output'"; false; }
	done
}

@test "options: an unknown option is a usage error (64) with the synopsis on stderr" {
	local p
	for p in $(each); do
		run --separate-stderr "$(cmd "$p")" --no-such-option
		[ "$status" -eq 64 ] || { echo "$p: exit $status"; false; }
		[ -z "$output" ] || { echo "$p: stdout: $output"; false; }
		[[ $stderr == *usage:* ]] || { echo "$p: no synopsis on stderr"; false; }
	done
}

@test "options: -c with a file that cannot be read is refused (64), naming the file" {
	local p
	for p in $(each); do
		run --separate-stderr "$(cmd "$p")" -c "$BATS_TEST_TMPDIR/nowhere.yaml" --help
		# --help may win over a bad -c; a program that reads -c first refuses it.
		if [ "$status" -ne 0 ]; then
			[ "$status" -eq 64 ] || { echo "$p: exit $status"; false; }
			[[ $stderr == *nowhere.yaml* ]] || { echo "$p: $stderr"; false; }
		fi
		local rest=(-q)
		case $p in
		gcu-sim-run) rest=(--run-dir "$BATS_TEST_TMPDIR/d" -- true) ;;
		gcu-report) rest=("$BATS_TEST_TMPDIR/d") ;;
		gcu-sim) rest=(--port 0) ;;
		run.sh) rest=(--run-dir "$BATS_TEST_TMPDIR/r" "$ROOT/testdata/changes.csv") ;;
		esac
		run --separate-stderr "$(cmd "$p")" -c "$BATS_TEST_TMPDIR/nowhere.yaml" "${rest[@]}" </dev/null
		[ "$status" -eq 64 ] || { echo "$p: exit $status: $stderr"; false; }
		[[ $stderr == *nowhere.yaml* ]] || { echo "$p: exit $status: $stderr"; false; }
	done
}

@test "options: -c FILE is taken: a setting in it reaches the program" {
	printf 'platform:\n  limit: 77\n' >"$BATS_TEST_TMPDIR/c.yaml"
	run gcu-config -c "$BATS_TEST_TMPDIR/c.yaml" --get platform.limit
	[ "$status" -eq 0 ]
	[ "$output" = 77 ]
	# gcu-send prints its settings with -v on a dry run.
	run --separate-stderr gcu-send -c "$BATS_TEST_TMPDIR/c.yaml" --dry-run - </dev/null
	[ "$status" -eq 0 ]
}

@test "options: -q silences the summary line, -v does not lose it" {
	printf '{"id":"%s","changes":{"title":"x"}}\n' 6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e01 >"$BATS_TEST_TMPDIR/c.ndjson"
	run --separate-stderr gcu-partition -q "$BATS_TEST_TMPDIR/c.ndjson"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	run --separate-stderr gcu-partition -v "$BATS_TEST_TMPDIR/c.ndjson"
	[ "$status" -eq 0 ]
	[[ $stderr == *"gcu-partition: 1 records"* ]]
	run --separate-stderr gcu-merge -q /dev/null
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
}
