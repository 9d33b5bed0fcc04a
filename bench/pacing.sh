#!/usr/bin/env bash
# pacing.sh - how gcu paces against what the platform, and what stands in
# front of it, may do, next to the seed's own design (bench/peers/
# seed_asyncio.py) on the same org in the same run:
#
#   I  rate headers inin-ratelimit-* only, in whole seconds (the platform's)
#   X  X-RateLimit-* only, in whole seconds
#   B  both styles, in whole seconds
#   F  inin-ratelimit-* only, to the millisecond (--fractional-seconds)
#   S  every rate header and Retry-After stripped, rejections counted
#   L  B with platform.window ten times too long (30 s for a 3 s window):
#      gcu only, measured against B's gcu figure
#   U  no header at all, a proxy's leaky bucket (gcu-sim --bucket) at 80
#      a second, 16 times the rate gcu is told (platform.limit 15 per 3 s)
#   D  the same bucket, a fifth of the rate gcu is told (1200 per 3 s)
#   N  a real nginx (limit_req zone rate=50r/s burst=10 nodelay, 429) in
#      front of gcu-sim's B: the platform's headers on what passes, none
#      on nginx's 429s. nginx comes from Debian (apt-get download, dpkg
#      -x into the work folder, run there, stopped at the end); without it
#      N is skipped and the section says so.
#
# Every run has a fresh gcu-sim in bench/lib.bash's scaled minute (300 per
# 3 s, other traffic at 20 a second, latency 10-20 ms) unless the
# scenario says otherwise; gcu runs its whole pipeline with one token, the
# seed's design its GET and PATCH per user, in alternating order. Figures
# come from the simulator: requests and 429s from /__sim/stats, what was
# applied from /__sim/state. Then the pacer alone, driven through 3,000
# and 12,000 requests by bench/pacer_drive.c under callgrind, counting
# only the gcu_pacer_* calls: its cost per request, and whether it grows.
#
# Prints one markdown section on stdout for bench/results/pacing.md, which
# `make bench-pacing` writes; progress and the tools' last words go to
# stderr. Environment: N users (default 3000), SCENARIOS (default "I X B F
# S L U D N"), GCU_BIN, KEEP=1, TOOL_TIMEOUT seconds per run (default
# 600). Takes some 20 minutes at N=3000 on 2 cores.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${GCU_BIN:-$root/bin}
peers=$root/bench/peers
n=${N:-3000}
fetch_mode=live
tool_timeout=${TOOL_TIMEOUT:-600}
scenarios=${SCENARIOS:-I X B F S L U D N}
python=${PYTHON:-/usr/bin/python3}

me=pacing.sh
# shellcheck source=bench/lib.bash
. "$root/bench/lib.bash"
need_peers
bench_init

make_org "$n"
jq -c '{id, changes: {title: ("Lead " + .id[0:8])}}' "$work/org.ndjson" >"$work/title.ndjson"

# The proxy's bucket in U and D, and nginx's in N, requests a second.
bucket=80 burst=10 nginx_rate=50

# ran SCENARIO: true if this run measures it.
ran() {
	case " $scenarios " in *" $1 "*) return 0 ;; esac
	return 1
}

# nginx up SIM_URL | down | turned_away: measure's front (bench/lib.bash)
# for N, an nginx with limit_req in front of the simulator at SIM_URL.
# It comes from Debian's package, downloaded and unpacked into the work
# folder once; up returns 1 when it cannot be had.
nginx_pid=''
nginx() {
	local nx=$work/nginx port
	case $1 in
	up)
		if [ ! -x "$nx/usr/sbin/nginx" ]; then
			mkdir -p "$nx"
			(cd "$nx" && apt-get download nginx >/dev/null 2>&1 && dpkg -x nginx_*.deb .) ||
				return 1
		fi
		mkdir -p "$nx/logs" "$nx/tmp"
		port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		cat >"$nx/nginx.conf" <<-CONF
			daemon off;
			master_process off;
			worker_processes 1;
			pid $nx/nginx.pid;
			error_log $nx/logs/error.log;
			events { worker_connections 256; }
			http {
			    access_log off;
			    client_body_temp_path $nx/tmp;
			    proxy_temp_path $nx/tmp;
			    fastcgi_temp_path $nx/tmp;
			    uwsgi_temp_path $nx/tmp;
			    scgi_temp_path $nx/tmp;
			    limit_req_zone \$binary_remote_addr zone=api:1m rate=${nginx_rate}r/s;
			    server {
			        listen 127.0.0.1:$port;
			        location / {
			            limit_req zone=api burst=$burst nodelay;
			            limit_req_status 429;
			            proxy_pass $2;
			            proxy_http_version 1.1;
			            proxy_set_header Connection "";
			        }
			    }
			}
		CONF
		: >"$nx/logs/error.log"
		"$nx/usr/sbin/nginx" -p "$nx" -c "$nx/nginx.conf" -e "$nx/logs/error.log" \
			2>>"$nx/logs/stderr" &
		nginx_pid=$!
		for _ in $(seq 100); do
			curl -s -o /dev/null "http://127.0.0.1:$port/" && break
			sleep 0.05
		done
		GCU_API_BASE=http://127.0.0.1:$port
		export GCU_API_BASE
		;;
	down)
		[ -n "$nginx_pid" ] || return 0
		kill "$nginx_pid" 2>/dev/null || true
		wait "$nginx_pid" 2>/dev/null || true
		nginx_pid=''
		;;
	turned_away)
		# nginx logs each request it turns away: "limiting requests".
		grep -c 'limiting requests' "$nx/logs/error.log" || true
		;;
	esac
}

# scenario NAME ORDER SIM_ARGS... [-- ENV...]: the tools of ORDER, one row each.
scenario() {
	local name=$1 order=$2 tool
	shift 2
	for tool in $order; do
		echo "pacing.sh: scenario $name, $tool" >&2
		if [ "$name" = N ]; then
			front=nginx measure "$name" "$tool" "$work/title.ndjson" "$@" || return 1
		else
			measure "$name" "$tool" "$work/title.ndjson" "$@"
		fi
	done
}

started=$(date +%s)
load=$(cut -d" " -f1-3 /proc/loadavg)
skipped=''
for s in $scenarios; do
	case $s in
	I) scenario I "gcu seed" "${common[@]}" --headers inin ;;
	X) scenario X "seed gcu" "${common[@]}" --headers x ;;
	B) scenario B "gcu seed" "${common[@]}" ;;
	F) scenario F "seed gcu" "${common[@]}" --headers inin --fractional-seconds ;;
	S) scenario S "gcu seed" "${common[@]}" --strip-headers ;;
	L) scenario L gcu "${common[@]}" -- GCU_PLATFORM_WINDOW=$((10 * window)) ;;
	U) scenario U "seed gcu" --limit 0 --bucket "$bucket" --burst "$burst" --latency 15 \
		--jitter 5 -- GCU_PLATFORM_LIMIT=$((bucket * window / 16)) ;;
	D) scenario D "gcu seed" --limit 0 --bucket "$bucket" --burst "$burst" --latency 15 \
		--jitter 5 -- GCU_PLATFORM_LIMIT=$((bucket * window * 5)) ;;
	N) scenario N "seed gcu" "${common[@]}" || skipped="nginx could not be had (apt-get download nginx)" ;;
	*) echo "pacing.sh: no scenario $s" >&2; exit 64 ;;
	esac
done

# The pacer alone under callgrind.
cost=''
if command -v valgrind >/dev/null && [ -r "$root/build/libgcu.a" ]; then
	echo "pacing.sh: the pacer under callgrind" >&2
	cc -O2 -g -D_GNU_SOURCE -I"$root/lib" "$root/bench/pacer_drive.c" "$root/build/libgcusim.a" \
		"$root/build/libgcu.a" -lm -o "$work/pacer_drive"
	for mode in fractional whole unbound blind bucket; do
		for size in 3000 12000; do
			valgrind --tool=callgrind --callgrind-out-file="$work/cg" \
				--toggle-collect='gcu_pacer_*' "$work/pacer_drive" "$mode" "$size" \
				>/dev/null 2>&1
			echo "$mode $size $(awk '/^(summary|totals):/ { print $2; exit }' "$work/cg")"
		done
	done >"$work/cost"
	cost=yes
fi
finished=$(date +%s)

echo "pacing.sh: last lines each tool wrote on stderr:" >&2
cat "$work/notes" >&2

# figure SCENARIO TOOL: "share 429s_percent goodput applied users" of that
# row, share of the quota left to the tools (80/s in every scenario: the
# window's left, or the bucket's rate).
figure() {
	awk -v t="$2" -v left="$left" '$1 == t {
		wall = $4 - $3; good = $8 / wall
		printf "%.3f %.2f %.1f %d %d %d %d %.1f\n", good / left, $5 ? 100 * $6 / $5 : 0, good,
			$8, $2, $6, $5, wall
	}' "$work/rows.$1"
}

# The section.
command=$(words ${SCENARIOS:+"SCENARIOS=\"$scenarios\""} "N=$n" bench/pacing.sh)
cat <<SECTION
## Pacing: rounding, a wrong window, no headers, a proxy in front

\`$command\` (also \`make bench-pacing\`): gcu (its whole pipeline,
reading users live) and the seed's own design (\`bench/peers/seed_asyncio.py\`,
as in the section above) on $(commas "$n") users, one title change each,
against fresh simulators with identical settings, in alternating order.
Unless a scenario says otherwise: bench/lib.bash's scaled minute (300 per
3 s window, others' traffic at 20 a second, latency 10–20 ms), so that
$left requests a second are left; resets and \`Retry-After\` in whole seconds,
as the platform sends them (in a window of 3 s a second stands for 20 of
the platform's); time scaled 1/20 for both tools (gcu's durations through
\`GCU_*\`, the seed's through \`--time-scale $scale\`). "share" is users applied
(read from the simulator's state) per second of wall time over $left/s,
so a tool that spends a GET and a PATCH per user keeps up 50% at most;
429s are the simulator's count (in N also nginx's, from its log) over all
requests. In U and D a proxy's leaky bucket (\`gcu-sim --limit 0 --bucket
$bucket --burst $burst\`, like nginx's \`limit_req ... burst=$burst nodelay\`)
lets $bucket a second through and answers 429 without any header; gcu is
told \`platform.limit\` $((bucket * window / 16)) per 3 s in U (5 a second, a
sixteenth of the bucket) and $((bucket * window * 5)) per 3 s in D (400 a
second, five times it).

SECTION
# One table per scenario.
title() {
	case $1 in
	I) echo "I: \`inin-ratelimit-*\` only, whole seconds" ;;
	X) echo "X: \`X-RateLimit-*\` only, whole seconds" ;;
	B) echo "B: both header styles, whole seconds" ;;
	F) echo "F: \`inin-ratelimit-*\` only, milliseconds (\`--fractional-seconds\`)" ;;
	S) echo "S: every rate header and \`Retry-After\` stripped, rejections counted" ;;
	L) echo "L: B with \`platform.window\` 30 s, ten times the window's 3 s" ;;
	U) echo "U: no header, a bucket at $bucket/s, 16 times what gcu is told" ;;
	D) echo "D: no header, a bucket at $bucket/s, a fifth of what gcu is told" ;;
	N) echo "N: nginx \`limit_req\` ($nginx_rate r/s, burst $burst, status 429) in front of B" ;;
	esac
}
for s in $scenarios; do
	[ -s "$work/rows.$s" ] || continue
	echo "**$(title "$s")**"
	echo
	echo "| tool | users | wall | goodput (users/s) | share of $left/s | 429s (% of requests) | requests/user updated | applied (state) |"
	echo "|---|---|---|---|---|---|---|---|"
	awk -v left="$left" '{
		wall = $4 - $3; good = $8 / wall
		printf "| %s | %d | %.1f s | %.1f/s | %.0f%% | %d (%.2f%%) | %.2f | %d |\n",
			($1 == "gcu") ? "gcu" : "seed design (asyncio)", $2, wall, good, 100 * good / left,
			$6, $5 ? 100 * $6 / $5 : 0, $8 ? $5 / $8 : 0, $8
	}' "$work/rows.$s"
	echo
done
[ -n "$skipped" ] && echo "N was not run: $skipped." && echo

# The targets, each from the rows above.
echo "| scenario | target for gcu | gcu | met | seed design |"
echo "|---|---|---|---|---|"
# target NAME SHARE MAX429 TEXT: one line of the targets table.
target() {
	[ -s "$work/rows.$1" ] || return 0
	local g s
	read -r -a g < <(figure "$1" gcu)
	read -r -a s < <(figure "$1" seed || true)
	awk -v name="$1" -v text="$4" -v share="$2" -v most="$3" -v gs="${g[0]}" -v gr="${g[1]}" \
		-v ss="${s[0]:-}" -v sr="${s[1]:-}" 'BEGIN {
		met = (gs >= share && gr <= most) ? "yes" : "no"
		seed = ss == "" ? "–" : sprintf("%.2f, %.2f%% 429s", ss, sr)
		printf "| %s | %s | %.2f, %.2f%% 429s | %s | %s |\n", name, text, gs, gr, met, seed
	}'
}
target I 0.97 0.5 "≥ 0.97 of the quota left, ≤ 0.5% 429s"
target X 0.97 0.5 "≥ 0.97, ≤ 0.5%"
target B 0.97 0.5 "≥ 0.97, ≤ 0.5%"
target F 0.97 0.5 "≥ 0.97, ≤ 0.5%"
target S 0.85 1 "≥ 0.85, ≤ 1%"
if [ -s "$work/rows.L" ] && [ -s "$work/rows.B" ]; then
	read -r -a l < <(figure L gcu)
	read -r -a b < <(figure B gcu)
	said=$(grep -a -o 'show a window of [^:]*' "$work/log.L.gcu" | head -n 1 || true)
	awk -v l="${l[0]}" -v b="${b[0]}" -v lr="${l[1]}" -v said="$said" 'BEGIN {
		met = (l >= 0.95 * b && said != "") ? "yes" : "no"
		printf "| L | within 5%% of B'"'"'s gcu figure (%.2f), and a notice | %.2f (%.0f%% of B), %.2f%% 429s; said \"%s\" | %s | – |\n",
			b, l, 100 * l / b, lr, said, met
	}'
fi
target U 0.75 5 "≥ 0.75 of the bucket's rate, ≤ 5% 429s"
target D 0.9 5 "≥ 0.9 of the bucket's rate, ≤ 5% 429s"
echo
if [ -s "$work/rows.N" ]; then
	awk -v r="$nginx_rate" '{ good[$1] = $8 / ($4 - $3); share[$1] = $5 ? 100 * $6 / $5 : 0 }
		END {
			printf "In N, behind nginx letting %d requests a second through, gcu applied %.1f ", r,
				good["gcu"]
			printf "users a second with %.2f%% of its requests answered 429", share["gcu"]
			if ("seed" in good)
				printf "; the seed'"'"'s design %.1f, with %.2f%%", good["seed"], share["seed"]
			printf ".\n\n"
		}' "$work/rows.N"
fi

if [ -n "$cost" ]; then
	cat <<'COST'
The pacer alone (`bench/pacer_drive.c`, built against build/libgcu.a and
the simulator's window arithmetic, 6 in flight, answers 15 ms after each
send), under `valgrind --tool=callgrind --toggle-collect='gcu_pacer_*'`:
instructions spent in the pacer's calls per request. "unbound" keeps every
request of the run in a 60 s window, the most the pacer ever holds.

| mode | requests | instructions in the pacer | per request |
|---|---|---|---|
COST
	awk '{ printf "| %s | %d | %d | %.0f |\n", $1, $2, $3, $3 / $2 }' "$work/cost"
	awk '{ per[$1, ++k[$1]] = $3 / $2; if (!(m[$1]++)) modes[++nm] = $1 }
		END {
			hi = 0
			for (i = 1; i <= nm; i++) {
				g = per[modes[i], 2] / per[modes[i], 1]
				if (g > hi) { hi = g; worst = modes[i] }
			}
			printf "\nFour times the requests cost at most %.2f times as much per request (%s)", hi, worst
			if (hi < 1.25)
				printf ": what grows is a binary search over the requests in the window, a few steps more."
			printf "\n\n"
		}' "$work/cost"
fi
echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)," \
	"$(date -u +%Y-%m-%d); load average $load at the start; the run took" \
	"$((finished - started)) s."
