#!/usr/bin/env bats
# verify.bats - gcu-verify reading the users again after gcu-send (against
# gcu-sim on loopback) and checking that every change reported ok holds.
#
# Covers: every change verified after a real send; the seed's edge case 1
# (a proxy answering 200 while nothing is saved, imitated by
# gcu-sim --fake-200): each dropped change is reported verified:false, as
# the simulator's own state proves; the record shapes (mismatch with want
# and got, an unreadable user, one line per change however many requests
# it took, results that are not ok skipped); rejected lines and ids that
# never reach the platform; exit codes 0, 1, 64, 69, 74, 77.

load helpers
bats_require_minimum_version 1.5.0

ORG=testdata/org.ndjson
U1=a06bcdfe-7533-40fd-a339-11c082f5e35d

setup() {
	cd "$ROOT"
	TMP=$(mktemp -d "${BATS_TEST_TMPDIR:-/tmp}/verify.XXXXXX")
	export GCU_RETRY_SERVER_BASE=0.05 GCU_RETRY_SERVER_MAX=0.2 GCU_RETRY_RATE_LIMIT_BASE=0.05 \
		GCU_RETRY_RATE_LIMIT_MAX=0.5 GCU_PLATFORM_WINDOW=1 GCU_CIRCUIT_PAUSE=0.1
}

teardown() {
	sim_stop
}

# requests FILE: the sample change set as request records, offline.
requests() {
	gcu-partition testdata/changes.csv 2>/dev/null | gcu-fetch -q --snapshot "$ORG" |
		gcu-merge -q >"$1"
}

# vkeys: "id scope src" of each verification record on stdin, sorted.
vkeys() {
	jq -r '"\(.id) \(.scope) \(.src)"' | sort
}

# result STATUS OP CHANGES [ID [SRC]]: one result record as gcu-send writes it.
result() {
	jq -cn --arg s "$1" --arg op "$2" --argjson ch "$3" --arg id "${4:-$U1}" --arg src "${5:-t.csv:2}" \
		'{id: $id, src: $src, scope: "non-routing", op: $op, status: $s, http: 200, attempts: 1,
		  version: null, ms: 1, error: null, path: "/api/v2/users/\($id)", changes: $ch}'
}

@test "verify: after a real send every change holds, exit 0" {
	sim_start --users "$ORG" --limit 300 --window 1
	requests "$TMP/req"
	GCU_PLATFORM_LIMIT=300 gcu-send -q "$TMP/req" >"$TMP/res"
	[ "$(jq -s 'map(select(.status == "ok")) | length' "$TMP/res")" -eq 76 ]
	run --separate-stderr gcu-verify "$TMP/res"
	[ "$status" -eq 0 ]
	expected=$(jq -r 'select(.status == "ok") | "\(.id) \(.scope) \(.src)"' "$TMP/res" | sort -u)
	[ "$(printf '%s\n' "$output" | vkeys)" = "$expected" ]
	[ "$(jq -s 'map(select(.verified == true)) | length' <<<"$output")" -eq "${#lines[@]}" ]
	[[ "$stderr" == *"88 results: ${#lines[@]} verified, 0 mismatched, 0 unreadable, 12 skipped (not ok)"* ]]
	# One bulk read for the lot.
	[ "$(sim_stats | jq '.requests.by_route["GET /api/v2/users"]')" -eq 1 ]
}

@test "verify: changes a proxy answered 200 for but never saved are caught (exit 1)" {
	sim_start --users "$ORG" --fake-200 --strip-headers --limit 5 --window 1
	requests "$TMP/req"
	# Blind (no headers) and fooled by the fake 200s, gcu-send sees only success.
	run --separate-stderr gcu-send "$TMP/req"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" >"$TMP/res"
	[ "$(jq -s 'map(select(.status == "ok")) | length' "$TMP/res")" -eq 76 ]
	[ "$(jq -s 'map(select(.op == "user" and .version == null)) | length' "$TMP/res")" -gt 0 ]
	[ "$(sim_stats | jq .faults.fake_200)" -gt 5 ]

	run --separate-stderr gcu-verify "$TMP/res"
	[ "$status" -eq 1 ]
	printf '%s\n' "$output" >"$TMP/ver"
	# The proof: merge each change against the simulator's real state; what
	# still needs a request did not hold, and exactly that is verified:false.
	sim_state >"$TMP/state"
	gcu-partition testdata/changes.csv 2>/dev/null | gcu-fetch -q --snapshot "$TMP/state" |
		gcu-merge -q >"$TMP/remerge"
	jq -r 'select(.op) | "\(.id) \(.scope) \(.src)"' "$TMP/remerge" | sort -u >"$TMP/dropped"
	jq -r 'select(.status == "ok") | "\(.id) \(.scope) \(.src)"' "$TMP/res" | sort -u >"$TMP/okkeys"
	comm -12 "$TMP/dropped" "$TMP/okkeys" >"$TMP/dropped-ok"
	[ -s "$TMP/dropped-ok" ]
	diff -u "$TMP/dropped-ok" <(jq -c 'select(.verified == false)' "$TMP/ver" | vkeys)
	diff -u <(comm -23 "$TMP/okkeys" "$TMP/dropped") <(jq -c 'select(.verified == true)' "$TMP/ver" | vkeys)
	# Every false one says what was wanted and what is there.
	[ "$(jq -s 'map(select(.verified == false and (.mismatch | length) > 0)) | length' "$TMP/ver")" -eq \
		"$(wc -l <"$TMP/dropped-ok")" ]
	n=$(wc -l <"$TMP/dropped-ok")
	[[ "$stderr" == *" $n mismatched, 0 unreadable"* ]]
}

@test "verify: a mismatch names want and got; a change that holds is verified once" {
	sim_start --users "$ORG"
	{
		result ok state '{"title":"Quality Analyst"}'
		result ok user '{"title":"Quality Analyst"}'
		result failed user '{"title":"Quality Analyst"}'
		result ok user '{"title":"Nope"}' "$U1" t.csv:3
		result unchanged user '{"title":"x"}' "$U1" t.csv:4
		result conflict user '{"title":"x"}' "$U1" t.csv:5
		result interrupted user '{"title":"x"}' "$U1" t.csv:6
	} >"$TMP/res"
	run --separate-stderr gcu-verify "$TMP/res"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = "{\"id\":\"$U1\",\"src\":\"t.csv:2\",\"scope\":\"non-routing\",\"verified\":true}" ]
	[ "${lines[1]}" = "{\"id\":\"$U1\",\"src\":\"t.csv:3\",\"scope\":\"non-routing\",\"verified\":false,\"mismatch\":{\"title\":{\"want\":\"Nope\",\"got\":\"Quality Analyst\"}}}" ]
	[[ "$stderr" == *"7 results: 1 verified, 1 mismatched, 0 unreadable, 4 skipped (not ok), 1 repeated, 0 rejected"* ]]
}

@test "verify: a user that cannot be read is verified:false with an error" {
	sim_start --users "$ORG"
	result ok user '{"title":"Ghost"}' 00000000-0000-4000-8000-000000000000 >"$TMP/res"
	run --separate-stderr gcu-verify "$TMP/res"
	[ "$status" -eq 1 ]
	[ "$output" = '{"id":"00000000-0000-4000-8000-000000000000","src":"t.csv:2","scope":"non-routing","verified":false,"error":{"status":404,"message":"user not found"}}' ]
	[[ "$stderr" == *"0 verified, 0 mismatched, 1 unreadable"* ]]
}

@test "verify: nothing ok to verify reads nothing and exits 0" {
	sim_start --users "$ORG"
	{
		result failed user '{"title":"x"}'
		result unchanged user '{"title":"x"}'
	} >"$TMP/res"
	run --separate-stderr gcu-verify "$TMP/res"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[[ "$stderr" == *"2 results: 0 verified, 0 mismatched, 0 unreadable, 2 skipped (not ok)"* ]]
	[ "$(sim_stats | jq '.requests.by_route["GET /api/v2/users"] // 0')" -eq 0 ]
}

@test "verify: malformed lines are rejected by number and bad ids never reach the platform" {
	sim_start --users "$ORG"
	{
		result ok user '{"title":"Quality Analyst"}'
		result ok user '{"title":"x"}' '../../authorization/roles'
		echo '{"id":"'"$U1"'","scope":"non-routing","changes":{"title":"x"}}'
		result done user '{"title":"x"}'
		result ok user '{}'
		echo '{"id":'
	} >"$TMP/res"
	run --separate-stderr gcu-verify "$TMP/res"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$stderr" == *"$TMP/res:2: id '../../authorization/roles' is not a UUID"* ]]
	[[ "$stderr" == *"$TMP/res:3: no status"* ]]
	[[ "$stderr" == *"$TMP/res:4: status 'done' is not a result status"* ]]
	[[ "$stderr" == *"$TMP/res:5: an ok result without its changes"* ]]
	[[ "$stderr" == *"$TMP/res:6: invalid JSON"* ]]
	[[ "$stderr" == *"1 verified, 0 mismatched, 0 unreadable, 0 skipped (not ok), 0 repeated, 5 rejected"* ]]
	[ "$(sim_stats | jq -c '.requests.by_route')" = '{"POST /oauth/token":1,"GET /api/v2/users":1}' ]
}

@test "verify: exit codes 77, 69, 74 and 64; --help names the options" {
	sim_start --users "$ORG" --error-rate 1
	result ok user '{"title":"Quality Analyst"}' >"$TMP/res"
	GCU_CLIENT_SECRET=wrong-secret-0123456789 run --separate-stderr gcu-verify "$TMP/res"
	[ "$status" -eq 77 ]
	[[ "$stderr" != *wrong-secret* ]]
	GCU_RETRY_SERVER_ATTEMPTS=2 run --separate-stderr gcu-verify "$TMP/res"
	[ "$status" -eq 69 ]
	[ "$(jq -c '[.verified, .error.status]' <<<"$output")" = '[false,500]' ]
	sim_stop
	sim_start --users "$ORG"
	run --separate-stderr sh -c "gcu-verify $TMP/res >/dev/full"
	[ "$status" -eq 74 ]
	run --separate-stderr gcu-verify --bogus
	[ "$status" -eq 64 ]
	run gcu-verify --help
	[ "$status" -eq 0 ]
	for opt in --config --concurrency --seed --max-line --quiet --verbose --version; do
		[[ "$output" == *"$opt"* ]]
	done
	run gcu-verify --version
	[[ "$output" =~ ^gcu-verify\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "verify: empty input writes nothing and exits 0" {
	sim_start --users "$ORG"
	run --separate-stderr gcu-verify </dev/null
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[[ "$stderr" == *"0 results: 0 verified"* ]]
}
