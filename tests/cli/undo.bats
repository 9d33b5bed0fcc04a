#!/usr/bin/env bats
# undo.bats - the way back: every run leaves undo.ndjson, run.sh --undo
# runs it, and guarded changes ("expect") keep a rollback, or any change,
# from overwriting what someone else wrote since. Against gcu-sim, with
# what the org holds afterwards read from /__sim/state.

load helpers
load groups
bats_require_minimum_version 1.5.0

setup() {
	TMP=$(mktemp -d "${BATS_TEST_TMPDIR:-/tmp}/undo.XXXXXX")
	export GCU_PLATFORM_WINDOW=2
}

teardown() {
	sim_stop
}

# norm STATE: the org's users without what every write changes (version,
# the routing status's start time), lists in a fixed order, one a line.
norm() {
	jq -c 'del(.version, .dateModified, .selfUri)
		| if .routingStatus then .routingStatus |= del(.startTime) else . end
		| walk(if type == "array" then sort_by(tojson) else . end)' "$1" | sort
}

# user STATE ID: that user's document.
user() {
	jq -c --arg id "$2" 'select(.id == $id)' "$1"
}

# writer ID FIELD VALUE: another integration writes FIELD of user ID (a
# JSON value), with a token of its own, as the platform takes it.
writer() {
	local token version
	token=$(sim_token)
	version=$(curl -sf -H "Authorization: Bearer $token" "$GCU_API_BASE/api/v2/users/$1" | jq .version)
	curl -sf -X PATCH -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
		-d "{\"id\":\"$1\",\"version\":$version,\"$2\":$3}" "$GCU_API_BASE/api/v2/users/$1" >/dev/null
}

@test "undo: after a competing writer, the users it left alone are back, the ones it changed keep its change as a conflict, nothing else moves" {
	sim_start --users "$ROOT/testdata/org.ndjson" --window 2
	sim_state >"$TMP/before.ndjson"
	mapfile -t ids < <(jq -r .id "$TMP/before.ndjson" | head -n 6)
	for i in "${!ids[@]}"; do
		printf '{"id":"%s","changes":{"title":"Run title %d","department":"Run department"}}\n' "${ids[$i]}" "$i"
	done >"$TMP/changes.ndjson"
	run --separate-stderr "$ROOT/run.sh" -q --run-dir "$TMP/run" --gap 0 --no-report "$TMP/changes.ndjson"
	[ "$status" -eq 0 ]
	[ "$(stat -c %a "$TMP/run/undo.ndjson")" = 600 ]
	[ "$(wc -l <"$TMP/run/undo.ndjson")" -eq 6 ]
	# Someone else retitles the first two after the run.
	writer "${ids[0]}" title '"Writer title"'
	writer "${ids[1]}" title '"Writer title"'
	sim_state >"$TMP/written.ndjson"

	# The plan of the rollback says what it would leave alone.
	run --separate-stderr "$ROOT/run.sh" --undo "$TMP/run" --plan --run-dir "$TMP/plan"
	[[ $output == *"non-routing: 6 users, 4 requests (user 4), 0 already true, 0 failed lookups, 2 changed since (conflicts, left alone); about "* ]]
	run --separate-stderr "$ROOT/run.sh" --undo "$TMP/run" --run-dir "$TMP/back"
	echo "$stderr" | tail -20
	[ "$status" -eq 1 ] # the conflicts are for someone to look at
	sim_state >"$TMP/back.ndjson"
	for i in 2 3 4 5; do
		diff <(user "$TMP/before.ndjson" "${ids[$i]}" | norm /dev/stdin) <(user "$TMP/back.ndjson" "${ids[$i]}" | norm /dev/stdin)
	done
	# The writer's title stays, and so does the rest of that record: a
	# guarded change is all or nothing.
	for i in 0 1; do
		[ "$(user "$TMP/back.ndjson" "${ids[$i]}" | jq -r .title)" = "Writer title" ]
		[ "$(user "$TMP/back.ndjson" "${ids[$i]}" | jq -r .department)" = "Run department" ]
		jq -e -s --arg id "${ids[$i]}" --arg i "$i" 'any(.[]; .id == $id and .status == "conflict"
			and .error.message == "expected title \"Run title \($i)\", found \"Writer title\"")' \
			"$TMP/back/results.non-routing.ndjson"
	done
	[ "$(jq -s 'map(select(.status == "conflict")) | length' "$TMP/back/results.non-routing.ndjson")" -eq 2 ]
	[ "$(jq -s 'map(select(.status == "ok")) | length' "$TMP/back/results.non-routing.ndjson")" -eq 4 ]
	# Nobody else was touched: all but the four rolled back are as the
	# writer left them.
	diff <(norm "$TMP/written.ndjson" | grep -v -e "${ids[2]}" -e "${ids[3]}" -e "${ids[4]}" -e "${ids[5]}") \
		<(norm "$TMP/back.ndjson" | grep -v -e "${ids[2]}" -e "${ids[3]}" -e "${ids[4]}" -e "${ids[5]}")
	grep -q "rollback: of $TMP/run: 4 users rolled back, 2 left as they were (conflict: changed since that run)" "$TMP/back/report.txt"
	grep -E -q "changes\.ndjson:1 +${ids[0]} +non-routing expect +conflict +expected title" "$TMP/back/report.txt"
}

@test "undo: the undo of the undo restores the run's values, every kind of field" {
	sim_start --users "$ROOT/testdata/org.ndjson" --window 2
	sim_state >"$TMP/before.ndjson"
	"$ROOT/run.sh" -q --run-dir "$TMP/run" --gap 0 --no-report "$ROOT/testdata/changes.ndjson"
	sim_state >"$TMP/run.ndjson"
	! diff -q <(norm "$TMP/before.ndjson") <(norm "$TMP/run.ndjson")
	# Both scopes, and fields of every kind: routing skills added and
	# removed, contacts, objects, lists, state, routing status.
	jq -e -s 'map(.changes | keys[]) | unique | contains(["routingSkills", "routingStatus",
		"addresses", "employerInfo", "profileSkills", "state", "title"])' "$TMP/run/undo.ndjson"
	"$ROOT/run.sh" -q --undo "$TMP/run" --run-dir "$TMP/back" --no-report
	sim_state >"$TMP/back.ndjson"
	diff <(norm "$TMP/before.ndjson") <(norm "$TMP/back.ndjson")
	"$ROOT/run.sh" -q --undo "$TMP/back" --run-dir "$TMP/again" --no-report
	sim_state >"$TMP/again.ndjson"
	diff <(norm "$TMP/run.ndjson") <(norm "$TMP/again.ndjson")
	# Each rollback says where its changes came from: the first run's file.
	jq -e -s 'all(.[]; .src | test("testdata/changes.ndjson:[0-9]+$"))' "$TMP/again/results.routing.ndjson"
}

@test "undo: queue, team and division moves go back, and a team joined since is kept" {
	gsim 60
	sim_state >"$TMP/before.ndjson"
	reorg "$TMP/reorg.csv"
	"$ROOT/run.sh" -q --run-dir "$TMP/run" --gap 0 --no-report "$TMP/reorg.csv"
	sim_state >"$TMP/run.ndjson"
	[ -z "$(not_held "$TMP/reorg.csv" "$TMP/run.ndjson")" ]
	jq -e -s 'map(.changes | keys[]) | unique == ["division", "queues", "team"]' "$TMP/run/undo.ndjson"
	# One user is moved to another team meanwhile, by a platform call.
	local moved old new token
	moved=$(jq -r 'select(.team) | .id' "$TMP/run.ndjson" | head -n 1)
	old=$(user "$TMP/run.ndjson" "$moved" | jq -r .team.id)
	new=$(jq -r --arg t "$old" 'select(.team and .team.id != $t) | .team.id' "$TMP/run.ndjson" | head -n 1)
	token=$(sim_token)
	curl -sf -X DELETE -H "Authorization: Bearer $token" "$GCU_API_BASE/api/v2/teams/$old/members?id=$moved" >/dev/null
	curl -sf -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
		-d "{\"memberIds\":[\"$moved\"]}" "$GCU_API_BASE/api/v2/teams/$new/members" >/dev/null
	[ "$(sim_state | user /dev/stdin "$moved" | jq -r .team.id)" = "$new" ]

	run --separate-stderr "$ROOT/run.sh" --undo "$TMP/run" --run-dir "$TMP/back" --no-report
	echo "$stderr" | tail -12
	sim_state >"$TMP/back.ndjson"
	groups_of() { jq -c '{id, q: ([.queues[]?.id] | sort), team: .team.id, division: .division.id}' "$1" | sort; }
	diff <(groups_of "$TMP/before.ndjson" | grep -v "$moved") <(groups_of "$TMP/back.ndjson" | grep -v "$moved")
	[ "$(user "$TMP/back.ndjson" "$moved" | jq -r .team.id)" = "$new" ]
	jq -e -s --arg id "$moved" 'map(select(.id == $id and .status == "conflict")) | length == 1' "$TMP/back/results.routing.ndjson"
}

@test "undo: an expect.<field> column in CSV guards the row's change" {
	sim_start --users "$ROOT/testdata/org.ndjson" --window 2
	sim_state >"$TMP/before.ndjson"
	local a b ta tb
	a=$(jq -r .id "$TMP/before.ndjson" | sed -n 1p) b=$(jq -r .id "$TMP/before.ndjson" | sed -n 2p)
	ta=$(user "$TMP/before.ndjson" "$a" | jq -r .title) tb=$(user "$TMP/before.ndjson" "$b" | jq -r .title)
	printf 'id,title,expect.title\n%s,Lead,%s\n%s,Lead,Someone else\n' "$a" "$ta" "$b" >"$TMP/guarded.csv"
	run --separate-stderr "$ROOT/run.sh" -q --run-dir "$TMP/run" --gap 0 --no-report "$TMP/guarded.csv"
	[ "$status" -eq 1 ]
	sim_state >"$TMP/after.ndjson"
	[ "$(user "$TMP/after.ndjson" "$a" | jq -r .title)" = Lead ]
	[ "$(user "$TMP/after.ndjson" "$b" | jq -r .title)" = "$tb" ]
	jq -e -s --arg b "$b" --arg tb "$tb" 'any(.[]; .id == $b and .status == "conflict" and .op == null
		and .error.message == "expected title \"Someone else\", found \"\($tb)\"")' \
		"$TMP/run/results.non-routing.ndjson"
	# Only the change that was made can be undone.
	[ "$(jq -c '[.id, .changes, .expect]' "$TMP/run/undo.ndjson")" = "[\"$a\",{\"title\":\"$ta\"},{\"title\":\"Lead\"}]" ]
}

@test "undo: a plain change file's expect, by names, holds for one user and not the other; only that scope is left" {
	sim_start --users "$ROOT/testdata/org.ndjson" --window 2
	sim_state >"$TMP/before.ndjson"
	local a b ea eb skill la lb
	a=$(jq -r 'select(.skills | length > 0) | .id' "$TMP/before.ndjson" | sed -n 1p)
	b=$(jq -r 'select(.skills | length > 0) | .id' "$TMP/before.ndjson" | sed -n 2p)
	ea=$(user "$TMP/before.ndjson" "$a" | jq -r .email) eb=$(user "$TMP/before.ndjson" "$b" | jq -r .email)
	skill=$(user "$TMP/before.ndjson" "$a" | jq -r '.skills[0].name')
	la=$(user "$TMP/before.ndjson" "$a" | jq '.skills[0].proficiency')
	lb=$(user "$TMP/before.ndjson" "$b" | jq --arg s "$skill" '[.skills[] | select(.name == $s) | .proficiency][0] // null')
	# Both name the skill and expect the level a holds; b does not hold it.
	[ "$lb" != "$la" ]
	for e in "$ea" "$eb"; do
		printf '{"email":"%s","changes":{"title":"Guarded","routingSkills":{"%s":%d}},"expect":{"routingSkills":{"%s":%s}}}\n' \
			"$e" "$skill" $(((la % 5) + 1)) "$skill" "$la"
	done >"$TMP/guarded.ndjson"
	run --separate-stderr "$ROOT/run.sh" -q --run-dir "$TMP/run" --gap 0 --no-report "$TMP/guarded.ndjson"
	echo "$stderr"
	[ "$status" -eq 1 ]
	sim_state >"$TMP/after.ndjson"
	[ "$(user "$TMP/after.ndjson" "$a" | jq --arg s "$skill" '.skills[] | select(.name == $s) | .proficiency')" -eq $(((la % 5) + 1)) ]
	diff <(user "$TMP/before.ndjson" "$b" | jq -c .skills) <(user "$TMP/after.ndjson" "$b" | jq -c .skills)
	# The expectation is of the routing scope: b's title, in the other
	# scope, is changed all the same.
	[ "$(user "$TMP/after.ndjson" "$b" | jq -r .title)" = Guarded ]
	jq -e -s --arg b "$b" 'any(.[]; .id == $b and .status == "conflict"
		and (.error.message | test("^expected routingSkills\\.[0-9a-f-]{36} [0-9]+, found ")))' \
		"$TMP/run/results.routing.ndjson"
}

@test "undo: the runbook's rollback step takes the run back, in a run folder of its own" {
	sim_start --users "$ROOT/testdata/org.ndjson" --limit 100 --window 2
	sim_state >"$TMP/before.ndjson"
	dir=$TMP/book
	run make -s -f "$ROOT/examples/runbook.mk" GCU_RUN="$ROOT/run.sh" CHANGES="$ROOT/testdata/changes.csv" \
		RUN="$dir" GAP=0 non-routing routing
	[ "$status" -eq 0 ]
	gcu-report -q "$dir"
	grep -q "^undo: .* change records in undo.ndjson; to roll back: run.sh --undo .*book$" "$dir/report.txt"
	run make -s -f "$ROOT/examples/runbook.mk" GCU_RUN="$ROOT/run.sh" RUN="$dir" rollback

	[ "$status" -eq 0 ]
	grep -qx 'routing=done' "$dir-rollback/state"
	grep -q "^rollback: of .*book: [1-9][0-9]* users rolled back, 0 left as they were" "$dir-rollback/report.txt"
	sim_state >"$TMP/back.ndjson"
	diff <(norm "$TMP/before.ndjson") <(norm "$TMP/back.ndjson")
}

@test "undo: after a version conflict the user is read again: a moved-on expectation is a conflict, unsent; the undo holds the values read again" {
	sim_start --users "$ROOT/testdata/org.ndjson" --window 2
	sim_state >"$TMP/before.ndjson"
	local x y z tx ty
	x=$(jq -r .id "$TMP/before.ndjson" | sed -n 1p) y=$(jq -r .id "$TMP/before.ndjson" | sed -n 2p)
	z=$(jq -r .id "$TMP/before.ndjson" | sed -n 3p)
	tx=$(user "$TMP/before.ndjson" "$x" | jq .title) ty=$(user "$TMP/before.ndjson" "$y" | jq .title)
	{
		printf '{"id":"%s","changes":{"title":"New"},"expect":{"title":%s}}\n' "$x" "$tx"
		printf '{"id":"%s","changes":{"title":"New"},"expect":{"title":%s}}\n' "$y" "$ty"
		printf '{"id":"%s","changes":{"title":"New"}}\n' "$z"
	} >"$TMP/c.ndjson"
	gcu-partition -q "$TMP/c.ndjson" | gcu-fetch -q | gcu-merge -q >"$TMP/m.ndjson"
	[ "$(jq -s 'map(select(.op == "user")) | length' "$TMP/m.ndjson")" -eq 3 ]
	# Between the read and the write, someone else writes all three.
	writer "$x" title '"Writer"'
	writer "$y" department '"Writer"'
	writer "$z" title '"Writer"'
	run --separate-stderr gcu-send --undo "$TMP/u.ndjson" "$TMP/m.ndjson"
	echo "$stderr"
	[ "$status" -eq 1 ]
	sim_state >"$TMP/after.ndjson"
	[ "$(user "$TMP/after.ndjson" "$x" | jq -r .title)" = Writer ]
	printf '%s\n' "$output" | jq -e -s --arg x "$x" --arg tx "$tx" \
		'any(.[]; .id == $x and .status == "conflict" and .error == "expected title \($tx), found \"Writer\"")'
	[ "$(user "$TMP/after.ndjson" "$y" | jq -r '.title + " " + .department')" = "New Writer" ]
	[ "$(user "$TMP/after.ndjson" "$z" | jq -r .title)" = New ]
	# No undo for x; z's restores what it replaced: the writer's title.
	[ "$(jq -r .id "$TMP/u.ndjson" | sort)" = "$(printf '%s\n' "$y" "$z" | sort)" ]
	[ "$(jq -r --arg z "$z" 'select(.id == $z) | .changes.title' "$TMP/u.ndjson")" = Writer ]
	[ "$(jq -c --arg y "$y" 'select(.id == $y) | [.changes, .expect]' "$TMP/u.ndjson")" = "[{\"title\":$ty},{\"title\":\"New\"}]" ]
}

@test "undo: a record whose expectation moves on before its PATCH is all or nothing: its division move is not sent either" {
	gsim 10
	sim_state >"$TMP/before.ndjson"
	local x w tx div
	x=$(jq -r .id "$TMP/before.ndjson" | sed -n 1p) w=$(jq -r .id "$TMP/before.ndjson" | sed -n 2p)
	tx=$(user "$TMP/before.ndjson" "$x" | jq .title)
	div=$(jq -r --arg d "$(user "$TMP/before.ndjson" "$x" | jq -r .division.id)" \
		'select(.kind == "division" and .id != $d) | .id' "$SIM_DIR/org.ndjson" | head -n 1)
	{
		printf '{"id":"%s","changes":{"title":"New","division":"%s"},"expect":{"title":%s}}\n' "$x" "$div" "$tx"
		printf '{"id":"%s","changes":{"title":"New","division":"%s"}}\n' "$w" "$div"
	} >"$TMP/c.ndjson"
	gcu-partition -q "$TMP/c.ndjson" | gcu-fetch -q | gcu-merge -q >"$TMP/m.ndjson"
	[ "$(jq -s 'map(select(.op == "division") | .members | length) | add' "$TMP/m.ndjson")" -eq 2 ]
	writer "$x" title '"Writer"'
	run --separate-stderr gcu-send --undo "$TMP/u.ndjson" "$TMP/m.ndjson"
	echo "$stderr"
	[ "$status" -eq 1 ]
	sim_state >"$TMP/after.ndjson"
	[ "$(user "$TMP/after.ndjson" "$x" | jq -r '.title + " " + .division.id')" = "Writer $(user "$TMP/before.ndjson" "$x" | jq -r .division.id)" ]
	[ "$(user "$TMP/after.ndjson" "$w" | jq -r '.title + " " + .division.id')" = "New $div" ]
	printf '%s\n' "$output" | jq -e -s --arg x "$x" '[.[] | select(.id == $x) | .status] == ["conflict", "conflict"]'
	[ "$(jq -r .id "$TMP/u.ndjson")" = "$w" ]
}

@test "undo: the rollback of a run against gcu-sim starts from the org that run left, and takes it back" {
	cd "$TMP"
	run --separate-stderr "$ROOT/run.sh" -q --demo --gap 0 --no-report --run-dir run "$ROOT/testdata/changes.csv"
	[ "$status" -eq 0 ]
	run --separate-stderr "$ROOT/run.sh" --undo run --gap 0 --no-report --run-dir back
	echo "$stderr" | tail -5
	[ "$status" -eq 0 ]
	[[ $stderr == *"rolling back a run against gcu-sim: running against gcu-sim"*"run/sim-org.ndjson"* ]]
	[ "$(cat back/results.*.ndjson | jq -s 'map(select(.status != "ok" and .status != "unchanged")) | length')" -eq 0 ]
	# The users are as they were before the run, but for what every write
	# changes (the dump holds the catalogues too).
	jq -c 'select(.kind == null)' back/sim-org.ndjson >users.ndjson
	diff <(norm "$ROOT/testdata/org.ndjson") <(norm users.ndjson)
}
