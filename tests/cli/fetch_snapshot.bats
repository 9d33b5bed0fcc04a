#!/usr/bin/env bats
# fetch_snapshot.bats - gcu-fetch --snapshot, the offline join of scoped
# change records with a captured org export.
#
# Covers the golden output for the partitioned sample CSV, a user missing
# from the snapshot (kept as a record with an error, status 404, exit 1),
# input lines that are not records (reported with their line numbers,
# counted, the rest still fetched), a bad snapshot, and the usual options.

load helpers
bats_require_minimum_version 1.5.0

GOLDEN=$ROOT/tests/cli/golden
SNAP=testdata/org.ndjson

setup() {
	cd "$ROOT"
	TMP=$(mktemp -d "${BATS_TEST_TMPDIR:-/tmp}/fetch.XXXXXX")
}

@test "fetch: the partitioned sample equals the golden output" {
	run --separate-stderr gcu-fetch --snapshot "$SNAP" "$GOLDEN/partition-changes-csv.ndjson"
	[ "$status" -eq 0 ]
	diff -u "$GOLDEN/fetch-changes-csv.ndjson" <(printf '%s\n' "$output")
	[[ "$stderr" == *"80 records: 80 read, 0 not found, 0 rejected"* ]]
}

@test "fetch: standard input works the same as a file" {
	gcu-fetch -q --snapshot "$SNAP" <"$GOLDEN/partition-changes-csv.ndjson" >"$TMP/out"
	diff -u "$GOLDEN/fetch-changes-csv.ndjson" "$TMP/out"
}

@test "fetch: a user missing from the snapshot gets error 404 and exit 1" {
	{
		head -1 "$GOLDEN/partition-changes-csv.ndjson"
		echo '{"id":"00000000-0000-4000-8000-000000000000","src":"x.csv:9","scope":"non-routing","changes":{"title":"Ghost"}}'
	} >"$TMP/in"
	run --separate-stderr gcu-fetch --snapshot "$SNAP" "$TMP/in"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 2 ]
	[ "$(jq -c 'select(.id == "00000000-0000-4000-8000-000000000000") | [.src, .scope, .changes, .error.status, has("current")]' <<<"$output")" = \
		'["x.csv:9","non-routing",{"title":"Ghost"},404,false]' ]
	[ "$(head -1 <<<"$output" | jq -c '.current')" = '{"version":9,"title":"Quality Analyst","department":"Billing"}' ]
	[[ "$stderr" == *"2 records: 1 read, 1 not found"* ]]
}

@test "fetch: a malformed input line is reported with its line number and the rest is fetched" {
	{
		sed -n 1p "$GOLDEN/partition-changes-csv.ndjson"
		echo '{"id":"a06bcdfe-7533-40fd-a339-11c082f5e35d","scope":"routing",'
		echo
		echo '{"id":"../../authorization/roles","scope":"routing","changes":{"routingStatus":"IDLE"}}'
		echo '{"id":"a06bcdfe-7533-40fd-a339-11c082f5e35d","scope":"sideways","changes":{"title":"x"}}'
		sed -n 2p "$GOLDEN/partition-changes-csv.ndjson"
	} >"$TMP/in"
	run --separate-stderr gcu-fetch --snapshot "$SNAP" "$TMP/in"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "$stderr" == *"$TMP/in:2: invalid JSON"* ]]
	[[ "$stderr" == *"$TMP/in:4: id '../../authorization/roles' is not a UUID"* ]]
	[[ "$stderr" == *"$TMP/in:5: missing or unknown scope"* ]]
	[[ "$stderr" != *"$TMP/in:3:"* ]]
	[[ "$stderr" == *"5 records: 2 read, 0 not found, 3 rejected"* ]]
}

@test "fetch: a broken snapshot exits 65 naming its line" {
	{ head -2 "$SNAP"; echo '{"id":"nope"}'; } >"$TMP/snap"
	run --separate-stderr gcu-fetch --snapshot "$TMP/snap" "$GOLDEN/partition-changes-csv.ndjson"
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"$TMP/snap:3: user without a UUID id"* ]]
}

@test "fetch: a full disk on stdout exits 74" {
	run --separate-stderr sh -c "gcu-fetch --snapshot $SNAP $GOLDEN/partition-changes-csv.ndjson >/dev/full"
	[ "$status" -eq 74 ]
	[[ "$stderr" == *"No space left on device"* ]]
}

@test "fetch: --help, --version, a missing --snapshot and a bad option" {
	run gcu-fetch --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--snapshot"* ]]
	run gcu-fetch --version
	[[ "$output" =~ ^gcu-fetch\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	run --separate-stderr gcu-fetch "$GOLDEN/partition-changes-csv.ndjson"
	[ "$status" -eq 64 ]
	run --separate-stderr gcu-fetch --snapshot "$SNAP" --bogus
	[ "$status" -eq 64 ]
	run --separate-stderr gcu-fetch --snapshot "$SNAP" "$TMP/nonexistent"
	[ "$status" -eq 66 ]
}
