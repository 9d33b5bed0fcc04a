#!/usr/bin/env bats
# groups.bats - queue, team and division changes under the platform's
# partial answers and faults: a team join answering `failures`, a queue
# call answering 503 mid-run, a queue call refusing users it names,
# another integration removing queue members meanwhile, gcu-send replayed
# from captured requests, killed with SIGKILL and resumed, and its
# --failed file fed back in. Every time: one result per member, nothing
# reported ok that the org does not hold (or gcu-verify names it), and in
# the end every change holds. Last, the acceptance: a reorganisation of
# 2,000 users through run.sh, at most 0.35 requests a user.

load faults
load ../cli/groups
bats_require_minimum_version 1.5.0

teardown() {
	faults_teardown
}

# prepare N [gcu-sim options]: the simulator with N users, a reorg of
# them, and its requests (fetched and merged from the simulator) in
# $W/m.<scope>.ndjson.
prepare() {
	W=$BATS_TEST_TMPDIR/w
	mkdir -p "$W"
	gsim "$@"
	reorg "$W/reorg.csv"
	gcu-partition -q --split "$W/c" "$W/reorg.csv"
	for s in non-routing routing; do
		gcu-fetch -q "$W/c.$s.ndjson" >"$W/f.$s.ndjson"
		gcu-merge -q "$W/f.$s.ndjson" >"$W/m.$s.ndjson"
	done
}

# send_scope SCOPE OUT [gcu-send options]: the scope's requests to OUT,
# the exit status in SEND_RC; a crash fails.
send_scope() {
	local s=$1 out=$2
	shift 2
	SEND_RC=0
	gcu-send --seed 7 "$@" "$W/m.$s.ndjson" >"$out" 2>"$out.err" || SEND_RC=$?
	tail -1 "$out.err"
	[ "$SEND_RC" -lt 128 ]
	no_sanitizer_report "$out.err"
}

# settles SCOPE FAILED: sends the failed requests again until none is
# left (at most 10 rounds); each round's results cover exactly the members
# it was given.
settles() {
	local failed=$2 n=0
	while [ -s "$failed" ] && [ "$n" -lt 10 ]; do
		n=$((n + 1))
		cp "$failed" "$W/again.$n.ndjson"
		gcu-send -q --failed "$failed" "$W/again.$n.ndjson" >"$W/again.$n.results" || true
		one_result_per_member "$W/again.$n.ndjson" "$W/again.$n.results"
	done
	[ ! -s "$failed" ]
}

@test "groups: a team join answering failures fails only those members, with the reason; --failed feeds back" {
	prepare 300 --team-failures 0.3
	send_scope routing "$W/r.ndjson" --failed "$W/failed.ndjson"
	[ "$SEND_RC" -eq 1 ]
	one_result_per_member "$W/m.routing.ndjson" "$W/r.ndjson"
	sim_state >"$W/state.ndjson"
	[ -z "$(ok_members_hold "$W/r.ndjson" "$W/state.ndjson")" ]
	# The failed ones are team joins, each refused with the platform's
	# reason, and each such user is indeed not in its new team.
	local failed
	failed=$(jq -c 'select(.status == "failed")' "$W/r.ndjson")
	[ "$(echo "$failed" | wc -l)" -gt 20 ]
	echo "$failed" | jq -e -s 'all(.[]; .op == "teamJoin" and .error == "UserGroupLimitExceeded")'
	[ "$(sim_stats | jq .faults.team_failures)" -eq "$(echo "$failed" | wc -l)" ]
	echo "$failed" | jq -e -n --slurpfile st "$W/state.ndjson" '
		($st | map({(.id): .}) | add) as $org
		| [inputs | $org[.id].team.id != .changes.team] | length > 0 and all'
	# --failed holds exactly the failed members, as requests to send again.
	diff <(echo "$failed" | jq -r '"\(.src) \(.op)"' | sort) \
		<(jq -r '.op as $o | .members[] | "\(.src) \($o)"' "$W/failed.ndjson" | sort)
	settles routing "$W/failed.ndjson"
	sim_state >"$W/state.ndjson"
	[ -z "$(not_held "$W/reorg.csv" "$W/state.ndjson" | grep -v ' division ')" ]
}

@test "groups: queue calls answering 503 mid-run are sent again whole; nothing lost" {
	prepare 300 --fail-route 'POST /api/v2/routing/queues/{queueId}/members:2-4:503'
	send_scope routing "$W/r.ndjson"
	[ "$SEND_RC" -eq 0 ]
	[ "$(sim_stats | jq '.faults.route')" -ge 3 ]
	grep -q ' 3 retries' "$W/r.ndjson.err"
	one_result_per_member "$W/m.routing.ndjson" "$W/r.ndjson"
	! jq -e 'select(.status != "ok")' "$W/r.ndjson"
	sim_state >"$W/state.ndjson"
	[ -z "$(ok_members_hold "$W/r.ndjson" "$W/state.ndjson")" ]
}

@test "groups: a queue call refusing users it names fails those members and sends the rest again" {
	prepare 200
	# Two users are deleted after the merge: the queue and division calls
	# that list them answer 400 naming them.
	local gone
	gone=$(jq -r 'select(.op == "queueJoin") | .members[0:2][] | .id' "$W/m.routing.ndjson" | head -2)
	for u in $gone; do
		curl -sf -X DELETE -H "Authorization: Bearer $(sim_token)" "$GCU_API_BASE/api/v2/users/$u" >/dev/null
	done
	send_scope routing "$W/r.ndjson" --failed "$W/failed.ndjson"
	[ "$SEND_RC" -eq 1 ]
	one_result_per_member "$W/m.routing.ndjson" "$W/r.ndjson"
	# Only the deleted users fail, each with the platform's words.
	[ -z "$(jq -r 'select(.status == "failed") | .id' "$W/r.ndjson" | sort -u | grep -vxF "$gone")" ]
	jq -e -s 'map(select(.status == "failed" and (.op | startswith("queue")))) | length > 0 and
		all(.[]; .error | test("Users not found"))' "$W/r.ndjson"
	jq -e -s 'map(select(.status == "failed" and .op == "teamJoin")) | all(.[]; .error == "UserNotFound")' "$W/r.ndjson"
	# Their company was sent again and holds.
	sim_state >"$W/state.ndjson"
	[ -z "$(ok_members_hold "$W/r.ndjson" "$W/state.ndjson")" ]
	[ "$(jq -s 'map(select(.status == "ok")) | length' "$W/r.ndjson")" -gt 500 ]
}

@test "groups: another integration removing queue members meanwhile: nothing reported ok that is not true" {
	prepare 200 --queue-writer 40 --latency 5
	send_scope routing "$W/r.ndjson"
	one_result_per_member "$W/m.routing.ndjson" "$W/r.ndjson"
	sleep 0.5 # the writer undoes some of the joins before they are read back
	local before after
	before=$(sim_stats | jq .queue_writer_writes)
	gcu-verify -q "$W/r.ndjson" >"$W/v.ndjson" || true
	sim_state >"$W/state.ndjson"
	after=$(sim_stats | jq .queue_writer_writes)
	# A join the writer undid before gcu-verify read it back is named.
	[ "$(jq -s 'map(select(.verified == false)) | length' "$W/v.ndjson")" -gt 0 ]
	jq -e -s 'all(.[] | select(.verified == false); .mismatch.queues != null)' "$W/v.ndjson"
	# Every ok the org does not hold was named by gcu-verify, or undone by
	# the writer after gcu-verify began (it only removes).
	local undone named
	undone=$(ok_members_hold "$W/r.ndjson" "$W/state.ndjson" | awk '{ print $1 }' | sort)
	named=$(jq -r 'select(.verified == false) | .id' "$W/v.ndjson" | sort)
	echo "writes during verify: $((after - before)); ok but not held: $(echo "$undone" | grep -c . || true)"
	[ "$(comm -23 <(echo "$undone") <(echo "$named") | grep -c . || true)" -le $((after - before)) ]
	# Nothing was lost: a verified false is a member gone from the queue.
	jq -e -n --slurpfile st "$W/state.ndjson" '
		($st | map({(.id): .}) | add) as $org
		| [inputs | select(.verified == false) | . as $v
		   | [$org[$v.id].queues[]?.id] | index($v.mismatch.queues | keys[0]) == null]
		| length > 0 and all' "$W/v.ndjson"
}

@test "groups: gcu-send replayed from the captured requests: every member ok again, the same org" {
	prepare 150
	send_scope routing "$W/r1.ndjson"
	[ "$SEND_RC" -eq 0 ]
	sim_state >"$W/state1.ndjson"
	# Sent again to the org they made: each member ok, nothing changes.
	send_scope routing "$W/r2.ndjson"
	[ "$SEND_RC" -eq 0 ]
	one_result_per_member "$W/m.routing.ndjson" "$W/r2.ndjson"
	! jq -e 'select(.status != "ok")' "$W/r2.ndjson"
	sim_state >"$W/state2.ndjson"
	diff <(normal_state "$W/state1.ndjson") <(normal_state "$W/state2.ndjson")
	# Sent to the org as it was: the same org again.
	sim_stop
	gsim 150
	send_scope routing "$W/r3.ndjson"
	sim_state >"$W/state3.ndjson"
	diff <(normal_state "$W/state1.ndjson") <(normal_state "$W/state3.ndjson")
}

@test "groups: kill -9 mid-send, then --resume: every member once, the org as an uninterrupted run leaves it" {
	prepare 300
	send_scope routing "$W/r.clean.ndjson"
	sim_state >"$W/expected.ndjson"
	sim_stop
	gsim 300 --latency 30 --jitter 10
	gcu-send -q --concurrency 2 "$W/m.routing.ndjson" >"$W/r1.ndjson" 2>"$W/send1.err" &
	local pid=$!
	sleep 0.4
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" || true
	local done1
	done1=$(jq -R 'fromjson? | select(.status == "ok")' "$W/r1.ndjson" | jq -s length)
	echo "killed with $done1 member results ok"
	[ "$done1" -gt 0 ]
	[ "$done1" -lt "$(member_keys "$W/m.routing.ndjson" | wc -l)" ]
	gcu-send --resume "$W/r1.ndjson" --summary "$W/sum.json" "$W/m.routing.ndjson" >"$W/r2.ndjson" 2>"$W/send2.err" ||
		{ cat "$W/send2.err"; return 1; }
	no_sanitizer_report "$W/send1.err" "$W/send2.err"
	one_result_per_member "$W/m.routing.ndjson" "$W/r2.ndjson"
	! jq -e 'select(.status != "ok")' "$W/r2.ndjson"
	# Members done before the kill were not sent again.
	[ "$(jq .resumed "$W/sum.json")" -ge "$done1" ]
	sim_state >"$W/after.ndjson"
	diff <(normal_state "$W/expected.ndjson") <(normal_state "$W/after.ndjson")
}

@test "groups: the acceptance: a reorg of 2,000 users through run.sh, partial failures per member, at most 0.35 requests a user" {
	W=$BATS_TEST_TMPDIR/w
	mkdir -p "$W"
	gsim 2000 --limit 300 --team-failures 0.01
	reorg "$W/reorg.csv"
	curl -sf -X POST "$GCU_API_BASE/__sim/reset-stats" >/dev/null
	run --separate-stderr "$ROOT/run.sh" --run-dir "$W/run" --gap 0 "$W/reorg.csv"
	echo "$stderr" | tail -5
	[ "$status" -eq 1 ]
	local made users changes
	made=$(requests_made)
	users=2000
	changes=$(jq -s 'map(.members | length) | add' "$W/run/requests.routing.ndjson" "$W/run/requests.non-routing.ndjson")
	echo "$made requests for $users users and $changes member changes"
	awk -v m="$made" -v u="$users" 'BEGIN { exit !(m <= 0.35 * u) }'
	awk -v c="$changes" -v u="$users" 'BEGIN { exit !(c > 3 * u) }'
	# The partial failures, per member, in the results and the report.
	local failed
	failed=$(jq -s 'map(select(.status == "failed")) | length' "$W/run/results.routing.ndjson")
	[ "$failed" -gt 0 ]
	[ "$failed" -eq "$(sim_stats | jq .faults.team_failures)" ]
	grep -q "^failed records: $failed" "$W/run/report.txt"
	grep -q 'routing teamJoin  *failed 200  *UserGroupLimitExceeded' "$W/run/report.txt"
	# Everything else holds; the failed members, fed back, settle.
	sim_state >"$W/state.ndjson"
	[ "$(not_held "$W/reorg.csv" "$W/state.ndjson" | wc -l)" -eq "$failed" ]
	settles routing "$W/run/failed.routing.ndjson"
	sim_state >"$W/state.ndjson"
	[ -z "$(not_held "$W/reorg.csv" "$W/state.ndjson")" ]
}
