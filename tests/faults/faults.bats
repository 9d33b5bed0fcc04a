#!/usr/bin/env bats
# faults.bats - the pipeline under every fault gcu-sim can inject, alone
# and all together, and the failures around it: gcu-send killed with
# SIGKILL and resumed, results written to a full disk or a closed pipe,
# the platform unreachable.
#
# After each run the same invariants are checked: every request ends in
# exactly one result; every change a result calls ok holds in the org
# (GET /__sim/state), except under --fake-200, where gcu-verify must flag
# what was not saved; and the competing writer's wfmSyncStamp is never
# lost or rolled back. Retry settings are scaled (faults.bash) so that
# the whole file runs in well under a minute.

load faults
bats_require_minimum_version 1.5.0

teardown() {
	faults_teardown
}

# faulty ARGS...: a fault run: the sim with ARGS and a competing writer,
# the offline half of the pipeline, gcu-send, and every invariant.
faulty() {
	local w=$BATS_TEST_TMPDIR/run
	# The requests first: timed faults count from the simulator's start.
	offline "$w"
	fsim --writer 20 "$@"
	gcu-send --seed 7 "$w/m.ndjson" >"$w/r.ndjson" 2>"$w/send.err" &
	local pid=$!
	sleep 0.2
	sim_state >"$w/during.ndjson"
	SEND_RC=0
	wait "$pid" || SEND_RC=$?
	cat "$w/send.err"
	[ "$SEND_RC" -lt 128 ]
	no_sanitizer_report "$w/send.err"
	sim_state >"$w/state.ndjson"
	one_result_each "$w/m.ndjson" "$w/r.ndjson"
	ok_holds "$w/r.ndjson" "$w/state.ndjson"
	writer_intact "$w/during.ndjson" "$w/state.ndjson"
	! grep -q wfmSyncStamp "$w/m.ndjson" "$w/r.ndjson"
	RUN=$w
}

# ok_count: the results that say ok.
ok_count() {
	jq -c 'select(.status == "ok")' "$RUN/r.ndjson" | wc -l
}

@test "faults: none (the baseline every fault is measured against)" {
	faulty
	[ "$SEND_RC" -eq 0 ]
	[ "$(ok_count)" -gt 60 ]
}

@test "faults: 5xx bursts (--error-rate 0.3) are retried" {
	faulty --error-rate 0.3
	[ "$(sim_stats | jq .faults.errors)" -gt 5 ]
	[ "$SEND_RC" -le 1 ]
	[ "$(ok_count)" -gt 50 ]
}

@test "faults: connection resets (--reset-rate 0.2)" {
	faulty --reset-rate 0.2
	[ "$(sim_stats | jq .faults.resets)" -gt 3 ]
	[ "$SEND_RC" -le 1 ]
	[ "$(ok_count)" -gt 50 ]
}

@test "faults: latency spikes (--latency 40 --jitter 40)" {
	faulty --latency 40 --jitter 40
	[ "$SEND_RC" -eq 0 ]
	[ "$(ok_count)" -gt 60 ]
}

@test "faults: an outage window (--outage 0.1:0.8) is waited out or reported" {
	faulty --outage 0.1:0.8 --latency 10
	[ "$(sim_stats | jq .faults.outage)" -gt 0 ]
	[ "$SEND_RC" -le 1 ] || [ "$SEND_RC" -eq 69 ]
	# What failed says why.
	! jq -e 'select(.status == "failed" and (.error == null))' "$RUN/r.ndjson"
}

@test "faults: stripped rate-limit headers (--strip-headers)" {
	faulty --strip-headers --limit 100
	[ "$SEND_RC" -le 1 ]
	[ "$(ok_count)" -gt 50 ]
}

@test "faults: token expiry mid-run (--token-ttl 0.3) refreshes the token" {
	faulty --token-ttl 0.3 --latency 10
	[ "$SEND_RC" -eq 0 ]
	[ "$(sim_stats | jq .tokens_issued)" -gt 1 ]
	[ "$(ok_count)" -gt 60 ]
}

@test "faults: a token that expires twice during an outage is renewed, not taken for refused" {
	# Regression: a 401 on a refreshed token that had itself expired
	# before anything succeeded with it was taken for refused credentials
	# (exit 77, the rest interrupted).
	export GCU_RETRY_SERVER_ATTEMPTS=30
	faulty --token-ttl 0.25 --outage 0:1.2
	[ "$(sim_stats | jq .faults.outage)" -gt 0 ]
	[ "$(sim_stats | jq .tokens_issued)" -gt 2 ]
	[ "$SEND_RC" -eq 0 ]
	[ "$(ok_count)" -gt 60 ]
}

@test "faults: a competing writer (--writer 200) never loses its field" {
	faulty --writer 200 --latency 5
	[ "$(sim_stats | jq .writer_writes)" -gt 20 ]
	[ "$SEND_RC" -le 1 ]
	[ "$(ok_count)" -gt 50 ]
}

@test "faults: fake 200s (--fake-200) are caught by gcu-verify" {
	[ -x "$GCU_BIN/gcu-verify" ] || skip "no gcu-verify"
	# Without rate headers gcu probes for the rate; the throttling that
	# finds it, the proxy turns into 200 {} (saving nothing).
	fsim --fake-200 --headers none --limit 40
	local w=$BATS_TEST_TMPDIR/run
	offline "$w"
	send "$w"
	one_result_each "$w/m.ndjson" "$w/r.ndjson"
	[ "$(sim_stats | jq .faults.fake_200)" -gt 0 ]
	sim_state >"$w/state.ndjson"
	# Results ok that the org does not hold: what a fake 200 looks like...
	run ok_holds "$w/r.ndjson" "$w/state.ndjson"
	[ "$status" -ne 0 ]
	# ...and gcu-verify names every one of them.
	gcu-verify -q "$w/r.ndjson" >"$w/v.ndjson" 2>"$w/verify.err" && vrc=0 || vrc=$?
	cat "$w/verify.err"
	[ "$vrc" -eq 1 ]
	jq -r 'select(.verified == false) | .id' "$w/v.ndjson" | sort -u >"$w/flagged"
	[ -s "$w/flagged" ]
	# Every user with a change the org does not hold is among them.
	OK_HOLDS_SHOW=100000 run ok_holds "$w/r.ndjson" "$w/state.ndjson"
	echo "$output" | grep '^{' | jq -r .id | sort -u >"$w/unheld"
	[ -s "$w/unheld" ]
	comm -23 "$w/unheld" "$w/flagged" >"$w/missed"
	cat "$w/missed"
	[ ! -s "$w/missed" ]
}

@test "faults: all together, with a network fetch and gcu-verify" {
	local w=$BATS_TEST_TMPDIR/run
	fsim --writer 20 --error-rate 0.1 --reset-rate 0.05 --latency 10 --jitter 10 \
		--outage 0.5:0.8 --strip-headers --token-ttl 0.4 --limit 200
	online "$w"
	no_sanitizer_report "$w/fetch.err"
	[ "$(wc -l <"$w/f.ndjson")" -eq "$(wc -l <"$w/p.ndjson")" ]
	sim_state >"$w/during.ndjson"
	send "$w"
	cat "$w/send.err"
	echo "gcu-send exit $SEND_RC"
	jq -r 'select(.status != "ok" and .status != "unchanged") | "\(.status): \(.error)"' \
		"$w/r.ndjson" | sort | uniq -c
	one_result_each "$w/m.ndjson" "$w/r.ndjson"
	# The outage may open the circuit (exit 69, the rest interrupted):
	# resuming finishes the job.
	local i
	for i in 1 2 3; do
		case $SEND_RC in 1 | 69 | 75) ;; *) break ;; esac
		mv "$w/r.ndjson" "$w/r.$i.ndjson"
		send "$w" --resume "$w/r.$i.ndjson"
		cat "$w/send.err"
		one_result_each "$w/m.ndjson" "$w/r.ndjson"
	done
	[ "$SEND_RC" -eq 0 ]
	sim_state >"$w/state.ndjson"
	ok_holds "$w/r.ndjson" "$w/state.ndjson"
	writer_intact "$w/during.ndjson" "$w/state.ndjson"
	if [ -x "$GCU_BIN/gcu-verify" ]; then
		gcu-verify -q "$w/r.ndjson" >"$w/v.ndjson" 2>"$w/verify.err" || true
		no_sanitizer_report "$w/verify.err"
		# No ok result is contradicted (unreadable users may be reported).
		! jq -e 'select(.verified == false and .mismatch != null)' "$w/v.ndjson"
	fi
}

# --- kill -9 and resume -----------------------------------------------------

# killed_then_resumed DELAY: sends with 40 ms latency, kills gcu-send with
# SIGKILL after DELAY seconds, resumes from the partial results, and
# compares the org with one where the same requests ran uninterrupted.
killed_then_resumed() {
	local delay=$1 w=$BATS_TEST_TMPDIR/kill
	offline "$w"
	# The org the uninterrupted run leaves.
	fsim
	gcu-send -q "$w/m.ndjson" >"$w/r.clean.ndjson"
	sim_state >"$w/expected.ndjson"
	sim_stop
	# Two in flight at 40 ms each: the run takes about 1.5 s.
	fsim --latency 40 --jitter 10
	gcu-send -q --concurrency 2 "$w/m.ndjson" >"$w/r1.ndjson" 2>"$w/send1.err" &
	local pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" || true
	local done1
	done1=$(jq -R 'fromjson? | select(.status == "ok")' "$w/r1.ndjson" | jq -s length)
	echo "killed after $delay s with $done1 ok of $(wc -l <"$w/m.ndjson")"
	gcu-send --resume "$w/r1.ndjson" "$w/m.ndjson" >"$w/r2.ndjson" 2>"$w/send2.err" ||
		{ cat "$w/send2.err"; return 1; }
	cat "$w/send2.err"
	no_sanitizer_report "$w/send1.err" "$w/send2.err"
	sim_state >"$w/after.ndjson"
	# The new results are complete on their own: one per request.
	one_result_each "$w/m.ndjson" "$w/r2.ndjson"
	! jq -e 'select(.status | IN("failed","conflict","interrupted"))' "$w/r2.ndjson"
	# The org is the one the uninterrupted run left: nothing applied twice
	# over a newer value, no field gcu did not change lost.
	diff <(normal_state "$w/expected.ndjson") <(normal_state "$w/after.ndjson")
	# The kill landed mid-run: some done, not all.
	[ "$done1" -lt "$(jq -c 'select(.method != null)' "$w/m.ndjson" | wc -l)" ]
}

@test "kill -9: after 0.3 s, then --resume" {
	killed_then_resumed 0.3
}

@test "kill -9: after 0.7 s, then --resume" {
	killed_then_resumed 0.7
}

@test "kill -9: after 1.1 s, then --resume" {
	killed_then_resumed 1.1
}

@test "kill -9: a results file cut in the middle of a line still resumes" {
	local w=$BATS_TEST_TMPDIR/cut
	offline "$w"
	fsim
	gcu-send -q "$w/m.ndjson" >"$w/r.full.ndjson"
	sim_state >"$w/expected.ndjson"
	# The first 20 results, the 21st cut short, as a SIGKILL leaves them.
	head -20 "$w/r.full.ndjson" >"$w/r1.ndjson"
	sed -n 21p "$w/r.full.ndjson" | head -c 40 >>"$w/r1.ndjson"
	run gcu-send --resume "$w/r1.ndjson" "$w/m.ndjson"
	echo "$output" | tail -3
	[ "$status" -eq 0 ]
	echo "$output" | grep -v '^gcu-send' >"$w/r2.ndjson"
	one_result_each "$w/m.ndjson" "$w/r2.ndjson"
	sim_state >"$w/after.ndjson"
	diff <(normal_state "$w/expected.ndjson") <(normal_state "$w/after.ndjson")
}

# --- where results go -------------------------------------------------------

@test "results to a full disk: gcu-send says so and exits 74" {
	local w=$BATS_TEST_TMPDIR/full
	offline "$w"
	fsim
	run -74 sh -c 'gcu-send -q "$1" >/dev/full' sh "$w/m.ndjson"
	echo "$output"
	[[ "$output" == *"No space left on device"* ]]
}

@test "results to a closed pipe: gcu-send stops with an error, not in silence" {
	local w=$BATS_TEST_TMPDIR/pipe
	offline "$w"
	fsim
	gcu-send "$w/m.ndjson" 2>"$w/send.err" | head -1 >"$w/first"
	rc=${PIPESTATUS[0]}
	cat "$w/send.err"
	[ -s "$w/first" ]
	[ "$rc" -ne 0 ]
	# Killed by SIGPIPE is not clear; an error naming the pipe is.
	[ "$rc" -lt 128 ]
	grep -qi 'pipe' "$w/send.err"
}

@test "results to a full disk or closed pipe: partition and merge too" {
	run -74 sh -c 'gcu-partition -q "$1" >/dev/full' sh "$CHANGES"
	[[ "$output" == *"No space left on device"* ]]
	local w=$BATS_TEST_TMPDIR/m
	offline "$w"
	run -74 sh -c 'gcu-merge -q "$1" >/dev/full' sh "$w/f.ndjson"
	[[ "$output" == *"No space left on device"* ]]
	# Enough output that the pipe closes under the writer.
	for i in 1 2 3 4 5 6 7 8; do cat "$w/f.ndjson"; done >"$w/f8.ndjson"
	gcu-merge -q "$w/f8.ndjson" 2>"$w/merge.err" | head -1 >/dev/null
	rc=${PIPESTATUS[0]}
	[ "$rc" -ne 0 ] && [ "$rc" -lt 128 ]
	[ -s "$w/merge.err" ]
}

# --- the platform unreachable ------------------------------------------------

@test "platform unreachable: bounded retries, exit 69, failed with the reason, resume finishes" {
	local w=$BATS_TEST_TMPDIR/down
	offline "$w"
	# A port that was just free: start a simulator, note its URL, stop it.
	fsim
	local dead=$GCU_API_BASE token
	token=$(sim_token)
	sim_stop
	# With a token in hand, the API itself cannot be reached.
	export GCU_API_BASE=$dead GCU_ACCESS_TOKEN=$token GCU_RETRY_SERVER_ATTEMPTS=2 \
		GCU_CIRCUIT_PAUSE=0.05
	unset GCU_CLIENT_ID GCU_CLIENT_SECRET
	SECONDS=0
	gcu-send -q --failed "$w/failed.ndjson" "$w/m.ndjson" >"$w/r1.ndjson" 2>"$w/send.err" &&
		rc=0 || rc=$?
	cat "$w/send.err"
	[ "$rc" -eq 69 ]
	[ "$SECONDS" -lt 20 ]
	# Every request has its result, none says ok, none was tried more than
	# the two attempts allowed.
	! jq -e 'select(.attempts > 2)' "$w/r1.ndjson"
	one_result_each "$w/m.ndjson" "$w/r1.ndjson"
	! jq -e 'select(.status == "ok")' "$w/r1.ndjson"
	# Those that failed say why; the --failed file can be fed back in.
	jq -e -s 'map(select(.status == "failed")) | length > 0 and
		all(.error != null and (.error | tostring | test("connect|refused|reach|unavailable"; "i")))' \
		"$w/r1.ndjson"
	[ "$(wc -l <"$w/failed.ndjson")" -eq "$(jq -c 'select(.status == "failed")' "$w/r1.ndjson" | wc -l)" ]
	# Later, the platform is back: --resume finishes the job.
	unset GCU_RETRY_SERVER_ATTEMPTS GCU_ACCESS_TOKEN GCU_CIRCUIT_PAUSE
	fsim
	gcu-send -q --resume "$w/r1.ndjson" "$w/m.ndjson" >"$w/r2.ndjson"
	one_result_each "$w/m.ndjson" "$w/r2.ndjson"
	! jq -e 'select(.status != "ok" and .status != "unchanged")' "$w/r2.ndjson"
	sim_state >"$w/state.ndjson"
	ok_holds "$w/r2.ndjson" "$w/state.ndjson"
}

@test "platform unreachable: the login service down is exit 69 with a clear message" {
	local w=$BATS_TEST_TMPDIR/down
	offline "$w"
	fsim
	local dead=$GCU_API_BASE
	sim_stop
	export GCU_API_BASE=$dead
	SECONDS=0
	run -69 gcu-send -q "$w/m.ndjson"
	echo "$output"
	[ "$SECONDS" -lt 20 ]
	[[ "$output" == *"cannot reach the login service"* ]]
	[[ "$output" != *"$GCU_CLIENT_SECRET"* ]]
}

@test "faults: gcu-fetch renews a token that expires twice during an outage, not taken for refused" {
	# The same outage as gcu-send's above, met by a network read: a 401 on
	# a refreshed token that had itself expired before anything succeeded
	# with it stopped the read with 77, every record failed with that 401.
	export GCU_RETRY_SERVER_ATTEMPTS=30
	local w=$BATS_TEST_TMPDIR/run rc=0
	mkdir -p "$w"
	gcu-partition -q "$CHANGES" >"$w/p.ndjson"
	gcu-fetch -q --snapshot "$ORG" "$w/p.ndjson" >"$w/want.ndjson"
	fsim --token-ttl 0.25 --outage 0:1.2
	gcu-fetch --seed 7 "$w/p.ndjson" >"$w/f.ndjson" 2>"$w/fetch.err" || rc=$?
	cat "$w/fetch.err"
	no_sanitizer_report "$w/fetch.err"
	[ "$rc" -eq 0 ]
	[ "$(sim_stats | jq .faults.outage)" -gt 0 ]
	[ "$(sim_stats | jq .tokens_issued)" -gt 2 ]
	# Every record was read, as the org holds it: the same lines as the
	# offline read of the simulator's own org.
	diff "$w/want.ndjson" "$w/f.ndjson"
}
