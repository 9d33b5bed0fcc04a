#!/usr/bin/env bats
# run.bats - run.sh (gcu-run) and gcu-report against gcu-sim: a full run,
# an interrupted run resumed, a plan, the no-credentials default, a failed
# stage, and no secret on a command line or in the run folder.

load helpers

RUN=$ROOT/run.sh
CHANGES=$ROOT/testdata/changes.csv

setup() {
	# A fast platform: 100 requests per 2 s, the stages told the same, the
	# reserve and the routing pause scaled down with it.
	export GCU_PLATFORM_LIMIT=100 GCU_PLATFORM_WINDOW=2 GCU_THROTTLE_RESERVE=1 GCU_THROTTLE_PAUSE_BELOW=2
}

teardown() {
	sim_stop
}

# org_of: the simulated org, without what moves by itself (versions and
# status start times), one user a line, sorted.
org_of() {
	sim_state | jq -Sc 'del(.version, .routingStatus.startTime, .dateModified)' | sort
}

# holds_every_change DIR: fetching and merging the run's changes again
# gives no request: every change is true in the org.
holds_every_change() {
	local dir=$1 s
	for s in non-routing routing; do
		gcu-fetch "$dir/changes.$s.ndjson" 2>/dev/null | gcu-merge 2>/dev/null >"$dir/check.$s.ndjson"
		jq -e -s 'length > 0 and all(.status == "unchanged")' "$dir/check.$s.ndjson" >/dev/null ||
			{ echo "not every $s change holds:"; grep -v unchanged "$dir/check.$s.ndjson" | head -3; return 1; }
	done
}

@test "run: a full run applies every change and leaves a report and a timeline" {
	sim_start --users "$ROOT/testdata/org.ndjson" --limit 100 --window 2
	# Every curl started is recorded with its arguments: there should be none.
	mkdir -p "$BATS_TEST_TMPDIR/spy"
	cat >"$BATS_TEST_TMPDIR/spy/curl" <<-SPY
		#!/bin/sh
		printf '%s\n' "\$*" >>"$BATS_TEST_TMPDIR/curl-args"
		exec $(command -v curl) "\$@"
	SPY
	chmod +x "$BATS_TEST_TMPDIR/spy/curl"
	# So is every stage, with the token it was handed.
	fake=$BATS_TEST_TMPDIR/bin
	mkdir -p "$fake"
	for p in "$GCU_BIN"/gcu-*; do
		printf '#!/bin/sh\nprintf "%%s %%s\\n" "$GCU_ACCESS_TOKEN" "$*" >>"%s/stage-args"\nexec "%s" "$@"\n' \
			"$BATS_TEST_TMPDIR" "$p" >"$fake/${p##*/}"
		chmod +x "$fake/${p##*/}"
	done
	dir=$BATS_TEST_TMPDIR/run
	GCU_BIN=$fake PATH=$BATS_TEST_TMPDIR/spy:$PATH run "$RUN" --gap 1 --run-dir "$dir" "$CHANGES"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "gcu: running against $GCU_API_BASE" ]]
	# One token for the whole run, obtained by run.sh (through gcu-config)
	# and shared by the stages.
	[ "$(sim_stats | jq '.tokens_issued')" -eq 1 ]
	holds_every_change "$dir"
	# The changes are in the org itself, not only in what gcu-fetch says.
	sim_state | jq -es 'map(select(.id == "a06bcdfe-7533-40fd-a339-11c082f5e35d")) | .[0].title == "Senior Agent"'
	sim_state | jq -es 'map(select(.id == "0311b3b0-3e98-44f6-80e1-ec969f1c9935")) | .[0].routingStatus.status == "IDLE"'
	for s in non-routing routing; do
		for f in changes fetched requests results failed verify; do [ -f "$dir/$f.$s.ndjson" ]; done
		for f in fetch merge send verify; do [ -f "$dir/$f.$s.log" ]; done
		[ "$(jq -s 'map(select(.verified == false)) | length' "$dir/verify.$s.ndjson")" -eq 0 ]
	done
	grep -qx 'routing=done' "$dir/state"
	# The report names the counts.
	[ -s "$dir/report.txt" ]
	grep -q '^non-routing: done' "$dir/report.txt"
	grep -q 'requests     40: 40 ok, 0 failed' "$dir/report.txt"
	grep -q 'requests     36: 36 ok' "$dir/report.txt"
	grep -q '^  429s' "$dir/report.txt"
	grep -q 'verified     40 hold, 0 mismatches' "$dir/report.txt"
	grep -q '^failed records: none' "$dir/report.txt"
	[[ $output == *"timeline:   $dir/timeline.svg"* ]]
	head -c 300 "$dir/timeline.svg" | grep -q '<svg'
	grep -q 'at most 100 in any 2 s' "$dir/timeline.svg"
	# No login by curl, no secret on a command line, none in the run folder.
	[ ! -e "$BATS_TEST_TMPDIR/curl-args" ]
	! grep -rq "$GCU_SIM_CLIENT_SECRET" "$dir"
	! grep -q "$GCU_SIM_CLIENT_SECRET" "$BATS_TEST_TMPDIR/stage-args"
	# Every stage got the same token, and it is nowhere in the run folder.
	grep -E '^[^ ]+ ' "$BATS_TEST_TMPDIR/stage-args" | grep -v '^gcu-report' | cut -d' ' -f1 | sort -u >"$BATS_TEST_TMPDIR/tokens"
	grep -c . "$BATS_TEST_TMPDIR/tokens" | grep -qx 1
	token=$(cat "$BATS_TEST_TMPDIR/tokens")
	[ ${#token} -ge 16 ]
	! grep -rqF "$token" "$dir"
}

@test "run: interrupted during the routing scope, --resume ends in the same org as a run without interruption" {
	# The reference: one run, not interrupted.
	sim_start --users "$ROOT/testdata/org.ndjson" --limit 100 --window 2
	run "$RUN" --gap 0.5 --no-report --run-dir "$BATS_TEST_TMPDIR/ref" "$CHANGES"
	[ "$status" -eq 0 ]
	org_of >"$BATS_TEST_TMPDIR/ref.org"
	sim_stop

	# A slower platform (12 requests a second) so that SIGTERM lands while
	# the routing requests are being sent.
	sim_start --users "$ROOT/testdata/org.ndjson" --limit 24 --window 2
	export GCU_PLATFORM_LIMIT=24
	dir=$BATS_TEST_TMPDIR/cut
	"$RUN" --gap 0.5 --no-report --run-dir "$dir" "$CHANGES" >"$BATS_TEST_TMPDIR/cut.out" 2>&1 &
	pid=$!
	for _ in $(seq 1 300); do
		[ "$(wc -l <"$dir/results.routing.ndjson" 2>/dev/null || echo 0)" -ge 5 ] && break
		sleep 0.05
	done
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	cat "$BATS_TEST_TMPDIR/cut.out"
	[ "$rc" -eq 75 ]
	grep -q 'routing: gcu-send was interrupted; continue with: run.sh --resume' "$BATS_TEST_TMPDIR/cut.out"
	grep -qx 'non-routing=done' "$dir/state"
	! grep -qx 'routing=done' "$dir/state"
	# Some requests are done, some are not.
	grep -q '"status":"ok"' "$dir/results.routing.ndjson"
	[ "$(grep -c '"op"' "$dir/results.routing.ndjson" | awk '{ print ($1 < 36) }')" -eq 1 ] ||
		grep -q '"status":"interrupted"' "$dir/results.routing.ndjson"

	run "$RUN" --resume "$dir"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"non-routing: done already"* ]]
	[[ $output == *"resuming the send"* ]]
	[ -f "$dir/results.routing.try1.ndjson" ]
	# The new results file is complete: one line per request, all ok.
	[ "$(jq -s 'map(select(.op)) | length' "$dir/results.routing.ndjson")" -eq 36 ]
	[ "$(jq -s 'map(select(.op and .status != "ok")) | length' "$dir/results.routing.ndjson")" -eq 0 ]
	org_of >"$BATS_TEST_TMPDIR/cut.org"
	diff "$BATS_TEST_TMPDIR/ref.org" "$BATS_TEST_TMPDIR/cut.org"
	# Nothing was sent twice.
	non_routing_sent_once "$dir"
}

@test "run: interrupted during the gap, --resume waits the rest of the gap and finishes" {
	sim_start --users "$ROOT/testdata/org.ndjson" --limit 100 --window 2
	dir=$BATS_TEST_TMPDIR/gap
	# A gap long enough to be cut and resumed on a busy machine.
	"$RUN" --gap 5 --no-report --run-dir "$dir" "$CHANGES" >"$BATS_TEST_TMPDIR/gap.out" 2>&1 &
	pid=$!
	for _ in $(seq 1 200); do
		grep -q '^non-routing.ended=' "$dir/state" 2>/dev/null && break
		sleep 0.05
	done
	sleep 0.3
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	cat "$BATS_TEST_TMPDIR/gap.out"
	[ "$rc" -eq 75 ]
	[ ! -f "$dir/fetched.routing.ndjson" ]
	run "$RUN" --resume "$dir"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"waiting "* ]]
	# The routing scope began at least the gap after the first one ended.
	ended=$(sed -n 's/^non-routing.ended=//p' "$dir/state")
	started=$(sed -n 's/^routing.started=//p' "$dir/state")
	[ $((started - ended)) -ge 5000 ]
	holds_every_change "$dir"
}

@test "run: --plan prints per-scope counts and writes nothing to the org" {
	sim_start --users "$ROOT/testdata/org.ndjson" --limit 100 --window 2
	run "$RUN" --plan --run-dir "$BATS_TEST_TMPDIR/plan" "$CHANGES"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"non-routing: 50 users, 40 requests (user 40), 10 already true, 0 failed lookups; about "* ]]
	[[ $output == *"routing: 30 users, 36 requests (routingLanguages 10, routingSkillRemove 8, routingSkills 10, routingStatus 8), 2 already true, 0 failed lookups; about "* ]]
	[[ $output == *"estimate at 100 requests per 2 s"* ]]
	[[ $output == *"nothing was sent"* ]]
	[ -s "$BATS_TEST_TMPDIR/plan/plan.txt" ]
	stats=$(sim_stats)
	[ "$(jq '.requests.by_method | (.PATCH // 0) + (.PUT // 0) + (.DELETE // 0)' <<<"$stats")" -eq 0 ]
	[ "$(jq '.writes' <<<"$stats")" -eq 0 ]
}

@test "run: without credentials it runs against gcu-sim with the sample org and says so first" {
	unset GCU_CLIENT_ID GCU_CLIENT_SECRET GCU_ACCESS_TOKEN GCU_REGION GCU_API_BASE GCU_LOGIN_BASE GCU_CONFIG
	export GCU_SIM_LIMIT=100 GCU_SIM_WINDOW=2
	unset GCU_PLATFORM_LIMIT GCU_PLATFORM_WINDOW
	dir=$BATS_TEST_TMPDIR/demo
	run "$RUN" --gap 0.5 --run-dir "$dir" "$CHANGES"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ ${lines[0]} =~ ^gcu:\ no\ credentials\ found\;\ running\ against\ gcu-sim\ on\ http://127\.0\.0\.1:[0-9]+\ with\ .*testdata/org\.ndjson$ ]]
	url=$(sed -E 's/.* on (http[^ ]+) with .*/\1/' <<<"${lines[0]}")
	[ -s "$dir/report.txt" ]
	[ -s "$dir/timeline.svg" ]
	[ -s "$dir/sim-org.ndjson" ]
	grep -q '^platform: gcu-sim' "$dir/report.txt"
	[[ $output == *"run folder: $dir"* ]]
	# The simulator is gone.
	! curl -sf --max-time 2 "$url/__sim/stats" >/dev/null
	# Its final org holds the changes.
	jq -es 'map(select(.id == "a06bcdfe-7533-40fd-a339-11c082f5e35d")) | .[0].title == "Senior Agent"' "$dir/sim-org.ndjson"
}

@test "run: a failed stage stops the scope, names the stage and its reason, and --resume finishes" {
	sim_start --users "$ROOT/testdata/org.ndjson" --limit 100 --window 2
	# A gcu-send that finds the platform unavailable, and says so in its
	# summary, as every stage does.
	fake=$BATS_TEST_TMPDIR/bin
	mkdir -p "$fake"
	for p in "$GCU_BIN"/gcu-*; do ln -s "$p" "$fake/"; done
	rm "$fake/gcu-send"
	cat >"$fake/gcu-send" <<-'SH'
		#!/bin/sh
		while [ $# -gt 1 ]; do [ "$1" != --summary ] || sum=$2; shift; done
		echo "gcu-send: the platform answers 503 to everything" >&2
		printf '{"exit":69,"error":"the platform answers 503 to everything","line":"40 requests: 0 ok"}\n' >"$sum"
		exit 69
	SH
	chmod +x "$fake/gcu-send"
	dir=$BATS_TEST_TMPDIR/fail
	GCU_BIN=$fake run "$RUN" --gap 0.5 --run-dir "$dir" "$CHANGES"
	echo "$output"
	[ "$status" -eq 69 ]
	[[ $output == *"non-routing: send: 40 requests: 0 ok"* ]]
	[[ $output == *"non-routing: stopped at gcu-send (exit 69): the platform answers 503 to everything"* ]]
	grep -qx 'non-routing=failed:send' "$dir/state"
	[ ! -f "$dir/fetched.routing.ndjson" ]
	[ "$(sim_stats | jq '.writes')" -eq 0 ]
	run "$RUN" --resume "$dir"
	[ "$status" -eq 0 ]
	holds_every_change "$dir"
}

@test "run: a stage that stops shows the reason its summary names" {
	printf 'id,tittle\na06bcdfe-7533-40fd-a339-11c082f5e35d,Lead\n' >"$BATS_TEST_TMPDIR/typo.csv"
	run "$RUN" --plan --snapshot "$ROOT/testdata/org.ndjson" --run-dir "$BATS_TEST_TMPDIR/typo" "$BATS_TEST_TMPDIR/typo.csv"
	echo "$output"
	[ "$status" -eq 65 ]
	[[ $output == *"stopped at gcu-resolve (exit 65): $BATS_TEST_TMPDIR/typo.csv:1: unknown column 'tittle'"* ]]
}

@test "run: a stage that dies before its summary is said to have left none, even after a try that left one; one whose summary names no reason says so; one signalled as it ended is taken at its summary's status" {
	fake=$BATS_TEST_TMPDIR/bin
	mkdir -p "$fake"
	for p in "$GCU_BIN"/gcu-*; do ln -s "$p" "$fake/"; done
	rm "$fake/gcu-merge"
	printf '#!/bin/sh\necho "gcu-merge: assertion failed" >&2\nexit 70\n' >"$fake/gcu-merge"
	chmod +x "$fake/gcu-merge"
	dir=$BATS_TEST_TMPDIR/died
	GCU_BIN=$fake run "$RUN" --plan --snapshot "$ROOT/testdata/org.ndjson" --run-dir "$dir" "$CHANGES"
	echo "$output"
	[ "$status" -eq 70 ]
	[[ $output == *"non-routing: stopped at gcu-merge (exit 70): it left no summary"* ]]
	[[ $output == *"the log is $dir/merge.non-routing.log"* ]]
	grep -q 'assertion failed' "$dir/merge.non-routing.log"
	# A summary that names no reason is not taken for a missing one.
	printf '#!/bin/sh\nwhile [ $# -gt 1 ]; do [ "$1" != --summary ] || sum=$2; shift; done\necho '\''{"exit":74,"error":null}'\'' >"$sum"\nexit 74\n' >"$fake/gcu-merge"
	GCU_BIN=$fake run "$RUN" --plan --snapshot "$ROOT/testdata/org.ndjson" --run-dir "$dir-2" "$CHANGES"
	echo "$output"
	[ "$status" -eq 74 ]
	[[ $output == *"stopped at gcu-merge (exit 74): no reason given"* ]]
	# The summary of an earlier try is not taken for this one's.
	printf '#!/bin/sh\nexit 70\n' >"$fake/gcu-merge"
	GCU_BIN=$fake run "$RUN" --plan --snapshot "$ROOT/testdata/org.ndjson" --run-dir "$dir-2" "$CHANGES"
	echo "$output"
	[ "$status" -eq 70 ]
	[[ $output == *"stopped at gcu-merge (exit 70): it left no summary"* ]]
	# Signalled as it ended, it is taken at the status its summary records.
	printf '#!/bin/sh\nwhile [ $# -gt 1 ]; do [ "$1" != --summary ] || sum=$2; shift; done\necho '\''{"exit":75,"error":"interrupted by a signal"}'\'' >"$sum"\nkill -TERM $$\n' >"$fake/gcu-merge"
	GCU_BIN=$fake run "$RUN" --plan --snapshot "$ROOT/testdata/org.ndjson" --run-dir "$dir-2" "$CHANGES"
	echo "$output"
	[ "$status" -eq 75 ]
	[[ $output == *"non-routing: gcu-merge was interrupted; continue with"* ]]
}

@test "run: a flow-style config is read by run.sh and by the stages alike" {
	sim_start --users "$ROOT/testdata/org.ndjson" --limit 600 --window 6
	unset GCU_PLATFORM_LIMIT GCU_PLATFORM_WINDOW
	local c=$BATS_TEST_TMPDIR/flow.yaml dir=$BATS_TEST_TMPDIR/flow
	printf 'platform: {limit: 600, window: 6}\nschedule: {gap: 0.5}\n' >"$c"
	run timeout 60 "$RUN" --plan -c "$c" --run-dir "$dir-plan" "$CHANGES"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"estimate at 600 requests per 6 s, 1 never spent"*"+ a gap of 0.5 s"* ]]
	run timeout 60 "$RUN" -c "$c" --run-dir "$dir" "$CHANGES"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx 'platform.limit=600' "$dir/state"
	grep -qx 'platform.window=6' "$dir/state"
	grep -qx 'gap=0.5' "$dir/state"
	# The stages were handed the same file: gcu-send paced for 600 per 6 s.
	grep -q 'the platform allows at most 600 in any 6 s' "$dir/send.non-routing.log"
	grep -q 'at most 600 in any 6 s' "$dir/report.txt"
	holds_every_change "$dir"
}

@test "run: a send shows gcu-send's live progress line on run.sh's terminal, not in its log" {
	command -v script >/dev/null || skip "script(1) not installed"
	# Answers take 0.3 s, so that the send lasts a few progress lines.
	sim_start --users "$ROOT/testdata/org.ndjson" --limit 100 --window 2 --latency 300
	local dir=$BATS_TEST_TMPDIR/tty
	script -qec "'$RUN' --gap 0.5 --no-report --run-dir '$dir' '$CHANGES'" "$BATS_TEST_TMPDIR/typescript" </dev/null >/dev/null
	tr '\r' '\n' <"$BATS_TEST_TMPDIR/typescript" | sed 's/\x1b\[K//g' >"$BATS_TEST_TMPDIR/screen"
	cat "$BATS_TEST_TMPDIR/screen"
	grep -Eq '^gcu-send: [0-9]+/50 done, [0-9.]+ req/s, quota [0-9]+/100, ETA [0-9]+s' "$BATS_TEST_TMPDIR/screen"
	grep -Eq '^gcu-send: [0-9]+/38 done' "$BATS_TEST_TMPDIR/screen"
	grep -q '^gcu: routing: send: 36 requests, 38 results: 36 ok, 2 unchanged' "$BATS_TEST_TMPDIR/screen"
	# The logs hold the summary, not the progress line.
	! grep -q 'done, ' "$dir/send.non-routing.log"
	! grep -q $'\033' "$dir/send.non-routing.log"
}

@test "run: the runbook's steps, one gcu-run line each, end in the same org" {
	sim_start --users "$ROOT/testdata/org.ndjson" --limit 100 --window 2
	dir=$BATS_TEST_TMPDIR/book
	run make -s -f "$ROOT/examples/runbook.mk" GCU_RUN="$RUN" CHANGES="$CHANGES" RUN="$dir" GAP=0.5 \
		plan non-routing wait routing verify report
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx 'routing=done' "$dir/state"
	holds_every_change "$dir"
	[ -s "$dir/report.txt" ]
	# Each step can be run again: nothing more is sent.
	writes=$(sim_stats | jq '.writes')
	run make -s -f "$ROOT/examples/runbook.mk" GCU_RUN="$RUN" CHANGES="$CHANGES" RUN="$dir" GAP=0.5 plan non-routing routing
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"has started; the plan made before it:"* ]]
	[[ $output == *"non-routing: 50 users, 40 requests"* ]]
	[[ $output == *"non-routing: done already"* ]]
	[ "$(sim_stats | jq '.writes')" -eq "$writes" ]
}

@test "run: records that fail do not stop the run; it exits 1 and the report says which and why" {
	sim_start --users "$ROOT/testdata/org.ndjson" --limit 100 --window 2
	changes=$BATS_TEST_TMPDIR/changes.csv
	{
		cat "$CHANGES"
		echo "not-a-uuid,Agent,,,,,,,,"
		echo "6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e99,Ghost,,,,,,,,"
	} >"$changes"
	dir=$BATS_TEST_TMPDIR/some
	run "$RUN" --gap 0.5 --run-dir "$dir" "$changes"
	echo "$output"
	[ "$status" -eq 1 ]
	grep -qx 'routing=done' "$dir/state"
	grep -q '^failed records: 2$' "$dir/report.txt"
	grep -Eq "changes.csv:62 +- +- +rejected +id 'not-a-uuid' is not a UUID" "$dir/report.txt"
	grep -Eq 'changes.csv:63 +6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e99 +non-routing lookup +failed +user not found' "$dir/report.txt"
	grep -q '1 not sent (lookup failed)' "$dir/report.txt"
}

@test "run: run.sh, gcu-report and gcu-sim-run are shellcheck clean" {
	command -v shellcheck >/dev/null || skip "shellcheck not installed"
	cd "$ROOT"
	shellcheck -x run.sh stages/gcu-report.sh stages/gcu-sim-run.sh lib/*.sh
}

@test "run: gcu-sim-run told to stop exits with its command's own status, also when the command ends at once" {
	local i pid rc dir
	# A command that stops with 75 the moment a SIGTERM reaches it, as a
	# stage with nothing in flight does; the status must not be the signal's.
	for i in 1 2 3 4 5 6 7 8; do
		dir=$BATS_TEST_TMPDIR/sim-run.$i
		gcu-sim-run -q --org "$ROOT/testdata/org.ndjson" --run-dir "$dir" -- \
			perl -e '$SIG{TERM} = sub { exit 75 }; open(my $f, ">", $ARGV[0]); close $f; sleep 30' \
			"$dir/started" &
		pid=$!
		for _ in $(seq 1 100); do [ -e "$dir/started" ] && break; sleep 0.05; done
		[ -e "$dir/started" ]
		kill -TERM "$pid"
		rc=0
		wait "$pid" || rc=$?
		[ "$rc" -eq 75 ] || { echo "try $i: exit $rc, not the command's 75"; return 1; }
		[ -s "$dir/sim-org.ndjson" ]
	done
}

@test "run: a hangup of the whole process group reaches the innermost child once, through gcu-sim-run and a script under it" {
	local dir=$BATS_TEST_TMPDIR/hup pid
	# The script stands for run.sh, the perl for its stage: the stage exits
	# 70 + the number of SIGTERMs it got, a second of quiet after the first.
	cat >"$BATS_TEST_TMPDIR/script" <<'SCRIPT'
. "$ROOT/lib/child.sh"
rc=0
run_child perl -e '$n = 0; $SIG{TERM} = sub { $n++ }; open(my $f, ">", $ARGV[0]); close $f;
	sleep 1 while $n < 1; sleep 1; exit 70 + $n' "$1/started" || rc=$?
echo "$rc" >"$1/stage-exit"
SCRIPT
	setsid gcu-sim-run -q --org "$ROOT/testdata/org.ndjson" --run-dir "$dir" -- \
		bash "$BATS_TEST_TMPDIR/script" "$dir" &
	pid=$!
	for _ in $(seq 1 100); do [ -e "$dir/started" ] && break; sleep 0.05; done
	kill -HUP -- "-$pid"
	wait "$pid" || true
	[ "$(cat "$dir/stage-exit")" = 71 ]
}

@test "run: usage errors exit 64" {
	run "$RUN" --scope sideways "$CHANGES"
	[ "$status" -eq 64 ]
	run "$RUN" --gap soon "$CHANGES"
	[ "$status" -eq 64 ]
	run "$RUN" --wait-gap
	[ "$status" -eq 64 ]
	run "$RUN" --resume "$BATS_TEST_TMPDIR/nothing"
	[ "$status" -eq 66 ]
	run gcu-report "$BATS_TEST_TMPDIR"
	[ "$status" -eq 66 ]
}
