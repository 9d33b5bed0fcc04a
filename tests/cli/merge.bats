#!/usr/bin/env bats
# merge.bats - gcu-merge alone and at the end of the offline pipeline.
#
# Covers the golden request records of partition | fetch | merge for both
# sample change sets, fetch errors passing through as "failed", users whose
# changes already hold giving exactly one "unchanged" line, and the
# invariant that every input record ends in at least one output line with
# the same id, src and scope (nothing vanishes).

load helpers
bats_require_minimum_version 1.5.0

GOLDEN=$ROOT/tests/cli/golden
SNAP=testdata/org.ndjson

setup() {
	cd "$ROOT"
	TMP=$(mktemp -d "${BATS_TEST_TMPDIR:-/tmp}/merge.XXXXXX")
}

pipeline() {
	gcu-partition -q "$1" | gcu-fetch -q --snapshot "$SNAP" | gcu-merge
}

@test "merge: the pipeline on changes.csv equals the golden output" {
	run --separate-stderr pipeline testdata/changes.csv
	[ "$status" -eq 0 ]
	diff -u "$GOLDEN/merge-changes-csv.ndjson" <(printf '%s\n' "$output")
	[[ "$stderr" == *"80 records: 76 requests, 12 unchanged, 0 failed, 0 rejected"* ]]
}

@test "merge: the pipeline on changes.ndjson equals the golden output" {
	run --separate-stderr pipeline testdata/changes.ndjson
	[ "$status" -eq 0 ]
	diff -u "$GOLDEN/merge-changes-ndjson.ndjson" <(printf '%s\n' "$output")
}

@test "merge: every fetched record ends in one or more output lines" {
	gcu-merge -q "$GOLDEN/fetch-changes-csv.ndjson" >"$TMP/out"
	jq -c '[.id, .src, .scope]' "$GOLDEN/fetch-changes-csv.ndjson" | sort >"$TMP/in-keys"
	jq -c '[.id, .src, .scope]' "$TMP/out" | sort -u >"$TMP/out-keys"
	[ "$(wc -l <"$TMP/in-keys")" -eq 80 ]
	diff -u "$TMP/in-keys" "$TMP/out-keys"
	# each output line is a request or carries a status, never both nor neither
	[ "$(jq -s 'map(select((has("op") and has("method") and has("path")) != (has("status") | not))) | length' "$TMP/out")" -eq 0 ]
	# an unchanged record yields that one line only
	[ "$(jq -r 'select(.status == "unchanged") | .src + " " + .scope' "$TMP/out" | sort | uniq -d | wc -l)" -eq 0 ]
	for key in $(jq -r 'select(.status == "unchanged") | (.src + "|" + .scope)' "$TMP/out"); do
		[ "$(jq -r --arg k "$key" 'select(.src + "|" + .scope == $k) | 1' "$TMP/out" | wc -l)" -eq 1 ]
	done
}

@test "merge: a fetch error passes through as failed with the error" {
	echo '{"id":"00000000-0000-4000-8000-000000000000","src":"x.csv:9","scope":"non-routing","changes":{"title":"Ghost"},"error":{"status":404,"message":"user not found in the snapshot"}}' >"$TMP/in"
	run --separate-stderr gcu-merge "$TMP/in"
	[ "$status" -eq 1 ]
	[ "$output" = '{"id":"00000000-0000-4000-8000-000000000000","src":"x.csv:9","scope":"non-routing","status":"failed","error":{"status":404,"message":"user not found in the snapshot"}}' ]
	[[ "$stderr" == *"1 records: 0 requests, 0 unchanged, 1 failed"* ]]
}

@test "merge: a user whose changes already hold gives one unchanged line" {
	echo '{"id":"a06bcdfe-7533-40fd-a339-11c082f5e35d","src":"x.csv:2","scope":"non-routing","changes":{"title":"Quality Analyst","department":"Billing"},"current":{"version":9,"title":"Quality Analyst","department":"Billing"}}' >"$TMP/in"
	run --separate-stderr gcu-merge "$TMP/in"
	[ "$status" -eq 0 ]
	[ "$output" = '{"id":"a06bcdfe-7533-40fd-a339-11c082f5e35d","src":"x.csv:2","scope":"non-routing","status":"unchanged"}' ]
}

@test "merge: a record that cannot be merged is failed, not dropped" {
	echo '{"id":"a06bcdfe-7533-40fd-a339-11c082f5e35d","src":"x.csv:2","scope":"non-routing","changes":{"title":"Lead"},"current":{"title":"Agent"}}' >"$TMP/in"
	run --separate-stderr gcu-merge "$TMP/in"
	[ "$status" -eq 1 ]
	[ "$(jq -r '.status + " " + (.error.message | test("version") | tostring)' <<<"$output")" = "failed true" ]
}

@test "merge: input that is not a fetched record is rejected by line number" {
	printf '%s\n' 'not json' \
		'{"id":"a06bcdfe-7533-40fd-a339-11c082f5e35d","src":"x.csv:2","scope":"non-routing","changes":{"title":"Lead"}}' \
		'{"id":"../../authorization/roles","scope":"non-routing","changes":{"title":"Lead"},"current":{"version":1}}' >"$TMP/in"
	run --separate-stderr gcu-merge "$TMP/in"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ "$stderr" == *"$TMP/in:1: invalid JSON"* ]]
	[[ "$stderr" == *"$TMP/in:2: neither current nor error"* ]]
	[[ "$stderr" == *"$TMP/in:3: id '../../authorization/roles' is not a UUID"* ]]
	[[ "$stderr" == *"3 records: 0 requests, 0 unchanged, 0 failed, 3 rejected"* ]]
}

@test "merge: a full disk on stdout exits 74" {
	run --separate-stderr sh -c "gcu-merge $GOLDEN/fetch-changes-csv.ndjson >/dev/full"
	[ "$status" -eq 74 ]
	[[ "$stderr" == *"No space left on device"* ]]
}

@test "merge: --help, --version and a bad option" {
	run gcu-merge --help
	[ "$status" -eq 0 ]
	run gcu-merge --version
	[[ "$output" =~ ^gcu-merge\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	run --separate-stderr gcu-merge --bogus
	[ "$status" -eq 64 ]
}
