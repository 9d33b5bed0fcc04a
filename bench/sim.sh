#!/usr/bin/env bash
# bench/sim.sh - how many simple GETs a second gcu-sim serves.
#
# Starts gcu-sim with 1000 generated users and rate limiting off, takes a
# token, and drives GET /api/v2/users/{id} with wrk over loopback for a
# few seconds. Prints the exact wrk command and one markdown table row
# (date, requests/s, latency, command) for bench/RESULTS.md. Stops by
# itself well within a minute.
#
# Environment: GCU_BIN (default bin/), BENCH_SECONDS (default 10),
# BENCH_CONNECTIONS (default 64), BENCH_THREADS (wrk threads, default 2),
# SIM_THREADS (gcu-sim threads, default 2).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${GCU_BIN:-$root/bin}
seconds=${BENCH_SECONDS:-10}
conns=${BENCH_CONNECTIONS:-64}
wthreads=${BENCH_THREADS:-2}
sthreads=${SIM_THREADS:-2}
id=${GCU_SIM_CLIENT_ID:-gcu-sim}
secret=${GCU_SIM_CLIENT_SECRET:-gcu-sim-secret}

for tool in wrk curl jq; do
	command -v "$tool" >/dev/null || { echo "sim.sh: $tool is required" >&2; exit 69; }
done
if [ "$seconds" -gt 40 ]; then
	seconds=40
fi

work=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

"$bin/gcu-sim" -q --port 0 --ready-file "$work/url" --generate 1000 --seed 7 \
	--limit 0 --threads "$sthreads" &
pid=$!
for _ in $(seq 1 100); do
	[ -s "$work/url" ] && break
	sleep 0.05
done
[ -s "$work/url" ] || { echo "sim.sh: gcu-sim did not start" >&2; exit 69; }
base=$(cat "$work/url")
token=$(curl -sf -u "$id:$secret" -d grant_type=client_credentials "$base/oauth/token" |
	jq -r .access_token)
curl -sf -o "$work/state.ndjson" "$base/__sim/state"
user=$(head -n 1 "$work/state.ndjson" | jq -r .id)

echo "command: gcu-sim -q --port 0 --generate 1000 --seed 7 --limit 0 --threads $sthreads"
echo "command: wrk -t $wthreads -c $conns -d ${seconds}s --latency" \
	"-H 'Authorization: Bearer TOKEN' http://127.0.0.1:PORT/api/v2/users/$user"
timeout $((seconds + 15)) wrk -t "$wthreads" -c "$conns" -d "${seconds}s" --latency \
	-H "Authorization: Bearer $token" "$base/api/v2/users/$user" >"$work/wrk.out"
cat "$work/wrk.out"
rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$work/wrk.out")
p50=$(awk '$1 == "50%" {print $2}' "$work/wrk.out")
p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.out")
errors=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$work/wrk.out")
echo
echo "| date | benchmark | requests/s | p50 | p99 | non-2xx | command |"
echo "|---|---|---|---|---|---|---|"
# shellcheck disable=SC2016 # the backquotes are markdown, not expansions
printf '| %s | gcu-sim GET /api/v2/users/{id}, %s sim threads, %s connections | %s | %s | %s | %s | `gcu-sim --generate 1000 --limit 0 --threads %s`; `wrk -t %s -c %s -d %ss --latency -H "Authorization: Bearer TOKEN" URL` |\n' \
	"$(date -u +%Y-%m-%d)" "$sthreads" "$conns" "$rps" "$p50" "$p99" "${errors:-0}" \
	"$sthreads" "$wthreads" "$conns" "$seconds"
