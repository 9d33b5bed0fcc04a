#!/usr/bin/env bash
# cost.sh - what gcu-send costs next to `curl --parallel` sending the very
# same HTTP requests, so that a reader can see gcu is never the bottleneck.
#
# The requests are planned offline as bench/send.sh plans them: an org of N
# users, one title change each, through gcu-partition, gcu-fetch --snapshot
# and gcu-merge. For N and 4N requests at concurrency 6 and 64, each tool
# runs against a fresh gcu-sim with a limit too high to bind (a fresh one,
# because the PATCH bodies carry a version: a second run on the same sim
# would draw 409s), the order of the tools rotating from one cell to the
# next. /usr/bin/time gives wall, CPU and peak RSS of the tool's process
# alone; the sim's counters say how many requests were answered 200, so
# that a row shows both tools did all the work (or that one did not).
#
# curl gets the requests as a config file (-K) written with jq beforehand,
# outside the measurement, and the token from the sim's token endpoint, as
# a script using curl would. gcu-send reads requests.ndjson and takes its
# own token. Secrets and tokens reach curl through its config on stdin or
# in a file of mode 600 in the work directory, never through argv.
#
# Each cell runs ROUNDS times per tool (the order alternating) and the
# table gives medians: one run of 3,000 requests lasts a few tenths of a
# second, and on 2 cores shared with the sim one run can be off by half.
#
# Prints one markdown section with the table, the ratios, the machine and
# the command; progress goes to stderr. Environment: N (default 3000),
# ROUNDS (default 3), GCU_BIN (default bin/), KEEP=1 to keep the work
# files. Build first with `make -j2`. Takes under a minute at N=3000 on 2
# cores.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${GCU_BIN:-$root/bin}
n=${N:-3000}
rounds=${ROUNDS:-3}
time_bin=/usr/bin/time

for tool in curl jq awk; do
	command -v "$tool" >/dev/null || { echo "cost.sh: $tool is required" >&2; exit 69; }
done
[ -x "$time_bin" ] || { echo "cost.sh: $time_bin (GNU time) is required" >&2; exit 69; }
for prog in gcu-sim gcu-partition gcu-fetch gcu-merge gcu-send; do
	[ -x "$bin/$prog" ] || { echo "cost.sh: no $bin/$prog (run make -j2)" >&2; exit 69; }
done

# Every file made from here on (tokens, curl's config) is readable by the
# owner alone.
umask 077
me=cost.sh
# shellcheck source=bench/lib.bash
. "$root/bench/lib.bash"
bench_init

# curl_config: writes curl.cfg, one block per request of requests.ndjson
# (url, request, the two headers, data-raw, output), blocks separated by
# `next`. Values are double-quoted by jq's tojson, whose escapes for a
# quote, a backslash, \n, \r and \t are curl's config syntax too; its
# others (\b, \f, \u00XX for control characters and DEL) are not, but
# these values hold no such raw character: a compact JSON body writes them
# as \u00XX text already, and a path or a hex token has none. data-raw,
# not data: a body is never taken for an @file. The token comes from a
# file, not from argv. Streams, one block at a time: jq 1.6's join is
# quadratic and its gsub slow (4 s for 12,000 requests).
curl_config() {
	# shellcheck disable=SC2016 # jq variables, not shell ones
	jq -j -n --arg base "$GCU_API_BASE" --rawfile tok "$work/token" '
		def block: "url = \($base + .path | tojson)\nrequest = \(.method | tojson)\n"
			+ "header = \("Authorization: Bearer " + $tok | tojson)\n"
			+ "header = \("Content-Type: application/json" | tojson)\n"
			+ "data-raw = \(.body | tojson | tojson)\noutput = \("/dev/null" | tojson)\n";
		(input | block), (inputs | "next\n" + block)' "$work/requests.ndjson" >"$work/curl.cfg"
}

# run TOOL SIZE CONC: one run of TOOL on a fresh sim; appends
# "tool size conc wall user sys rss_kb rc ok200 others" to rows.
run() {
	local tool=$1 size=$2 c=$3 rc=0
	echo "cost.sh: $size requests, concurrency $c, $tool" >&2
	sim_up --users "$work/org.ndjson" --limit 10000000 --window 60 --threads 2
	case $tool in
	gcu)
		"$time_bin" -f '%e %U %S %M' -o "$work/time" "$bin/gcu-send" -q --concurrency "$c" \
			"$work/requests.ndjson" >/dev/null 2>"$work/err" || rc=$?
		;;
	curl)
		token >"$work/token"
		curl_config
		# --parallel-immediate: open connections at once rather than
		# wait to see whether a transfer can be multiplexed on one being
		# set up (HTTP/2, which the sim's HTTP/1.1 never offers). Either
		# way curl reuses its C connections (strace: C + 2 connects for
		# 12,000 requests, gcu-send C + 1). --parallel-max: curl 7.x caps it
		# at 300 (newer ones at 65535), beyond the C here.
		# --no-progress-meter, not -s: curl 7.88.1 draws its parallel
		# progress meter even with -s (curl issue 10573, fixed in 8.0),
		# and that meter costs CPU; errors still show.
		"$time_bin" -f '%e %U %S %M' -o "$work/time" curl --no-progress-meter --parallel \
			--parallel-immediate --parallel-max "$c" -K "$work/curl.cfg" \
			>/dev/null 2>"$work/err" || rc=$?
		;;
	esac
	curl -sf "$GCU_API_BASE/__sim/stats" >"$work/stats"
	sim_down
	if [ -s "$work/err" ]; then
		sed "s/^/cost.sh: $tool: /" "$work/err" | head -n 5 >&2
	fi
	local wall user sys rss ok others
	# time(1) puts "Command exited with non-zero status N" first then.
	read -r wall user sys rss < <(tail -n 1 "$work/time")
	# The sim's write counter: PATCHes answered 200. by_status["200"]
	# would count the token request too, and a re-read after a 409.
	ok=$(jq '.writes' "$work/stats")
	others=$(jq -r '[.requests.by_status | to_entries[] | select(.key != "200")
		| "\(.key): \(.value)"] | if length > 0 then join(", ") else "-" end | gsub(" "; "_")' \
		"$work/stats")
	echo "$tool $size $c $wall $user $sys $rss $rc $ok $others" >>"$work/rows"
}

started=$(date +%s)
load=$(cut -d" " -f1-3 /proc/loadavg)
for size in "$n" $((4 * n)); do
	echo "cost.sh: planning $size requests" >&2
	plan_titles "$size"
	planned=$(wc -l <"$work/requests.ndjson")
	[ "$planned" -eq "$size" ] ||
		echo "cost.sh: planned $planned requests for $size users" >&2
	for round in $(seq "$rounds"); do
		# Who goes first flips from one cell to the next and from one
		# round to the next.
		for c in 6 64; do
			if [ $(((round + c / 64) % 2)) -eq 1 ]; then order="gcu curl"; else order="curl gcu"; fi
			for tool in $order; do run "$tool" "$planned" "$c"; done
		done
	done
done
finished=$(date +%s)

echo "## gcu-send's cost next to curl --parallel"
echo
cat <<EOF
\`${ROUNDS:+ROUNDS=$rounds }N=$n bench/cost.sh\` (also \`make bench-cost\`): the same
HTTP requests (one PATCH /api/v2/users/{id} per user, a title change with
the user's version, planned offline as in bench/send.sh) sent by
\`gcu-send -q --concurrency C requests.ndjson\` and by \`curl
--no-progress-meter --parallel --parallel-immediate --parallel-max C -K
curl.cfg\`, the config written beforehand with jq (per request: url,
request, the Authorization and Content-Type headers, data-raw, output
/dev/null). Every run has a fresh gcu-sim on loopback (\`--limit 10000000
--window 60 --threads 2\`: a limit too high to bind), on the same cores as
the tool. Wall, CPU (user + system) and peak RSS are the tool's process
alone, from \`/usr/bin/time -f '%e %U %S %M'\`; CPU in seconds per 1,000
requests (the same figure as milliseconds per request). gcu-send's figures
include reading its input and taking a token, curl's reading its config.
Each figure is the median of $rounds runs per tool, the order of the tools
alternating from run to run. "answered 200" is the sim's count of
PATCHes answered 200, in the worst of the runs (other statuses, and an
exit status other than 0, are named).
EOF
echo
# One line per tool and cell, in the order of the cells, gcu-send first:
# "tool size conc wall cpu rss_kb answered", medians of the rounds.
awk '
	# median A N: the median of A[1..N] (sorts A).
	function median(a, m,    i, j, t) {
		for (i = 2; i <= m; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
	}
	{
		k = $1 " " $2 " " $3
		if (!(k in cnt)) { keys[++nk] = k; worst[k] = $9 + 1 }
		i = ++cnt[k]; wall[k, i] = $4; cpu[k, i] = $5 + $6; rss[k, i] = $7
		if ($9 < worst[k] || ($9 == worst[k] && ($10 != "-" || $8 != 0))) {
			worst[k] = $9
			ans[k] = sprintf("%d/%d", $9, $2)
			if ($10 != "-") { o = $10; gsub("_", " ", o); ans[k] = ans[k] " (" o ")" }
			if ($8 != 0) ans[k] = ans[k] ", exit " $8
		}
	}
	END {
		for (t = 1; t <= 2; t++) tools[t] = (t == 1) ? "gcu" : "curl"
		for (i = 1; i <= nk; i++) {
			split(keys[i], f, " ")
			if (f[1] != "gcu") continue
			for (t = 1; t <= 2; t++) {
				k = tools[t] " " f[2] " " f[3]
				if (!(k in cnt)) continue
				m = cnt[k]
				for (r = 1; r <= m; r++) { w[r] = wall[k, r]; c[r] = cpu[k, r]; s[r] = rss[k, r] }
				printf "%s %s %s %.3f %.3f %.0f %s\n", tools[t], f[2], f[3], median(w, m),
					median(c, m), median(s, m), ans[k]
			}
		}
	}' "$work/rows" >"$work/table"
echo "| requests | concurrency | tool | wall | CPU s per 1,000 requests | peak RSS | answered 200 |"
echo "|---|---|---|---|---|---|---|"
awk '{
	ans = $7; for (i = 8; i <= NF; i++) ans = ans " " $i
	printf "| %d | %d | %s | %.2f s | %.3f | %.1f MB | %s |\n", $2, $3,
		($1 == "gcu") ? "gcu-send" : "curl --parallel", $4, 1000 * $5 / $2, $6 / 1024, ans
}' "$work/table"
echo
echo "| requests | concurrency | gcu CPU / curl CPU | gcu RSS / curl RSS | gcu wall / curl wall |"
echo "|---|---|---|---|---|"
awk '
	# ratio A B: A / B, or "-" when B is too small to divide by.
	function ratio(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "-" }
	{ k = $2 " " $3; wall[$1, k] = $4; cpu[$1, k] = $5; rss[$1, k] = $6
		if (!(k in seen)) { seen[k] = 1; keys[++nk] = k } }
	END {
		for (i = 1; i <= nk; i++) {
			k = keys[i]; split(k, f, " ")
			printf "| %d | %d | %s | %s | %s |\n", f[1], f[2], ratio(cpu["gcu", k], cpu["curl", k]),
				ratio(rss["gcu", k], rss["curl", k]), ratio(wall["gcu", k], wall["curl", k])
		}
	}' "$work/table"
echo
# What the ratios say, in one sentence computed from them.
awk '{ k = $2 " " $3; cpu[$1, k] = $5; rss[$1, k] = $6
		if (!(k in seen)) { seen[k] = 1; keys[++nk] = k } }
	END {
		lo = hi = -1
		for (i = 1; i <= nk; i++) {
			k = keys[i]
			if (cpu["curl", k] <= 0) continue
			r = cpu["gcu", k] / cpu["curl", k]
			if (lo < 0 || r < lo) lo = r
			if (hi < 0 || r > hi) hi = r
			if (gmin == "" || rss["gcu", k] < gmin) gmin = rss["gcu", k]
			if (rss["gcu", k] > gmax) gmax = rss["gcu", k]
			if (cmin == "" || rss["curl", k] < cmin) cmin = rss["curl", k]
			if (rss["curl", k] > cmax) cmax = rss["curl", k]
		}
		if (lo < 0) exit
		printf "gcu-send spends %.2f to %.2f times the CPU curl spends on the same requests; ", lo, hi
		printf "its peak RSS is %.1f to %.1f MB, curl'"'"'s %.1f to %.1f MB ", gmin / 1024, gmax / 1024,
			cmin / 1024, cmax / 1024
		printf "(curl reads its whole config first; gcu-send streams its input).\n\n"
	}' "$work/table"
echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)," \
	"$(date -u +%Y-%m-%d); load average $load at the start;" \
	"$(curl --version | head -n 1 | cut -d' ' -f1-2); the run took $((finished - started)) s."
