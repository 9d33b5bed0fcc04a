#!/usr/bin/env bash
# bench/sim.sh - how many simple GETs a second gcu-sim serves.
#
# Starts gcu-sim with 1000 generated users and rate limiting off, takes a
# token, and drives GET /api/v2/users/{id} with wrk over loopback for a
# few seconds. Prints one markdown section on stdout (the heading, the
# command, the table, the machine) for bench/results/sim.md, which
# `make bench-sim` writes; wrk's own output goes to stderr. Stops by itself
# well within a minute.
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

load=$(cut -d' ' -f1 /proc/loadavg)
echo "sim.sh: wrk -t $wthreads -c $conns -d ${seconds}s --latency" \
	"-H 'Authorization: Bearer TOKEN' $base/api/v2/users/$user" >&2
timeout $((seconds + 15)) wrk -t "$wthreads" -c "$conns" -d "${seconds}s" --latency \
	-H "Authorization: Bearer $token" "$base/api/v2/users/$user" >"$work/wrk.out"
cat "$work/wrk.out" >&2
rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$work/wrk.out")
# wrk writes 476.00us, 61.17ms, 1.20s; the table says 476 µs, 61.17 ms, 1.20 s.
latency() {
	awk -v p="$1" '$1 == p {
		v = $2 + 0; u = $2; sub(/^[0-9.]+/, "", u)
		if (u == "us") printf "%.0f µs\n", v; else printf "%.2f %s\n", v, u
	}' "$work/wrk.out"
}
p50=$(latency 50%)
p99=$(latency 99%)
errors=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$work/wrk.out")

# The command: the settings that differ from the defaults, then the script.
vars=''
[ "$seconds" != 10 ] && vars+="BENCH_SECONDS=$seconds "
[ "$conns" != 64 ] && vars+="BENCH_CONNECTIONS=$conns "
[ "$wthreads" != 2 ] && vars+="BENCH_THREADS=$wthreads "
[ "$sthreads" != 2 ] && vars+="SIM_THREADS=$sthreads "
echo "## gcu-sim throughput"
echo
# shellcheck disable=SC2016 # the backquotes are markdown, not expansions
printf '`%sbench/sim.sh` (also `make bench-sim%s`): `gcu-sim --generate 1000 --limit 0\n' \
	"$vars" "${vars:+ ${vars% }}"
# shellcheck disable=SC2016
printf -- '--threads %s`, then `wrk -t %s -c %s -d %ss --latency -H "Authorization:\n' \
	"$sthreads" "$wthreads" "$conns" "$seconds"
# shellcheck disable=SC2016
echo 'Bearer TOKEN" URL` on `GET /api/v2/users/{id}` over loopback.'
echo
echo "| date | benchmark | requests/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|"
printf '| %s | gcu-sim GET /api/v2/users/{id}, %s sim threads, %s connections | %s | %s | %s | %s |\n' \
	"$(date -u +%Y-%m-%d)" "$sthreads" "$conns" "$rps" "$p50" "$p99" "${errors:-0}"
echo
echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)," \
	"$(date -u +%Y-%m-%d); load average $load at the start."
