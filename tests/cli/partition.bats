#!/usr/bin/env bats
# partition.bats - gcu-partition as a whole program.
#
# Covers the sample change sets against golden files (CSV from a file,
# NDJSON from standard input, one scope only, --split into two files
# written atomically), the bad-input samples (one "file:line: reason" per
# bad record, the --rejects copy with the CSV header first, --strict), and
# the exit codes a caller relies on: 0, 1, 64 usage, 65 bad input,
# 66 missing input, 74 unwritable output. Fed gcu-resolve's records, it
# keeps their src and key and names the change file's lines; fed names
# where ids belong, it refuses them and points to gcu-resolve. A
# spreadsheet's header: a near miss is named, empty header cells hold
# nothing. Goldens were generated with the programs and checked by eye;
# regenerate them only after the same check.

load helpers
bats_require_minimum_version 1.5.0

GOLDEN=$ROOT/tests/cli/golden

setup() {
	cd "$ROOT"
	TMP=$(mktemp -d "${BATS_TEST_TMPDIR:-/tmp}/part.XXXXXX")
}

# refused NAME TEXT REASON: gcu-partition given a file NAME holding TEXT
# (printf escapes) stops at its header with 65, writes nothing, and says
# NAME and REASON.
refused() {
	printf '%b' "$2" >"$TMP/$1"
	run --separate-stderr gcu-partition "$TMP/$1"
	echo "$stderr"
	[ "$status" -eq 65 ]
	[ -z "$output" ]
	[[ "$stderr" == *"$1"*"$3"* ]]
}

@test "partition: changes.csv equals the golden output" {
	run --separate-stderr gcu-partition testdata/changes.csv
	[ "$status" -eq 0 ]
	diff -u "$GOLDEN/partition-changes-csv.ndjson" <(printf '%s\n' "$output")
	[[ "$stderr" == *"60 records: 60 accepted (50 non-routing, 30 routing), 0 folded, 0 rejected"* ]]
}

@test "partition: --scope routing keeps only the routing records" {
	gcu-partition -q --scope routing testdata/changes.csv >"$TMP/out"
	jq -c 'select(.scope == "routing")' "$GOLDEN/partition-changes-csv.ndjson" >"$TMP/want"
	[ "$(wc -l <"$TMP/want")" -eq 30 ]
	diff -u "$TMP/want" "$TMP/out"
}

@test "partition: --split PREFIX writes both scope files and leaves no temp file" {
	gcu-partition -q --split "$TMP/run" testdata/changes.csv >"$TMP/stdout"
	[ ! -s "$TMP/stdout" ]
	jq -c 'select(.scope == "non-routing")' "$GOLDEN/partition-changes-csv.ndjson" >"$TMP/want-nr"
	jq -c 'select(.scope == "routing")' "$GOLDEN/partition-changes-csv.ndjson" >"$TMP/want-r"
	diff -u "$TMP/want-nr" "$TMP/run.non-routing.ndjson"
	diff -u "$TMP/want-r" "$TMP/run.routing.ndjson"
	run ls "$TMP"
	[ "$output" = "$(printf '%s\n' run.non-routing.ndjson run.routing.ndjson stdout want-nr want-r)" ]
}

@test "partition: --format ndjson on standard input equals the golden output" {
	run --separate-stderr gcu-partition --format ndjson <testdata/changes.ndjson
	[ "$status" -eq 0 ]
	diff -u "$GOLDEN/partition-changes-ndjson.ndjson" <(printf '%s\n' "$output")
}

@test "partition: a pipe on standard input (not seekable) gives the same records" {
	cat testdata/changes.csv | gcu-partition -q --format csv - >"$TMP/out"
	sed 's/"src":"testdata\/changes.csv:/"src":"stdin:/' "$GOLDEN/partition-changes-csv.ndjson" >"$TMP/want"
	diff -u "$TMP/want" "$TMP/out"
	# repeated users are found in a pipe too (the input is read twice)
	{ cat testdata/changes.csv; sed -n 2p testdata/changes.csv; } |
		gcu-partition --format csv 2>"$TMP/err" >"$TMP/out2"
	grep -q '1 folded' "$TMP/err"
	[ "$(wc -l <"$TMP/out2")" -eq 80 ]
}

@test "partition: bad CSV rows are reported one per line and the rest goes through" {
	run --separate-stderr gcu-partition --max-line 200 testdata/bad-changes.csv
	[ "$status" -eq 1 ]
	diff -u "$GOLDEN/partition-bad-csv.ndjson" <(printf '%s\n' "$output")
	f=testdata/bad-changes.csv
	[[ "$stderr" == *"$f:3: id 'not-a-uuid' is not a UUID"* ]]
	[[ "$stderr" == *"$f:4: id '../../authorization/roles' is not a UUID"* ]]
	[[ "$stderr" == *"$f:5: column 'acdAutoAnswer': 'maybe' is not true or false"* ]]
	[[ "$stderr" == *"$f:6: column 'skills': 'y' is not a proficiency"* ]]
	[[ "$stderr" == *"$f:7: routingStatus: expected OFF_QUEUE"* ]]
	[[ "$stderr" == *"$f:8: 8 cells where the header has 7"* ]]
	[[ "$stderr" == *"$f:9: malformed CSV"* ]]
	[[ "$stderr" == *"$f:11: "*"longer than 200 bytes"* ]]
	[[ "$stderr" == *"$f:12: user 6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e09: rows disagree on 'title'"* ]]
	[[ "$stderr" == *"$f:13: user 6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e09: rows disagree on 'title'"* ]]
	[[ "$stderr" == *"$f:18: routingSkills: 'not-a-skill' is not a skill id (UUID); gcu-resolve turns names and emails into ids"* ]]
	# exactly one message per bad record, plus the summary
	[ "$(grep -c "^gcu-partition: $f:[0-9]*: " <<<"$stderr")" -eq 11 ]
	[[ "$stderr" == *"17 records: 5 accepted (4 non-routing, 2 routing), 1 folded, 11 rejected"* ]]
}

@test "partition: --rejects gets the header and the original text of each bad row" {
	run gcu-partition -q --max-line 200 --rejects "$TMP/rej.csv" testdata/bad-changes.csv
	[ "$status" -eq 1 ]
	# header, rows 3-9, the overlong row 11 (its text is not kept), 12, 13, 18
	{
		sed -n '1p;3,9p' testdata/bad-changes.csv
		echo
		sed -n '12,13p;18p' testdata/bad-changes.csv
	} >"$TMP/want"
	diff -u "$TMP/want" "$TMP/rej.csv"
	# the rejects file is itself a CSV that gcu-partition reads back
	run gcu-partition -q "$TMP/rej.csv"
	[ "$status" -eq 1 ]
}

@test "partition: bad NDJSON records are reported with their line numbers" {
	run --separate-stderr gcu-partition --rejects "$TMP/rej.ndjson" testdata/bad-changes.ndjson
	[ "$status" -eq 1 ]
	f=testdata/bad-changes.ndjson
	[[ "$stderr" == *"$f:2: invalid JSON"* ]]
	[[ "$stderr" == *"$f:3: not a JSON object"* ]]
	[[ "$stderr" == *"$f:4: unknown key 'note'"* ]]
	[[ "$stderr" == *"$f:5: unknown field 'roles'"* ]]
	[[ "$stderr" == *"$f:6: acdAutoAnswer: expected true or false"* ]]
	[[ "$stderr" == *"$f:7: missing id"* ]]
	[[ "$stderr" == *"$f:8: no changes for this user"* ]]
	[[ "$stderr" == *"$f:10: routingSkills: 3cbb7daa-64c1-44fa-88a7-c8252abc5619: proficiency must be"* ]]
	[[ "$stderr" == *"$f:11: routingStatus: cannot be cleared"* ]]
	[ "$(grep -c "^gcu-partition: $f:" <<<"$stderr")" -eq 9 ]
	[ "$(jq -r .src <<<"$output" | sort -u | tr '\n' ' ')" = "$f:1 $f:12 " ]
	sed -n '2,8p;10,11p' "$f" | diff -u - "$TMP/rej.ndjson"
}

@test "partition: --strict exits 65 at the first bad record" {
	run --separate-stderr gcu-partition --strict --max-line 200 testdata/bad-changes.csv
	[ "$status" -eq 65 ]
	[ "$(grep -c 'bad-changes.csv:[0-9]*: ' <<<"$stderr")" -eq 1 ]
	[[ "$stderr" == *"bad-changes.csv:3: id 'not-a-uuid' is not a UUID"* ]]
	[[ "$stderr" == *"(stopped: --strict)"* ]]
	[ "$(jq -r .src <<<"$output")" = "testdata/bad-changes.csv:2" ]
}

@test "partition: two rows for one user that agree are folded into one record per scope" {
	printf '%s\n' 'id,title,routingStatus' \
		'6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e01,Lead,' \
		'6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e02,Agent,' \
		'6F1B1A2E-0C2D-4B8E-9A41-0A1B2C3D4E01,Lead,IDLE' >"$TMP/dup.csv"
	run --separate-stderr gcu-partition "$TMP/dup.csv"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[ "$(jq -c 'select(.id | test("4e01$";"i")) | [.scope, .changes, .src]' <<<"$output" | tr '\n' ' ')" = \
		"[\"non-routing\",{\"title\":\"Lead\"},\"$TMP/dup.csv:2\"] [\"routing\",{\"routingStatus\":\"IDLE\"},\"$TMP/dup.csv:2\"] " ]
	[[ "$stderr" == *"1 folded"* ]]
}

@test "partition: an unknown CSV column exits 65 and names it" {
	refused u.csv 'id,title,favouriteColour\n6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e01,Lead,blue\n' \
		":1: unknown column 'favouriteColour'"
}

@test "partition: a spreadsheet's header: a column in another case is named with its near miss; empty header cells hold nothing" {
	refused case.csv 'id,Title\n6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e01,Lead\n' \
		":1: unknown column 'Title' (name a field or map it under csv.columns in the config); did you mean 'title'?"
	# Columns once formatted leave empty header cells, and empty cells
	# under them, on every line: nothing to change, so nothing is refused.
	printf 'id,title,,\r\n6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e01,Lead,,\r\n6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e02,Agent,,stray\r\n,Nobody,,\r\n' >"$TMP/wide.csv"
	run --separate-stderr gcu-partition "$TMP/wide.csv"
	[ "$status" -eq 1 ]
	[ "$(jq -c .changes <<<"$output")" = '{"title":"Lead"}' ]
	[[ "$stderr" == *"wide.csv:3: a value in column 4, which the header leaves unnamed"* ]]
	# A row whose key cell is empty is refused, not read.
	[[ "$stderr" == *"wide.csv:4: id: expected a non-empty string"* ]]
}

@test "partition: any bad CSV header exits 65, not 74" {
	printf 'title,department\nA,B\n' >"$TMP/noid.csv"
	run --separate-stderr gcu-partition "$TMP/noid.csv"
	[[ "$stderr" == *"noid.csv:1: no column names the user: the header needs one of id, email, username or employeeId"* ]]
	[ "$status" -eq 65 ]
	printf 'id,"title\n' >"$TMP/badquote.csv"
	run --separate-stderr gcu-partition "$TMP/badquote.csv"
	[[ "$stderr" == *"badquote.csv:1: header: malformed CSV"* ]]
	[ "$status" -eq 65 ]
}

@test "partition: --split leaves no file behind when the input is refused" {
	printf 'id,favouriteColour\n' >"$TMP/u.csv"
	run --separate-stderr gcu-partition --split "$TMP/run" "$TMP/u.csv"
	[ "$status" -eq 65 ]
	run ls "$TMP"
	[ "$output" = "u.csv" ]
}

@test "partition: a missing input file exits 66" {
	run --separate-stderr gcu-partition "$TMP/nonexistent.csv"
	[ "$status" -eq 66 ]
	[[ "$stderr" == *"nonexistent.csv: No such file or directory"* ]]
}

@test "partition: a full disk on stdout exits 74 with a message" {
	run --separate-stderr sh -c 'gcu-partition testdata/changes.csv >/dev/full'
	[ "$status" -eq 74 ]
	[[ "$stderr" == *"stdout: No space left on device"* ]]
}

@test "partition: --split into an unwritable place exits 73 and leaves nothing" {
	run --separate-stderr gcu-partition --split "$TMP/no/such/dir/run" testdata/changes.csv
	[ "$status" -eq 73 ]
	[[ "$stderr" == *"$TMP/no/such/dir/run"* ]]
}

@test "partition: --help exits 0, --version prints the version" {
	run gcu-partition --help
	[ "$status" -eq 0 ]
	[[ "$output" == usage:\ gcu-partition* ]]
	[[ "$output" == *"--strict"* ]]
	run gcu-partition --version
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^gcu-partition\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "partition: a bad option or a bad --scope exits 64 with the usage" {
	run --separate-stderr gcu-partition --no-such-option testdata/changes.csv
	[ "$status" -eq 64 ]
	[[ "$stderr" == *"usage: gcu-partition"* ]]
	run --separate-stderr gcu-partition --scope everything testdata/changes.csv
	[ "$status" -eq 64 ]
	run --separate-stderr gcu-partition --format xml testdata/changes.csv
	[ "$status" -eq 64 ]
	run --separate-stderr gcu-partition a.csv b.csv
	[ "$status" -eq 64 ]
}

@test "partition: a change of state to deleted is refused: gcu never deletes a user" {
	printf 'id,state,title\n%s,deleted,x\n%s,inactive,y\n' \
		6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e01 0b9e8a7c-1d2e-4f30-8a41-5b6c7d8e9f02 >"$BATS_TEST_TMPDIR/c.csv"
	run --separate-stderr gcu-partition "$BATS_TEST_TMPDIR/c.csv"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"c.csv:2: state: expected active or inactive (gcu does not delete users)"* ]]
	[ "$(jq -r .id <<<"$output")" = 0b9e8a7c-1d2e-4f30-8a41-5b6c7d8e9f02 ]
}

@test "partition: records from gcu-resolve keep their src and key; rejections name the change file's lines" {
	a=6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e01
	cat >"$TMP/resolved.ndjson" <<-EOF
		{"id":"$a","key":"email:ann@x.com","src":"hr.csv:2","changes":{"title":"Lead"}}
		{"id":"$a","src":"hr.csv:5","changes":{"department":"Sales"}}
		{"id":"6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e02","key":"email:bo@x.com","src":"hr.csv:3","changes":{"title":"A"}}
		{"id":"6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e02","src":"hr.csv:7","changes":{"title":"B"}}
	EOF
	run --separate-stderr gcu-partition "$TMP/resolved.ndjson"
	[ "$status" -eq 1 ]
	# A row by email and a row by id for one user fold into one record,
	# with the first row's src and key.
	[ "$output" = '{"id":"'$a'","src":"hr.csv:2","key":"email:ann@x.com","scope":"non-routing","changes":{"title":"Lead","department":"Sales"}}' ]
	[[ "$stderr" == *"hr.csv:3: user 6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e02: rows disagree on 'title'"* ]]
	[[ "$stderr" == *"hr.csv:7: user 6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e02: rows disagree on 'title'"* ]]
	[[ "$stderr" != *"resolved.ndjson:"* ]]
}

@test "partition: names where ids belong are refused with the way out" {
	refused hr.csv 'email,title\nann@x.com,Lead\n' \
		": the header names users by email; gcu-partition takes ids: gcu-resolve turns them into ids"
	printf '{"email":"ann@x.com","changes":{"title":"Lead"}}\n{"id":"6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e01","changes":{"manager":"bo@x.com","routingLanguages":{"French":3}}}\n' >"$TMP/hr.ndjson"
	run --separate-stderr gcu-partition "$TMP/hr.ndjson"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"hr.ndjson:1: names its user by email ('ann@x.com'), not by id: gcu-resolve turns it into the id"* ]]
	[[ "$stderr" == *"hr.ndjson:2: "*"gcu-resolve turns names and emails into ids"* ]]
}
