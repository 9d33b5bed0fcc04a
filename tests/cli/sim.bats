#!/usr/bin/env bats
# sim.bats - gcu-sim as a client sees it: tokens, the sliding window and
# its headers, users and routing endpoints, PATCH rules, faults, the
# state and stats endpoints, and the dump on SIGTERM. Each test starts
# its own simulator with a small window so that the file runs quickly.

load helpers
bats_require_minimum_version 1.5.0

teardown() {
	# On a failure bats shows this: whether the simulator was still up.
	if [ -n "${SIM_PID:-}" ] && ! kill -0 "$SIM_PID" 2>/dev/null; then
		wait "$SIM_PID" && st=0 || st=$?
		echo "gcu-sim exited early with status $st"
		cat "$SIM_DIR/stderr"
	fi
	sim_stop
	# Under the sanitizers, a report on the simulator's stderr fails the test.
	if [ -n "${SIM_DIR:-}" ] && grep -qE 'Sanitizer|runtime error' "$SIM_DIR/stderr"; then
		cat "$SIM_DIR/stderr"
		return 1
	fi
}

U1=a06bcdfe-7533-40fd-a339-11c082f5e35d
U2=0311b3b0-3e98-44f6-80e1-ec969f1c9935
U3=a802141b-2e1c-4e21-939c-ab5c971583ec
VIP=959575fe-0a73-4d03-b43a-2c9fbed3e91c

# api METHOD PATH [curl args]: an authorised request; prints the body and
# leaves the status in $SIM_DIR/code and the headers in $SIM_DIR/headers.
api() {
	local method=$1 path=$2
	shift 2
	local rc=0
	: >"$SIM_DIR/body"
	curl -s -X "$method" -H "Authorization: Bearer $TOKEN" -D "$SIM_DIR/headers" \
		-o "$SIM_DIR/body" -w '%{http_code}' "$@" "$GCU_API_BASE$path" >"$SIM_DIR/code" || rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "curl $method $path failed with status $rc" >&2
		return "$rc"
	fi
	cat "$SIM_DIR/body"
}

code() {
	cat "$SIM_DIR/code"
}

# hdr NAME: the value of a response header of the last api call.
hdr() {
	awk -v n="$1" 'BEGIN { n = tolower(n) } { sub(/\r$/, "") }
		tolower(substr($0, 1, index($0, ":") - 1)) == n { sub(/^[^:]*: */, ""); print }' \
		"$SIM_DIR/headers"
}

start() {
	sim_start --users "$ROOT/testdata/org.ndjson" "$@"
	TOKEN=$(sim_token)
	[ -n "$TOKEN" ] && [ "$TOKEN" != null ]
}

version_of() {
	sim_state | jq -r --arg id "$1" 'select(.id == $id) | .version'
}

@test "gcu-sim: --help, --version and bad usage" {
	run gcu-sim --help
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
	run gcu-sim --version
	[ "$output" = "gcu-sim 0.1.0" ]
	run gcu-sim --limit abc
	[ "$status" -eq 64 ]
	run gcu-sim --bogus
	[ "$status" -eq 64 ]
	run gcu-sim --listen 10.1.2.3 --users /nonexistent
	[ "$status" -ne 0 ]
}

@test "gcu-sim: a bad users file names file:line and exits 65" {
	bad="$BATS_TEST_TMPDIR/bad.ndjson"
	head -n 2 "$ROOT/testdata/org.ndjson" >"$bad"
	echo '{"id": "not-a-uuid"}' >>"$bad"
	run gcu-sim --port 0 --users "$bad"
	[ "$status" -eq 65 ]
	[[ "$output" == *"bad.ndjson:3:"* ]]
	echo '{broken' >"$bad"
	run gcu-sim --port 0 --users "$bad"
	[ "$status" -eq 65 ]
	[[ "$output" == *"bad.ndjson:1:"* ]]
}

@test "gcu-sim: listens on loopback and writes the base URL" {
	start
	[[ "$GCU_API_BASE" =~ ^http://127\.0\.0\.1:[0-9]+$ ]]
}

@test "gcu-sim: token endpoint checks credentials and grant" {
	start
	run curl -s -w ' %{http_code}' -u wrong:creds -d grant_type=client_credentials \
		"$GCU_API_BASE/oauth/token"
	[[ "$output" == *' 401' ]]
	[ "$(echo "${output% *}" | jq -r .code)" = authentication.required ]
	run curl -s -o /dev/null -w '%{http_code}' -u "$GCU_SIM_CLIENT_ID:$GCU_SIM_CLIENT_SECRET" \
		-d grant_type=password "$GCU_API_BASE/oauth/token"
	[ "$output" = 400 ]
	body=$(curl -s -u "$GCU_SIM_CLIENT_ID:$GCU_SIM_CLIENT_SECRET" \
		-d grant_type=client_credentials "$GCU_API_BASE/oauth/token")
	echo "$body" | jq -e '(.access_token | test("^[0-9a-f]{40}$")) and .token_type == "bearer" and .expires_in == 86400'
	run ! grep -q "$GCU_SIM_CLIENT_SECRET" "$SIM_DIR/stderr"
}

@test "gcu-sim: missing, unknown and expired tokens get 401 and are not rate-limited" {
	sim_start --users "$ROOT/testdata/org.ndjson" --token-ttl 0.5 --limit 2 --window 10
	TOKEN=$(sim_token)
	api GET "/api/v2/users/$U1" >/dev/null
	[ "$(code)" = 200 ]
	sleep 0.7
	body=$(api GET "/api/v2/users/$U1")
	[ "$(code)" = 401 ]
	echo "$body" | jq -e '.status == 401 and .code == "bad.credentials" and (.message | length > 0)'
	run curl -s -o /dev/null -w '%{http_code}' "$GCU_API_BASE/api/v2/users/$U1"
	[ "$output" = 401 ]
	TOKEN=0123456789abcdef0123456789abcdef01234567
	for _ in 1 2 3; do api GET "/api/v2/users/$U1" >/dev/null; [ "$(code)" = 401 ]; done
	[ "$(sim_stats | jq .rate_limited)" = 0 ]
}

@test "gcu-sim: the window fills, then 429 with Retry-After in seconds" {
	start --limit 5 --window 1
	for i in 1 2 3 4 5; do
		api GET "/api/v2/users/$U1" >/dev/null
		[ "$(code)" = 200 ]
	done
	body=$(api GET "/api/v2/users/$U1")
	[ "$(code)" = 429 ]
	echo "$body" | jq -e '.status == 429 and .code == "too.many.requests.retry.after"'
	echo "$body" | jq -e '.message | test("Retry the request in \\[[0-9]+\\] seconds")'
	ra=$(hdr Retry-After)
	[[ "$ra" =~ ^[0-9]+(\.[0-9]{1,3})?$ ]]
	awk -v r="$ra" 'BEGIN { exit !(r > 0 && r <= 1) }'
	# Waiting Retry-After is enough when rejections are not counted; with
	# the default they are, so wait a whole window.
	sleep 1.05
	api GET "/api/v2/users/$U1" >/dev/null
	[ "$(code)" = 200 ]
}

@test "gcu-sim: Retry-After as an HTTP date, and --no-count-rejected" {
	start --limit 2 --window 1 --retry-after date --no-count-rejected
	api GET "/api/v2/users/$U1" >/dev/null
	api GET "/api/v2/users/$U1" >/dev/null
	api GET "/api/v2/users/$U1" >/dev/null
	[ "$(code)" = 429 ]
	ra=$(hdr Retry-After)
	[[ "$ra" =~ ^[A-Z][a-z]{2},\ [0-9]{2}\ [A-Z][a-z]{2}\ [0-9]{4}\ [0-9]{2}:[0-9]{2}:[0-9]{2}\ GMT$ ]]
	when=$(date -u -d "$ra" +%s)
	now=$(date -u +%s)
	[ "$when" -ge "$now" ] && [ "$when" -le $((now + 2)) ]
	[ "$(hdr inin-ratelimit-count)" = 2 ]
	run curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
		"$GCU_API_BASE/__sim/state"
	[ "$output" = 200 ]
}

@test "gcu-sim: rate headers count down and reset after the window" {
	start --limit 4 --window 1
	api GET "/api/v2/users/$U1" >/dev/null
	[ "$(hdr inin-ratelimit-allowed)" = 4 ]
	[ "$(hdr inin-ratelimit-count)" = 1 ]
	[ "$(hdr X-RateLimit-Limit)" = 4 ]
	[ "$(hdr X-RateLimit-Remaining)" = 3 ]
	api GET "/api/v2/users/$U1" >/dev/null
	[ "$(hdr X-RateLimit-Remaining)" = 2 ]
	[ "$(hdr inin-ratelimit-count)" = 2 ]
	reset=$(hdr X-RateLimit-Reset)
	now=$(date +%s.%N)
	awk -v r="$reset" -v n="$now" 'BEGIN { exit !(r > n && r <= n + 2) }'
	ir=$(hdr inin-ratelimit-reset)
	awk -v r="$ir" 'BEGIN { exit !(r > 0 && r <= 1) }'
	api GET "/api/v2/users/nope" >/dev/null
	[ "$(code)" = 400 ]
	[ "$(hdr X-RateLimit-Remaining)" = 1 ]
	sleep 1.05
	api GET "/api/v2/users/$U1" >/dev/null
	[ "$(hdr X-RateLimit-Remaining)" = 3 ]
	[ "$(hdr inin-ratelimit-count)" = 1 ]
}

@test "gcu-sim: --headers picks the header style" {
	start --headers inin
	api GET "/api/v2/users/$U1" >/dev/null
	[ -n "$(hdr inin-ratelimit-count)" ]
	[ -z "$(hdr X-RateLimit-Remaining)" ]
	sim_stop
	start --headers x
	api GET "/api/v2/users/$U1" >/dev/null
	[ -z "$(hdr inin-ratelimit-count)" ]
	[ -n "$(hdr X-RateLimit-Remaining)" ]
}

@test "gcu-sim: --strip-headers removes rate headers and Retry-After" {
	start --limit 1 --window 5 --strip-headers
	api GET "/api/v2/users/$U1" >/dev/null
	[ "$(code)" = 200 ]
	api GET "/api/v2/users/$U1" >/dev/null
	[ "$(code)" = 429 ]
	run ! grep -qiE '^(inin-ratelimit|x-ratelimit|retry-after)' "$SIM_DIR/headers"
}

@test "gcu-sim: --fake-200 answers 200 {} and saves nothing" {
	start --limit 1 --window 5 --fake-200
	before=$(sim_state)
	v=$(version_of "$U1")
	api GET "/api/v2/users/$U1" >/dev/null
	body=$(api PATCH "/api/v2/users/$U1" -H 'Content-Type: application/json' \
		-d "{\"version\":$v,\"title\":\"Faked\"}")
	[ "$(code)" = 200 ]
	[ "$body" = "{}" ]
	run ! grep -qiE '^(inin-ratelimit|x-ratelimit|retry-after)' "$SIM_DIR/headers"
	[ "$(sim_state)" = "$before" ]
	sim_stats | jq -e '.faults.fake_200 == 1 and .writes == 0'
}

@test "gcu-sim: GET one user; 404 unknown, 400 not a UUID" {
	start
	body=$(api GET "/api/v2/users/$U1")
	[ "$(code)" = 200 ]
	echo "$body" | jq -e --arg id "$U1" '.id == $id and (has("skills") | not) and (has("routingStatus") | not)'
	body=$(api GET "/api/v2/users/$U1?expand=skills,routingStatus")
	echo "$body" | jq -e '(.skills | length) == 4 and .routingStatus.status == "IDLE" and (has("languages") | not)'
	body=$(api GET /api/v2/users/00000000-0000-4000-8000-000000000000)
	[ "$(code)" = 404 ]
	echo "$body" | jq -e '.status == 404 and .code == "not.found"'
	api GET /api/v2/users/not-a-uuid >/dev/null
	[ "$(code)" = 400 ]
	api GET "/api/v2/users/..%2F..%2Fauthorization" >/dev/null
	[ "$(code)" = 404 ]
}

@test "gcu-sim: bulk GET returns expand parts only when asked, 400 beyond 100 ids" {
	start
	body=$(api GET "/api/v2/users?id=$U1&id=$U2,$U3&id=00000000-0000-4000-8000-000000000000&state=any")
	[ "$(code)" = 200 ]
	echo "$body" | jq -e '.total == 3 and (.entities | length) == 3 and .pageNumber == 1'
	echo "$body" | jq -e '[.entities[] | has("skills") or has("languages") or has("routingStatus")] | any | not'
	body=$(api GET "/api/v2/users?id=$U1&id=$U2&state=any&expand=languages")
	echo "$body" | jq -e '[.entities[] | has("languages") and (has("skills") | not) and (has("routingStatus") | not)] | all'
	body=$(api GET "/api/v2/users?id=$U1&id=$U2&state=any&expand=skills,languages,routingStatus")
	echo "$body" | jq -e '[.entities[] | has("languages") and has("skills") and has("routingStatus")] | all'
	# U1 is inactive: absent with the default state filter.
	body=$(api GET "/api/v2/users?id=$U1&id=$U2")
	echo "$body" | jq -e --arg id "$U2" '.total == 1 and .entities[0].id == $id'
	ids=$(sim_state | jq -r .id | head -n 101 | paste -sd, -)
	api GET "/api/v2/users?id=$ids&state=any" >/dev/null
	[ "$(code)" = 400 ]
	ids=$(sim_state | jq -r .id | head -n 100 | paste -sd, -)
	body=$(api GET "/api/v2/users?id=$ids&state=any&pageSize=100")
	[ "$(code)" = 200 ]
	echo "$body" | jq -e '(.entities | length) == 100'
	body=$(api GET "/api/v2/users?pageSize=50&pageNumber=2&state=any")
	echo "$body" | jq -e '(.entities | length) == 50 and .total == 200 and .pageCount == 4'
}

@test "gcu-sim: PATCH applies fields, bumps the version, refuses stale versions with 409" {
	start
	v=$(version_of "$U2")
	body=$(api PATCH "/api/v2/users/$U2" -H 'Content-Type: application/json' \
		-d "{\"id\":\"$U2\",\"version\":$v,\"title\":\"Lead\",\"manager\":\"$U1\",\"department\":null}")
	[ "$(code)" = 200 ]
	echo "$body" | jq -e --argjson v "$v" --arg m "$U1" '.version == $v + 1 and .title == "Lead" and .manager.id == $m and (has("department") | not) and (has("skills") | not)'
	[ "$(version_of "$U2")" = $((v + 1)) ]
	body=$(api PATCH "/api/v2/users/$U2" -d "{\"version\":$v,\"title\":\"Again\"}")
	[ "$(code)" = 409 ]
	echo "$body" | jq -e '.status == 409 and .code == "general.conflict" and (.message | test("does not match the current version"))'
	sim_state | jq -e -s --arg id "$U2" 'map(select(.id == $id))[0] | .title == "Lead" and (.skills | length) == 2'
	sim_stats | jq -e '.conflicts == 1 and .writes == 1'
}

@test "gcu-sim: --conflict-as-400 answers a stale version with 400" {
	start --conflict-as-400
	body=$(api PATCH "/api/v2/users/$U2" -d '{"version":1,"title":"x"}')
	[ "$(code)" = 400 ]
	echo "$body" | jq -e '.code == "bad.request" and (.message | test("does not match the current version"))'
}

@test "gcu-sim: PATCH rules: version required, updatable fields only, state alone, valid JSON" {
	start
	v=$(version_of "$U2")
	body=$(api PATCH "/api/v2/users/$U2" -d '{"title":"x"}')
	[ "$(code)" = 400 ]
	echo "$body" | jq -e '.message == "version is required"'
	body=$(api PATCH "/api/v2/users/$U2" -d "{\"version\":$v,\"skills\":[]}")
	[ "$(code)" = 400 ]
	echo "$body" | jq -e '.message | test("skills")'
	api PATCH "/api/v2/users/$U2" -d "{\"version\":$v,\"state\":\"inactive\",\"title\":\"x\"}" >/dev/null
	[ "$(code)" = 400 ]
	api PATCH "/api/v2/users/$U2" -d "{\"version\":$v,\"id\":\"$U1\"}" >/dev/null
	[ "$(code)" = 400 ]
	api PATCH "/api/v2/users/$U2" -d '{"version":' >/dev/null
	[ "$(code)" = 400 ]
	body=$(api PATCH "/api/v2/users/$U2" -d "{\"version\":$v,\"state\":\"inactive\"}")
	[ "$(code)" = 200 ]
	echo "$body" | jq -e '.state == "inactive"'
	[ "$(version_of "$U2")" = $((v + 1)) ]
}

@test "gcu-sim: routing skills, languages and status" {
	start
	v=$(version_of "$U2")
	body=$(api PATCH "/api/v2/users/$U2/routingskills/bulk" \
		-d "[{\"id\":\"$VIP\",\"proficiency\":4},{\"id\":\"11111111-2222-4333-8444-555555555555\",\"proficiency\":1}]")
	[ "$(code)" = 200 ]
	echo "$body" | jq -e --arg s "$VIP" '[.entities[] | select(.id == $s)][0] | .name == "VIP" and .proficiency == 4 and .state == "active"'
	body=$(api GET "/api/v2/users/$U2/routingskills")
	echo "$body" | jq -e '(.entities | length) == 4'
	api DELETE "/api/v2/users/$U2/routingskills/$VIP" >/dev/null
	[ "$(code)" = 204 ]
	api DELETE "/api/v2/users/$U2/routingskills/$VIP" >/dev/null
	[ "$(code)" = 204 ]
	sim_state | jq -e -s --arg id "$U2" --arg s "$VIP" 'map(select(.id == $id))[0] | [.skills[].id] | index($s) == null'
	big=$(jq -cn '[range(51) | {id: "11111111-2222-4333-8444-555555555555", proficiency: 1}]')
	api PATCH "/api/v2/users/$U2/routingskills/bulk" -d "$big" >/dev/null
	[ "$(code)" = 400 ]
	api PATCH "/api/v2/users/$U2/routingskills/bulk" -d '[{"id":"x","proficiency":9}]' >/dev/null
	[ "$(code)" = 400 ]
	body=$(api PATCH "/api/v2/users/$U2/routinglanguages/bulk" \
		-d '[{"id":"627e79c7-2b42-4dd8-82e2-e271c93de18f","proficiency":5}]')
	[ "$(code)" = 200 ]
	echo "$body" | jq -e '[.entities[].name] | index("German") != null'
	api DELETE "/api/v2/users/$U2/routinglanguages/627e79c7-2b42-4dd8-82e2-e271c93de18f" >/dev/null
	[ "$(code)" = 204 ]
	body=$(api PUT "/api/v2/users/$U2/routingstatus" -d '{"status":"IDLE"}')
	[ "$(code)" = 200 ]
	echo "$body" | jq -e --arg id "$U2" '.userId == $id and .status == "IDLE" and (.startTime | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T"))'
	api PUT "/api/v2/users/$U2/routingstatus" -d '{"status":"Available"}' >/dev/null
	[ "$(code)" = 400 ]
	body=$(api GET "/api/v2/users/$U2/routingstatus")
	echo "$body" | jq -e '.status == "IDLE"'
	[ "$(version_of "$U2")" = "$v" ]
	sim_stats | jq -e '.writes == 6'
}

@test "gcu-sim: unknown routes 404 and wrong methods 405, as JSON" {
	start
	body=$(api GET /api/v2/nothing/here)
	[ "$(code)" = 404 ]
	echo "$body" | jq -e '.status == 404 and .code == "not.found" and has("message")'
	body=$(api PUT "/api/v2/users/$U1")
	[ "$(code)" = 405 ]
	echo "$body" | jq -e '.status == 405'
	run curl -s -w ' %{http_code}' "$GCU_API_BASE/elsewhere"
	[[ "$output" == *' 404' ]]
	head -c 1100000 /dev/zero | tr '\0' ' ' >"$BATS_TEST_TMPDIR/big"
	api PATCH "/api/v2/users/$U1" --data-binary "@$BATS_TEST_TMPDIR/big" >/dev/null
	[ "$(code)" = 413 ]
}

@test "gcu-sim: --error-rate 1 answers 5xx and applies nothing" {
	start --error-rate 1 --seed 3
	before=$(sim_state)
	for _ in 1 2 3 4; do
		body=$(api PATCH "/api/v2/users/$U2" -d '{"version":2,"title":"x"}')
		[[ "$(code)" =~ ^50[0234]$ ]]
		echo "$body" | jq -e '.status >= 500 and has("code") and has("message")'
		[ -n "$(hdr inin-ratelimit-count)" ]
	done
	[ "$(sim_state)" = "$before" ]
	sim_stats | jq -e '.faults.errors == 4 and .writes == 0'
}

@test "gcu-sim: --reset-rate 1 closes connections without answering" {
	start --reset-rate 1
	run curl -s -H "Authorization: Bearer $TOKEN" "$GCU_API_BASE/api/v2/users/$U1"
	[ "$status" -ne 0 ]
	sim_stats | jq -e '.faults.resets == 1'
}

@test "gcu-sim: --outage answers 503 inside the window only" {
	start --outage 0:1.2
	body=$(api GET "/api/v2/users/$U1")
	[ "$(code)" = 503 ]
	echo "$body" | jq -e '.status == 503'
	sleep 1.3
	api GET "/api/v2/users/$U1" >/dev/null
	[ "$(code)" = 200 ]
	sim_stats | jq -e '.faults.outage == 1'
}

@test "gcu-sim: --max-inflight answers 429 to concurrent requests over the cap" {
	start --max-inflight 2 --latency 400
	pids=()
	for i in 1 2 3 4 5 6; do
		curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $TOKEN" \
			"$GCU_API_BASE/api/v2/users/$U1" >"$SIM_DIR/par.$i" &
		pids+=($!)
	done
	wait "${pids[@]}"
	ok=$(cat "$SIM_DIR"/par.* | grep -c '^200$' || true)
	limited=$(cat "$SIM_DIR"/par.* | grep -c '^429$' || true)
	[ "$ok" -ge 1 ] && [ "$ok" -le 2 ]
	[ "$limited" -ge 4 ]
	sim_stats | jq -e --argjson n "$limited" '.faults.max_inflight == $n and .rate_limited == $n and .peak_inflight >= 3'
}

@test "gcu-sim: --latency delays answers without serialising them" {
	start --latency 300 --limit 0
	start_ns=$(date +%s%N)
	pids=()
	for _ in $(seq 1 8); do
		curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" "$GCU_API_BASE/api/v2/users/$U1" &
		pids+=($!)
	done
	wait "${pids[@]}"
	ms=$((($(date +%s%N) - start_ns) / 1000000))
	[ "$ms" -ge 300 ] && [ "$ms" -lt 1500 ]
}

@test "gcu-sim: --writer bumps versions behind the client's back" {
	start --writer 20
	sleep 0.6
	n=$(sim_stats | jq .writer_writes)
	[ "$n" -ge 5 ]
	sim_state | jq -e -s '[.[] | select(has("wfmSyncStamp"))] | length >= 3'
	diff <(jq -r '"\(.id) \(.version)"' "$ROOT/testdata/org.ndjson") \
		<(sim_state | jq -r '"\(.id) \(.version)"') >"$SIM_DIR/diff" || true
	[ -s "$SIM_DIR/diff" ]
}

@test "gcu-sim: --propagation and --background fill the window" {
	start --limit 100 --window 2 --propagation 20
	api PUT "/api/v2/users/$U2/routingstatus" -d '{"status":"IDLE"}' >/dev/null
	sleep 0.55
	api GET "/api/v2/users/$U1" >/dev/null
	[ "$(hdr inin-ratelimit-count)" -ge 20 ]
	sim_stop
	start --limit 100 --window 1 --background 50
	sleep 1.1
	api GET "/api/v2/users/$U1" >/dev/null
	c=$(hdr inin-ratelimit-count)
	[ "$c" -ge 49 ] && [ "$c" -le 52 ]
}

@test "gcu-sim: state dump round-trips through --dump on SIGTERM" {
	sim_start --users "$ROOT/testdata/org.ndjson" --dump "$BATS_TEST_TMPDIR/dump.ndjson"
	sim_state | jq -cS . >"$BATS_TEST_TMPDIR/state.ndjson"
	sim_stop
	[ -s "$BATS_TEST_TMPDIR/dump.ndjson" ]
	# The dump holds the catalogue lines too; its users are the file's.
	jq -cS 'select(has("kind") | not)' "$BATS_TEST_TMPDIR/dump.ndjson" >"$BATS_TEST_TMPDIR/users"
	diff <(jq -cS . "$ROOT/testdata/org.ndjson") "$BATS_TEST_TMPDIR/users"
	diff <(jq -cS . "$ROOT/testdata/org.ndjson") "$BATS_TEST_TMPDIR/state.ndjson"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/users")" -eq 200 ]
}

@test "gcu-sim: two seeded --generate runs give identical orgs" {
	sim_start --generate 300 --seed 42
	sim_state >"$BATS_TEST_TMPDIR/a"
	sim_stop
	sim_start --generate 300 --seed 42
	sim_state >"$BATS_TEST_TMPDIR/b"
	sim_stop
	sim_start --generate 300 --seed 43
	sim_state >"$BATS_TEST_TMPDIR/c"
	cmp "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	run ! cmp -s "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/c"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/a")" -eq 300 ]
	jq -e -s '([.[] | select(.state == "inactive")] | length) == 7 and ([.[] | select(.title == "Supervisor")] | length) == 30' "$BATS_TEST_TMPDIR/a"
	jq -e -s 'all(.[]; has("skills") and has("languages") and has("routingStatus") and has("selfUri") and has("division") and has("employerInfo"))' "$BATS_TEST_TMPDIR/a"
}

@test "gcu-sim: stats count what the test sent, and reset" {
	start --limit 3 --window 5
	for _ in 1 2 3 4; do api GET "/api/v2/users/$U1" >/dev/null; done
	api PATCH "/api/v2/users/$U1" -d '{"version":1}' >/dev/null
	sim_state >/dev/null
	stats=$(sim_stats)
	echo "$stats" | jq -e '.requests.total == 6 and .requests.by_method.GET == 4 and .requests.by_method.POST == 1 and .requests.by_method.PATCH == 1'
	echo "$stats" | jq -e '.requests.by_route["GET /api/v2/users/{id}"] == 4 and .requests.by_route["POST /oauth/token"] == 1 and .requests.by_route["PATCH /api/v2/users/{id}"] == 1'
	echo "$stats" | jq -e '.requests.by_status["200"] == 4 and .requests.by_status["429"] == 2'
	echo "$stats" | jq -e '.rate_limited == 2 and .tokens_issued == 1 and .peak_inflight == 1'
	echo "$stats" | jq -e --arg t "${TOKEN:0:8}" '.peak_inflight_by_token[$t] == 1'
	echo "$stats" | jq -e '([.timeline[].admitted] | add) == 3 and ([.timeline[].rejected] | add) == 2 and .timeline[0].t == 0'
	curl -sf -X POST "$GCU_API_BASE/__sim/reset-stats"
	sim_stats | jq -e '.requests.total == 0 and .rate_limited == 0 and .tokens_issued == 0'
}

@test "gcu-sim: SIGINT also stops it, writes the dump and exits 0" {
	sim_start --generate 20 --dump "$BATS_TEST_TMPDIR/dump.ndjson"
	kill -INT "$SIM_PID"
	wait "$SIM_PID" && st=0 || st=$?
	SIM_PID=
	[ "$st" -eq 0 ]
	[ "$(jq -c 'select(has("kind") | not)' "$BATS_TEST_TMPDIR/dump.ndjson" | wc -l)" -eq 20 ]
	run ! compgen -G "$BATS_TEST_TMPDIR/dump.ndjson.tmp*"
}

# --- the directory, catalogues and group requests -----------------------

NOBODY=00000000-0000-4000-8000-000000000000

# gen N [gcu-sim options]: a generated org of N users (seed 3), no limit.
gen() {
	local n=$1
	shift
	sim_start --generate "$n" --seed 3 --limit 0 "$@"
	TOKEN=$(sim_token)
	[ -n "$TOKEN" ] && [ "$TOKEN" != null ]
}

# catalog KIND: the ids of that kind in the org's catalogue, sorted.
catalog() {
	curl -sf "$GCU_API_BASE/__sim/state?catalog=1" | jq -r --arg k "$1" 'select(.kind == $k) | .id' | sort
}

# follow PATH: the ids of the entities of a cursor listing from PATH on,
# following nextUri, one a line; fails on an answer that is not 200.
follow() {
	local next=$1 body
	while [ -n "$next" ]; do
		body=$(api GET "$next")
		[ "$(code)" = 200 ] || return 1
		jq -r '.entities[].id' <<<"$body"
		next=$(jq -r '.nextUri // empty' <<<"$body")
	done
}

# ids_json [objects]: stdin's ids as a JSON array of strings, or of {"id"}.
ids_json() {
	if [ "${1:-}" = objects ]; then jq -R '{id: .}' | jq -sc .; else jq -R . | jq -sc .; fi
}

@test "gcu-sim: GET /api/v2/users pages the directory: every user once, 501 a 400, expand=team" {
	gen 1200
	: >"$SIM_DIR/ids"
	for n in 1 2 3; do
		body=$(api GET "/api/v2/users?pageSize=500&pageNumber=$n&state=any&expand=team")
		[ "$(code)" = 200 ]
		echo "$body" | jq -e --argjson n "$n" '.pageSize == 500 and .pageNumber == $n and .total == 1200 and .pageCount == 3'
		echo "$body" | jq -c '.entities[] | [.id, .team.id, .team.name]' >>"$SIM_DIR/ids"
	done
	[ "$(wc -l <"$SIM_DIR/ids")" -eq 1200 ]
	diff <(sort "$SIM_DIR/ids") <(sim_state | jq -c '[.id, .team.id, .team.name]' | sort)
	# Most users are in a team, and expand=team showed it.
	[ "$(jq -e 'select(.[1] != null)' "$SIM_DIR/ids" | wc -l)" -gt 1000 ]
	api GET "/api/v2/users?pageSize=501&state=any" >/dev/null
	[ "$(code)" = 400 ]
	body=$(api GET "/api/v2/users?pageSize=500")
	echo "$body" | jq -e --argjson n "$(sim_state | jq -s 'map(select(.state == "active")) | length')" '.total == $n'
}

@test "gcu-sim: catalogues: skills, languages, queues, divisions by page, teams by cursor" {
	gen 2000
	for kp in skill:routing/skills language:routing/languages queue:routing/queues \
		division:authorization/divisions; do
		want=$(catalog "${kp%%:*}")
		[ "$(wc -l <<<"$want")" -ge 5 ]
		got=$(for n in 1 2 3 4 5; do
			api GET "/api/v2/${kp#*:}?pageSize=10&pageNumber=$n" | jq -r '.entities[].id'
		done | sort)
		[ "$got" = "$want" ]
		api GET "/api/v2/${kp#*:}?pageSize=101" >/dev/null
		[ "$(code)" = 400 ]
	done
	follow "/api/v2/teams?pageSize=30" >"$SIM_DIR/teams"
	[ "$(wc -l <"$SIM_DIR/teams")" -eq 100 ]
	[ "$(sort "$SIM_DIR/teams")" = "$(catalog team)" ]
	api GET "/api/v2/teams?pageSize=101" >/dev/null
	[ "$(code)" = 400 ]
	api GET "/api/v2/teams?after=bogus" >/dev/null
	[ "$(code)" = 400 ]
	# Name filters as the reference describes them for each kind.
	api GET "/api/v2/routing/skills?name=tier" | jq -e '[.entities[].name] == ["Tier 2", "Tier 3"]'
	api GET "/api/v2/routing/queues?name=billing%20-%20english" | jq -e '.total == 1 and .entities[0].name == "Billing - English"'
	api GET "/api/v2/routing/queues?name=*%20-%20Spanish" | jq -e '.total == 8 and ([.entities[].name] | all(endswith(" - Spanish")))'
	api GET "/api/v2/teams?name=vip%20team%201&pageSize=100" | jq -e '([.entities[].name] | all(startswith("VIP Team 1"))) and (.entities | length) == 4'
	api GET "/api/v2/authorization/divisions" | jq -e '[.entities[] | select(.homeDivision) | .name] == ["Home"]'
	# A queue's memberCount counts the users the org holds in it.
	diff <(api GET "/api/v2/routing/queues?pageSize=100" | jq -c '.entities[] | [.id, .memberCount]' | sort) \
		<(sim_state | jq -s -c '[.[] | select(.state != "deleted") | .queues[]?.id] | group_by(.)[] | [.[0], length]' | sort)
}

@test "gcu-sim: POST /api/v2/users/search finds users by email, username and employee ID" {
	start
	email() { sim_state | jq -r --arg id "$1" 'select(.id == $id) | .email'; }
	e2=$(email "$U2") e3=$(email "$U3")
	body=$(api POST /api/v2/users/search -d "{\"query\":[{\"type\":\"EXACT\",\"fields\":[\"email\"],\"values\":[\"${e2^^}\",\"$e3\",\"nobody@example.com\"]}],\"expand\":[\"skills\"]}")
	[ "$(code)" = 200 ]
	echo "$body" | jq -e --arg a "$U2" --arg b "$U3" '.total == 2 and .types == ["users"] and ([.results[].id] | sort) == ([$a, $b] | sort) and (.results | all(has("skills")))'
	body=$(api POST /api/v2/users/search -d '{"query":[{"type":"EXACT","fields":["employerInfo.employeeId","username"],"values":["E10002","E10000"]}]}')
	echo "$body" | jq -e --arg id "$U3" '.total == 1 and .results[0].id == $id'
	# U1 (E10000) is inactive: found only when the state is asked for.
	body=$(api POST /api/v2/users/search -d '{"query":[{"type":"EXACT","fields":["employerInfo.employeeId"],"values":["E10000"]},{"type":"EXACT","fields":["state"],"values":["active","inactive"]}]}')
	echo "$body" | jq -e --arg id "$U1" '.total == 1 and .results[0].id == $id'
	body=$(api POST /api/v2/users/search -d '{"pageSize":101}')
	[ "$(code)" = 400 ]
	echo "$body" | jq -e '.message == "pageSize must be 1 to 100"'
	api GET /api/v2/users/search >/dev/null
	[ "$(code)" = 405 ]
}

@test "gcu-sim: queue members: 100 a page, 100 a call, ?delete=true, all or nothing" {
	gen 1000
	q=$(api GET "/api/v2/routing/queues?pageSize=1" | jq -r '.entities[0].id')
	members() {
		sim_state | jq -r --arg q "$q" 'select(.state != "deleted" and ([.queues[]?.id] | index($q))) | .id' | sort
	}
	before=$(members)
	total=$(api GET "/api/v2/routing/queues/$q/members?pageSize=100" | jq .total)
	[ "$total" -eq "$(wc -l <<<"$before")" ] && [ "$total" -gt 100 ]
	got=$(for n in $(seq 1 $(((total + 99) / 100))); do
		api GET "/api/v2/routing/queues/$q/members?pageSize=100&pageNumber=$n" | jq -r '.entities[].id'
	done | sort)
	[ "$got" = "$before" ]
	api GET "/api/v2/routing/queues/$q/members?pageSize=101" >/dev/null
	[ "$(code)" = 400 ]
	sim_state | jq -r --arg q "$q" 'select(([.queues[]?.id] | index($q)) | not) | .id' | head -n 101 >"$SIM_DIR/out"
	first=$(head -n 1 "$SIM_DIR/out")
	v=$(version_of "$first")
	api POST "/api/v2/routing/queues/$q/members" -d "$(ids_json objects <"$SIM_DIR/out")" >/dev/null
	[ "$(code)" = 400 ]
	[ "$(members)" = "$before" ]
	api POST "/api/v2/routing/queues/$q/members" -d "$(head -n 100 "$SIM_DIR/out" | ids_json objects)" >/dev/null
	[ "$(code)" = 204 ]
	[ "$(members)" = "$(cat <(echo "$before") <(head -n 100 "$SIM_DIR/out") | sort)" ]
	[ "$(version_of "$first")" = "$v" ]
	body=$(api POST "/api/v2/routing/queues/$q/members?delete=true" -d "[{\"id\":\"$first\"},{\"id\":\"$NOBODY\"}]")
	[ "$(code)" = 400 ]
	echo "$body" | jq -e --arg n "$NOBODY" '.message | contains($n)'
	[ "$(members | grep -c "$first")" -eq 1 ]
	api POST "/api/v2/routing/queues/$q/members?delete=true" -d "$(head -n 100 "$SIM_DIR/out" | ids_json objects)" >/dev/null
	[ "$(code)" = 204 ]
	[ "$(members)" = "$before" ]
	api POST "/api/v2/routing/queues/$NOBODY/members" -d "[{\"id\":\"$first\"}]" >/dev/null
	[ "$(code)" = 404 ]
	sim_stats | jq -e '.requests.by_route["POST /api/v2/routing/queues/{queueId}/members"] == 5 and .writes == 2'
}

@test "gcu-sim: team members: 25 a call, failures per member, DELETE ?id= then join" {
	gen 600
	ta=$(catalog team | sed -n 1p) tb=$(catalog team | sed -n 2p)
	a=$(sim_state | jq -r --arg t "$ta" 'select(.team.id == $t and .state == "active") | .id' | head -n 1)
	free=$(sim_state | jq -r 'select(.team == null and .state == "active") | .id' | head -n 1)
	body=$(api POST "/api/v2/teams/$tb/members" -d "{\"memberIds\":[\"$a\",\"$free\",\"$NOBODY\"]}")
	[ "$(code)" = 200 ]
	echo "$body" | jq -e --arg a "$a" --arg f "$free" --arg n "$NOBODY" \
		'[.entities[].id] == [$f] and .failures == [{"id": $a, "reason": "UserGroupLimitExceeded"}, {"id": $n, "reason": "UserNotFound"}]'
	sim_state | jq -s -e --arg a "$a" --arg f "$free" --arg ta "$ta" --arg tb "$tb" \
		'(map(select(.id == $f))[0].team.id == $tb) and (map(select(.id == $a))[0].team.id == $ta)'
	api DELETE "/api/v2/teams/$ta/members?id=$a,$NOBODY" >/dev/null
	[ "$(code)" = 204 ]
	sim_state | jq -s -e --arg a "$a" 'map(select(.id == $a))[0] | has("team") | not'
	body=$(api POST "/api/v2/teams/$tb/members" -d "{\"memberIds\":[\"$a\"]}")
	echo "$body" | jq -e --arg a "$a" '[.entities[].id] == [$a] and (has("failures") | not)'
	ids=$(sim_state | jq -r .id | head -n 26)
	api POST "/api/v2/teams/$tb/members" -d "{\"memberIds\":$(ids_json <<<"$ids")}" >/dev/null
	[ "$(code)" = 400 ]
	api DELETE "/api/v2/teams/$tb/members?id=$(paste -sd, <<<"$ids")" >/dev/null
	[ "$(code)" = 400 ]
	# The team's members, page by page, are those the state shows in it.
	follow "/api/v2/teams/$tb/members?pageSize=4" >"$SIM_DIR/members"
	diff <(sort "$SIM_DIR/members") <(sim_state | jq -r --arg t "$tb" 'select(.team.id == $t and .state != "deleted") | .id' | sort)
}

@test "gcu-sim: division objects: 50 users a call, moved with a new version" {
	gen 200
	d=$(api GET "/api/v2/authorization/divisions?name=EMEA" | jq -r '.entities[0].id')
	sim_state | jq -c --arg d "$d" 'select(.division.id != $d) | {id, version}' | head -n 51 >"$SIM_DIR/before"
	api POST "/api/v2/authorization/divisions/$d/objects/USER" -d "$(jq -r .id "$SIM_DIR/before" | ids_json)" >/dev/null
	[ "$(code)" = 400 ]
	api POST "/api/v2/authorization/divisions/$d/objects/USER" -d "$(head -n 50 "$SIM_DIR/before" | jq -r .id | ids_json)" >/dev/null
	[ "$(code)" = 204 ]
	sim_state | jq -s -e --slurpfile b <(head -n 50 "$SIM_DIR/before") --arg d "$d" \
		'($b | map({(.id): .version}) | add) as $v | [.[] | select($v[.id] != null)] | length == 50 and all(.division == {"id": $d, "name": "EMEA"} and .version == $v[.id] + 1)'
	last=$(tail -n 1 "$SIM_DIR/before" | jq -r .id)
	api POST "/api/v2/authorization/divisions/$d/objects/USER" -d "[\"$last\",\"$NOBODY\"]" >/dev/null
	[ "$(code)" = 400 ]
	sim_state | jq -s -e --arg u "$last" --arg d "$d" 'map(select(.id == $u))[0].division.id != $d'
	api POST "/api/v2/authorization/divisions/$d/objects/QUEUE" -d "[\"$last\"]" >/dev/null
	[ "$(code)" = 400 ]
}

@test "gcu-sim: group calls pass the rate limit and faults: --fail-route fails the chosen call only" {
	gen 300 --limit 4 --window 30 --fail-route 'POST /api/v2/routing/queues/{queueId}/members:2'
	q=$(api GET "/api/v2/routing/queues?pageSize=1" | jq -r '.entities[0].id')
	u=$(sim_state | jq -r --arg q "$q" 'select(([.queues[]?.id] | index($q)) | not) | .id' | head -n 1)
	api POST "/api/v2/routing/queues/$q/members" -d "[{\"id\":\"$u\"}]" >/dev/null
	[ "$(code)" = 204 ]
	body=$(api POST "/api/v2/routing/queues/$q/members?delete=true" -d "[{\"id\":\"$u\"}]")
	[ "$(code)" = 503 ]
	echo "$body" | jq -e '.status == 503'
	[ "$(hdr inin-ratelimit-count)" = 3 ]
	sim_state | jq -s -e --arg u "$u" --arg q "$q" 'map(select(.id == $u))[0] | [.queues[].id] | index($q) != null'
	api POST "/api/v2/routing/queues/$q/members?delete=true" -d "[{\"id\":\"$u\"}]" >/dev/null
	[ "$(code)" = 204 ]
	api POST "/api/v2/teams/$NOBODY/members" -d "{\"memberIds\":[\"$u\"]}" >/dev/null
	[ "$(code)" = 429 ]
	sim_stats | jq -e '.requests.by_route["POST /api/v2/routing/queues/{queueId}/members"] == 3 and .requests.by_route["POST /api/v2/teams/{teamId}/members"] == 1 and .requests.by_status["503"] == 1 and .requests.by_status["429"] == 1 and .faults.route == 1'
}

@test "gcu-sim: --team-failures refuses joining members; --queue-writer removes queue members" {
	gen 300 --team-failures 1
	tb=$(catalog team | sed -n 2p)
	free=$(sim_state | jq -r 'select(.team == null and .state == "active") | .id' | head -n 1)
	body=$(api POST "/api/v2/teams/$tb/members" -d "{\"memberIds\":[\"$free\"]}")
	echo "$body" | jq -e --arg f "$free" '.entities == [] and .failures == [{"id": $f, "reason": "UserGroupLimitExceeded"}]'
	sim_state | jq -s -e --arg f "$free" 'map(select(.id == $f))[0] | has("team") | not'
	sim_stats | jq -e '.faults.team_failures == 1'
	fresh=$(sim_state | jq -s '[.[].queues[]?] | length')
	sim_stop
	gen 300 --queue-writer 40
	sleep 0.5
	now=$(sim_state | jq -s '[.[].queues[]?] | length')
	writes=$(sim_stats | jq .queue_writer_writes)
	[ $((fresh - now)) -ge 5 ] && [ $((fresh - now)) -le "$writes" ]
}

@test "gcu-sim: --dump writes catalogues and memberships, and --users loads them back the same" {
	sim_start --generate 300 --seed 3 --limit 0 --dump "$BATS_TEST_TMPDIR/dump.ndjson"
	TOKEN=$(sim_token)
	ta=$(catalog team | sed -n 1p) tb=$(catalog team | sed -n 2p)
	a=$(sim_state | jq -r --arg t "$ta" 'select(.team.id == $t) | .id' | head -n 1)
	api DELETE "/api/v2/teams/$ta/members?id=$a" >/dev/null
	[ "$(code)" = 204 ]
	api POST "/api/v2/teams/$tb/members" -d "{\"memberIds\":[\"$a\"]}" >/dev/null
	[ "$(code)" = 200 ]
	curl -sf "$GCU_API_BASE/__sim/state?catalog=1" >"$BATS_TEST_TMPDIR/full"
	sim_stop
	cmp "$BATS_TEST_TMPDIR/full" "$BATS_TEST_TMPDIR/dump.ndjson"
	[ "$(jq -c 'select(.kind == "team")' "$BATS_TEST_TMPDIR/dump.ndjson" | wc -l)" -eq 15 ]
	jq -s -e --arg a "$a" --arg tb "$tb" 'map(select(.id == $a))[0].team.id == $tb' "$BATS_TEST_TMPDIR/dump.ndjson"
	sim_start --users "$BATS_TEST_TMPDIR/dump.ndjson" --limit 0
	TOKEN=$(sim_token)
	curl -sf "$GCU_API_BASE/__sim/state?catalog=1" | cmp - "$BATS_TEST_TMPDIR/dump.ndjson"
	api GET "/api/v2/users/$a?expand=team" | jq -e --arg tb "$tb" '.team.id == $tb'
}

@test "gcu-sim: an org file gives catalogue lines and memberships; a bad line names file:line" {
	f=$BATS_TEST_TMPDIR/org.ndjson
	cat >"$f" <<-EOF
		{"kind":"skill","id":"10000000-0000-4000-8000-000000000001","name":"Billing"}
		{"kind":"skill","id":"10000000-0000-4000-8000-000000000002","name":"Billing"}
		{"kind":"team","id":"20000000-0000-4000-8000-000000000001","name":"Blue"}
		{"kind":"queue","id":"30000000-0000-4000-8000-000000000001","name":"Support"}
		{"id":"$U1","name":"Ann","email":"ann@example.com","version":1,"team":{"id":"20000000-0000-4000-8000-000000000001"},"queues":[{"id":"30000000-0000-4000-8000-000000000001"}]}
	EOF
	sim_start --users "$f"
	TOKEN=$(sim_token)
	api GET "/api/v2/routing/skills?name=Billing" | jq -e '.total == 2'
	api GET "/api/v2/users/$U1?expand=team" | jq -e '.team.name == "Blue" and .division.name == "Home"'
	api GET "/api/v2/routing/queues/30000000-0000-4000-8000-000000000001/members" | jq -e --arg u "$U1" '[.entities[].id] == [$u]'
	sim_stop
	sed -i '2s/"skill"/"room"/' "$f"
	run gcu-sim --port 0 --users "$f"
	[ "$status" -eq 65 ]
	[[ "$output" == *"org.ndjson:2: \"kind\" must be skill, language, division, queue or team"* ]]
}

@test "gcu-sim: Retry-After and both resets are whole seconds, as the platform sends them" {
	start --limit 2 --window 2.5
	api GET "/api/v2/users/$U1" >/dev/null
	sleep 0.2
	api GET "/api/v2/users/$U1" >/dev/null
	api GET "/api/v2/users/$U1" >/dev/null
	[ "$(code)" = 429 ]
	# RFC 9110 delay-seconds: a client that parses an integer must not choke.
	[[ "$(hdr Retry-After)" =~ ^[0-9]+$ ]]
	[[ "$(hdr inin-ratelimit-reset)" =~ ^[0-9]+$ ]]
	[[ "$(hdr X-RateLimit-Reset)" =~ ^[0-9]+$ ]]
	# Rounded up: never before the window has room (some 2.3 s here).
	[ "$(hdr Retry-After)" -ge 3 ]
	[ "$(hdr inin-ratelimit-reset)" -ge 2 ]
	[ "$(hdr X-RateLimit-Reset)" -gt "$(date +%s)" ]
}

@test "gcu-sim: --fractional-seconds keeps milliseconds for scaled-time rehearsals" {
	start --limit 2 --window 1.5 --fractional-seconds
	api GET "/api/v2/users/$U1" >/dev/null
	sleep 0.2
	api GET "/api/v2/users/$U1" >/dev/null
	api GET "/api/v2/users/$U1" >/dev/null
	[ "$(code)" = 429 ]
	[[ "$(hdr Retry-After)" =~ ^[0-9]+\.[0-9]{1,3}$ ]]
	[[ "$(hdr inin-ratelimit-reset)" =~ ^[0-9]+\.[0-9]{1,3}$ ]]
	awk -v r="$(hdr Retry-After)" 'BEGIN { exit !(r > 1 && r < 1.5) }'
}

@test "gcu-sim: --bucket lets a burst through, then answers 429 without any header" {
	start --limit 100 --window 10 --bucket 0.5 --burst 3
	for i in 1 2 3 4; do
		api GET "/api/v2/users/$U1" >/dev/null
		[ "$(code)" = 200 ]
	done
	# Behind the bucket the platform's headers pass through.
	[ "$(hdr inin-ratelimit-count)" = 4 ]
	api GET "/api/v2/users/$U1" >/dev/null
	[ "$(code)" = 429 ]
	# Like nginx's limit_req: no rate header, no Retry-After.
	run ! grep -qiE '^(inin-ratelimit|x-ratelimit|retry-after)' "$SIM_DIR/headers"
	# The bucket drains one request in 2 s; what it turned away never
	# reached the window.
	sleep 2.2
	api GET "/api/v2/users/$U1" >/dev/null
	[ "$(code)" = 200 ]
	[ "$(hdr inin-ratelimit-count)" = 5 ]
	[ "$(sim_stats | jq .rate_limited)" = 1 ]
	run gcu-sim --burst 3
	[ "$status" -eq 64 ]
}
