#!/usr/bin/env bats
# groups.bats - queue, team and division changes through the pipeline:
# the CSV cell forms, the group requests gcu-merge gathers and what
# gcu-send may send of them, a result per member, and a reorganisation
# of 500 users against gcu-sim through run.sh: every change holds, and it
# costs at most 0.35 requests a user, reads included, where a request per
# user per change would cost over 3 (tests/faults/groups.bats has the
# faults and 2,000 users).

load helpers
load groups
bats_require_minimum_version 1.5.0

setup() {
	TMP=$(mktemp -d "${BATS_TEST_TMPDIR:-/tmp}/groups.XXXXXX")
	export GCU_PLATFORM_WINDOW=2
}

teardown() {
	sim_stop
}

# offline_merge CSV: partition, fetch from the simulator's export, merge;
# the requests of both scopes in $TMP/m.ndjson, merge's stderr in
# $TMP/merge.err.
offline_merge() {
	gcu-partition -q --split "$TMP/c" "$1"
	: >"$TMP/m.ndjson"
	: >"$TMP/merge.err"
	for s in non-routing routing; do
		[ -s "$TMP/c.$s.ndjson" ] || continue
		gcu-fetch -q --snapshot "$SIM_DIR/org.ndjson" "$TMP/c.$s.ndjson" |
			gcu-merge 2>>"$TMP/merge.err" >>"$TMP/m.ndjson"
	done
}

@test "groups: a reorg of 500 users through run.sh: every change holds, a result per member, at most 0.35 requests a user" {
	gsim 500
	reorg "$TMP/reorg.csv"
	curl -sf -X POST "$GCU_API_BASE/__sim/reset-stats" >/dev/null
	run --separate-stderr "$ROOT/run.sh" --run-dir "$TMP/run" --gap 0 --no-report "$TMP/reorg.csv"
	echo "$stderr" | tail -12
	[ "$status" -eq 0 ]
	sim_state >"$TMP/state.ndjson"
	[ -z "$(not_held "$TMP/reorg.csv" "$TMP/state.ndjson")" ]
	for s in non-routing routing; do
		one_result_per_member "$TMP/run/requests.$s.ndjson" "$TMP/run/results.$s.ndjson"
	done
	[ -z "$(ok_members_hold "$TMP/run/results.routing.ndjson" "$TMP/state.ndjson")" ]
	# Every member change verified, but the team leaves the joins complete.
	[ "$(jq -s 'map(select(.verified == true)) | length' "$TMP/run/verify.routing.ndjson")" -eq \
		"$(jq -s 'map(select(.line and .op != "teamLeave")) | length' "$TMP/run/results.routing.ndjson")" ]
	local made changes users
	made=$(requests_made)
	users=$(($(wc -l <"$TMP/reorg.csv") - 1))
	# The cheap way: 100 users a bulk read, however many queues they name,
	# and a queue change read back from the queue's member pages alone.
	for stage in fetch verify; do
		[ "$(jq .reads "$TMP/run/$stage.routing.summary.json")" -eq $(((users + 99) / 100)) ]
	done
	changes=$(jq -s 'map(.members | length) | add' "$TMP/run/requests.routing.ndjson" "$TMP/run/requests.non-routing.ndjson")
	echo "$made requests for $users users and $changes member changes"
	awk -v m="$made" -v u="$users" 'BEGIN { exit !(m <= 0.35 * u) }'
	awk -v c="$changes" -v u="$users" 'BEGIN { exit !(c > 3 * u) }'
}

@test "groups: CSV queues A;-B, team and division become group requests listing their members" {
	gsim 60
	reorg "$TMP/reorg.csv"
	offline_merge "$TMP/reorg.csv"
	cat "$TMP/merge.err"
	# Only group requests: each within the platform's limit, every member
	# named in its body (or, a team leave, its query), one of the users.
	[ "$(jq -s 'map(select(.members == null)) | length' "$TMP/m.ndjson")" -eq 0 ]
	jq -e -s 'all(.[]; (.members | length) as $n
		| if .op | startswith("queue") then $n <= 100 elif .op | startswith("team") then $n <= 25 else $n <= 50 end)' \
		"$TMP/m.ndjson"
	jq -e -s 'all(.[]; .op != "teamLeave" or (.path | test("\\?id=[0-9a-f-]{36}(,[0-9a-f-]{36})*$")))' "$TMP/m.ndjson"
	# A change per member: each user's queue left and joined, team moved.
	[ "$(jq -s 'map(select(.op == "queueJoin") | .members | length) | add' "$TMP/m.ndjson")" -eq 60 ]
	[ "$(jq -s 'map(select(.op == "teamJoin") | .members | length) | add' "$TMP/m.ndjson")" -eq 60 ]
	[ "$(jq -s 'map(select(.op == "division") | .members | length) | add' "$TMP/m.ndjson")" -eq 12 ]
	# Every team leave comes before every team join.
	jq -s -e '(map(.op) | indices("teamLeave") | max) < (map(.op) | indices("teamJoin") | min)' "$TMP/m.ndjson"
	local n m
	n=$(wc -l <"$TMP/m.ndjson")
	m=$(jq -s 'map(.members | length) | add' "$TMP/m.ndjson")
	[ "$(grep -o '([0-9]* group requests for [0-9]* member changes)' "$TMP/merge.err" |
		awk '{ g += substr($1, 2); c += $5 } END { print g, c }')" = "$n $m" ]
	# gcu-send takes every one of them (a dry run checks and prints).
	run --separate-stderr gcu-send --dry-run "$TMP/m.ndjson"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq "$(wc -l <"$TMP/m.ndjson")" ]
	[[ "${lines[0]}" == POST\ /api/v2/* || "${lines[0]}" == DELETE\ /api/v2/teams/* ]]
}

@test "groups: an HR export names queues, teams and divisions by name, users by email: run.sh applies them" {
	gsim 40
	# Each user joins a queue it is not in and leaves one it is in, moves to
	# another team and another division, all named as people name them.
	jq -rn '[inputs] as $all
		| ($all | map(select(.kind == "queue"))) as $q | ($all | map(select(.kind == "team"))) as $t
		| ($all | map(select(.kind == "division"))) as $d
		| "email,queues,team,division",
		  ($all | map(select(.kind == null and .state == "active" and .team != null and (.queues | length) > 0))
		   | .[:8][] | . as $u
		   | ($q | map(select(.id as $i | [$u.queues[].id] | index($i) | not)) | .[0].name) as $join
		   | ($t | map(select(.id != $u.team.id)) | .[0].name) as $team
		   | ($d | map(select(.id != $u.division.id)) | .[0].name) as $div
		   | [$u.email, "\($join);-\($u.queues[0].name)", $team, $div] | join(","))' \
		"$SIM_DIR/org.ndjson" >"$TMP/hr.csv"
	[ "$(wc -l <"$TMP/hr.csv")" -eq 9 ]
	run --separate-stderr "$ROOT/run.sh" -q --gap 0 --no-report --run-dir "$TMP/run" "$TMP/hr.csv"
	echo "$stderr"
	[ "$status" -eq 0 ]
	sim_state >"$TMP/after.ndjson"
	# Every row holds in the org, read back by name.
	tail -n +2 "$TMP/hr.csv" | jq -R 'split(",") | {email: .[0], join: (.[1] | split(";-")[0]),
			leave: (.[1] | split(";-")[1]), team: .[2], division: .[3]}' >"$TMP/want.ndjson"
	jq -n -e --slurpfile org "$TMP/after.ndjson" '[inputs] | length == 8 and all(.[]; . as $w
		| ($org | map(select(.email == $w.email)) | .[0]) as $u
		| ([$u.queues[].name] | (index($w.join) != null) and (index($w.leave) == null))
		  and $u.team.name == $w.team and $u.division.name == $w.division)' "$TMP/want.ndjson"
	[ "$(jq -s 'map(select(.status != "ok")) | length' "$TMP"/run/results.*.ndjson)" -eq 0 ]
}

@test "groups: a membership that already holds is unchanged and costs nothing" {
	gsim 20
	# Each user asks for what it has: its queues, its team, its division.
	jq -rn '"id,queues,team,division",
		(inputs | select(.kind == null and .team != null and .queues != null)
		 | [.id, ([.queues[].id] | join(";")), .team.id, .division.id] | join(","))' \
		"$SIM_DIR/org.ndjson" >"$TMP/same.csv"
	local users=$(($(wc -l <"$TMP/same.csv") - 1))
	[ "$users" -gt 5 ]
	offline_merge "$TMP/same.csv"
	cat "$TMP/merge.err"
	[ "$(jq -s 'map(select(.status == "unchanged")) | length' "$TMP/m.ndjson")" -eq $((2 * users)) ]
	[ "$(jq -s 'map(select(.op)) | length' "$TMP/m.ndjson")" -eq 0 ]
}

@test "groups: CSV cells: a queue both joined and left, or a null division, is rejected with its line" {
	local q=72488b81-0dfa-4e39-8727-d4dad921bf95 u=6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e01
	printf 'id,queues,division\n%s,%s;-%s,\n%s,,\\N\n%s,-%s,\n' "$u" "$q" "$q" "$u" "$u" "$q" >"$TMP/bad.csv"
	run --separate-stderr gcu-partition "$TMP/bad.csv"
	echo "$stderr"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"bad.csv:2: column 'queues': '$q' is both joined and left"* ]]
	[[ "$stderr" == *"bad.csv:3: division: cannot be cleared (null)"* ]]
	[ "$(printf '%s\n' "$output" | jq -c .changes)" = "{\"queues\":{\"$q\":false}}" ]
}

@test "groups: gcu-send refuses a group request whose body leaves out a member, and sends nothing" {
	gsim 10
	local a b q
	read -r a b < <(jq -r 'select(.kind == null) | .id' "$SIM_DIR/org.ndjson" | head -2 | paste -sd' ')
	q=$(jq -r 'select(.kind == "queue") | .id' "$SIM_DIR/org.ndjson" | head -1)
	printf '{"scope":"routing","op":"queueJoin","method":"POST","path":"/api/v2/routing/queues/%s/members","body":[{"id":"%s"}],"members":[{"id":"%s","src":"x:1"},{"id":"%s","src":"x:2"}]}\n' \
		"$q" "$a" "$a" "$b" >"$TMP/bad.ndjson"
	curl -sf -X POST "$GCU_API_BASE/__sim/reset-stats" >/dev/null
	run --separate-stderr gcu-send --failed "$TMP/failed" "$TMP/bad.ndjson"
	[ "$status" -eq 1 ]
	[[ "$output" == *'"status":"rejected","error":"body does not list exactly the request'* ]]
	[ "$(requests_made)" -eq 0 ]
	cmp "$TMP/bad.ndjson" "$TMP/failed"
}
