#!/usr/bin/env bats
# fetch_net.bats - gcu-fetch reading users from the platform (gcu-sim on
# loopback) with bulk GETs.
#
# Covers: the pipeline against the simulator equals the offline snapshot
# pipeline; the cost (one bulk GET per hundred users); users the platform
# does not know (error 404, exit 1); server errors, dropped connections
# and 429s without losing or reordering a record; --capture replayed with
# --snapshot; a non-UUID id never reaching the platform; no secret in the
# output, the messages or the command line; refused credentials (77), an
# unavailable platform (69), an interrupt (75) and a full disk (74).

load helpers
bats_require_minimum_version 1.5.0

GOLDEN=$ROOT/tests/cli/golden
ORG=testdata/org.ndjson

setup() {
	cd "$ROOT"
	TMP=$(mktemp -d "${BATS_TEST_TMPDIR:-/tmp}/fetchnet.XXXXXX")
	# Small retry settings so that faults cost milliseconds, not minutes.
	export GCU_RETRY_SERVER_BASE=0.05 GCU_RETRY_SERVER_MAX=0.2 GCU_RETRY_RATE_LIMIT_BASE=0.05 \
		GCU_RETRY_RATE_LIMIT_MAX=0.5 GCU_PLATFORM_WINDOW=1 GCU_CIRCUIT_PAUSE=0.1
}

teardown() {
	sim_stop
}

# bulk_gets: the bulk GETs the simulator has served.
bulk_gets() {
	sim_stats | jq '.requests.by_route["GET /api/v2/users"] // 0'
}

# scoped N: N scoped records (both scopes of each user, interleaved) for
# the users of the running simulator, on stdout.
scoped() {
	sim_state | head -n "$1" | jq -c '
		{id, src: "gen:\(.id)", scope: "non-routing", changes: {title: "Lead"}},
		{id, src: "gen:\(.id)", scope: "routing", changes: {routingStatus: "IDLE"}}'
}

# keys FILE: id, src and scope of every line, in order.
keys() {
	jq -c '[.id, .src, .scope]' "$1"
}

@test "fetch: the pipeline against the simulator equals the snapshot pipeline" {
	sim_start --users "$ORG"
	gcu-partition testdata/changes.csv 2>/dev/null | gcu-fetch 2>"$TMP/err" | gcu-merge -q >"$TMP/net"
	gcu-partition testdata/changes.csv 2>/dev/null | gcu-fetch -q --snapshot "$ORG" |
		gcu-merge -q >"$TMP/offline"
	diff -u "$TMP/offline" "$TMP/net"
	gcu-fetch -q "$GOLDEN/partition-changes-csv.ndjson" >"$TMP/fetched"
	diff -u "$GOLDEN/fetch-changes-csv.ndjson" "$TMP/fetched"
	[[ "$(cat "$TMP/err")" == *"80 records: 80 read, 0 not found, 0 failed, 0 interrupted, 0 rejected; 1 bulk reads"* ]]
	[ "$(bulk_gets)" -eq 2 ]
}

@test "fetch: N users cost ceil(N/100) bulk GETs, whatever the scopes" {
	sim_start --generate 250 --seed 7
	scoped 250 >"$TMP/in"
	[ "$(wc -l <"$TMP/in")" -eq 500 ]
	run --separate-stderr gcu-fetch "$TMP/in"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 500 ]
	[ "$(bulk_gets)" -eq 3 ]
	[ "$(jq -s 'map(select(.current.version != null)) | length' <<<"$output")" -eq 500 ]
	# The routing records were read expanded: their status is there.
	[ "$(jq -s 'map(select(.scope == "routing" and (.current | has("routingStatus")))) | length' <<<"$output")" -eq 250 ]
	diff <(keys "$TMP/in") <(printf '%s\n' "$output" | jq -c '[.id, .src, .scope]')
	[[ "$stderr" == *"500 records: 500 read"*"3 bulk reads (3 requests"* ]]
}

@test "fetch: users the platform does not know get error 404 and exit 1" {
	sim_start --users "$ORG"
	{
		head -1 "$GOLDEN/partition-changes-csv.ndjson"
		echo '{"id":"00000000-0000-4000-8000-000000000000","src":"x.csv:9","scope":"non-routing","changes":{"title":"Ghost"}}'
		sed -n 2p "$GOLDEN/partition-changes-csv.ndjson"
	} >"$TMP/in"
	run --separate-stderr gcu-fetch "$TMP/in"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 3 ]
	[ "$(sed -n 2p <<<"$output" | jq -c '[.src, .error.status, .error.message, has("current")]')" = \
		'["x.csv:9",404,"user not found",false]' ]
	[ "$(sed -n 1p <<<"$output" | jq -c '.current')" = '{"version":9,"title":"Quality Analyst","department":"Billing"}' ]
	[[ "$stderr" == *"3 records: 2 read, 1 not found, 0 failed"* ]]
	[ "$(bulk_gets)" -eq 1 ]
}

@test "fetch: server errors and dropped connections lose no record and keep the order" {
	sim_start --users "$ORG" --error-rate 0.3 --reset-rate 0.2 --seed 3
	sim_state | jq -c '{id, src: "s:\(.id)", scope: "non-routing", changes: {title: "X"}}' >"$TMP/in"
	GCU_FETCH_BATCH=10 GCU_RETRY_SERVER_ATTEMPTS=30 run --separate-stderr gcu-fetch "$TMP/in"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 200 ]
	diff <(keys "$TMP/in") <(printf '%s\n' "$output" | jq -c '[.id, .src, .scope]')
	[ "$(jq -s 'map(select(.current.version != null)) | length' <<<"$output")" -eq 200 ]
	[ "$(sim_stats | jq '.faults.errors + .faults.resets')" -gt 0 ]
	[[ "$stderr" != *" 0 retries"* ]]
}

@test "fetch: a small rate limit (429s) loses no record and keeps the order" {
	sim_start --users "$ORG" --limit 3 --window 1
	sim_state | jq -c '{id, src: "s:\(.id)", scope: "routing", changes: {routingStatus: "IDLE"}}' >"$TMP/in"
	GCU_FETCH_BATCH=20 GCU_THROTTLE_RESERVE=0 GCU_THROTTLE_PAUSE_BELOW=0 \
		run --separate-stderr gcu-fetch --concurrency 6 "$TMP/in"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 200 ]
	diff <(keys "$TMP/in") <(printf '%s\n' "$output" | jq -c '[.id, .src, .scope]')
	[ "$(jq -s 'map(select(.current | has("routingStatus"))) | length' <<<"$output")" -eq 200 ]
	[ "$(bulk_gets)" -ge 10 ]
	[ "$(sim_stats | jq .rate_limited)" -ge 1 ]
	[[ "$stderr" != *" 0 429s"* ]]
}

@test "fetch: a 200 without users (a proxy hiding a 429) is retried, not taken for 'not found'" {
	sim_start --users "$ORG" --fake-200 --strip-headers --limit 2 --window 1
	GCU_FETCH_BATCH=20 GCU_RETRY_RATE_LIMIT_MAX=1 GCU_RETRY_RATE_LIMIT_ATTEMPTS=20 \
		run --separate-stderr gcu-fetch "$GOLDEN/partition-changes-csv.ndjson"
	[ "$status" -eq 0 ]
	diff -u "$GOLDEN/fetch-changes-csv.ndjson" <(printf '%s\n' "$output")
	[ "$(sim_stats | jq .faults.fake_200)" -ge 1 ]
	[[ "$stderr" == *"80 read, 0 not found"* ]]
	[[ "$stderr" != *" 0 429s"* ]]
}

@test "fetch: a platform that fails every read gives every record an error and exits 69" {
	sim_start --users "$ORG" --error-rate 1
	GCU_RETRY_SERVER_ATTEMPTS=2 run --separate-stderr gcu-fetch "$GOLDEN/partition-changes-csv.ndjson"
	[ "$status" -eq 69 ]
	[ "${#lines[@]}" -eq 80 ]
	[ "$(jq -s 'map(select(.error.status == 500)) | length' <<<"$output")" -eq 80 ]
	[[ "$stderr" == *"80 failed"* ]]
}

@test "fetch: --capture then --snapshot replays to the same output" {
	sim_start --users "$ORG"
	gcu-partition testdata/changes.csv 2>/dev/null >"$TMP/in"
	gcu-fetch -q --capture "$TMP/capture" "$TMP/in" >"$TMP/net"
	[ "$(wc -l <"$TMP/capture")" -eq "$(jq -r .id "$TMP/in" | sort -u | wc -l)" ]
	[ "$(jq -r .id "$TMP/capture" | sort | uniq -d | wc -l)" -eq 0 ]
	gcu-fetch -q --snapshot "$TMP/capture" "$TMP/in" >"$TMP/replay"
	diff -u "$TMP/net" "$TMP/replay"
	run gcu-fetch --snapshot "$ORG" --capture "$TMP/c2" "$TMP/in"
	[ "$status" -eq 64 ]
}

@test "fetch: a non-UUID id is rejected by line number and never reaches the platform" {
	sim_start --users "$ORG"
	{
		sed -n 1p "$GOLDEN/partition-changes-csv.ndjson"
		echo '{"id":"../../authorization/roles","scope":"routing","changes":{"routingStatus":"IDLE"}}'
		echo '{"id":"a06bcdfe-7533-40fd-a339-11c082f5e35d&id=x","scope":"routing","changes":{"routingStatus":"IDLE"}}'
		echo 'not json'
		sed -n 2p "$GOLDEN/partition-changes-csv.ndjson"
	} >"$TMP/in"
	run --separate-stderr gcu-fetch "$TMP/in"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "$stderr" == *"$TMP/in:2: id '../../authorization/roles' is not a UUID"* ]]
	[[ "$stderr" == *"$TMP/in:3: id 'a06bcdfe-7533-40fd-a339-11c082f5e35d&id=x' is not a UUID"* ]]
	[[ "$stderr" == *"$TMP/in:4: invalid JSON"* ]]
	[[ "$stderr" == *"5 records: 2 read, 0 not found, 0 failed, 0 interrupted, 3 rejected"* ]]
	[ "$(sim_stats | jq -c '.requests.by_route')" = '{"POST /oauth/token":1,"GET /api/v2/users":1}' ]
	[ "$(sim_stats | jq -c '.requests.by_status | keys')" = '["200"]' ]
}

@test "fetch: no secret or token in the output, the messages or the command line" {
	sim_start --users "$ORG" --latency 200
	gcu-fetch -v "$GOLDEN/partition-changes-csv.ndjson" >"$TMP/out1" 2>"$TMP/err1"
	! grep -q -e "$GCU_SIM_CLIENT_SECRET" -e Bearer -e access_token "$TMP/out1" "$TMP/err1"
	# With a token of its own, the one secret the run holds is known.
	token=$(sim_token)
	[ -n "$token" ]
	env -u GCU_CLIENT_ID -u GCU_CLIENT_SECRET GCU_ACCESS_TOKEN="$token" GCU_FETCH_BATCH=1 \
		gcu-fetch -v --concurrency 1 "$GOLDEN/partition-changes-csv.ndjson" \
		>"$TMP/out" 2>"$TMP/err" &
	pid=$!
	sleep 0.5
	tr '\0' ' ' <"/proc/$pid/cmdline" >"$TMP/cmdline"
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 75 ]
	[[ "$(cat "$TMP/cmdline")" == *gcu-fetch* ]]
	[ "$(jq -s 'map(select(.current)) | length' "$TMP/out")" -ge 1 ]
	for f in "$TMP/cmdline" "$TMP/out" "$TMP/err"; do
		! grep -q -e "$GCU_SIM_CLIENT_SECRET" -e "$token" -e Bearer -e access_token "$f"
	done
}

@test "fetch: SIGINT stops, every record still gets a line, exit 75" {
	sim_start --users "$ORG" --latency 150
	GCU_FETCH_BATCH=1 gcu-fetch --concurrency 1 "$GOLDEN/partition-changes-csv.ndjson" \
		>"$TMP/out" 2>"$TMP/err" &
	pid=$!
	sleep 0.6
	kill -INT "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 75 ]
	diff <(keys "$GOLDEN/partition-changes-csv.ndjson") <(keys "$TMP/out")
	n_read=$(jq -s 'map(select(.current)) | length' "$TMP/out")
	n_int=$(jq -s 'map(select(.error.status == 0 and (.error.message | test("interrupted")))) | length' "$TMP/out")
	[ "$n_read" -ge 1 ]
	[ "$n_int" -ge 1 ]
	[ $((n_read + n_int)) -eq 80 ]
	[[ "$(cat "$TMP/err")" == *"$n_int interrupted"* ]]
}

@test "fetch: an expired token is renewed once on a 401 and the run goes on" {
	sim_start --users "$ORG" --token-ttl 1 --latency 100
	GCU_FETCH_BATCH=4 run --separate-stderr gcu-fetch --concurrency 1 "$GOLDEN/partition-changes-csv.ndjson"
	[ "$status" -eq 0 ]
	diff -u "$GOLDEN/fetch-changes-csv.ndjson" <(printf '%s\n' "$output")
	[ "$(sim_stats | jq .tokens_issued)" -ge 2 ]
	[ "$(sim_stats | jq '.requests.by_status["401"] // 0')" -ge 1 ]
}

@test "fetch: refused credentials exit 77, none at all 64" {
	sim_start --users "$ORG"
	GCU_CLIENT_SECRET=wrong-secret-0123456789 run --separate-stderr gcu-fetch "$GOLDEN/partition-changes-csv.ndjson"
	[ "$status" -eq 77 ]
	[ -z "$output" ]
	[[ "$stderr" != *wrong-secret* ]]
	# A token the platform does not know, and nothing to renew it with.
	run --separate-stderr env -u GCU_CLIENT_ID -u GCU_CLIENT_SECRET GCU_ACCESS_TOKEN=not-a-token \
		gcu-fetch "$GOLDEN/partition-changes-csv.ndjson"
	[ "$status" -eq 77 ]
	[ "${#lines[@]}" -eq 80 ]
	[ "$(jq -s 'map(select(.error.status == 401)) | length' <<<"$output")" -eq 80 ]
	[[ "$stderr" != *not-a-token* ]]
	run --separate-stderr env -u GCU_CLIENT_ID -u GCU_CLIENT_SECRET -u GCU_API_BASE \
		gcu-fetch "$GOLDEN/partition-changes-csv.ndjson"
	[ "$status" -eq 64 ]
}

@test "fetch: a full disk on stdout exits 74; --help names the options" {
	sim_start --users "$ORG"
	run --separate-stderr sh -c "gcu-fetch $GOLDEN/partition-changes-csv.ndjson >/dev/full"
	[ "$status" -eq 74 ]
	[[ "$stderr" == *"No space left on device"* ]]
	run gcu-fetch --help
	[ "$status" -eq 0 ]
	for opt in --capture --snapshot --concurrency --seed --max-line; do
		[[ "$output" == *"$opt"* ]]
	done
}

@test "fetch: empty input writes nothing, reads nothing, exits 0" {
	sim_start --users "$ORG"
	run --separate-stderr gcu-fetch </dev/null
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[[ "$stderr" == *"0 records: 0 read"* ]]
	[ "$(bulk_gets)" -eq 0 ]
}
