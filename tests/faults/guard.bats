#!/usr/bin/env bats
# guard.bats - nothing dangerous leaves gcu, and every line gets a result.
#
# A request file holding every hostile shape we could think of (other
# methods, foreign and traversing paths, query strings, percent-encoding,
# fields the endpoint does not take, 51 skills, numbers that are not
# finite, lone surrogates, bytes that are not JSON, an over-long line):
# gcu-send sends none of them (the simulator counts no request but the
# token), changes nothing, exits 1, writes exactly one `rejected` result
# per line naming it, and copies each line to --failed. A re-merge after
# a conflict passes the same check. The simulator deletes a user on a
# DELETE as the platform does, so that a rehearsal would show the damage.
# The pipeline's own requests, from the sample changes, all pass.

load faults
bats_require_minimum_version 1.5.0

teardown() {
	faults_teardown
}

# api_requests: requests the simulator has had, the token endpoint aside.
api_requests() {
	sim_stats | jq '.requests.total - (.requests.by_route["POST /oauth/token"] // 0)'
}

# hostile_lines U U2 V S: the hostile request lines for user U (version
# V, skill S), another user U2 beside.
hostile_lines() {
	local u=$1 u2=$2 v=$3 s=$4 i skills=''
	local head="\"id\":\"$u\",\"src\":\"h.csv:2\",\"scope\":\"non-routing\""
	local rhead="\"id\":\"$u\",\"src\":\"h.csv:2\",\"scope\":\"routing\""
	local p="/api/v2/users/$u" body="{\"id\":\"$u\",\"version\":$v,\"title\":\"x\"}"
	for i in $(seq 1 51); do
		skills+="${skills:+,}{\"id\":\"$(printf '%08x' "$i")-0000-4000-8000-000000000000\",\"proficiency\":3}"
	done
	cat <<EOF
{$head,"op":"user","method":"DELETE","path":"$p","changes":{"title":"x"}}
{$head,"op":"userDelete","method":"DELETE","path":"$p"}
{$rhead,"op":"routingSkillRemove","method":"DELETE","path":"$p"}
{$head,"op":"user","method":"PUT","path":"$p","body":$body}
{$head,"op":"user","method":"POST","path":"$p","body":$body}
{$head,"op":"user","method":"GET","path":"$p"}
{$head,"op":"user","method":"patch","path":"$p","body":$body}
{$head,"op":"user","method":"TRACE","path":"$p"}
{$head,"op":"user","method":7,"path":"$p","body":$body}
{$rhead,"op":"routingSkills","method":"PUT","path":"$p/routingskills/bulk","body":[]}
{$head,"op":"user","method":"PATCH","path":"/api/v2/users/$u2","body":$body}
{$head,"op":"user","method":"PATCH","path":"$p/../$u2","body":$body}
{$head,"op":"user","method":"PATCH","path":"$p/../../authorization/roles","body":$body}
{$head,"op":"user","method":"PATCH","path":"/api/v2/users/%2e%2e%2fauthorization%2froles","body":$body}
{$rhead,"op":"routingSkillRemove","method":"DELETE","path":"$p/routingskills/..%2f..%2f..%2fauthorization%2froles"}
{$head,"op":"user","method":"PATCH","path":"$p?state=deleted","body":$body}
{$head,"op":"user","method":"PATCH","path":"$p#x","body":$body}
{$head,"op":"user","method":"PATCH","path":"http://evil.example$p","body":$body}
{$head,"op":"user","method":"PATCH","path":"//evil.example$p","body":$body}
{$head,"op":"user","method":"PATCH","path":"/API/V2/USERS/$u","body":$body}
{$head,"op":"user","method":"PATCH","path":"$p/","body":$body}
{$head,"op":"user","method":"PATCH","path":"/api/v2/authorization/roles","body":$body}
{$head,"op":"user","method":"PATCH","path":"$p\\u0000/../../authorization/roles","body":$body}
{$rhead,"op":"routingSkillRemove","method":"DELETE","path":"$p/routingskills/\\ud800"}
{$head,"op":"user","method":"PATCH","path":"$p\\n","body":$body}
{$head,"op":"user","method":"PATCH","path":"$p","body":{"id":"$u","version":$v,"roles":[{"id":"$s"}]}}
{$head,"op":"user","method":"PATCH","path":"$p","body":{"id":"$u","version":$v,"division":{"id":"$s"}}}
{$head,"op":"user","method":"PATCH","path":"$p","body":{"id":"$u","version":$v,"routingSkills":[{"id":"$s","proficiency":3}]}}
{$head,"op":"user","method":"PATCH","path":"$p","body":{"id":"$u","version":$v,"title":"x","state":"deleted"}}
{$head,"op":"user","method":"PATCH","path":"$p","body":{"id":"$u2","version":$v,"title":"x"}}
{$head,"op":"user","method":"PATCH","path":"$p","body":{"id":"$u","title":"x"}}
{$head,"op":"user","method":"PATCH","path":"$p","body":{"id":"$u","version":"$v","title":"x"}}
{$head,"op":"user","method":"PATCH","path":"$p","body":{"id":"$u","version":-1,"title":"x"}}
{$head,"op":"user","method":"PATCH","path":"$p","body":{"id":"$u","version":1e999,"title":"x"}}
{$head,"op":"user","method":"PATCH","path":"$p","body":{"id":"$u","version":99999999999999999999999,"title":"x"}}
{$head,"op":"user","method":"PATCH","path":"$p","body":{"id":"$u","version":$v,"title":1e999}}
{$head,"op":"user","method":"PATCH","path":"$p","body":{"id":"$u","version":$v,"title":NaN}}
{$head,"op":"user","method":"PATCH","path":"$p","body":{"id":"$u","version":$v,"biography":{"hobbies":[-Infinity]}}}
{$head,"op":"user","method":"PATCH","path":"$p","body":{"id":"$u","version":$v,"manager":"../../x"}}
{$head,"op":"user","method":"PATCH","path":"$p","body":"{\"id\":\"$u\",\"version\":$v,\"title\":\"x\"}"}
{$head,"op":"user","method":"PATCH","path":"$p","body":[$body]}
{$head,"op":"state","method":"PATCH","path":"$p","body":{"id":"$u","version":$v,"state":"deleted","title":"x"}}
{$rhead,"op":"routingSkills","method":"PATCH","path":"$p/routingskills/bulk","body":[$skills]}
{$rhead,"op":"routingSkills","method":"PATCH","path":"$p/routingskills/bulk","body":[]}
{$rhead,"op":"routingSkills","method":"PATCH","path":"$p/routingskills/bulk","body":[{"id":"$s","proficiency":1e999}]}
{$rhead,"op":"routingSkills","method":"PATCH","path":"$p/routingskills/bulk","body":[{"id":"$s","proficiency":-1}]}
{$rhead,"op":"routingSkills","method":"PATCH","path":"$p/routingskills/bulk","body":[{"id":"$s","proficiency":"3"}]}
{$rhead,"op":"routingSkills","method":"PATCH","path":"$p/routingskills/bulk","body":[{"id":"$s","proficiency":NaN}]}
{$rhead,"op":"routingSkills","method":"PATCH","path":"$p/routingskills/bulk","body":[{"id":"$s","proficiency":5.5}]}
{$rhead,"op":"routingSkills","method":"PATCH","path":"$p/routingskills/bulk","body":[{"id":"$s\\ud800","proficiency":3}]}
{$rhead,"op":"routingSkills","method":"PATCH","path":"$p/routingskills/bulk","body":[{"id":"$s","level":3}]}
{$rhead,"op":"routingSkills","method":"PATCH","path":"$p/routingskills/bulk","body":[{"id":"$s","proficiency":3,"state":"inactive"}]}
{$rhead,"op":"routingStatus","method":"PUT","path":"$p/routingstatus","body":{"status":"ON_QUEUE"}}
{$rhead,"op":"routingStatus","method":"PUT","path":"$p/routingstatus","body":"IDLE"}
{$rhead,"op":"routingSkillRemove","method":"DELETE","path":"$p/routingskills/$s","body":{"id":"$s"}}
{"id":"../../authorization/roles","src":"h.csv:3","scope":"non-routing","op":"user","method":"PATCH","path":"/api/v2/users/../../authorization/roles","body":{}}
{"src":"h.csv:3","scope":"non-routing","op":"user","method":"PATCH","path":"$p","body":$body}
{"id":"$u","src":"h.csv:3","scope":"everything","op":"user","method":"PATCH","path":"$p","body":$body}
{$head,"status":"ok","op":"user","method":"PATCH","path":"$p","body":$body}
{$head,"op":"us\\u0000er","method":"PATCH","path":"$p","body":$body}
{broken
[1,2]
"just a string"
EOF
	# Bytes that are not text, raw: a NUL, and invalid UTF-8 in the op.
	printf '{%s,"op":"user","method":"PATCH","path":"%s","body":{"id":"%s","version":%s,"title":"a\0b"}}\n' \
		"$head" "$p" "$u" "$v"
	printf '{%s,"op":"us\377\376er","method":"PATCH","path":"%s","body":%s}\n' "$head" "$p" "$body"
	# An over-long line (--max-line 16384).
	printf '{%s,"op":"user","method":"PATCH","path":"%s","body":{"id":"%s","version":%s,"title":"%s"}}\n' \
		"$head" "$p" "$u" "$v" "$(head -c 20000 /dev/zero | tr '\0' x)"
}

@test "guard: a file of hostile requests: nothing is sent, one rejected result a line, all in --failed" {
	local w=$BATS_TEST_TMPDIR/g u u2 v s n
	mkdir -p "$w"
	fsim
	u=$(sed -n 1p "$ORG" | jq -r .id)
	v=$(sed -n 1p "$ORG" | jq -r .version)
	s=$(sed -n 1p "$ORG" | jq -r '.skills[0].id')
	u2=$(sed -n 2p "$ORG" | jq -r .id)
	hostile_lines "$u" "$u2" "$v" "$s" >"$w/m.ndjson"
	n=$(wc -l <"$w/m.ndjson")
	[ "$n" -ge 60 ]
	sim_state >"$w/before.ndjson"
	send "$w" --max-line 16384 --failed "$w/failed.ndjson"
	cat "$w/send.err"
	[ "$SEND_RC" -eq 1 ]
	# Not one request reached the platform, and the org is as it was.
	[ "$(api_requests)" -eq 0 ]
	sim_state | diff "$w/before.ndjson" -
	# One result a line, every one rejected with a reason, in input order,
	# naming its line.
	[ "$(wc -l <"$w/r.ndjson")" -eq "$n" ]
	jq -e -s 'all(.status == "rejected" and (.error | type == "string" and length > 0))' \
		"$w/r.ndjson"
	diff <(jq -r .line "$w/r.ndjson") <(seq 1 "$n" | sed "s|^|$w/m.ndjson:|")
	# The head is copied when it is well formed, and only then.
	jq -e -s --arg u "$u" '.[0] | .id == $u and .src == "h.csv:2" and .scope == "non-routing"' \
		"$w/r.ndjson"
	jq -e -s 'all(.id == null or (.id | test("^[0-9a-f-]{36}$")))' "$w/r.ndjson"
	jq -e -s 'all(.scope == null or .scope == "non-routing" or .scope == "routing")' "$w/r.ndjson"
	# Each is said on stderr as file:line, and counted in the summary.
	for i in $(seq 1 "$n"); do
		grep -q "m.ndjson:$i: " "$w/send.err"
	done
	grep -q "gcu-send: 0 requests, $n results: 0 ok, 0 unchanged, 0 failed, 0 conflict, 0 interrupted, $n rejected" \
		"$w/send.err"
	# --failed holds every line as it was, but the over-long one, which was
	# never read whole.
	diff <(head -n $((n - 1)) "$w/m.ndjson") "$w/failed.ndjson"
	# A dry run shows the same verdicts and prints no request.
	gcu-send --dry-run --max-line 16384 "$w/m.ndjson" >"$w/dry.out" 2>"$w/dry.err" && rc=0 || rc=$?
	[ "$rc" -eq 1 ]
	jq -e -s --argjson n "$n" 'length == $n and all(.status == "rejected")' "$w/dry.out"
	grep -q "dry run: 0 requests printed, $n rejected, nothing sent" "$w/dry.err"
	[ "$(api_requests)" -eq 0 ]
}

@test "guard: gcu-sim deletes a user on DELETE, as the platform does, so a rehearsal shows it" {
	local u t
	fsim
	u=$(sed -n 3p "$ORG" | jq -r .id)
	t=$(sim_token)
	api() {
		curl -s -o "$BATS_TEST_TMPDIR/body" -w '%{http_code}' -H "Authorization: Bearer $t" "$@"
	}
	[ "$(api "$GCU_API_BASE/api/v2/users/$u")" = 200 ]
	[ "$(api -X DELETE "$GCU_API_BASE/api/v2/users/$u")" = 200 ]
	# Gone for a plain read, as a deleted user is on the platform...
	[ "$(api "$GCU_API_BASE/api/v2/users/$u")" = 404 ]
	[ "$(api "$GCU_API_BASE/api/v2/users?id=$u")" = 200 ]
	jq -e '.total == 0' "$BATS_TEST_TMPDIR/body"
	# ... and there, deleted, for a read of any state, and in the org.
	[ "$(api "$GCU_API_BASE/api/v2/users?id=$u&state=any")" = 200 ]
	jq -e '.entities[0].state == "deleted"' "$BATS_TEST_TMPDIR/body"
	[ "$(api "$GCU_API_BASE/api/v2/users/$u?state=deleted")" = 200 ]
	jq -e '.state == "deleted"' "$BATS_TEST_TMPDIR/body"
	sim_state | jq -e -s --arg u "$u" 'map(select(.id == $u)) | length == 1 and .[0].state == "deleted"'
	# A second DELETE finds no user to delete.
	[ "$(api -X DELETE "$GCU_API_BASE/api/v2/users/$u")" = 404 ]
	[ "$(sim_stats | jq '.requests.by_route["DELETE /api/v2/users/{id}"]')" -eq 2 ]
}

@test "guard: the request a conflict re-merges passes the same check before it goes" {
	local w=$BATS_TEST_TMPDIR/c u v
	mkdir -p "$w"
	fsim
	u=$(sed -n 2p "$ORG" | jq -r .id)
	v=$(sed -n 2p "$ORG" | jq -r .version)
	# A stale version draws a conflict; the changes the line carries, merged
	# again, would write roles.
	printf '{"id":"%s","src":"h.csv:2","scope":"non-routing","op":"user","method":"PATCH","path":"/api/v2/users/%s","body":{"id":"%s","version":%d,"title":"Lead"},"changes":{"title":"Lead","roles":[{"id":"%s"}]}}\n' \
		"$u" "$u" "$u" $((v - 1)) "$u" >"$w/m.ndjson"
	sim_state >"$w/before.ndjson"
	send "$w"
	cat "$w/send.err"
	[ "$SEND_RC" -eq 1 ]
	jq -e '.status == "failed" and (.error | test("re-merged after a conflict is refused: .*roles"))' \
		"$w/r.ndjson"
	# The stale PATCH and the read after it; nothing more.
	[ "$(sim_stats | jq '.requests.by_route["PATCH /api/v2/users/{id}"]')" -eq 1 ]
	sim_state | diff "$w/before.ndjson" -
}

@test "guard: every request the pipeline makes from the sample changes passes the check" {
	local w=$BATS_TEST_TMPDIR/p n
	offline "$w"
	n=$(jq -s 'map(select(.op)) | length' "$w/m.ndjson")
	[ "$n" -gt 50 ]
	run --separate-stderr gcu-send --dry-run "$w/m.ndjson"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"dry run: $n requests printed, 0 rejected, nothing sent"* ]]
	[ "$(echo "$output" | grep -c '^[A-Z]* /api/v2/users/')" -eq "$n" ]
	! echo "$output" | grep -q '"rejected"'
	# Every op the table knows for a user is in the sample, with its method.
	for m in 'PATCH /api/v2/users/[0-9a-f-]* {' 'PATCH .*/routingskills/bulk \[' \
		'DELETE .*/routingskills/[0-9a-f-]*$' 'PUT .*/routingstatus {'; do
		echo "$output" | grep -q "^$m"
	done
}
