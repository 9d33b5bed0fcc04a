#!/usr/bin/env bash
# send.sh - gcu-send against gcu-sim in the scenarios that decide whether
# it spends the quota the platform leaves it, with how few 429s, and with
# nothing lost.
#
#   A  honest headers: limit 300 per 3 s window (a minute scaled 20x),
#      background 20 req/s, latency 10-20 ms. Quota left: (300-60)/3 = 80/s.
#   B  the same with the rate headers stripped (rejected requests count).
#   C  A plus 5% 5xx, 2% connection resets and a competing writer.
#   D  no background, latency 200-400 ms: concurrency, not quota, binds.
#
# Correctness is read from the simulator's state, not from gcu's claims.
# Prints one markdown section on stdout (the heading, what was measured, the
# table, what it shows, the machine and the command) for
# bench/results/send.md, which `make bench-send` writes; progress and
# gcu-send's own summaries go to stderr. Environment: N users (default
# 3000), GCU_BIN (default bin/). Stops by itself in a few minutes.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${GCU_BIN:-$root/bin}
n=${N:-3000}
me=send.sh
# shellcheck source=bench/lib.bash
. "$root/bench/lib.bash"
bench_init
plan_titles "$n"

load=$(cut -d' ' -f1 /proc/loadavg)

# scenario NAME LABEL QUOTA_LEFT SIM_ARGS... -- ENV...: one run, one table
# row; the figures the prose needs go to $work/rows.
scenario() {
	local name=$1 label=$2 left=$3
	shift 3
	split_args "$@"
	echo "send.sh: scenario $name" >&2
	sim_up --users "$work/org.ndjson" "${sim_args[@]}"
	# Let the background traffic fill the window as it would on a busy org.
	sleep 3
	curl -sf -X POST "$GCU_API_BASE/__sim/reset-stats" >/dev/null
	local t0 t1
	t0=$(date +%s.%N)
	env "${envs[@]}" "$bin/gcu-send" --failed "$work/failed.$name" "$work/requests.ndjson" \
		>"$work/results.$name" 2>"$work/send.$name.log" || true
	t1=$(date +%s.%N)
	curl -sf "$GCU_API_BASE/__sim/stats" >"$work/stats.$name"
	curl -sf "$GCU_API_BASE/__sim/state" >"$work/state.$name"
	sim_down
	local wall ok sent r429 applied stamps
	wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	ok=$(jq -s '[.[] | select(.status == "ok")] | length' "$work/results.$name")
	sent=$(jq '.requests.total' "$work/stats.$name")
	r429=$(jq '.rate_limited' "$work/stats.$name")
	applied=$(jq -s '[.[] | select(.title == ("Lead " + .id[0:8]))] | length' "$work/state.$name")
	stamps=$(jq -s '[.[] | select(.wfmSyncStamp)] | length' "$work/state.$name")
	awk -v name="$name" -v label="$label" -v wall="$wall" -v ok="$ok" -v left="$left" \
		-v sent="$sent" -v r429="$r429" -v applied="$applied" -v n="$n" -v stamps="$stamps" \
		-v rows="$work/rows" 'BEGIN {
		good = ok / wall
		share = left > 0 ? 100 * good / left : -1
		printf "| %s %s | %.1f s | %.1f/s | %s | %s | %d (%.1f%%) | %.2f | %d/%d | %s |\n", name,
			label, wall, good, (left > 0 ? sprintf("%.0f/s", left) : "–"),
			(left > 0 ? sprintf("%.0f%%", share) : "–"), r429, 100 * r429 / sent, sent / n,
			applied, n, stamps
		printf "%s %.1f %.0f %.1f %d %d %d\n", name, share, sent, 100 * r429 / sent, applied,
			stamps, ok >>rows
	}'
	{
		echo "send.sh: scenario $name, gcu-send said:"
		tail -n 2 "$work/send.$name.log" | sed 's/^/    /'
	} >&2
}

fast=("${gcu_env[@]}")
# Resets and Retry-After to the millisecond, as in bench/compare.sh, so
# that the figures compare with its (bench/pacing.sh measures the
# platform's whole seconds).
common+=(--fractional-seconds)
latency_d=300 # D's mean latency in ms, jitter 100
{
	scenario A "honest headers, background $background/s, latency 10–20 ms" "$left" \
		"${common[@]}" -- "${fast[@]}"
	scenario B "headers stripped, rejected requests counted" "$left" "${common[@]}" \
		--strip-headers -- "${fast[@]}"
	scenario C "A + 5% 5xx, 2% resets, competing writer 8/s" "$left" "${common[@]}" --seed 7 \
		--error-rate 0.05 --reset-rate 0.02 --writer 8 -- "${fast[@]}"
	scenario D "no background, latency $((latency_d - 100))–$((latency_d + 100)) ms" 0 \
		--limit "$limit" --window "$window" --latency "$latency_d" --jitter 100 \
		--fractional-seconds -- "${fast[@]}"
} >"$work/table"

# The figures the prose quotes, from the rows and from gcu-send's summaries.
row() { awk -v s="$1" -v f="$2" '$1 == s { print $f }' "$work/rows"; }
# gcu-send's summary: "...; N sent, N 429s, N retries, N conflicts (N resolved, N parked); ..."
conflicts=$(sed -n 's/.* \([0-9]*\) conflicts (\([0-9]*\) resolved, \([0-9]*\) parked).*/\1 \2 \3/p' \
	"$work/send.C.log" | tail -n 1)
bottleneck=$(grep -a -o 'concurrency, not the rate limit, was the bottleneck.*' "$work/send.D.log" |
	tail -n 1 || true)
in_flight=$(sed -n 's/.* at \([0-9]*\) in flight.*/\1/p' <<<"$bottleneck")

echo "## gcu-send"
echo
# shellcheck disable=SC2016 # the backquotes are markdown, not expansions
printf '`N=%s bench/send.sh` (also `make bench-send%s`): %s generated users, one title\n' \
	"$n" "$([ "$n" = 3000 ] || echo " N=$n")" "$(commas "$n")"
echo "change each, planned offline, sent to gcu-sim with a minute scaled $((60 / window))x (limit"
echo "$limit per $window s window, resets and Retry-After to the millisecond). Goodput is"
echo "changes applied per second, as gcu-send reports"
echo "them; \"share\" is goodput over the quota left to gcu, (L − B·W)/W = ($limit −"
echo "$((background * window)))/$window = $left requests/s. \"applied\" is read from the simulator's state"
echo "afterwards."
echo
echo "| scenario | wall | goodput | quota left | share | 429s | requests/user | applied (state) | writer stamps |"
echo "|---|---|---|---|---|---|---|---|---|"
cat "$work/table"
echo
# target SCENARIO SHARE MAX429: "met" or what missed.
target() {
	awk -v s="$(row "$1" 2)" -v r="$(row "$1" 4)" -v ms="$2" -v mr="$3" 'BEGIN {
		if (s >= ms && r <= mr) print "met"
		else printf "missed: %.0f%% of the quota left, %.1f%% 429s\n", s, r
	}'
}
echo "Targets: A at least 90% of the quota left with at most 1% 429s ($(target A 90 1));"
echo "B at least 75% with at most 5% ($(target B 75 5)). A share above 100% means gcu"
echo "used more than the steady quota: the first window starts with only the background in it."
awk -v applied="$(row C 5)" -v n="$n" -v stamps="$(row C 6)" -v conflicts="$conflicts" 'BEGIN {
	if (applied == n) printf "In C every change was applied"
	else printf "In C %d of %d changes were applied", applied, n
	printf ", and %d users carry the writer'"'"'s `wfmSyncStamp` afterwards (gcu'"'"'s PATCH\n", stamps
	printf "bodies hold only the fields it changes, re-merged on the user as it is after a\n"
	printf "conflict)"
	split(conflicts, c, " ")
	if (conflicts == "") printf "."
	else if (c[1] == 0) printf "; there was no version conflict."
	else if (c[2] == c[1]) printf "; %d version conflicts were all resolved by re-reading and re-merging.", c[1]
	else printf "; of %d version conflicts %d were resolved by re-reading and re-merging, %d parked.",
		c[1], c[2], c[3]
	printf "\n"
}'
if [ -n "$in_flight" ]; then
	awk -v c="$in_flight" -v ms="$latency_d" -v q="$((limit / window))" -v said="$bottleneck" '
	BEGIN {
		r = 1000 * c / ms
		printf "In D %d requests in flight at %d ms each allow %.0f requests/s, %s the %d\n",
			c, ms, r, (r < q ? "below" : "no fewer than"), q
		printf "requests/s the limit allows; gcu-send'"'"'s summary said: \"%s\".\n", said
	}'
else
	echo "In D gcu-send's summary did not name concurrency as the bottleneck."
fi
echo
echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)," \
	"$(date -u +%Y-%m-%d); load average $load at the start."
