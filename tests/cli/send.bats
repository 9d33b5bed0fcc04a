#!/usr/bin/env bats
# send.bats - gcu-send against gcu-sim: what the org holds afterwards,
# what the results say and the exit code, for each behaviour the design
# asks of the sender: bounded concurrency, pacing with and without rate
# headers, the pause after a 429 and the cap on Retry-After, server errors
# and the circuit, unreachable platforms, version conflicts and parking,
# tokens, complete and resumable results, signals, the dry run, the
# summary, bad input and secrets. Every test runs its own simulator on
# loopback with a sub-second window and a handful of users, and the time
# knobs of gcu-send are shrunk to match through the environment.

bats_require_minimum_version 1.5.0

load helpers

setup() {
	D=$BATS_TEST_TMPDIR
	# Small, fast retry and pause settings; tests that need other values
	# set them themselves.
	export GCU_RETRY_RATE_LIMIT_BASE=0.1 GCU_RETRY_RATE_LIMIT_MAX=1
	export GCU_RETRY_SERVER_BASE=0.02 GCU_RETRY_SERVER_MAX=0.2
	export GCU_RETRY_CONFLICT_COOLDOWN=0.3 GCU_CIRCUIT_PAUSE=0.3
	export GCU_HTTP_CONNECT_TIMEOUT=2 GCU_HTTP_REQUEST_TIMEOUT=10
}

teardown() {
	if [ -n "${SEND_PID:-}" ]; then
		kill -KILL "$SEND_PID" 2>/dev/null || true
		wait "$SEND_PID" 2>/dev/null || true
	fi
	if [ -n "${SIM_PID:-}" ] && ! kill -0 "$SIM_PID" 2>/dev/null; then
		wait "$SIM_PID" && st=0 || st=$?
		echo "gcu-sim exited early with status $st"
		cat "$SIM_DIR/stderr"
	fi
	sim_stop
}

# start LIMIT WINDOW [gcu-sim options]: a simulator with that window (limit
# 0: unlimited) and gcu-send told the same window.
start() {
	local limit=$1 window=$2
	shift 2
	sim_start --limit "$limit" --window "$window" "$@"
	export GCU_PLATFORM_WINDOW=$window
	if [ "$limit" -gt 0 ]; then
		export GCU_PLATFORM_LIMIT=$limit
	else
		export GCU_PLATFORM_LIMIT=100000
	fi
}

# requests N [FIRST]: title changes for N users of the org from line FIRST
# (1) on, through partition, fetch and merge: $D/changes.ndjson, $D/req.ndjson.
requests() {
	local n=$1 first=${2:-1}
	sim_state >"$D/org.ndjson"
	tail -n +"$first" "$D/org.ndjson" | head -n "$n" |
		jq -c '{id, changes: {title: ("T-" + .id[0:8])}}' >"$D/changes.ndjson"
	gcu-partition -q "$D/changes.ndjson" | gcu-fetch -q --snapshot "$D/org.ndjson" |
		gcu-merge -q >"$D/req.ndjson"
	[ "$(wc -l <"$D/req.ndjson")" -eq "$n" ]
}

# missing: how many changes of $D/changes.ndjson the org does not hold.
missing() {
	sim_state | jq -s --slurpfile c "$D/changes.ndjson" \
		'(map({key: .id, value: .title}) | from_entries) as $t |
		 [$c[] | select($t[.id] != .changes.title)] | length'
}

# count STATUS FILE: result lines with that status.
count() {
	jq -s --arg s "$1" 'map(select(.status == $s)) | length' "$2"
}

# stat FILTER: a value from /__sim/stats.
stat() {
	sim_stats | jq -r "$@"
}

# keys FILE: the request keys (src|op|path|part) of a request or result file.
keys() {
	jq -r 'select(.op) | [.src, .op, .path, (.part // 0 | tostring)] | join("|")' "$1" | sort
}

# complete REQ RES: every request of REQ has exactly one result in RES.
complete() {
	diff <(keys "$1") <(keys "$2")
	[ -z "$(keys "$2" | uniq -d)" ]
}

@test "gcu-send: --concurrency bounds the requests in flight" {
	start 0 1 --generate 24 --latency 50
	requests 24
	run --separate-stderr gcu-send --concurrency 3 "$D/req.ndjson"
	[ "$status" -eq 0 ]
	peak=$(stat .peak_inflight)
	[ "$peak" -le 3 ]
	[ "$peak" -gt 1 ]
	[ "$(missing)" -eq 0 ]
}

@test "gcu-send: honest headers keep 429s under 2% with background traffic" {
	start 30 1 --users "$ROOT/testdata/org.ndjson" --background 5
	requests 120
	export GCU_THROTTLE_RESERVE=5
	gcu-send "$D/req.ndjson" >"$D/res.ndjson"
	[ "$(count ok "$D/res.ndjson")" -eq 120 ]
	[ "$(missing)" -eq 0 ]
	sent=$(stat '.requests.by_method.PATCH')
	limited=$(stat .rate_limited)
	echo "sent $sent, 429s $limited"
	[ $((limited * 50)) -le "$sent" ]
}

@test "gcu-send: below the reserve it goes on one at a time, and never spends the floor" {
	start 40 1 --generate 160
	requests 160
	export GCU_THROTTLE_RESERVE=10 GCU_THROTTLE_FLOOR=3
	gcu-send "$D/req.ndjson" >"$D/res.ndjson"
	[ "$(count ok "$D/res.ndjson")" -eq 160 ]
	[ "$(missing)" -eq 0 ]
	peak=$(stat .peak_window)
	limited=$(stat .rate_limited)
	echo "fullest window $peak of 40, 429s $limited"
	# Past the reserve (30 in the window), up to the floor (37), no further.
	[ "$peak" -gt 30 ]
	[ "$peak" -le 37 ]
	[ "$limited" -eq 0 ]
}

@test "gcu-send: without rate headers it says so and finds the rate with few 429s" {
	start 30 1 --generate 120 --strip-headers
	requests 120
	# gcu-send believes in twice the real rate: it must find the real one.
	export GCU_PLATFORM_LIMIT=60
	run --separate-stderr gcu-send "$D/req.ndjson"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"flying blind"* ]]
	[ "$(missing)" -eq 0 ]
	sent=$(stat '.requests.by_method.PATCH')
	limited=$(stat .rate_limited)
	echo "sent $sent, 429s $limited"
	[ $((limited * 10)) -le "$sent" ]
}

# pause_test RETRY_STYLE: the window of gcu-send's token (10 per 3 s, no
# rate headers) is spent just before it starts, so its first burst meets
# 429s with a Retry-After near 3 s. While that pause lasts nothing may reach the
# simulator: rejected requests are not counted, so any request then would
# be one more 429, and the sim's per-second timeline must show the whole
# seconds between the first 429 and the end of the spent window empty.
pause_test() {
	start 10 3 --generate 6 --no-count-rejected --retry-after "$1" --headers none
	requests 6
	# Only Retry-After tells: without window headers the pacer cannot
	# hold back for a full window, only for the pause. Blind, it starts at
	# half the rate it believes in; 60 per 3 s makes that quick.
	export GCU_PLATFORM_LIMIT=60
	GCU_ACCESS_TOKEN=$(sim_token)
	export GCU_ACCESS_TOKEN
	user=$(jq -r .id "$D/org.ndjson" | head -n 1)
	for _ in $(seq 10); do
		curl -sf -o /dev/null -H "Authorization: Bearer $GCU_ACCESS_TOKEN" \
			"$GCU_API_BASE/api/v2/users/$user"
	done
	run --separate-stderr gcu-send --concurrency 3 --seed 7 "$D/req.ndjson"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$(missing)" -eq 0 ]
	limited=$(stat .rate_limited)
	echo "429s: $limited"
	[ "$limited" -ge 1 ]
	[ "$limited" -le 3 ]
	spent=$(stat '[.timeline[] | select(.admitted > 0) | .t] | min')
	first=$(stat '[.timeline[] | select(.rejected > 0) | .t] | min')
	stat -c '.timeline[]'
	[ "$first" -le $((spent + 1)) ]
	[ "$(stat "[.timeline[] | select(.t > $first and .t < $spent + 3) |
		.admitted + .rejected] | add")" -eq 0 ]
	# The requests that met the 429 waited out the pause.
	echo "$output" | jq -s -e 'map(select(.attempts > 1)) | length >= 1 and all(.ms >= 2000)'
}

@test "gcu-send: a 429 pauses all dispatch for Retry-After (seconds)" {
	pause_test seconds
}

@test "gcu-send: a 429 pauses all dispatch for Retry-After (HTTP date)" {
	pause_test date
}

@test "gcu-send: an absurd Retry-After is capped by retry.max_wait and reported" {
	start 2 3600 --generate 6 --retry-after date --no-count-rejected
	requests 6
	export GCU_RETRY_MAX_WAIT=0.5 GCU_RETRY_RATE_LIMIT_ATTEMPTS=2
	export GCU_THROTTLE_RESERVE=0 GCU_THROTTLE_PAUSE_BELOW=0
	SECONDS=0
	run --separate-stderr timeout 30 gcu-send --concurrency 6 "$D/req.ndjson"
	echo "$stderr"
	echo "took $SECONDS s, status $status"
	[ "$SECONDS" -lt 15 ]
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"retry.max_wait"* ]]
	echo "$output" | jq -s -e 'map(select(.status == "ok")) | length == 2'
	echo "$output" | jq -s -e 'map(select(.status == "failed")) | length == 4 and
		all(.http == 429 and (.error | test("rate limit")))'
}

@test "gcu-send: server errors are retried until every change is applied" {
	start 0 1 --generate 40 --error-rate 0.3 --seed 3
	requests 40
	export GCU_RETRY_SERVER_ATTEMPTS=20
	run --separate-stderr gcu-send "$D/req.ndjson"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$(missing)" -eq 0 ]
	errors=$(stat .faults.errors)
	[ "$errors" -gt 0 ]
	# Each server error cost exactly one more attempt, and the summary
	# counts them as retries.
	echo "$output" | jq -s -e --argjson e "$errors" 'map(.attempts - 1) | add == $e'
	[[ "$stderr" == *", $errors retries"* ]]
}

@test "gcu-send: when every request meets a 5xx, results fail with the reason and exit 69" {
	start 0 1 --generate 5 --error-rate 1.0
	requests 5
	export GCU_RETRY_SERVER_ATTEMPTS=2
	run --separate-stderr gcu-send "$D/req.ndjson"
	[ "$status" -eq 69 ]
	# Those that used their two attempts failed with the platform's answer;
	# once the circuit kept opening, the rest were stopped and say so (run
	# again with --resume).
	echo "$output" | jq -s -e 'length == 5 and all(.status == "failed") and
		any(.attempts == 2 and .http >= 500 and (.error | test("HTTP 5[0-9][0-9]"))) and
		all((.attempts == 2 and .http >= 500) or
		    (.attempts < 2 and (.error | test("platform stayed unavailable"))))'
	[ "$(missing)" -eq 5 ]
}

@test "gcu-send: a platform that stays down stops the run instead of waiting out every request" {
	start 0 1 --generate 40 --error-rate 1.0
	requests 40
	export GCU_RETRY_SERVER_ATTEMPTS=3 GCU_CIRCUIT_FAILURES=3 GCU_CIRCUIT_PAUSE=0.3
	SECONDS=0
	run --separate-stderr gcu-send "$D/req.ndjson"
	[ "$status" -eq 69 ]
	# Three circuit pauses, not three per request (40 x 3 x 0.3 s = 36 s).
	[ "$SECONDS" -lt 10 ]
	echo "$output" | jq -s -e 'length == 40 and all(.status == "failed")'
	echo "$output" | jq -s -e 'map(select(.error | test("platform stayed unavailable"))) | length > 20'
}

@test "gcu-send: the circuit opens on server errors in a row and spares a platform in outage" {
	start 0 1 --generate 30 --outage 0:1.5
	requests 30
	export GCU_CIRCUIT_FAILURES=3 GCU_CIRCUIT_PAUSE=0.4 GCU_RETRY_SERVER_ATTEMPTS=30
	run --separate-stderr gcu-send "$D/req.ndjson"
	[ "$status" -eq 0 ]
	[ "$(missing)" -eq 0 ]
	seen=$(stat .faults.outage)
	echo "requests during the outage: $seen"
	# The first burst (6), then one probe per circuit pause.
	[ "$seen" -le 14 ]
}

@test "gcu-send: a refused connection fails with a reason (69), --resume finishes the job" {
	start 0 1 --users "$ROOT/testdata/org.ndjson"
	requests 10
	dead=$GCU_API_BASE
	sim_stop
	export GCU_RETRY_SERVER_ATTEMPTS=2
	GCU_API_BASE=$dead GCU_ACCESS_TOKEN=stale-token-0123 run --separate-stderr gcu-send "$D/req.ndjson"
	[ "$status" -eq 69 ]
	echo "$output" >"$D/res1.ndjson"
	echo "$output" | jq -s -e 'length == 10 and all(.status == "failed" and
		(.error | length > 0))'
	start 0 1 --users "$ROOT/testdata/org.ndjson"
	gcu-send --resume "$D/res1.ndjson" "$D/req.ndjson" >"$D/res2.ndjson"
	complete "$D/req.ndjson" "$D/res2.ndjson"
	[ "$(count ok "$D/res2.ndjson")" -eq 10 ]
	[ "$(missing)" -eq 0 ]
}

@test "gcu-send: a login service that cannot be reached still gives every line a result (69)" {
	start 0 1 --users "$ROOT/testdata/org.ndjson"
	requests 10
	dead=$GCU_API_BASE
	sim_stop
	GCU_API_BASE=$dead run --separate-stderr gcu-send "$D/req.ndjson"
	echo "$stderr"
	[ "$status" -eq 69 ]
	[[ "$stderr" == *"cannot reach the login service"* ]]
	# Nothing vanishes: the run folder's results say what became of each
	# request, so that verify and --resume see all of them.
	echo "$output" >"$D/res.ndjson"
	complete "$D/req.ndjson" "$D/res.ndjson"
	jq -s -e 'all((.status == "failed" or .status == "interrupted") and
		(.error | length > 0))' "$D/res.ndjson"
}

@test "gcu-send: a competing writer's conflicts are re-merged and its stamps survive" {
	start 0 1 --generate 20 --writer 50 --latency 20 --seed 5
	sleep 0.3
	requests 20
	sim_state >"$D/before.ndjson"
	run --separate-stderr gcu-send --concurrency 4 "$D/req.ndjson"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$(missing)" -eq 0 ]
	[ "$(echo "$output" | jq -s 'map(select(.status == "ok")) | length')" -eq 20 ]
	conflicts=$(stat .conflicts)
	[ "$conflicts" -gt 0 ]
	[[ "$stderr" =~ ([0-9]+)\ conflicts\ \(([0-9]+)\ resolved ]]
	[ "${BASH_REMATCH[1]}" -eq "$conflicts" ]
	[ "${BASH_REMATCH[2]}" -gt 0 ]
	# No stamp the writer set before is gone or older afterwards.
	sim_state | jq -s -e --slurpfile b "$D/before.ndjson" \
		'(map({key: .id, value: .wfmSyncStamp}) | from_entries) as $now |
		 [$b[] | select(.wfmSyncStamp) | $now[.id] != null and $now[.id] >= .wfmSyncStamp] | all'
}

# stale_test [gcu-sim options]: the first request carries a version one
# below the org's; gcu-send re-reads, re-merges and succeeds.
stale_test() {
	start 0 1 --generate 3 "$@"
	requests 3
	jq -c 'if .src | endswith(":1") then .body.version -= 1 else . end' "$D/req.ndjson" \
		>"$D/stale.ndjson"
	run --separate-stderr gcu-send "$D/stale.ndjson"
	[ "$status" -eq 0 ]
	[ "$(missing)" -eq 0 ]
	echo "$output" | jq -s -e 'length == 3 and all(.status == "ok")'
	[ "$(stat .conflicts)" -eq 1 ]
	[ "$(stat '.requests.by_method.GET')" -eq 1 ]
	[[ "$stderr" == *"1 conflicts (1 resolved"* ]]
}

@test "gcu-send: a stale version (409) is re-read, re-merged and applied" {
	stale_test
}

@test "gcu-send: a stale version reported as 400 is handled like a 409" {
	stale_test --conflict-as-400
}

@test "gcu-send: a conflicted user is parked without holding up the others" {
	start 0 1 --generate 6
	requests 6
	jq -c 'if .src | endswith(":1") then .body.version -= 1 else . end' "$D/req.ndjson" \
		>"$D/stale.ndjson"
	export GCU_RETRY_CONFLICTS_TO_PARK=1 GCU_RETRY_CONFLICT_COOLDOWN=2
	gcu-send --concurrency 2 "$D/stale.ndjson" >"$D/res.ndjson" 2>"$D/err" &
	SEND_PID=$!
	# Halfway through the cool-down the other five are done and written.
	sleep 1
	cp "$D/res.ndjson" "$D/early.ndjson"
	wait "$SEND_PID" && rc=0 || rc=$?
	SEND_PID=
	cat "$D/err"
	[ "$rc" -eq 0 ]
	[ "$(missing)" -eq 0 ]
	grep -q "1 parked" "$D/err"
	[ "$(wc -l <"$D/early.ndjson")" -eq 5 ]
	jq -s -e 'all(.status == "ok" and (.src | endswith(":1") | not))' "$D/early.ndjson"
	# The parked one waited out the cool-down and then went through.
	jq -s -e '.[-1] | (.src | endswith(":1")) and .status == "ok" and .ms >= 2000' \
		"$D/res.ndjson"
}

@test "gcu-send: conflicts that persist after the cool-down end as status conflict" {
	start 0 1 --generate 1 --writer 400 --latency 30
	requests 1
	export GCU_RETRY_CONFLICTS_TO_PARK=1 GCU_RETRY_CONFLICT_COOLDOWN=0.2
	run --separate-stderr gcu-send --failed "$D/failed.ndjson" "$D/req.ndjson"
	echo "$stderr"
	[ "$status" -eq 1 ]
	echo "$output" | jq -s -e 'length == 1 and .[0].status == "conflict" and
		(.[0].error | test("conflict"))'
	diff "$D/failed.ndjson" "$D/req.ndjson"
}

@test "gcu-send: an expired token is renewed and everything applied" {
	start 0 1 --generate 30 --token-ttl 0.5 --latency 50
	requests 30
	run --separate-stderr gcu-send --concurrency 2 "$D/req.ndjson"
	[ "$status" -eq 0 ]
	[ "$(missing)" -eq 0 ]
	echo "$output" | jq -s -e 'length == 30 and all(.status == "ok")'
	[ "$(stat .tokens_issued)" -ge 2 ]
}

@test "gcu-send: wrong client credentials exit 77 and change nothing" {
	start 0 1 --generate 3
	requests 3
	GCU_CLIENT_SECRET=wrong-secret run --separate-stderr gcu-send "$D/req.ndjson"
	[ "$status" -eq 77 ]
	[ "$(missing)" -eq 3 ]
}

@test "gcu-send: a refused token without a secret exits 77 with a result for every line" {
	start 0 1 --generate 8
	requests 8
	unset GCU_CLIENT_ID GCU_CLIENT_SECRET
	GCU_ACCESS_TOKEN=garbage-token-0123456789 run --separate-stderr gcu-send "$D/req.ndjson"
	[ "$status" -eq 77 ]
	echo "$output" >"$D/res.ndjson"
	complete "$D/req.ndjson" "$D/res.ndjson"
	jq -s -e 'all(.status == "interrupted" or .status == "failed")' "$D/res.ndjson"
	[ "$(missing)" -eq 8 ]
}

@test "gcu-send: every request has one result, pass-through lines are copied, --failed replays" {
	start 0 1 --generate 30 --error-rate 0.3 --seed 11 --dump "$D/dump.ndjson"
	sim_state >"$D/org.ndjson"
	# 20 title changes, 2 already true (unchanged), 1 unknown user (failed
	# in fetch), and a routing change of 3 skills for one user.
	{
		head -n 20 "$D/org.ndjson" | jq -c '{id, changes: {title: ("T-" + .id[0:8])}}'
		sed -n 21,22p "$D/org.ndjson" | jq -c '{id, changes: {title}}'
		echo '{"id":"00000000-0000-4000-8000-000000000000","changes":{"title":"X"}}'
		sed -n '23,$p' "$D/org.ndjson" | jq -c 'select(.skills | length > 0)' | head -n 1 |
			jq -c '{id, changes: {routingSkills:
			{(.skills[0].id): null, "11111111-1111-4111-8111-111111111111": 3},
			routingStatus: "IDLE"}}'
	} >"$D/changes.ndjson"
	gcu-partition -q "$D/changes.ndjson" | gcu-fetch -q --snapshot "$D/org.ndjson" |
		gcu-merge -q >"$D/req.ndjson" || true
	# One user's routing change is several requests.
	[ "$(jq -s 'map(select(.scope == "routing" and .op)) | length' "$D/req.ndjson")" -ge 3 ]
	[ "$(jq -s 'map(select(.status == "unchanged")) | length' "$D/req.ndjson")" -eq 2 ]
	[ "$(jq -s 'map(select(.status == "failed")) | length' "$D/req.ndjson")" -eq 1 ]
	export GCU_RETRY_SERVER_ATTEMPTS=1
	run --separate-stderr gcu-send --failed "$D/failed.ndjson" "$D/req.ndjson"
	[ "$status" -eq 1 ]
	echo "$output" >"$D/res.ndjson"
	complete "$D/req.ndjson" "$D/res.ndjson"
	# The pass-through lines, copied by src and status.
	diff <(jq -r 'select(.status and (.op | not)) | .src + " " + .status' "$D/req.ndjson" | sort) \
		<(jq -r 'select(.op | not) | .src + " " + .status' "$D/res.ndjson" | sort)
	# --failed holds exactly the request records whose result failed.
	nfailed=$(jq -s 'map(select(.op and .status == "failed")) | length' "$D/res.ndjson")
	[ "$nfailed" -gt 0 ]
	diff <(keys "$D/failed.ndjson") \
		<(jq -r 'select(.op and .status == "failed") |
			[.src, .op, .path, (.part // 0 | tostring)] | join("|")' "$D/res.ndjson" | sort)
	jq -s -e 'all(.method and .path and .op and .changes)' "$D/failed.ndjson"
	# The cause fixed (a simulator without errors, same org), the failed
	# records go through.
	sim_stop
	start 0 1 --users "$D/dump.ndjson"
	run --separate-stderr gcu-send "$D/failed.ndjson"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -s 'map(select(.status == "ok")) | length')" -eq "$nfailed" ]
	head -n 20 "$D/changes.ndjson" >"$D/titles.ndjson"
	mv "$D/titles.ndjson" "$D/changes.ndjson"
	[ "$(missing)" -eq 0 ]
}

@test "gcu-send: --resume skips what is done and sends only the rest" {
	start 0 1 --generate 30 --error-rate 0.3 --seed 13 --dump "$D/dump.ndjson"
	requests 30
	export GCU_RETRY_SERVER_ATTEMPTS=1
	run --separate-stderr gcu-send "$D/req.ndjson"
	[ "$status" -eq 1 ]
	echo "$output" >"$D/res1.ndjson"
	nok=$(count ok "$D/res1.ndjson")
	[ "$nok" -gt 0 ] && [ "$nok" -lt 30 ]
	sim_stop
	start 0 1 --users "$D/dump.ndjson"
	gcu-send --resume "$D/res1.ndjson" "$D/req.ndjson" >"$D/res2.ndjson"
	complete "$D/req.ndjson" "$D/res2.ndjson"
	[ "$(count ok "$D/res2.ndjson")" -eq 30 ]
	[ "$(stat '.requests.by_method.PATCH')" -eq $((30 - nok)) ]
	[ "$(missing)" -eq 0 ]
}

@test "gcu-send: --resume from a results file cut mid-line re-checks that request, never doubles it" {
	start 0 1 --generate 5
	requests 5
	gcu-send -q "$D/req.ndjson" >"$D/res1.ndjson"
	[ "$(count ok "$D/res1.ndjson")" -eq 5 ]
	head -c -40 "$D/res1.ndjson" >"$D/cut.ndjson"
	run --separate-stderr gcu-send --resume "$D/cut.ndjson" "$D/req.ndjson"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"cut.ndjson: 1 unreadable lines skipped"* ]]
	echo "$output" >"$D/res2.ndjson"
	complete "$D/req.ndjson" "$D/res2.ndjson"
	# The cut one went out again with its old version, met a conflict,
	# found its change already there: unchanged, applied once.
	last=$(tail -n 1 "$D/res1.ndjson" | jq -r .src)
	[ "$(jq -r --arg s "$last" 'select(.src == $s) | .status' "$D/res2.ndjson")" = unchanged ]
	[ "$(missing)" -eq 0 ]
	sim_state | jq -s -e --slurpfile o "$D/org.ndjson" \
		'(map({key: .id, value: .version}) | from_entries) as $v |
		 [$o[] | $v[.id] == .version + 1] | all'
}

# slow_run: 200 requests against a slow simulator, in the background.
slow_run() {
	start 0 1 --generate 200 --latency 100 --dump "$D/dump.ndjson"
	requests 200
	gcu-send "$D/req.ndjson" >"$D/res1.ndjson" 2>"$D/err1" &
	SEND_PID=$!
}

@test "gcu-send: SIGTERM drains, writes every result (75), and --resume finishes" {
	slow_run
	sleep 1
	# Results stream: those finished so far are already written.
	streamed=$(wc -l <"$D/res1.ndjson")
	kill -TERM "$SEND_PID"
	wait "$SEND_PID" && rc=0 || rc=$?
	SEND_PID=
	echo "streamed $streamed before the signal"
	[ "$streamed" -gt 0 ]
	[ "$rc" -eq 75 ]
	complete "$D/req.ndjson" "$D/res1.ndjson"
	nint=$(count interrupted "$D/res1.ndjson")
	nok=$(count ok "$D/res1.ndjson")
	[ "$nint" -gt 0 ] && [ "$nok" -gt 0 ]
	[ $((nint + nok)) -eq 200 ]
	jq -s -e 'map(select(.status == "interrupted")) | all(.attempts == 0)' "$D/res1.ndjson"
	# What the org holds is exactly what the results call ok.
	[ "$(missing)" -eq "$nint" ]
	gcu-send --resume "$D/res1.ndjson" "$D/req.ndjson" >"$D/res2.ndjson"
	complete "$D/req.ndjson" "$D/res2.ndjson"
	[ "$(count ok "$D/res2.ndjson")" -eq 200 ]
	[ "$(missing)" -eq 0 ]
	# The same org as a run without interruption: each user changed once.
	sim_state | jq -s -e --slurpfile o "$D/org.ndjson" \
		'(map({key: .id, value: .version}) | from_entries) as $v |
		 [$o[] | $v[.id] == .version + 1] | all'
}

@test "gcu-send: a second signal stops at once, still with every result (75)" {
	slow_run
	sleep 1
	kill -TERM "$SEND_PID"
	kill -INT "$SEND_PID"
	wait "$SEND_PID" && rc=0 || rc=$?
	SEND_PID=
	[ "$rc" -eq 75 ]
	complete "$D/req.ndjson" "$D/res1.ndjson"
	[ "$(count interrupted "$D/res1.ndjson")" -gt 0 ]
	[ $(($(count ok "$D/res1.ndjson") + $(count interrupted "$D/res1.ndjson"))) -eq 200 ]
}

@test "gcu-send: --dry-run prints each request and sends nothing" {
	start 0 1 --generate 5
	requests 5
	run --separate-stderr gcu-send --dry-run "$D/req.ndjson"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 5 ]
	first_id=$(jq -r .id "$D/req.ndjson" | head -1)
	[[ "${lines[0]}" == "PATCH /api/v2/users/$first_id {"* ]]
	[[ "${lines[0]}" == *'"title":"T-'* ]]
	[ "$(stat .requests.total)" -eq 0 ]
	[ "$(missing)" -eq 5 ]
}

@test "gcu-send: the summary counts statuses, 429s, retries, conflicts" {
	start 0 1 --generate 4
	requests 4
	run --separate-stderr gcu-send "$D/req.ndjson"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"4 requests, 4 results: 4 ok, 0 unchanged, 0 failed, 0 conflict, 0 interrupted"* ]]
	[[ "$stderr" == *"4 sent, 0 429s, 0 retries, 0 conflicts"* ]]
}

@test "gcu-send: the summary names concurrency as the bottleneck when it was" {
	start 0 1 --generate 10 --latency 300
	requests 10
	run --separate-stderr gcu-send --concurrency 2 "$D/req.ndjson"
	[ "$status" -eq 0 ]
	[ "$(missing)" -eq 0 ]
	[[ "$stderr" == *"concurrency, not the rate limit, was the bottleneck"* ]]
}

@test "gcu-send: malformed lines are reported as file:line and rejected; foreign paths rejected" {
	start 0 1 --generate 4
	requests 3
	other=$(sed -n 4p "$D/org.ndjson" | jq -r .id)
	{
		sed -n 1p "$D/req.ndjson"
		echo '{broken'
		sed -n 2p "$D/req.ndjson" | jq -c --arg o "$other" '.path = "/api/v2/users/" + $o'
		sed -n 3p "$D/req.ndjson" | jq -c '.path += "/../../users/x"'
		echo '{"id":"not-a-uuid","src":"x:1","scope":"non-routing","op":"user","method":"PATCH","path":"/api/v2/users/not-a-uuid"}'
		echo '[1,2]'
	} >"$D/bad.ndjson"
	before=$(sim_state | jq -c --arg o "$other" 'select(.id == $o)')
	run --separate-stderr gcu-send "$D/bad.ndjson"
	echo "$stderr"
	[ "$status" -eq 1 ]
	for n in 2 3 4 5 6; do
		[[ "$stderr" == *"bad.ndjson:$n:"* ]]
	done
	[[ "$stderr" != *"bad.ndjson:1:"* ]]
	[[ "$stderr" == *"5 rejected"* ]]
	# One result a line: the good one ok, each bad one rejected, naming its line.
	[ "${#lines[@]}" -eq 6 ]
	[ "$(echo "$output" | jq -r .status | sort | uniq -c | tr -s ' ')" = "$(printf ' 1 ok\n 5 rejected')" ]
	[ "$(echo "$output" | jq -r 'select(.status == "rejected") | .line' | sed 's/.*://' | tr '\n' ' ')" = "2 3 4 5 6 " ]
	[ "$(stat '.requests.by_method.PATCH')" -eq 1 ]
	[ "$(sim_state | jq -c --arg o "$other" 'select(.id == $o)')" = "$before" ]
}

@test "gcu-send: neither the secret nor the token shows in results, stderr or argv" {
	start 0 1 --generate 40 --latency 100 --error-rate 0.5 --seed 2
	requests 40
	export GCU_RETRY_SERVER_ATTEMPTS=1
	gcu-send -v --failed "$D/failed.ndjson" "$D/req.ndjson" >"$D/res.ndjson" 2>"$D/err" &
	SEND_PID=$!
	cmdline=
	for _ in $(seq 50); do
		cmdline=$(tr '\0' ' ' <"/proc/$SEND_PID/cmdline" 2>/dev/null) || true
		[[ "$cmdline" == *gcu-send* ]] && break
		sleep 0.02
	done
	[[ "$cmdline" == *gcu-send* ]]
	wait "$SEND_PID" || true
	SEND_PID=
	[ -s "$D/failed.ndjson" ]
	! grep -rF "$GCU_CLIENT_SECRET" "$D/res.ndjson" "$D/failed.ndjson" "$D/err"
	[[ "$cmdline" != *"$GCU_CLIENT_SECRET"* ]]
	# The tokens the simulator issued, as it shows them (8 characters).
	for t in $(stat '.peak_inflight_by_token | keys[]'); do
		! grep -rF "$t" "$D/res.ndjson" "$D/failed.ndjson" "$D/err"
	done
	# A token given in the environment stays out of everything too.
	token=$(sim_token)
	GCU_ACCESS_TOKEN=$token GCU_CLIENT_SECRET=wrong-secret run --separate-stderr gcu-send -v "$D/req.ndjson"
	[[ "$output$stderr" != *"$token"* ]]
	[[ "$output$stderr" != *"wrong-secret"* ]]
}

@test "gcu-send: --help and usage errors" {
	run --separate-stderr gcu-send --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--resume RESULTS"* ]]
	run --separate-stderr gcu-send --bogus
	[ "$status" -eq 64 ]
	run --separate-stderr gcu-send a b
	[ "$status" -eq 64 ]
	run --separate-stderr gcu-send --concurrency 0 /dev/null
	[ "$status" -eq 64 ]
}

# share_429: the sim's 429s and what it answered in all, "429s of total".
share_429() {
	stat '"\(.rate_limited) of \(.requests.total)"'
}

@test "gcu-send: resets in whole seconds, either header style, still fill the window to the floor" {
	for style in inin x; do
		start 40 1 --generate 120 --headers "$style"
		requests 120
		export GCU_THROTTLE_RESERVE=10 GCU_THROTTLE_FLOOR=3
		gcu-send "$D/req.ndjson" >"$D/res.ndjson"
		[ "$(count ok "$D/res.ndjson")" -eq 120 ]
		[ "$(missing)" -eq 0 ]
		echo "$style: reset $(curl -s -D - -o /dev/null "$GCU_API_BASE/api/v2/users" | grep -i reset)"
		peak=$(stat .peak_window)
		echo "$style: fullest window $peak of 40, 429s $(share_429)"
		# The pacing did not wait for the rounded-up reset: the window
		# was spent down to the floor (37), not left half empty.
		[ "$peak" -ge 34 ]
		[ "$(stat .rate_limited)" -eq 0 ]
		sim_stop
	done
}

@test "gcu-send: a window shorter than platform.window is learned from the headers and said once" {
	start 20 1 --generate 100
	requests 100
	export GCU_PLATFORM_WINDOW=10
	SECONDS=0
	run --separate-stderr timeout 40 gcu-send "$D/req.ndjson"
	echo "$stderr"
	echo "took $SECONDS s, 429s $(share_429)"
	[ "$status" -eq 0 ]
	[ "$(missing)" -eq 0 ]
	[ "$(grep -c 'show a window of at most' <<<"$stderr")" -eq 1 ]
	# Five windows of a second each, not five of ten.
	[ "$SECONDS" -le 16 ]
}

@test "gcu-send: a window longer than platform.window is learned from the resets and said" {
	start 20 4 --generate 60
	requests 60
	export GCU_PLATFORM_WINDOW=0.4
	run --separate-stderr gcu-send "$D/req.ndjson"
	echo "$stderr"
	echo "429s $(share_429)"
	[ "$status" -eq 0 ]
	[ "$(missing)" -eq 0 ]
	[[ "$stderr" == *"show a window of at least"* ]]
	[ "$(stat .rate_limited)" -le 3 ]
}

@test "gcu-send: without headers it finds a limit far above the nominal rate, without a 429 storm" {
	# A proxy's leaky bucket at 40 a second, no headers at all; gcu-send
	# believes in 5 a second.
	start 0 1 --generate 240 --bucket 40 --burst 5
	requests 240
	export GCU_PLATFORM_LIMIT=5
	run --separate-stderr gcu-send "$D/req.ndjson"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"flying blind"* ]]
	[ "$(missing)" -eq 0 ]
	best=$(stat '[.timeline[].admitted] | max')
	echo "best second $best admitted, 429s $(share_429)"
	# Well above the nominal rate, and more than four times it.
	[ "$best" -ge 25 ]
	[ $(($(stat .rate_limited) * 20)) -le "$(stat .requests.total)" ]
}

@test "gcu-send: a 429 without headers behind headers that showed room is a limiter in front: said, paced" {
	start 100 2 --generate 120 --bucket 20 --burst 3
	requests 120
	run --separate-stderr gcu-send "$D/req.ndjson"
	echo "$stderr"
	echo "429s $(share_429)"
	[ "$status" -eq 0 ]
	[ "$(missing)" -eq 0 ]
	[[ "$stderr" == *"a limiter in front of the platform"* ]]
	[ $(($(stat .rate_limited) * 10)) -le "$(stat .requests.total)" ]
}
