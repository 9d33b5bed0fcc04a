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
#   cost: CPU time and peak RSS of gcu-send per 1,000 requests with no
#      rate limit, at concurrency 6 and 64, for N and 4N requests.
#
# Correctness is read from the simulator's state, not from gcu's claims.
# Prints markdown tables and the commands; stops by itself in a few minutes.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${GCU_BIN:-$root/bin}
n=${N:-3000}
work=$(mktemp -d "${TMPDIR:-/tmp}/gcu-bench-send.XXXXXX")
sim_pid=''
cleanup() {
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
export GCU_SIM_CLIENT_ID=bench GCU_SIM_CLIENT_SECRET=bench-secret-0123456789
export GCU_CLIENT_ID=$GCU_SIM_CLIENT_ID GCU_CLIENT_SECRET=$GCU_SIM_CLIENT_SECRET
unset GCU_CONFIG GCU_ACCESS_TOKEN GCU_REGION

# sim_up ARGS...: starts gcu-sim, sets GCU_API_BASE.
sim_up() {
	rm -f "$work/url"
	"$bin/gcu-sim" --port 0 --ready-file "$work/url" "$@" 2>"$work/sim.log" &
	sim_pid=$!
	for _ in $(seq 100); do [ -s "$work/url" ] && break; sleep 0.05; done
	GCU_API_BASE=$(cat "$work/url")
	export GCU_API_BASE
}
sim_down() {
	kill "$sim_pid" 2>/dev/null || true
	wait "$sim_pid" 2>/dev/null || true
	sim_pid=''
}

# plan SIZE: an org of SIZE users in org.ndjson and one title change per
# user, planned offline, in requests.ndjson.
plan() {
	sim_up --generate "$1" --seed 1 --limit 0
	curl -sf "$GCU_API_BASE/__sim/state" >"$work/org.ndjson"
	sim_down
	jq -c '{id, changes: {title: ("Lead " + .id[0:8])}}' "$work/org.ndjson" >"$work/changes.ndjson"
	"$bin/gcu-partition" -q "$work/changes.ndjson" |
		"$bin/gcu-fetch" -q --snapshot "$work/org.ndjson" |
		"$bin/gcu-merge" -q >"$work/requests.ndjson"
}
plan "$n"

# scenario NAME QUOTA_LEFT SIM_ARGS... -- ENV...: one run, one table row.
scenario() {
	local name=$1 left=$2
	shift 2
	local sim_args=() envs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do sim_args+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	envs=("$@")
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
	awk -v name="$name" -v wall="$wall" -v ok="$ok" -v left="$left" -v sent="$sent" \
		-v r429="$r429" -v applied="$applied" -v n="$n" -v stamps="$stamps" 'BEGIN {
		good = ok / wall
		printf "| %s | %.1f s | %.1f/s | %s | %.0f%% | %d (%.1f%%) | %.2f | %d/%d | %s |\n", name, wall,
			good, (left > 0 ? sprintf("%.0f/s", left) : "-"), (left > 0 ? 100 * good / left : 0),
			r429, 100 * r429 / sent, sent / n, applied, n, stamps
	}'
	tail -n 2 "$work/send.$name.log" | sed 's/^/    /' >>"$work/notes"
}

echo "### gcu-send scenarios ($n users, one title change each)"
echo
echo "| scenario | wall | goodput | quota left | share | 429s | requests/user | applied (state) | writer stamps |"
echo "|---|---|---|---|---|---|---|---|---|"
fast=(GCU_PLATFORM_WINDOW=3 GCU_RETRY_RATE_LIMIT_BASE=0.1 GCU_RETRY_RATE_LIMIT_MAX=1.5
	GCU_RETRY_SERVER_BASE=0.5 GCU_RETRY_SERVER_MAX=6 GCU_RETRY_CONFLICT_COOLDOWN=3
	GCU_CIRCUIT_PAUSE=1.5)
scenario A 80 --limit 300 --window 3 --background 20 --latency 15 --jitter 5 -- "${fast[@]}"
scenario B 80 --limit 300 --window 3 --background 20 --latency 15 --jitter 5 --strip-headers \
	-- "${fast[@]}"
scenario C 80 --limit 300 --window 3 --background 20 --latency 15 --jitter 5 --seed 7 \
	--error-rate 0.05 --reset-rate 0.02 --writer 8 -- "${fast[@]}"
scenario D 0 --limit 300 --window 3 --latency 300 --jitter 100 -- "${fast[@]}"
echo
echo "gcu-send's own summaries:"
cat "$work/notes"
echo

echo "### gcu-send cost (a limit too high to bind, loopback)"
echo
echo "| requests | concurrency | wall | CPU s per 1,000 | peak RSS |"
echo "|---|---|---|---|---|"
for size in "$n" $((4 * n)); do
	plan "$size"
	for c in 6 64; do
		sim_up --users "$work/org.ndjson" --limit 10000000 --window 60 --threads 2
		/usr/bin/time -f '%e %U %S %M' -o "$work/time" "$bin/gcu-send" -q --concurrency "$c" \
			"$work/requests.ndjson" >/dev/null || true
		sim_down
		read -r wall user sys rss <"$work/time"
		awk -v r="$size" -v c="$c" -v w="$wall" -v u="$user" -v s="$sys" -v m="$rss" \
			'BEGIN { printf "| %d | %d | %.1f s | %.3f | %.1f MB |\n", r, c, w, 1000 * (u + s) / r, m / 1024 }'
	done
done
echo
echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
echo "command: N=$n bench/send.sh"
