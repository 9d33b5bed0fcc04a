#!/usr/bin/env bats
# resolve.bats - gcu-resolve as a whole program, and the HR export through
# run.sh, against gcu-sim.
#
# Covers a CSV by email with skill, language and manager names turned into
# ids (and what it cost, counted by the simulator), mistakes rejected with
# file:line and a near miss and copied to --rejects, inactive users said,
# the header's key column (one, or a usage error naming the header), NDJSON
# keys, nothing read when everything is an id, a capture that resolves the
# same offline, a row by email and a row by id for one user folded by
# gcu-partition, an export with ';' or tabs between cells, invisible
# spaces a paste leaves (dropped around keys, shown in messages), a directory
# that cannot be read failing the stage, and the
# acceptance: an org of 5,000 users, every valid change of an HR export
# applied and no other user touched, at most 2.2 requests per user; the
# same file planned offline from the captured directory gives the same
# requests.

load helpers
bats_require_minimum_version 1.5.0

RUN=$ROOT/run.sh
HR=$ROOT/testdata/hr-export.csv
GRACE=a802141b-2e1c-4e21-939c-ab5c971583ec
ALAN=0311b3b0-3e98-44f6-80e1-ec969f1c9935
TECHNICAL=3cbb7daa-64c1-44fa-88a7-c8252abc5619
GERMAN=627e79c7-2b42-4dd8-82e2-e271c93de18f

setup() {
	TMP=$BATS_TEST_TMPDIR
	export GCU_PLATFORM_LIMIT=100 GCU_PLATFORM_WINDOW=2 GCU_THROTTLE_RESERVE=1 GCU_THROTTLE_PAUSE_BELOW=2
}

teardown() {
	sim_stop
}

# requests: what the simulator was asked, the token requests left out.
requests() {
	sim_stats | jq '[.requests.by_route | to_entries[] | select(.key != "POST /oauth/token") | .value] | add // 0'
}

@test "resolve: --help, --version and a bad option" {
	run gcu-resolve --help
	[ "$status" -eq 0 ]
	[[ $output == *"--capture-directory FILE"* ]]
	[[ $output == *"--directory FILE"* ]]
	run gcu-resolve --version
	[ "$status" -eq 0 ]
	[[ $output == "gcu-resolve "* ]]
	run gcu-resolve --no-such-option
	[ "$status" -eq 64 ]
	run gcu-resolve --directory x --concurrency 2 "$HR"
	[ "$status" -eq 64 ]
}

@test "resolve: an HR export by email, with skill, language and manager names, becomes records by id, for 3 requests" {
	sim_start --users "$ROOT/testdata/org.ndjson"
	run --separate-stderr gcu-resolve --summary "$TMP/sum.json" "$HR"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 19 ]
	# Grace's row: her id, her key, her line; Technical, VIP, Escalations
	# and German by id, Alan (her manager) by id.
	jq -s -e --arg g "$GRACE" --arg a "$ALAN" --arg t "$TECHNICAL" --arg de "$GERMAN" \
		'.[0] | (.src | endswith("hr-export.csv:2")) and .id == $g and .key == "email:grace.cerf2@example.com"
		 and .changes.manager == $a and .changes.routingSkills[$t] == 5
		 and (.changes.routingSkills | has("Technical") | not) and .changes.routingLanguages[$de] == 4' \
		<<<"$output"
	# Nothing is left by name.
	! grep -q '"Technical"\|@example.com","changes' <<<"$output"
	gcu-partition -q <<<"$output" >/dev/null
	# One search finds every user and manager; one page each for skills and
	# languages; the plan was said first.
	[ "$(requests)" -eq 3 ]
	[ "$(sim_stats | jq '.requests.by_route["POST /api/v2/users/search"]')" -eq 1 ]
	[[ $stderr == *"resolution: 20 users to find (20 by email): 1 search; the catalogues of skills, languages: 3 requests"* ]]
	jq -e '.records == 19 and .resolved == 19 and .rejected == 0 and .keys.email == 19
		and .names.skill == 28 and .names.language == 10 and .names.user == 9
		and .plan == "search" and .planned == 3 and .requests == 3 and .inactive == 1' "$TMP/sum.json"
	# The inactive user is found, and said to be.
	[[ $stderr == *"hr-export.csv:20: note: user 'frances.allen40@example.com' is inactive; the change goes ahead"* ]]
	[ "$(sim_stats | jq '.writes')" -eq 0 ]
}

@test "resolve: what matches nothing or several is rejected as file:line with the field and a near miss, and copied to --rejects" {
	sim_start --users "$ROOT/testdata/org.ndjson"
	cat >"$TMP/hr.csv" <<-EOF
		email,title,skills,languages,manager
		grace.cerf2@example.com,Lead,Techincal:4,,
		nobody@example.com,Lead,,,
		alan.hamilton1@example.com,Lead,,Germann:3,
		ken.shaw4@example.com,Lead,,,alan.hamiltn1@example.com
		KEN.SHAW4@example.com,Lead,Chat:5,,
	EOF
	run --separate-stderr gcu-resolve --rejects "$TMP/rejects.csv" "$TMP/hr.csv"
	echo "$stderr"
	[ "$status" -eq 1 ]
	[[ $stderr == *"$TMP/hr.csv:2: routingSkills: no skill 'Techincal'; did you mean 'Technical'?"* ]]
	[[ $stderr == *"$TMP/hr.csv:3: no user with email 'nobody@example.com'"* ]]
	[[ $stderr == *"$TMP/hr.csv:4: routingLanguages: no language 'Germann'; did you mean 'German'?"* ]]
	[[ $stderr == *"$TMP/hr.csv:5: manager: no user with email 'alan.hamiltn1@example.com'"* ]]
	# An email in another case is the same user; only the good row is out.
	[ "${#lines[@]}" -eq 1 ]
	[[ ${lines[0]} == *'"key":"email:KEN.SHAW4@example.com"'* ]]
	diff -u <(head -n 5 "$TMP/hr.csv") "$TMP/rejects.csv"
	[[ $stderr == *"5 records: 1 resolved"*", 4 rejected"* ]]
}

@test "resolve: the header names the user by one column; two, or none, is refused naming the header" {
	printf 'email,username,title\na@x.com,a,Lead\n' >"$TMP/two.csv"
	run --separate-stderr gcu-resolve "$TMP/two.csv"
	[ "$status" -eq 65 ]
	[ -z "$output" ]
	[[ $stderr == *"two.csv:1: two columns name the user, 'email' and 'username': keep one, or say which with csv.key"* ]]
	printf 'title\nLead\n' >"$TMP/none.csv"
	run --separate-stderr gcu-resolve "$TMP/none.csv"
	[ "$status" -eq 65 ]
	[[ $stderr == *"none.csv:1: no column names the user: the header needs one of id, email, username or employeeId"* ]]
	# csv.key names another column; an old csv.id_column still works.
	printf 'csv:\n  key: "Work Email:email"\n' >"$TMP/key.yaml"
	printf '"Work Email",title\nann@x.com,Lead\n' >"$TMP/work.csv"
	run --separate-stderr gcu-resolve -c "$TMP/key.yaml" --offline "$TMP/work.csv"
	[ "$status" -eq 64 ]
	[[ $stderr == *"names users or objects by name"*"--directory FILE"* ]]
	printf 'csv:\n  id_column: user_id\n' >"$TMP/old.yaml"
	printf 'user_id,title\n%s,Lead\n' "$GRACE" >"$TMP/old.csv"
	run --separate-stderr gcu-resolve -c "$TMP/old.yaml" "$TMP/old.csv"
	[ "$status" -eq 0 ]
	[[ $output == '{"id":"'$GRACE'","src":"'$TMP'/old.csv:2","changes":{"title":"Lead"}}' ]]
}

@test "resolve: every user and reference an id: nothing is read, no platform needed" {
	unset GCU_API_BASE GCU_CLIENT_ID GCU_CLIENT_SECRET
	run --separate-stderr gcu-resolve --summary "$TMP/sum.json" "$ROOT/testdata/changes.csv"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 60 ]
	jq -e '.plan == "none" and .requests == 0 and .keys.id == 60' "$TMP/sum.json"
	# gcu-partition takes it as it takes the file itself.
	diff <(gcu-partition -q "$ROOT/testdata/changes.csv" | jq -c 'del(.src)') \
		<(gcu-partition -q <<<"$output" | jq -c 'del(.src)')
}

@test "resolve: NDJSON names its user by id, email, username or employeeId beside the changes" {
	sim_start --users "$ROOT/testdata/org.ndjson"
	cat >"$TMP/c.ndjson" <<-EOF
		{"username":"grace.cerf2@example.com","changes":{"title":"A"}}
		{"employeeId":"E10001","changes":{"routingSkills":[{"id":"Technical","proficiency":2}]}}
		{"email":"ken.shaw4@example.com","id":"$GRACE","changes":{"title":"A"}}
		{"employeeId":"e10001","changes":{"title":"A"}}
	EOF
	run --separate-stderr gcu-resolve "$TMP/c.ndjson"
	echo "$stderr"
	[ "$status" -eq 1 ]
	[[ ${lines[0]} == '{"id":"'$GRACE'","key":"username:grace.cerf2@example.com",'* ]]
	[[ ${lines[1]} == '{"id":"'$ALAN'","key":"employeeId:E10001",'*'"routingSkills":[{"id":"'$TECHNICAL'","proficiency":2}]'* ]]
	[[ $stderr == *"c.ndjson:3: names its user twice: 'id' and 'email' (keep one)"* ]]
	[[ $stderr == *"c.ndjson:4: no user with employeeId 'e10001'"* ]]
}

@test "resolve: --capture-directory keeps what was read; --directory resolves the same offline" {
	sim_start --users "$ROOT/testdata/org.ndjson"
	gcu-resolve -q --capture-directory "$TMP/dir.ndjson" "$HR" >"$TMP/online.ndjson"
	[ "$(stat -c %a "$TMP/dir.ndjson")" = 600 ]
	head -n 1 "$TMP/dir.ndjson" | jq -e '.kind == "directory" and .users == "searched"'
	sim_stop
	unset GCU_API_BASE GCU_CLIENT_ID GCU_CLIENT_SECRET
	run --separate-stderr gcu-resolve --directory "$TMP/dir.ndjson" --summary "$TMP/sum.json" "$HR"
	[ "$status" -eq 0 ]
	diff "$TMP/online.ndjson" <(printf '%s\n' "$output")
	jq -e '.plan == "capture" and .requests == 0' "$TMP/sum.json"
	# A user the capture was not made for cannot be said to be missing.
	printf 'email,title\nmary.micali29@example.com,A\n' >"$TMP/other.csv"
	run --separate-stderr gcu-resolve --directory "$TMP/dir.ndjson" "$TMP/other.csv"
	[ "$status" -eq 1 ]
	[[ $stderr == *"other.csv:2: email 'mary.micali29@example.com' is not in the directory capture"* ]]
	# A gcu-sim org file is a directory too.
	run --separate-stderr gcu-resolve --directory "$ROOT/testdata/org.ndjson" "$TMP/other.csv"
	[ "$status" -eq 0 ]
	printf '{"kind":"planet"}\n' >"$TMP/bad.ndjson"
	run --separate-stderr gcu-resolve --directory "$TMP/bad.ndjson" "$HR"
	[ "$status" -eq 65 ]
	[[ $stderr == *"bad.ndjson:1: unknown kind 'planet'"* ]]
}

@test "resolve: an export with ';' between cells (csv.delimiter) or a .tsv reads as the same records; read with ',' it says how" {
	local org=$ROOT/testdata/org.ndjson
	printf '%s\n' 'email,title,department,skills,languages' \
		'grace.cerf2@example.com,Team Lead,Technical Support,Technical:5;VIP:3;Escalations:\N,German:4' \
		'ken.shaw4@example.com,,"Support, Tier 2",Chat:5;Email:4,Spanish:3' >"$TMP/comma.csv"
	# As a spreadsheet set to German writes it: a byte-order mark, CRLF,
	# ';' between cells, and quotes around the cells that hold one.
	printf '%s\r\n' $'\xEF\xBB\xBF''email;title;department;skills;languages' \
		'grace.cerf2@example.com;Team Lead;Technical Support;"Technical:5;VIP:3;Escalations:\N";German:4' \
		'ken.shaw4@example.com;;Support, Tier 2;"Chat:5;Email:4";Spanish:3' >"$TMP/semi.csv"
	printf '%s\n' 'email	title	department	skills	languages' \
		'grace.cerf2@example.com	Team Lead	Technical Support	Technical:5;VIP:3;Escalations:\N	German:4' \
		'ken.shaw4@example.com		Support, Tier 2	Chat:5;Email:4	Spanish:3' >"$TMP/tabs.tsv"
	gcu-resolve -q --directory "$org" "$TMP/comma.csv" | jq -c 'del(.src)' >"$TMP/want"
	[ "$(jq -s 'map(select(.changes.department == "Support, Tier 2" and (.changes.routingSkills | length) == 2)) | length' "$TMP/want")" -eq 1 ]
	GCU_CSV_DELIMITER=';' gcu-resolve -q --directory "$org" "$TMP/semi.csv" | jq -c 'del(.src)' | diff "$TMP/want" -
	printf 'csv:\n  delimiter: ";"\n' >"$TMP/semi.yaml"
	gcu-resolve -q -c "$TMP/semi.yaml" --directory "$org" "$TMP/semi.csv" | jq -c 'del(.src)' | diff "$TMP/want" -
	gcu-resolve -q --directory "$org" "$TMP/tabs.tsv" | jq -c 'del(.src)' | diff "$TMP/want" -
	# Read with ',', the ';' file stops at its header, saying what reads it.
	run --separate-stderr gcu-resolve --directory "$org" "$TMP/semi.csv"
	[ "$status" -eq 65 ]
	[[ $stderr == *"semi.csv:1: no column names the user"*"the header is one cell with ';' in it: for a file of ';'-separated cells, set csv.delimiter: ';' (or GCU_CSV_DELIMITER)"* ]]
	cp "$TMP/tabs.tsv" "$TMP/tabs.csv"
	run --separate-stderr gcu-resolve --directory "$org" "$TMP/tabs.csv"
	[ "$status" -eq 65 ]
	[[ $stderr == *"tabs.csv:1: "*"name it .tsv or set csv.delimiter: tab"* ]]
	GCU_CSV_DELIMITER=x run --separate-stderr gcu-resolve --directory "$org" "$TMP/semi.csv"
	[ "$status" -eq 64 ]
	[[ $stderr == *"GCU_CSV_DELIMITER: csv.delimiter: one punctuation character"* ]]
}

@test "resolve: no-break and zero-width spaces a paste leaves around a key or a skill are dropped; in a manager cell they are shown" {
	local org=$ROOT/testdata/org.ndjson
	printf 'email,skills,manager\n%s,%s,\n%s,,%s\n' \
		$'grace.cerf2@example.com\xc2\xa0' $'\xe2\x80\x8bTechnical:4' \
		ken.shaw4@example.com $'alan.hamilton1@example.com\xc2\xa0' >"$TMP/pasted.csv"
	run --separate-stderr gcu-resolve --directory "$org" "$TMP/pasted.csv"
	[ "$status" -eq 1 ]
	jq -e --arg g "$GRACE" --arg t "$TECHNICAL" '.id == $g and .changes.routingSkills[$t] == 4' <<<"$output"
	[[ $stderr == *"pasted.csv:3: manager: no user with email 'alan.hamilton1@example.com<U+00A0>'; did you mean 'alan.hamilton1@example.com'?"* ]]
}

@test "resolve: a row by email and a row by id for one user fold in gcu-partition, or are both rejected by their lines" {
	sim_start --users "$ROOT/testdata/org.ndjson"
	# Both rows name Grace: one by email, one by id (NDJSON mixes keys).
	printf '{"email":"grace.cerf2@example.com","changes":{"title":"Lead"}}\n{"id":"%s","changes":{"department":"Sales"}}\n' "$GRACE" >"$TMP/agree.ndjson"
	run --separate-stderr bash -c "gcu-resolve -q '$TMP/agree.ndjson' | gcu-partition"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ ${lines[0]} == '{"id":"'$GRACE'","src":"'$TMP'/agree.ndjson:1","key":"email:grace.cerf2@example.com","scope":"non-routing","changes":{"title":"Lead","department":"Sales"}}' ]]
	[[ $stderr == *"2 records: 1 accepted (1 non-routing, 0 routing), 1 folded, 0 rejected"* ]]
	printf '{"email":"grace.cerf2@example.com","changes":{"title":"Lead"}}\n{"id":"%s","changes":{"title":"Agent"}}\n' "$GRACE" >"$TMP/disagree.ndjson"
	run --separate-stderr bash -c "gcu-resolve -q '$TMP/disagree.ndjson' | gcu-partition"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ $stderr == *"disagree.ndjson:1: user $GRACE: rows disagree on 'title'"* ]]
	[[ $stderr == *"disagree.ndjson:2: user $GRACE: rows disagree on 'title'"* ]]
}

@test "resolve: a directory that cannot be read stops the stage (69), naming the page; nothing is written" {
	sim_start --generate 1200 --seed 1 --fail-route 'GET /api/v2/users:2-999:503'
	export GCU_RETRY_SERVER_BASE=0.01 GCU_RETRY_SERVER_MAX=0.02 GCU_RETRY_SERVER_ATTEMPTS=2 GCU_CIRCUIT_PAUSE=0.01
	sim_state | jq -r '.email' | head -n 400 | awk 'BEGIN { print "email,title" } { print $0 ",Lead" }' >"$TMP/many.csv"
	run --separate-stderr gcu-resolve --summary "$TMP/sum.json" "$TMP/many.csv"
	echo "$stderr"
	[ "$status" -eq 69 ]
	[ -z "$output" ]
	[[ $stderr == *"users, page 2: HTTP 503"* ]]
	jq -e '.exit == 69 and (.error | test("users, page 2"))' "$TMP/sum.json"
}

@test "resolve: run.sh resolves first; the same file planned offline from the captured directory gives the same requests" {
	sim_start --users "$ROOT/testdata/org.ndjson"
	sim_state >"$TMP/org-before.ndjson"
	run "$RUN" --plan --run-dir "$TMP/online" "$HR"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"resolve: 19 records: 19 resolved (19 by email, 9 user names, 28 skill names, 10 language names), 0 rejected, 1 with an inactive user; read 1 search and 2 catalogue pages: 3 requests"* ]]
	[ -s "$TMP/online/directory.ndjson" ]
	sim_stop
	unset GCU_API_BASE GCU_CLIENT_ID GCU_CLIENT_SECRET
	run "$RUN" --plan --snapshot "$TMP/org-before.ndjson" --directory "$TMP/online/directory.ndjson" \
		--run-dir "$TMP/offline" "$HR"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"resolve: 19 records: 19 resolved"*"from a capture of the directory, nothing read"* ]]
	for s in non-routing routing; do
		[ -s "$TMP/online/requests.$s.ndjson" ]
		diff "$TMP/online/requests.$s.ndjson" "$TMP/offline/requests.$s.ndjson"
	done
	# Offline without a capture, a file of names cannot be planned.
	run "$RUN" --plan --snapshot "$TMP/org-before.ndjson" --run-dir "$TMP/nodir" "$HR"
	[ "$status" -eq 64 ]
	[[ $output == *"stopped at gcu-resolve (exit 64)"*"--directory FILE"* ]]
}

@test "resolve: acceptance: an HR export against 5,000 users: every valid change applied, mistakes rejected by line, nobody else touched, at most 2.2 requests a user" {
	sim_start --generate 5000 --seed 1 --limit 100 --window 2
	sim_state >"$TMP/before.ndjson"
	curl -sf "$GCU_API_BASE/__sim/state?catalog=1" | jq -c 'select(.kind)' >"$TMP/catalog.ndjson"
	# 300 active users, every 15th, a new title and two skills by name
	# each, a language by name for 1 in 20, a manager by email among the
	# first 100 users.
	jq -r -s '
		(map(select(.state == "active"))) as $a
		| [range(0; 300) as $i | $a[$i * 15] | [.email, "Title \(.id[0:8])",
		   "Technical:\(.id[0:1] | explode[0] % 5 + 1);Escalations:2",
		   (if $i % 20 == 0 then "Dutch:3" else "" end),
		   $a[$i % 100 + 1].email]] | (["email", "title", "skills", "languages", "manager"], .[]) | @csv' \
		"$TMP/before.ndjson" >"$TMP/hr.csv"
	# and the mistakes, each on a line of its own
	{
		printf '"nobody@example.com","Lead","Technical:3","",""\n'
		printf '"%s","Lead","Techincal:3","",""\n' "$(jq -r 'select(.state == "active") | .email' "$TMP/before.ndjson" | sed -n 3p)"
		printf '"%s","Lead","","Klingon:2",""\n' "$(jq -r 'select(.state == "active") | .email' "$TMP/before.ndjson" | sed -n 5p)"
		printf '"%s","Lead","","","boss@nowhere.example"\n' "$(jq -r 'select(.state == "active") | .email' "$TMP/before.ndjson" | sed -n 7p)"
	} >>"$TMP/hr.csv"
	curl -sf -X POST "$GCU_API_BASE/__sim/reset-stats" >/dev/null
	run "$RUN" --gap 0.5 --run-dir "$TMP/run" "$TMP/hr.csv"
	echo "$output"
	[ "$status" -eq 1 ] # the mistakes
	[[ $output == *"resolve: 304 records: 300 resolved (300 by email, 300 user names, 600 skill names, 15 language names), 4 rejected"* ]]
	log=$TMP/run/resolve.log
	grep -q "hr.csv:302: no user with email 'nobody@example.com'" "$log"
	grep -q "hr.csv:303: routingSkills: no skill 'Techincal'; did you mean 'Technical'?" "$log"
	grep -q "hr.csv:304: routingLanguages: no language 'Klingon'" "$log"
	grep -q "hr.csv:305: manager: no user with email 'boss@nowhere.example'" "$log"
	[ "$(wc -l <"$TMP/run/rejects.txt")" -eq 5 ]
	# Every valid change is in the org: titles, skills, languages and
	# managers by id, read from the simulator's state with the catalogue.
	sim_state >"$TMP/after.ndjson"
	jq -n -r --slurpfile before "$TMP/before.ndjson" --slurpfile after "$TMP/after.ndjson" \
		--slurpfile cat "$TMP/catalog.ndjson" --rawfile csv "$TMP/hr.csv" '
		def id(k; n): [$cat[] | select(.kind == k and .name == n) | .id][0];
		($after | map({(.email): .}) | add) as $by
		| ($csv | split("\n") | .[1:301] | map(split(",") | map(ltrimstr("\"") | rtrimstr("\""))))
		| map(. as [$email, $title, $skills, $langs, $boss]
			| $by[$email] as $u
			| select(($u.title == $title)
				and ($u.manager.id == $by[$boss].id)
				and ($skills | split(";") | all(split(":") as [$n, $l]
					| any($u.skills[]; .id == id("skill"; $n) and .proficiency == ($l | tonumber))))
				and ($langs == "" or ($langs | split(":") as [$n, $l]
					| any($u.languages[]; .id == id("language"; $n) and .proficiency == ($l | tonumber))))
				| not) | $email)
		| if length == 0 then "all 300 applied" else "not applied: \(.)" end' >"$TMP/check"
	cat "$TMP/check"
	[ "$(cat "$TMP/check")" = "all 300 applied" ]
	# Nobody else was touched.
	changed=$(jq -r -s --slurpfile b "$TMP/before.ndjson" '
		($b | map({(.id): (. | del(.routingStatus.startTime))}) | add) as $was
		| map(select(del(.routingStatus.startTime) != $was[.id]) | .email) | .[]' "$TMP/after.ndjson" | sort)
	expected=$(sed -n '2,301p' "$TMP/hr.csv" | cut -d, -f1 | tr -d '"' | sort)
	diff <(printf '%s\n' "$changed") <(printf '%s\n' "$expected")
	# The whole run, reads, directory and token included.
	total=$(sim_stats | jq '.requests.total')
	echo "requests: $total for 300 users"
	[ "$total" -le 660 ]
}
