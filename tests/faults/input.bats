#!/usr/bin/env bats
# input.bats - bytes that are not text, and CSV that is not well formed.
#
# A NUL byte, invalid UTF-8, an escaped lone surrogate or a key written
# twice must not slip through any stage, cut, replaced or half-read: each
# is a rejected record naming file:line and the reason, the exit status is
# 1, and the good records around it still come out; the first such row of
# a spreadsheet's Windows-1252 export says how to convert the file, and a
# UTF-16 one is refused whole, saying so. The NDJSON checks live
# in the parser every stage shares, so besides gcu-partition they are run
# through gcu-merge, gcu-fetch --snapshot and gcu-send --dry-run. A CSV
# quote that never closes must not swallow the rows after it, a short row
# is refused like a long one, and gcu-partition's summary adds up to the
# input's data lines whatever is malformed.

load faults
bats_require_minimum_version 1.5.0

U1=6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e01
U2=6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e02
U3=6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e03
U4=6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e04
U5=6f1b1a2e-0c2d-4b8e-9a41-0a1b2c3d4e05

setup() {
	W=$BATS_TEST_TMPDIR
}

teardown() {
	faults_teardown
}

# srcs: the src of every record on stdin, space-separated, in order.
srcs() {
	jq -r .src | tr '\n' ' '
}

# said FILE:LINE REASON: the stage's stderr ($stderr) names that line with
# that reason, once.
said() {
	local n
	n=$(grep -cF -- ": $1: $2" <<<"$stderr" || true)
	if [ "$n" -ne 1 ]; then
		echo "wanted once on stderr: $1: $2 (found $n times); stderr was:"
		printf '%s\n' "$stderr"
		return 1
	fi
}

# merge_refuses N SED-EXPRESSION REASON: the sample changes partitioned
# and fetched from the snapshot ($W/p.ndjson, $W/f.ndjson), line N of the
# fetched records changed by sed; gcu-merge names that line with REASON,
# exits 1, and merges every other line.
merge_refuses() {
	gcu-partition -q --scope non-routing "$CHANGES" >"$W/all.ndjson"
	head -4 "$W/all.ndjson" >"$W/p.ndjson"
	gcu-fetch -q --snapshot "$ORG" "$W/p.ndjson" >"$W/f.ndjson"
	[ "$(wc -l <"$W/f.ndjson")" -eq 4 ]
	sed "$1{$2}" "$W/f.ndjson" >"$W/bad.ndjson"
	! cmp -s "$W/f.ndjson" "$W/bad.ndjson"
	run --separate-stderr gcu-merge "$W/bad.ndjson"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"$W/bad.ndjson:$1: $3"* ]]
	[ "$(srcs <<<"$output")" = "$(sed "$1d" "$W/f.ndjson" | srcs)" ]
}

# send_refuses N SED-EXPRESSION REASON: $W/f.ndjson merged into requests,
# line N (one of the first two, both requests) changed by sed; gcu-send
# --dry-run names that line with REASON, exits 1, prints every other
# request as it does for the unchanged file, and gives the bad line a
# rejected result with that reason.
send_refuses() {
	local path
	gcu-merge -q "$W/f.ndjson" >"$W/m.ndjson"
	gcu-send -q --dry-run "$W/m.ndjson" >"$W/sent"
	[ "$(head -2 "$W/m.ndjson" | jq -r .method | tr '\n' ' ')" = "PATCH PATCH " ]
	sed "$1{$2}" "$W/m.ndjson" >"$W/bad-m.ndjson"
	run --separate-stderr gcu-send --dry-run "$W/bad-m.ndjson"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"$W/bad-m.ndjson:$1: $3"* ]]
	path=$(sed -n "$1p" "$W/m.ndjson" | jq -r .path)
	diff <(grep -vF "$path " "$W/sent") <(printf '%s\n' "$output" | grep -v '^{"status":"rejected"')
	[ "$(printf '%s\n' "$output" | grep -c '^{"status":"rejected"')" = 1 ]
	printf '%s\n' "$output" | grep '^{"status":"rejected"' |
		jq -e --arg why "$3" --arg line "$W/bad-m.ndjson:$1" '(.error | startswith($why)) and .line == $line' >/dev/null
}

# spoil N SED-EXPRESSION: line N of $W/f.ndjson changed by sed, the rest
# as they are, into $W/bad.ndjson.
spoil() {
	sed "$1{$2}" "$W/f.ndjson" >"$W/bad.ndjson"
	! cmp -s "$W/f.ndjson" "$W/bad.ndjson"
}

@test "input: a NUL byte in a CSV cell rejects the row naming file:line and column, not a cut value" {
	printf 'id,title,department\n%s,Lead,Sales\n%s,nul\0in cell,x\n%s,"quoted\0nul",y\n%s,After,z\n' \
		"$U1" "$U2" "$U3" "$U4" >"$W/c.csv"
	run --separate-stderr gcu-partition --rejects "$W/rej.csv" "$W/c.csv"
	[ "$status" -eq 1 ]
	said "$W/c.csv:3" "NUL byte in column 'title'"
	said "$W/c.csv:4" "NUL byte in column 'title'"
	[ "$(srcs <<<"$output")" = "$W/c.csv:2 $W/c.csv:5 " ]
	! grep -q '"nul"' <<<"$output"
	# the rejects file keeps the lines as they were, NUL bytes and all
	cmp <(sed -n '1p;3,4p' "$W/c.csv") "$W/rej.csv"
}

@test "input: a NUL byte in an NDJSON line is named at its byte, in gcu-partition and gcu-merge" {
	printf '{"id":"%s","changes":{"title":"a"}}\n{"id":"%s","changes":{"title":"nul\0b"}}\n{"id":"%s","changes":{"title":"c"}}\n' \
		"$U1" "$U2" "$U3" >"$W/c.ndjson"
	run --separate-stderr gcu-partition "$W/c.ndjson"
	[ "$status" -eq 1 ]
	said "$W/c.ndjson:2" "NUL byte at byte 69"
	[[ "$stderr" != *"unexpected end of data"* ]]
	[ "$(srcs <<<"$output")" = "$W/c.ndjson:1 $W/c.ndjson:3 " ]

	merge_refuses 2 's/"src":"\([^"]*\)"/"src":"\1\x00"/' "NUL byte at byte "
}

@test "input: invalid UTF-8 in a CSV cell (FF FE, C3 28, overlong, surrogate, cut short) is rejected" {
	{
		printf 'id,title\n'
		printf '%s,Zo\xc3\xab \xf0\x9f\x98\x80\n' "$U1"
		printf '%s,bad \xff\xfe\n' "$U2"
		printf '%s,\xc3\x28\n' "$U3"
		printf '%s,\xc0\xaf\n' "$U4"
		printf '%s,\xed\xa0\x80\n' "$U5"
		printf '%s,cut \xe2\x82\n' "$U2"
		printf '%s,\xf4\x90\x80\x80\n' "$U3"
		printf '%s,After\n' "$U4"
	} >"$W/u.csv"
	run --separate-stderr gcu-partition "$W/u.csv"
	[ "$status" -eq 1 ]
	said "$W/u.csv:3" "invalid UTF-8 (byte FF) in column 'title'"
	said "$W/u.csv:4" "invalid UTF-8 (bytes C3 28) in column 'title'"
	said "$W/u.csv:5" "invalid UTF-8 (byte C0) in column 'title'"
	said "$W/u.csv:6" "invalid UTF-8 (bytes ED A0) in column 'title'"
	said "$W/u.csv:7" "invalid UTF-8 (bytes E2 82) in column 'title'"
	said "$W/u.csv:8" "invalid UTF-8 (bytes F4 90) in column 'title'"
	[ "$(srcs <<<"$output")" = "$W/u.csv:2 $W/u.csv:9 " ]
	[ "$(jq -r .changes.title <<<"$output" | head -1)" = "$(printf 'Zo\xc3\xab \xf0\x9f\x98\x80')" ]
}

@test "input: a spreadsheet's Windows-1252 or UTF-16 export says, once, how to convert it; converted, it reads" {
	printf 'id,title\n%s,Caf\xe9 Lead\n%s,Cr\xe8me\n%s,Plain\n' "$U1" "$U2" "$U3" >"$W/cp.csv"
	run --separate-stderr gcu-partition "$W/cp.csv"
	[ "$status" -eq 1 ]
	said "$W/cp.csv:2" "invalid UTF-8 (bytes E9 20) in column 'title'; if the file was saved as Windows-1252 or Latin-1, convert it first: iconv -f WINDOWS-1252 -t UTF-8 $W/cp.csv"
	said "$W/cp.csv:3" "invalid UTF-8 (bytes E8 6D) in column 'title'"
	[ "$(grep -c iconv <<<"$stderr")" -eq 1 ]
	iconv -f WINDOWS-1252 -t UTF-8 "$W/cp.csv" >"$W/utf8.csv"
	run --separate-stderr gcu-partition "$W/utf8.csv"
	[ "$status" -eq 0 ]
	[ "$(jq -r .changes.title <<<"$output" | head -1)" = "Café Lead" ]
	# "Unicode text": UTF-16 with its byte-order mark, refused whole.
	iconv -f UTF-8 -t UTF-16 "$W/utf8.csv" >"$W/u16.csv"
	run --separate-stderr gcu-partition "$W/u16.csv"
	[ "$status" -eq 65 ]
	[[ $stderr == *"$W/u16.csv:1: the file is UTF-16 (as a spreadsheet's \"Unicode text\" is); gcu reads UTF-8: convert it first: iconv -f UTF-16 -t UTF-8 $W/u16.csv"* ]]
	[ -z "$output" ]
}

@test "input: invalid UTF-8 in an NDJSON line is rejected by gcu-partition, gcu-merge and gcu-send" {
	{
		printf '{"id":"%s","changes":{"title":"ok"}}\n' "$U1"
		printf '{"id":"%s","changes":{"title":"\xff\xfe"}}\n' "$U2"
		printf '{"id":"%s","changes":{"title":"\xc3\x28"}}\n' "$U3"
		printf '{"id":"%s","changes":{"title":"\xed\xa0\x80"}}\n' "$U4"
		printf '{"id":"%s","changes":{"title":"\xe0\x80\xaf"}}\n' "$U5"
	} >"$W/u.ndjson"
	run --separate-stderr gcu-partition "$W/u.ndjson"
	[ "$status" -eq 1 ]
	said "$W/u.ndjson:2" "invalid UTF-8 (byte FF) at byte 66"
	said "$W/u.ndjson:3" "invalid UTF-8 (bytes C3 28) at byte 66"
	said "$W/u.ndjson:4" "invalid UTF-8 (bytes ED A0) at byte 66"
	said "$W/u.ndjson:5" "invalid UTF-8 (bytes E0 80) at byte 66"
	[ "$(srcs <<<"$output")" = "$W/u.ndjson:1 " ]

	merge_refuses 3 's/"src":"\([^"]*\)"/"src":"\1\xc3\x28"/' "invalid UTF-8 (bytes C3 28) at byte "

	# a request whose body holds a byte that is not text is never sent
	send_refuses 1 's/"version":\([0-9]*\),/"version":\1,"title":"\xff",/' \
		"invalid UTF-8 (byte FF) at byte "
}

@test "input: an escaped lone surrogate is rejected, not replaced; a surrogate pair passes" {
	{
		printf '{"id":"%s","changes":{"title":"\\ud83d\\ude00 ok"}}\n' "$U1"
		printf '{"id":"%s","changes":{"title":"\\ud800"}}\n' "$U2"
		printf '{"id":"%s","changes":{"title":"\\ud800\\u0041"}}\n' "$U3"
		printf '{"id":"%s","changes":{"title":"x\\udc00"}}\n' "$U4"
		printf '{"id":"%s","changes":{"title":"\\\\ud800 is text"}}\n' "$U5"
	} >"$W/s.ndjson"
	run --separate-stderr gcu-partition "$W/s.ndjson"
	[ "$status" -eq 1 ]
	said "$W/s.ndjson:2" 'lone surrogate \ud800 at byte 66 (not a character)'
	said "$W/s.ndjson:3" 'lone surrogate \ud800 at byte 66 (not a character)'
	said "$W/s.ndjson:4" 'lone surrogate \udc00 at byte 67 (not a character)'
	[ "$(srcs <<<"$output")" = "$W/s.ndjson:1 $W/s.ndjson:5 " ]
	[ "$(jq -r .changes.title <<<"$output" | tr '\n' '|')" = "$(printf '\xf0\x9f\x98\x80 ok|\\ud800 is text|')" ]
	! grep -q "$(printf '\xef\xbf\xbd')" <<<"$output"

	merge_refuses 4 's/"src":"\([^"]*\)"/"src":"\1\\udbff"/' 'lone surrogate \udbff at byte '
}

@test "input: an object holding a key twice, at any depth, is rejected naming the key" {
	{
		printf '{"id":"%s","changes":{"title":"a"}}\n' "$U1"
		printf '{"id":"%s","changes":{"title":"a"},"changes":{"title":"b"}}\n' "$U2"
		printf '{"id":"%s","changes":{"title":"a","department":"x","title":"b"}}\n' "$U3"
		printf '{"id":"%s","changes":{"employerInfo":{"employeeId":"1","employeeId":"2"}}}\n' "$U4"
		printf '{"id":"%s","changes":{"title":"a","\\u0074itle":"b"}}\n' "$U5"
	} >"$W/d.ndjson"
	run --separate-stderr gcu-partition "$W/d.ndjson"
	[ "$status" -eq 1 ]
	said "$W/d.ndjson:2" "duplicate key 'changes' at byte 70"
	said "$W/d.ndjson:3" "duplicate key 'title' at byte 86"
	said "$W/d.ndjson:4" "duplicate key 'employeeId' at byte 90"
	said "$W/d.ndjson:5" "duplicate key 'title' at byte 69"
	[ "$(srcs <<<"$output")" = "$W/d.ndjson:1 " ]

	# in a CSV cell holding JSON too
	printf 'id,employerInfo\n%s,"{""employeeId"":""1"",""employeeId"":""2""}"\n' "$U1" >"$W/d.csv"
	run --separate-stderr gcu-partition "$W/d.csv"
	[ "$status" -eq 1 ]
	said "$W/d.csv:2" "column 'employerInfo': duplicate key 'employeeId' at byte 19"

	merge_refuses 1 's/"changes":{/"changes":{"title":"first",/' "duplicate key 'title' at byte "

	# a snapshot user written twice over is no user to trust
	sed '1{s/"version":/"version":1,"version":/}' "$ORG" >"$W/org.ndjson"
	run --separate-stderr gcu-fetch --snapshot "$W/org.ndjson" "$W/p.ndjson"
	[[ "$stderr" == *"$W/org.ndjson:1: duplicate key 'version' at byte "* ]]

	# and a request with two versions is never sent
	send_refuses 2 's/"version":/"version":1,"version":/' "duplicate key 'version' at byte "
}

@test "input: a CSV quote that never closes swallows no good row after it" {
	printf 'id,title,department\n%s,First,\n%s,"stray,x\n%s,After,y\n\n%s,"two\nlines",z\n%s,Last,\n' \
		"$U1" "$U2" "$U3" "$U4" "$U5" >"$W/q.csv"
	run --separate-stderr gcu-partition --rejects "$W/rej.csv" "$W/q.csv"
	[ "$status" -eq 1 ]
	said "$W/q.csv:3" "malformed CSV: a quote opened on this line is not closed properly (line 6)"
	[ "$(srcs <<<"$output")" = "$W/q.csv:2 $W/q.csv:4 $W/q.csv:6 $W/q.csv:8 " ]
	[ "$(jq -r 'select(.src | endswith(":6")) | .changes.title' <<<"$output")" = "$(printf 'two\nlines')" ]
	cmp <(sed -n '1p;3p' "$W/q.csv") "$W/rej.csv"

	# one that runs to the end of the file
	printf 'id,title\n%s,"stray\n%s,After\n%s,Last\n' "$U1" "$U2" "$U3" >"$W/e.csv"
	run --separate-stderr gcu-partition "$W/e.csv"
	[ "$status" -eq 1 ]
	said "$W/e.csv:2" "malformed CSV: a quote opened on this line is never closed"
	[ "$(srcs <<<"$output")" = "$W/e.csv:3 $W/e.csv:4 " ]
	[[ "$stderr" == *"3 records: 2 accepted (2 non-routing, 0 routing), 0 folded, 1 rejected"* ]]
}

@test "input: a CSV row with fewer cells than the header is rejected, like a longer one" {
	printf 'id,title,department,email,acdAutoAnswer\n%s,Lead,Sales,a@x.com,true\n%s,Lead,Sales\n%s,Lead,Sales,a@x.com,true,extra\n%s,Agent,,,\n' \
		"$U1" "$U2" "$U3" "$U4" >"$W/s.csv"
	run --separate-stderr gcu-partition --rejects "$W/rej.csv" "$W/s.csv"
	[ "$status" -eq 1 ]
	said "$W/s.csv:3" "3 cells where the header has 5"
	said "$W/s.csv:4" "6 cells where the header has 5"
	[ "$(srcs <<<"$output")" = "$W/s.csv:2 $W/s.csv:5 " ]
	cmp <(sed -n '1p;3,4p' "$W/s.csv") "$W/rej.csv"
	run gcu-partition --help
	[[ "$output" == *"fewer or more cells than the header"* ]]
}

@test "input: gcu-partition's summary adds up to the data lines, whatever is malformed" {
	local i n=0 id
	{
		printf 'id,title,routingStatus\n'
		for i in $(seq 1 60); do
			id=$(printf '6f1b1a2e-0c2d-4b8e-9a41-%012d' "$i")
			case $((i % 10)) in
			1) printf '%s,"stray quote,\n' "$id" ;;
			3) printf '%s,short\n' "$id" ;;
			5) printf '%s,nul\0,\n' "$id" ;;
			7) printf '%s,\xc3\x28,IDLE\n' "$id" ;;
			9) printf '%s,"bad "quote",\n' "$id" ;;
			*) printf '%s,Agent %d,IDLE\n' "$id" "$i" ;;
			esac
		done
	} >"$W/m.csv"
	run --separate-stderr gcu-partition --rejects "$W/rej.csv" "$W/m.csv"
	[ "$status" -eq 1 ]
	summary=$(tail -n 1 <<<"$stderr")
	[[ "$summary" =~ ^gcu-partition:\ ([0-9]+)\ records:\ ([0-9]+)\ accepted\ \(([0-9]+)\ non-routing,\ ([0-9]+)\ routing\),\ ([0-9]+)\ folded,\ ([0-9]+)\ rejected$ ]]
	read -r records accepted nr r folded rejected <<<"${BASH_REMATCH[*]:1}"
	echo "$summary"
	[ "$records" -eq 60 ]
	[ "$((accepted + folded + rejected))" -eq "$records" ]
	[ "$rejected" -eq 30 ]
	[ "$nr" -eq "$(jq -c 'select(.scope == "non-routing")' <<<"$output" | wc -l)" ]
	[ "$r" -eq "$(jq -c 'select(.scope == "routing")' <<<"$output" | wc -l)" ]
	# every data line is either a record that came out or a named rejection
	{
		jq -r .src <<<"$output" | sed 's/.*://'
		grep -o "^gcu-partition: $W/m.csv:[0-9]*:" <<<"$stderr" | sed 's/.*csv:\([0-9]*\):/\1/'
	} | sort -nu >"$W/seen"
	seq 2 61 | diff - "$W/seen"
	[ "$(wc -l <"$W/rej.csv")" -eq $((rejected + 1)) ]
}
