#!/usr/bin/env bats
# hostile.bats - answers no honest platform sends, and input no honest
# user writes: gcu must refuse them with a clear error, without crashing,
# in bounded memory, and still give every record exactly one result.
#
# The simulator's --hostile modes stand in for a broken proxy or a
# hostile endpoint: a 200 KB header, a body over http.max_response,
# invalid JSON, Retry-After of a billion seconds or of -5, a 200 whose
# body is not a user. Each is met by a network fetch and by gcu-send.
# The offline pipeline also runs under valgrind, and the fuzz corpus is
# replayed through the stages when the fuzzers are built.

load faults
bats_require_minimum_version 1.5.0

teardown() {
	faults_teardown
}

# The first ten changes: enough to exercise every path, few enough that
# a capped billion-second wait stays short.
small_changes() {
	head -11 "$CHANGES" >"$BATS_TEST_TMPDIR/small.csv"
	CHANGES=$BATS_TEST_TMPDIR/small.csv
}

# measured OUT ERR PROG ARGS...: runs a stage, keeps its peak memory in
# PEAK_KB (when /usr/bin/time is there and no sanitizer inflates it) and
# its exit status in RC; a crash fails the test.
measured() {
	local out=$1 err=$2
	shift 2
	RC=0
	if [ -x /usr/bin/time ] && [[ "$GCU_BIN" != *asan* ]]; then
		/usr/bin/time -f 'PEAK_KB %M' "$@" >"$out" 2>"$err" || RC=$?
		PEAK_KB=$(awk '$1 == "PEAK_KB" { print $2 }' "$err")
	else
		"$@" >"$out" 2>"$err" || RC=$?
		PEAK_KB=0
	fi
	grep -v '^PEAK_KB\|^Command exited' "$err" || true
	[ "$RC" -lt 128 ]
	no_sanitizer_report "$err"
	# Bounded memory: tens of megabytes at most, whatever was sent back.
	[ "${PEAK_KB:-0}" -lt 100000 ]
}

# hostile MODE: the sample changes fetched from, then sent to, a sim in
# MODE; leaves the records in $W and the statuses in FETCH_RC / SEND_RC.
hostile() {
	W=$BATS_TEST_TMPDIR/h
	mkdir -p "$W"
	fsim --hostile "$@" --dump "$W/dump.ndjson"
	gcu-partition -q "$CHANGES" >"$W/p.ndjson"
	measured "$W/f.ndjson" "$W/fetch.err" gcu-fetch "$W/p.ndjson"
	FETCH_RC=$RC
	# Every scoped record comes out of fetch, read or with an error.
	[ "$(wc -l <"$W/f.ndjson")" -eq "$(wc -l <"$W/p.ndjson")" ]
	! jq -e 'select(.current == null and .error == null)' "$W/f.ndjson"
	# Send what the honest snapshot says, to the hostile platform.
	gcu-fetch -q --snapshot "$ORG" "$W/p.ndjson" | gcu-merge -q >"$W/m.ndjson"
	measured "$W/r.ndjson" "$W/send.err" gcu-send --seed 3 "$W/m.ndjson"
	SEND_RC=$RC
	one_result_each "$W/m.ndjson" "$W/r.ndjson"
	# Whatever failed says why.
	! jq -e 'select(.status == "failed" and .error == null)' "$W/r.ndjson"
}

# verify_on_dump: stops the hostile sim, serves what it held honestly, and
# checks with gcu-verify that every result called ok really holds.
verify_on_dump() {
	sim_stop
	[ -x "$GCU_BIN/gcu-verify" ] || return 0
	sim_start --users "$W/dump.ndjson" --window 2
	gcu-verify -q "$W/r.ndjson" >"$W/v.ndjson"
	! jq -e 'select(.verified != true)' "$W/v.ndjson"
}

@test "hostile: a 200 KB response header is refused, named, and retried within bounds" {
	export GCU_RETRY_SERVER_ATTEMPTS=2 GCU_CIRCUIT_PAUSE=0.05
	small_changes
	hostile huge-headers
	[ "$FETCH_RC" -eq 69 ]
	jq -e -s 'all(.error.message | test("header"))' "$W/f.ndjson"
	[ "$SEND_RC" -eq 69 ] || [ "$SEND_RC" -eq 1 ]
	# Each failure names the header, or, once the circuit kept opening, says
	# the platform stayed unavailable (the rest were stopped, not sent).
	jq -e -s 'map(select(.status == "failed")) | length > 0 and
		any(.error | test("header")) and
		all(.error | test("header|stayed unavailable"))' "$W/r.ndjson"
	! jq -e 'select(.attempts > 2)' "$W/r.ndjson"
}

@test "hostile: a body over http.max_response is cut off, not buffered" {
	export GCU_RETRY_SERVER_ATTEMPTS=2 GCU_CIRCUIT_PAUSE=0.05
	small_changes
	hostile big-body
	[ "$FETCH_RC" -eq 69 ]
	jq -e -s 'all(.error.message | test("larger than 8388608"))' "$W/f.ndjson"
	# Writes answered 204 are unharmed; the rest fail with the reason.
	jq -e -s 'map(select(.status == "failed")) | length > 0 and
		any(.error | test("larger than")) and
		all(.error | test("larger than|stayed unavailable"))' "$W/r.ndjson"
	# A smaller cap is honoured too.
	GCU_HTTP_MAX_RESPONSE=4096 gcu-fetch "$W/p.ndjson" >"$W/f2.ndjson" 2>"$W/f2.err" || true
	jq -e -s 'all(.error.message | test("larger than 4096"))' "$W/f2.ndjson"
}

@test "hostile: invalid JSON on 200 is an error for reads; writes are checked by verify" {
	export GCU_RETRY_SERVER_ATTEMPTS=2 GCU_RETRY_RATE_LIMIT_ATTEMPTS=2 GCU_CIRCUIT_PAUSE=0.05
	small_changes
	hostile bad-json
	[ "$FETCH_RC" -eq 69 ] || [ "$FETCH_RC" -eq 1 ]
	! jq -e 'select(.current != null)' "$W/f.ndjson"
	jq -e -s 'all(.error.message != null)' "$W/f.ndjson"
	[ "$SEND_RC" -le 1 ]
	verify_on_dump
}

@test "hostile: Retry-After of a billion seconds is capped at retry.max_wait and said" {
	export GCU_RETRY_MAX_WAIT=0.3
	small_changes
	SECONDS=0
	hostile retry-after-huge
	[ "$SECONDS" -lt 30 ]
	[ "$FETCH_RC" -eq 0 ]
	[ "$SEND_RC" -eq 0 ]
	grep -q 'asked to wait 1000000000 s' "$W/send.err"
	! jq -e 'select(.status != "ok" and .status != "unchanged")' "$W/r.ndjson"
	verify_on_dump
}

@test "hostile: a negative Retry-After (-5) is survived with bounded retries" {
	export GCU_RETRY_MAX_WAIT=0.3
	small_changes
	SECONDS=0
	hostile retry-after-negative
	[ "$SECONDS" -lt 30 ]
	[ "$FETCH_RC" -eq 0 ]
	[ "$SEND_RC" -eq 0 ]
	! jq -e 'select(.status != "ok" and .status != "unchanged")' "$W/r.ndjson"
	# Bounded retries: the every-third 429 costs at most a couple each.
	! jq -e 'select(.attempts > 4)' "$W/r.ndjson"
}

@test "hostile: a 200 that is not a user is never taken for one" {
	export GCU_RETRY_SERVER_ATTEMPTS=2 GCU_RETRY_RATE_LIMIT_ATTEMPTS=2 GCU_CIRCUIT_PAUSE=0.05
	small_changes
	hostile not-a-user
	[ "$FETCH_RC" -eq 69 ] || [ "$FETCH_RC" -eq 1 ]
	# No record got a "current" made up from junk.
	! jq -e 'select(.current != null)' "$W/f.ndjson"
	gcu-merge -q "$W/f.ndjson" >"$W/m2.ndjson" || true
	! jq -e 'select(.method != null)' "$W/m2.ndjson"
	[ "$SEND_RC" -le 1 ]
	verify_on_dump
}

@test "hostile: every mode at once" {
	export GCU_RETRY_SERVER_ATTEMPTS=2 GCU_RETRY_RATE_LIMIT_ATTEMPTS=3 GCU_CIRCUIT_PAUSE=0.05 \
		GCU_RETRY_MAX_WAIT=0.2
	small_changes
	hostile huge-headers --hostile big-body --hostile bad-json --hostile retry-after-huge \
		--hostile retry-after-negative --hostile not-a-user
	[ "$FETCH_RC" -ne 0 ]
	[ "$SEND_RC" -ne 0 ]
}

@test "hostile: gcu-sim refuses an unknown mode" {
	run -64 gcu-sim --hostile nice
	[[ "$output" == *"huge-headers"* ]]
}

# --- malformed input ---------------------------------------------------------

@test "valgrind: the offline demo pipeline is clean" {
	command -v valgrind >/dev/null || skip "no valgrind"
	[[ "$GCU_BIN" != *asan* ]] || skip "sanitizer build"
	local w=$BATS_TEST_TMPDIR/vg vg
	mkdir -p "$w"
	vg="valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite"
	$vg gcu-partition -q "$CHANGES" >"$w/p.ndjson"
	$vg gcu-fetch -q --snapshot "$ORG" "$w/p.ndjson" >"$w/f.ndjson"
	$vg gcu-merge -q "$w/f.ndjson" >"$w/m.ndjson"
	$vg gcu-partition -q "$ROOT/testdata/bad-changes.csv" >/dev/null 2>&1 || [ $? -ne 9 ]
	$vg gcu-partition -q "$ROOT/testdata/bad-changes.ndjson" >/dev/null 2>&1 || [ $? -ne 9 ]
	[ "$(wc -l <"$w/m.ndjson")" -gt 60 ]
}

@test "fuzz corpus: every seed and every crash found is replayed through the stages" {
	local f
	for f in "$ROOT"/tests/fuzz/corpus/csv/* "$ROOT"/tests/fuzz/corpus/ndjson/*; do
		run gcu-partition -q "$f"
		[ "$status" -lt 128 ] || { echo "$f: status $status"; false; }
	done
	for f in "$ROOT"/tests/fuzz/corpus/config/*; do
		cp "$f" "$BATS_TEST_TMPDIR/c.yaml"
		chmod 600 "$BATS_TEST_TMPDIR/c.yaml"
		run gcu-partition -q -c "$BATS_TEST_TMPDIR/c.yaml" "$CHANGES"
		[ "$status" -lt 128 ] || { echo "$f: status $status"; false; }
	done
}
