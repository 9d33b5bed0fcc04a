#!/usr/bin/env bats
# kill_run.bats - run.sh killed with SIGKILL in the middle of a send: every
# gcu process of that run ends within seconds (the stages and the demo's
# gcu-sim are tied to it), a resume refuses while any of them still runs,
# and the resumed run applies every change exactly once, as the
# simulator's state and counters show; against the demo's simulator it
# continues from the org as the killed session left it. A hangup of the
# run's process group (an ssh session that drops) is an interrupt: the
# send drains and the run resumes; so is a SIGTERM to the whole group.

load faults

RUN=$ROOT/run.sh

teardown() {
	local p rc=0
	faults_teardown || rc=$?
	# Whatever a failed test left running: the processes of its run folder.
	for p in $(pgrep -f -- "$BATS_TEST_TMPDIR/" || true); do kill -KILL "$p" 2>/dev/null || true; done
	return "$rc"
}

# run_procs DIR: the processes whose command line names DIR, one a line.
run_procs() {
	pgrep -af -- "$1" || true
}

# gone_within SECONDS DIR: waits until no process names DIR; fails, listing
# them, when some are still there after SECONDS.
gone_within() {
	local end=$((SECONDS + $1))
	while [ -n "$(run_procs "$2")" ]; do
		if [ "$SECONDS" -ge "$end" ]; then
			echo "still running $1 s after the kill:"
			run_procs "$2"
			return 1
		fi
		sleep 0.1
	done
}

# wait_sent FILE N: waits (30 s at most) until FILE holds N results of
# requests sent and answered.
wait_sent() {
	local end=$((SECONDS + 30)) n
	while n=$(grep -cs '"status":"ok"' "$1"); [ "${n:-0}" -lt "$2" ]; do
		[ "$SECONDS" -lt "$end" ] || { echo "$1 never reached $2 sent"; return 1; }
		sleep 0.1
	done
}

# versions ORG: "id version" of every user in an org export, sorted.
versions() {
	jq -r '"\(.id) \(.version)"' "$1" | sort
}

# applied_once ORG_BEFORE ORG_AFTER REQUESTS: every user a request of
# REQUESTS patches went up exactly one version from ORG_BEFORE to ORG_AFTER
# (a user PATCH applied twice would be two), and every change holds.
applied_once() {
	local bad
	jq -r 'select(.op == "user") | .id' "$3" | sort -u >"$BATS_TEST_TMPDIR/patched"
	bad=$(join <(versions "$1") <(versions "$2") | join - "$BATS_TEST_TMPDIR/patched" |
		awk '$3 != $2 + 1')
	if [ -n "$bad" ]; then
		echo "users not at their version + 1 (id before after):"
		echo "$bad" | head
		return 1
	fi
	[ "$(wc -l <"$BATS_TEST_TMPDIR/patched")" -eq 40 ]
}

@test "kill -9: run.sh killed mid-send leaves nothing running, a resume waits for it, then applies every change once" {
	local dir=$BATS_TEST_TMPDIR/run send rc
	# Answers take 2 s, so that the send lasts a few seconds and a killed
	# gcu-send still has requests in flight to drain.
	fsim --latency 2000
	export GCU_CONCURRENCY=20 GCU_PLATFORM_LIMIT=300
	"$RUN" --gap 0.5 --no-report --run-dir "$dir" "$CHANGES" >"$BATS_TEST_TMPDIR/first.out" 2>&1 &
	local pid=$!
	wait_sent "$dir/results.non-routing.ndjson" 5
	kill -KILL "$pid"
	wait "$pid" || true
	# The stage got SIGTERM and drains; hold it there to see that the run
	# folder stays locked while it runs.
	send=$(pgrep -f -- "gcu-send.*$dir/requests.non-routing") || { run_procs "$dir"; false; }
	kill -STOP "$send"
	run "$RUN" --resume "$dir"
	echo "$output"
	[ "$status" -eq 75 ]
	[[ $output == *"$dir is in use by another run"* ]]
	kill -CONT "$send"
	gone_within 5 "$dir"
	rc=$(grep -c '"status":"interrupted"' "$dir/results.non-routing.ndjson" || true)
	echo "interrupted: $rc"
	# Every request has its line: done before the kill, or interrupted.
	[ "$(wc -l <"$dir/results.non-routing.ndjson")" -eq 50 ]

	run "$RUN" --resume "$dir"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"resuming the send"* ]]
	grep -qx 'routing=done' "$dir/state"
	sim_state >"$BATS_TEST_TMPDIR/after.ndjson"
	applied_once "$ORG" "$BATS_TEST_TMPDIR/after.ndjson" "$dir/requests.non-routing.ndjson"
	# Nothing sent twice: one user PATCH per request, one routing write per
	# request, all ok.
	sim_stats >"$BATS_TEST_TMPDIR/stats.json"
	jq -e '.requests.by_route["PATCH /api/v2/users/{id}"] == 40' "$BATS_TEST_TMPDIR/stats.json"
	jq -e '[.requests.by_route | to_entries[] | select(.key | test("^(PATCH|PUT|DELETE) /api/v2/users/\\{id\\}/routing")) | .value] | add == 36' \
		"$BATS_TEST_TMPDIR/stats.json"
	[ "$(jq -s 'map(select(.op and .status != "ok")) | length' "$dir/results.non-routing.ndjson" "$dir/results.routing.ndjson")" -eq 0 ]
	[ "$(jq -s 'map(select(.verified == false)) | length' "$dir/verify.non-routing.ndjson" "$dir/verify.routing.ndjson")" -eq 0 ]
}

# signal_mid_send SIGNAL DIR: a run into DIR against a platform that answers
# in 2 s, in a process group of its own (as a login shell gives a command),
# SIGNAL to the whole group once 5 requests are answered. The run stops as
# interrupted (75), nothing of it is left running, every request has its
# line, and gcu-send, told once, drained: each request it sent was answered
# (told twice, it stops at once, and what is in flight is interrupted).
signal_mid_send() {
	local sig=$1 dir=$2 pid rc=0
	fsim --latency 2000
	export GCU_CONCURRENCY=20 GCU_PLATFORM_LIMIT=300
	setsid "$RUN" --gap 0.5 --no-report --run-dir "$dir" "$CHANGES" >"$BATS_TEST_TMPDIR/first.out" 2>&1 &
	pid=$!
	wait_sent "$dir/results.non-routing.ndjson" 5
	kill "-$sig" -- "-$pid"
	wait "$pid" || rc=$?
	cat "$BATS_TEST_TMPDIR/first.out"
	[ "$rc" -eq 75 ]
	grep -q 'gcu-send was interrupted; continue with: run.sh --resume' "$BATS_TEST_TMPDIR/first.out"
	gone_within 5 "$dir"
	[ "$(wc -l <"$dir/results.non-routing.ndjson")" -eq 50 ]
	jq -e '.exit == 75 and .sent > 5 and .results.ok == .sent' "$dir/send.non-routing.1.summary.json"
	grep -qx 'non-routing=interrupted:send' "$dir/state"
}

@test "hangup: an ssh session that drops mid-send stops the run as an interrupt, with a line for every request, and --resume applies every change once" {
	local dir=$BATS_TEST_TMPDIR/run
	signal_mid_send HUP "$dir"
	run "$RUN" --resume "$dir"
	echo "$output"
	[ "$status" -eq 0 ]
	sim_state >"$BATS_TEST_TMPDIR/after.ndjson"
	applied_once "$ORG" "$BATS_TEST_TMPDIR/after.ndjson" "$dir/requests.non-routing.ndjson"
	sim_stats | jq -e '.requests.by_route["PATCH /api/v2/users/{id}"] == 40'
}

@test "group SIGTERM: a SIGTERM to run.sh's whole process group (timeout(1), kill -- -PGID) reaches gcu-send once: it drains, and every request it sent is answered" {
	signal_mid_send TERM "$BATS_TEST_TMPDIR/run"
}

@test "kill -9: a killed demo leaves no simulator behind and resumes from the org as it was" {
	local dir=$BATS_TEST_TMPDIR/demo
	# The demo's own simulator, 12 requests per 2 s: the send takes seconds.
	export GCU_SIM_LIMIT=12 GCU_SIM_WINDOW=2
	"$RUN" --sim --gap 0.5 --no-report --run-dir "$dir" "$CHANGES" >"$BATS_TEST_TMPDIR/first.out" 2>&1 &
	local pid=$!
	wait_sent "$dir/results.non-routing.ndjson" 10
	kill -KILL "$pid"
	wait "$pid" || true
	gone_within 5 "$dir"
	cat "$BATS_TEST_TMPDIR/first.out"
	# The simulator wrote the org as it was: what was done is in it.
	jq -r 'select(.status == "ok") | .id' "$dir/results.non-routing.ndjson" | sort -u >"$BATS_TEST_TMPDIR/done"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/done")" -ge 10 ]
	join <(versions "$ORG") <(versions "$dir/sim-org.ndjson") | join - "$BATS_TEST_TMPDIR/done" |
		awk '$3 != $2 + 1 { bad = 1; print "not in the dump:", $0 } END { exit bad }'

	run "$RUN" --resume "$dir"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"running against gcu-sim on "*" with "*"sim-org.ndjson"* ]]
	gone_within 5 "$dir"
	applied_once "$ORG" "$dir/sim-org.ndjson" "$dir/requests.non-routing.ndjson"
	[ "$(jq -s 'map(select(.verified == false)) | length' "$dir/verify.non-routing.ndjson" "$dir/verify.routing.ndjson")" -eq 0 ]
	[ "$(jq -s 'map(select(.verified == true)) | length' "$dir/verify.non-routing.ndjson")" -eq 40 ]
}
