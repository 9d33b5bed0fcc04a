#!/usr/bin/env bash
# offline.sh - throughput and memory of the offline stages against jq.
#
# Generates N change records, then times gcu-partition and gcu-merge next
# to jq programs that do the same work, in the same run, alternating, best
# of RUNS runs each. Prints one markdown section on stdout (the heading,
# what was measured, the table, the machine and the command) for
# bench/results/offline.md, which `make bench-offline` writes; progress
# goes to stderr.
#
# Environment: N records (default 500000, about a minute on 2 cores),
# RUNS (default 1), GCU_BIN (default bin/). The published figures come from
# N=1000000 RUNS=2, some four minutes.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${GCU_BIN:-$here/bin}
n=${N:-500000}
runs=${RUNS:-1}
work=$(mktemp -d "${TMPDIR:-/tmp}/gcu-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
load=$(cut -d' ' -f1 /proc/loadavg)

# shellcheck source=bench/lib.bash
. "$here/bench/lib.bash" # commas

echo "offline.sh: generating $n change records" >&2

# Change records: a title for every user, a routing skill for every third.
awk -v n="$n" 'BEGIN {
	srand(42);
	for (i = 0; i < n; i++) {
		id = sprintf("%08x-%04x-4%03x-8%03x-%012x", i, i % 65536, i % 4096, (i * 7) % 4096, i * 13);
		if (i % 3 == 0)
			printf "{\"id\":\"%s\",\"changes\":{\"title\":\"Agent %d\",\"routingSkills\":{\"3cbb7daa-64c1-44fa-88a7-c8252abc5619\":%d}}}\n", id, i % 97, i % 5 + 1;
		else
			printf "{\"id\":\"%s\",\"changes\":{\"title\":\"Agent %d\",\"department\":\"Support\"}}\n", id, i % 97;
	}
}' >"$work/changes.ndjson"

# Fetched records for the merge benchmark: half already hold the change.
echo "offline.sh: planning the fetched records for gcu-merge" >&2
"$bin/gcu-partition" -q --scope non-routing "$work/changes.ndjson" |
	jq -c '. + {current: {version: 3, title: (if (.id[0:8] | tonumber? // 1) % 2 == 0 then .changes.title else "Old" end), department: "Support"}}' \
		>"$work/fetched.ndjson"

# shellcheck disable=SC2016 # jq variables, not shell ones
partition_jq='. as $r
  | ($r.changes | with_entries(select(.key | IN("routingSkills","routingLanguages","routingStatus")))) as $rt
  | ($r.changes | with_entries(select(.key | IN("routingSkills","routingLanguages","routingStatus") | not))) as $nr
  | (if ($nr | length) > 0 then {id: $r.id, src: "changes.ndjson:\(input_line_number)", scope: "non-routing", changes: $nr} else empty end),
    (if ($rt | length) > 0 then {id: $r.id, src: "changes.ndjson:\(input_line_number)", scope: "routing", changes: $rt} else empty end)'
# shellcheck disable=SC2016
merge_jq='. as $r
  | ($r.changes | to_entries | map(select(.value != $r.current[.key])) | from_entries) as $d
  | if ($d | length) == 0 then {id, src, scope, status: "unchanged"}
    else {id, src, scope, op: "user", method: "PATCH", path: "/api/v2/users/\(.id)",
          body: ({id, version: .current.version} + $d), changes} end'

# measure NAME CMD...: best wall seconds and peak RSS (KiB) over $runs runs.
measure() {
	local name=$1 best='' rss=0 t m
	shift
	echo "offline.sh: timing $name" >&2
	for _ in $(seq "$runs"); do
		/usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null
		read -r t m <"$work/time"
		if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$t; fi
		[ "$m" -gt "$rss" ] && rss=$m
	done
	echo "$name $best $rss"
}

{
	measure gcu-partition "$bin/gcu-partition" -q "$work/changes.ndjson"
	measure jq-partition jq -c "$partition_jq" "$work/changes.ndjson"
	measure gcu-merge "$bin/gcu-merge" -q "$work/fetched.ndjson"
	measure jq-merge jq -c "$merge_jq" "$work/fetched.ndjson"
} >"$work/results"

records_merge=$(wc -l <"$work/fetched.ndjson")
case $runs in
1) each="one run each" ;;
2) each="best of two runs each" ;;
3) each="best of three runs each" ;;
*) each="best of $runs runs each" ;;
esac
echo "## Offline stages against jq"
echo
# shellcheck disable=SC2016 # the backquotes are markdown, not expansions
printf '`N=%s RUNS=%s bench/offline.sh` (also `make bench-offline N=%s RUNS=%s`)\n' \
	"$n" "$runs" "$n" "$runs"
echo "generates $(commas "$n") change records, then times gcu-partition and gcu-merge"
echo "next to jq programs doing the same work ($each, same input, same run)."
echo
awk -v n="$n" -v nm="$records_merge" '
	{ t[$1] = $2; m[$1] = $3 }
	END {
		printf "| stage | records | gcu s | gcu rec/s | gcu peak RSS | jq s | jq rec/s | gcu/jq |\n"
		printf "|---|---|---|---|---|---|---|---|\n"
		split("partition merge", s, " ")
		for (i = 1; i <= 2; i++) {
			k = s[i]; r = (k == "merge") ? nm : n
			g = t["gcu-" k]; j = t["jq-" k]
			printf "| %s | %d | %.2f | %.0f | %.1f MB | %.2f | %.0f | %.1fx |\n", k, r, g, r / g,
				m["gcu-" k] / 1024, j, r / j, j / g
		}
	}' "$work/results"
echo
awk -v n="$n" -v nc="$(commas "$n")" 'BEGIN {
	printf "gcu-partition reads its input twice: the first pass keeps 8 bytes per record\n"
	printf "(%.1f MB for these %s records) to find users that appear twice.\n", 8 * n / 1048576, nc
}'
echo
echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)," \
	"$(date -u +%Y-%m-%d); load average $load at the start."
