# groups.bash - shared checks of the tests of queue, team and division
# changes: a generated org and a reorganisation of it, the requests and
# results per member, and what the simulated org holds afterwards.

# gsim N [gcu-sim options]: the simulator with N generated users and a
# 2 s window; the org with its catalogue in $SIM_DIR/org.ndjson.
gsim() {
	local n=$1
	shift
	sim_start --generate "$n" --seed 3 --window 2 "$@"
	curl -sf "$GCU_API_BASE/__sim/state?catalog=1" >"$SIM_DIR/org.ndjson"
}

# reorg FILE [every]: a reorganisation of the running simulator's org as
# CSV: each user leaves a queue and joins another, moves team, and one in
# `every` (5) moves division (bench/reorg.jq).
reorg() {
	jq -rn -f "$ROOT/bench/reorg.jq" --argjson every "${2:-5}" "$SIM_DIR/org.ndjson" >"$1"
}

# wanted CSV: the reorg's changes, one "user kind group" line each
# (kind: in, out, team, division), sorted.
wanted() {
	tail -n +2 "$1" | awk -F, '{
		n = split($2, q, ";")
		for (i = 1; i <= n; i++)
			if (q[i] ~ /^-/) print $1, "out", substr(q[i], 2); else if (q[i] != "") print $1, "in", q[i]
		if ($3 != "") print $1, "team", $3
		if ($4 != "") print $1, "division", $4
	}' | sort
}

# not_held CSV STATE: the changes of the reorg CSV that the org STATE
# (GET /__sim/state) does not hold, as wanted prints them.
not_held() {
	wanted "$1" | jq -Rrn --slurpfile st "$2" '
		($st | map({(.id): .}) | add) as $org
		| inputs | split(" ") | . as [$u, $k, $g] | $org[$u] as $x
		| select(
			if $k == "in" then ([$x.queues[]?.id] | index($g)) == null
			elif $k == "out" then ([$x.queues[]?.id] | index($g)) != null
			elif $k == "team" then $x.team.id != $g
			else $x.division.id != $g end)
		| join(" ")'
}

# member_keys FILE: "src op path" for each member of each group request
# of FILE (requests), or of each member result (results), sorted; the
# query, which names the members, left out.
member_keys() {
	jq -r 'if .members then .op as $op | (.path | split("?")[0]) as $p
		| .members[] | "\(.src) \($op) \($p)"
		elif .line and .op then "\(.src) \(.op) \(.path | split("?")[0])" else empty end' "$1" | sort
}

# one_result_per_member REQUESTS RESULTS: every member of every group
# request has exactly one result, with a known status.
one_result_per_member() {
	if ! diff <(member_keys "$1") <(member_keys "$2") >"$BATS_TEST_TMPDIR/members.diff"; then
		echo "members and results differ (< member without a result, > extra result):"
		head -20 "$BATS_TEST_TMPDIR/members.diff"
		return 1
	fi
	! jq -e 'select(.line and (.status | IN("ok","failed","interrupted") | not))' "$2"
}

# ok_members_hold RESULTS STATE: prints the member results that say ok
# while the org STATE disagrees.
ok_members_hold() {
	jq -rn --slurpfile st "$2" '
		($st | map({(.id): .}) | add) as $org
		| inputs | select(.line and .status == "ok") | . as $r | $org[$r.id] as $x
		| ($r.path | capture("/(?<g>[0-9a-f-]{36})/").g) as $g
		| select(
			if $r.op == "queueJoin" then ([$x.queues[]?.id] | index($g)) == null
			elif $r.op == "queueLeave" then ([$x.queues[]?.id] | index($g)) != null
			elif $r.op == "teamJoin" then $x.team.id != $g
			elif $r.op == "teamLeave" then $x.team.id == $g
			else $x.division.id != $g end)
		| "\($r.id) \($r.op) \($g)"' "$1"
}

# requests_made: every request the simulator answered, but the token's.
requests_made() {
	sim_stats | jq '[.requests.by_route | to_entries[] | select(.key | startswith("POST /oauth") | not) | .value] | add // 0'
}
