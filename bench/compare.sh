#!/usr/bin/env bash
# compare.sh - gcu next to the designs people use today, on the same
# simulated org, in the same run: the seed guide's own design
# (bench/peers/seed_asyncio.py) and the shell way (bench/peers/xargs_curl.sh).
#
#   A  honest headers: limit 300 per 3 s window (a minute scaled 20x),
#      background 20 req/s, latency 10-20 ms. Quota left: (300-60)/3 = 80/s.
#   B  the same with the rate headers stripped.
#   C  A plus 5% 5xx, 2% connection resets and a competing writer (8/s)
#      that stamps wfmSyncStamp and bumps the version.
#   E  the seed's edge case 3: A plus --propagation 3 (every routing write
#      costs three more slots of the window), with one routing-skill change
#      per user (PATCH /api/v2/users/{id}/routingskills/bulk).
#
# Each tool runs against a fresh gcu-sim with identical settings, the order
# of the tools rotating from one scenario to the next. gcu runs its whole
# pipeline (gcu-partition | gcu-fetch | gcu-merge | gcu-send) with one token;
# its reads are bulk GETs against the sim (GCU_FETCH=snapshot plans from the
# org export instead, offline, as bench/send.sh does). The peers GET each
# user for its version (not for routing changes, which take no version).
#
# Figures come from the simulator, not from the tools: requests and 429s
# from /__sim/stats, what was applied from /__sim/state (see verdict()).
# Prints one markdown section on stdout for bench/results/compare.md, which
# `make bench-compare` writes: the heading, the command and what was run,
# one table per scenario, what they show (every figure computed from the
# run), the machine. Progress and the last lines each tool wrote on stderr
# go to stderr. Environment: N users (default 3000), N_E users for E
# (default N), N_D users for D (default N/3: at 6 requests in flight and
# 300 ms each, D is the slow one), N_SHELL users for the shell peer
# (default N/3: it spends some 60 ms of CPU a user on process starts, and
# the whole run must fit in 15 minutes on 2 cores), SCENARIOS (default
# "A B C E"; D, latency-bound, on request), KEEP=1 to keep the work files,
# GCU_FETCH (live or snapshot), GCU_BIN, TOOL_TIMEOUT seconds per run
# (default 600).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${GCU_BIN:-$root/bin}
peers=$root/bench/peers
n=${N:-3000}
n_e=${N_E:-$n}
n_d=${N_D:-$((n / 3))}
n_shell=${N_SHELL:-$((n / 3))}
fetch_mode=${GCU_FETCH:-live}
tool_timeout=${TOOL_TIMEOUT:-600}
scenarios=${SCENARIOS:-A B C E}
python=${PYTHON:-/usr/bin/python3}

me=compare.sh
# shellcheck source=bench/lib.bash
. "$root/bench/lib.bash"
need_peers
bench_init

# Resets and Retry-After to the millisecond: in a minute scaled 20x a
# whole second stands for 20 of the platform's, and the seed's design
# sleeps Retry-After as it is told (bench/pacing.sh measures the
# platform's whole seconds).
common+=(--fractional-seconds)

# The org: N users generated once; every run loads the same file.
make_org "$n"
# A-C: a new title for every user. E: one routing skill per user set to a
# proficiency it does not have yet, so that every user needs a write.
jq -c '{id, changes: {title: ("Lead " + .id[0:8])}}' "$work/org.ndjson" >"$work/title.ndjson"
skill=$(jq -n -r 'first(inputs | select(.skills | length > 0) | .skills[0].id)' \
	"$work/org.ndjson")
jq -c --arg s "$skill" '{id, changes: {routingSkills: {($s):
		(((.skills // []) | map(select(.id == $s)) | .[0].proficiency // 0) % 5 + 1)}}}' \
		"$work/org.ndjson" | awk -v n="$n_e" 'NR <= n' >"$work/skill.ndjson"


# one SCENARIO TOOL CHANGES SIM_ARGS...: one run, one table row.
one() {
	local name=$1 tool=$2 changes=$3
	shift 3
	measure "$name" "$tool" "$changes" "$@"
	tail -n 1 "$work/rows.$name" | awk -v left="$left" -v name="$name" '{
		tool = $1; users = $2; sent = $5; r429 = $6; said = $7
		applied = $8; touched = $9; lost = $10
		names["gcu"] = "gcu"; names["seed"] = "seed design (asyncio)"
		names["shell"] = "xargs -P 6 + curl"
		wall = $4 - $3; good = applied / wall
		ok = (applied == users && lost == 0) ? "yes" : "no"
		if (applied < users) ok = ok sprintf(": %d not applied", users - applied)
		if (lost > 0) ok = ok sprintf(", %d stamps lost", lost)
		# The columns each scenario is about (see the headers in scenario()).
		row = sprintf("| %s | %d | %.1f s | %.1f/s", names[tool], users, wall, good)
		if (name == "D")
			row = row sprintf(" | %d", r429)
		else
			row = row sprintf(" | %.0f%% | %d (%.1f%%)", 100 * good / left, r429,
				sent ? 100 * r429 / sent : 0)
		row = row sprintf(" | %.2f", applied ? sent / applied : 0)
		if (name == "A" || name == "B") row = row sprintf(" | %d", said)
		row = row sprintf(" | %d", applied)
		if (name == "C") row = row sprintf(" | %d touched, %d lost", touched, lost)
		printf "%s | %s |\n", row, ok
	}' >>"$work/table.$name"
}


# ran SCENARIO: true if this run measured it.
ran() {
	case " $scenarios " in *" $1 "*) return 0 ;; esac
	return 1
}

# goodputs SCENARIO: "gcu seed" from its rows: users applied per second
# of wall time, gcu's and the seed design's.
goodputs() {
	awk '$1 == "gcu" { g = $8 / ($4 - $3) }
		$1 == "seed" { s = $8 / ($4 - $3) }
		END { printf "%.1f %.1f\n", g, s }' "$work/rows.$1"
}

# bottleneck SCENARIO: gcu-send's own words, if it named concurrency.
bottleneck() {
	grep -a -o 'concurrency, not the rate limit, was the bottleneck.*' "$work/log.$1.gcu" |
		tail -n 1 || true
}

# scenario NAME TITLE CHANGES ORDER SIM_ARGS...: the three tools, one table.
scenario() {
	local name=$1 title=$2 changes=$3 order=$4
	shift 4
	local tool file
	for tool in $order; do
		file=$changes
		if [ "$tool" = shell ] && [ "$n_shell" -lt "$(wc -l <"$changes")" ]; then
			awk -v n="$n_shell" 'NR <= n' "$changes" >"$work/shell.$name"
			file=$work/shell.$name
		fi
		echo "compare.sh: scenario $name, $tool" >&2
		one "$name" "$tool" "$file" "$@"
	done
	local cols
	case $name in
	A | B) cols="share of $left/s|429s (% of requests)|requests/user updated|tool says ok|applied (state)" ;;
	C) cols="share of $left/s|429s (% of requests)|requests/user updated|applied (state)|writer's field" ;;
	D) cols="429s|requests/user updated|applied (state)" ;;
	*) cols="share of $left/s|429s (% of requests)|requests/user updated|applied (state)" ;;
	esac
	{
		echo "**$name: $title**"
		echo
		awk -v c="tool|users|wall|goodput (users/s)|$cols|correct" 'BEGIN {
			k = split(c, h, "|")
			for (i = 1; i <= k; i++) printf "| %s ", h[i]
			printf "|\n"
			for (i = 1; i <= k; i++) printf "|---"
			printf "|\n"
		}'
		cat "$work/table.$name"
		echo
		if [ "$name" = D ]; then
			read -r g s < <(goodputs D)
			awk -v g="$g" -v s="$s" -v said="$(bottleneck D)" 'BEGIN {
				printf "At the same ceiling of 6 in flight gcu'"'"'s goodput is %.1f times the seed\n", g / s
				printf "design'"'"'s (%.1f against %.1f users a second): gcu reads the users 100 to a\n", g, s
				printf "request where the seed'"'"'s design sends one GET per user"
				if (said != "") printf "; gcu-send'"'"'s summary said \"%s\"", said
				printf ".\n\n"
			}'
		fi
	} >>"$work/report"
}

started=$(date +%s)
load=$(cut -d" " -f1-3 /proc/loadavg)
for s in $scenarios; do
	case $s in
	A) scenario A "honest headers, background 20 req/s" "$work/title.ndjson" \
		"gcu seed shell" "${common[@]}" ;;
	B) scenario B "rate headers stripped" "$work/title.ndjson" "seed shell gcu" \
		"${common[@]}" --strip-headers ;;
	C) scenario C "5% 5xx, 2% connection resets, a competing writer at 8/s" "$work/title.ndjson" \
		"shell gcu seed" "${common[@]}" --seed 7 --error-rate 0.05 --reset-rate 0.02 \
		--writer 8 ;;
	E) scenario E "edge case 3, routing-skill writes with \`--propagation 3\`" \
		"$work/skill.ndjson" "gcu seed shell" "${common[@]}" --propagation 3 ;;
	D) # Latency, not quota, binds: 6 in flight at 200-400 ms. Its table has
		# no share column: the quota is not what limits anyone.
		awk -v n="$n_d" 'NR <= n' "$work/title.ndjson" >"$work/title.D"
		scenario D "no background, latency 200–400 ms, concurrency binds (6 in flight)" \
			"$work/title.D" "seed gcu shell" --limit 300 --window 3 --latency 300 \
			--jitter 100 --fractional-seconds ;;
	*) echo "compare.sh: no scenario $s" >&2; exit 64 ;;
	esac
done
finished=$(date +%s)

echo "compare.sh: last lines each tool wrote on stderr:" >&2
cat "$work/notes" >&2

# The section. The command names N and every other setting that differs
# from its default; `make bench-compare` passes the same variables on.
scen=() size=() others=()
if [ "$scenarios" != "A B C E" ]; then
	case $scenarios in
	*" "*) scen=("SCENARIOS=\"$scenarios\"") ;;
	*) scen=("SCENARIOS=$scenarios") ;;
	esac
fi
[ "$n" != 3000 ] && size=("N=$n")
[ "$n_e" != "$n" ] && others+=("N_E=$n_e")
[ "$n_d" != $((n / 3)) ] && others+=("N_D=$n_d")
[ "$n_shell" != $((n / 3)) ] && others+=("N_SHELL=$n_shell")
[ "$fetch_mode" != live ] && others+=("GCU_FETCH=$fetch_mode")
[ "$tool_timeout" != 600 ] && others+=("TOOL_TIMEOUT=$tool_timeout")
command=$(words "${scen[@]}" "N=$n" "${others[@]}" bench/compare.sh)
make_command=$(words make bench-compare "${scen[@]}" "${size[@]}" "${others[@]}")
if [ "$fetch_mode" = live ]; then
	reads="reading users live"
	headline_reads="reading every user as the peers do"
	cost="gcu a PATCH and 1/100 of a bulk GET"
else
	reads="planning from the org export"
	headline_reads="planning from the org export where the peers read every user"
	cost="gcu a PATCH (it plans from the org export)"
fi
# Who ran fewer users, and why.
sizes=''
if [ "$n_shell" -lt "$n" ]; then
	sizes="The shell peer starts a bash, a jq and two curls for every user,
so it runs $(commas "$n_shell") users to keep the whole benchmark under 15 minutes"
fi
# smaller NAME SIZE: adds to sizes that scenario NAME ran SIZE users, when
# it did and that is fewer than N.
smaller() {
	ran "$1" && [ "$2" -lt "$n" ] || return 0
	local who=" for every tool"
	[ "$n_shell" -lt "$2" ] && who=", the shell peer $(commas "$n_shell")"
	sizes="${sizes:+$sizes; }$1 runs $(commas "$2") users$who"
}
smaller E "$n_e"
smaller D "$n_d"
[ -n "$sizes" ] && sizes="$sizes. "
times=$(awk -v s="$scale" 'BEGIN { printf "%g", 1 / s }')
backoff=$(awk -v s="$scale" 'BEGIN { printf "%g–%g s", 2 * s, 30 * s }')
cat <<SECTION
## gcu against the designs people use today

\`$command\` (also \`$make_command\`): for each scenario,
gcu (its whole pipeline, $reads: partition, fetch, merge,
send), the seed's own design (\`bench/peers/seed_asyncio.py\`: asyncio,
aiohttp, tenacity, Semaphore(6), GET then PATCH, 5 attempts, exponential
wait, Retry-After plus jitter on 429, re-read on 409) and the shell way
(\`bench/peers/xargs_curl.sh\`: \`xargs -P 6\` over curl \`--retry 5\`, jq for
the bodies) run against fresh simulators with identical settings, the
order of the tools rotating per scenario. Time is scaled 1/$times for
everyone (a 60 s window in 3 s; gcu's durations through
\`GCU_PLATFORM_WINDOW\` and \`GCU_RETRY_*\`, the seed's through
\`--time-scale $scale\`, so that its 2–30 s backoff becomes $backoff;
curl's own backoff is whole seconds and cannot be scaled), and the
simulator's resets and Retry-After carry milliseconds
(\`--fractional-seconds\`; bench/pacing.sh measures the platform's whole
seconds). "applied" and
"correct" are read from the simulator's state; goodput is users whose
change the final state holds, per second of wall time; "share" is
goodput over the quota left, $left requests/s, so a tool that needs a GET
and a PATCH per user can keep up 50% at most (a share above that comes
from the first window, which starts with only the background in it). A
user costs the seed's design and the shell way a GET and a PATCH (a
routing change, which takes no version, the PATCH alone), $cost. In E
every routing write also puts 3 entries into the window over the next
0.75 s, counted against the same limit. ${sizes}See bench/peers/README.md
for how faithful each peer is.

SECTION
cat "$work/report"
# Headline: A, gcu against the seed's design.
if ran A; then
	awk -v reads="$headline_reads" '
		function commas(x, s, o) {
			s = sprintf("%d", x); o = ""
			for (; length(s) > 3; s = substr(s, 1, length(s) - 3))
				o = "," substr(s, length(s) - 2) o
			return s o
		}
		$1 == "gcu" { gw = $4 - $3; g429 = $6; ga = $8; gn = $2; gn_sent = $5 }
		$1 == "seed" { sw = $4 - $3; s429 = $6; sa = $8; sn = $2; sn_sent = $5 }
		END {
			if (sw >= gw) printf "On honest headers gcu finishes %.2f times sooner than the seed'"'"'s design", sw / gw
			else printf "On honest headers gcu takes %.2f times as long as the seed'"'"'s design", gw / sw
			printf " (%.1f s against %.1f s, %s), ", gw, sw, reads
			if (g429 > 0)
				printf "with %s 429%s against %s (%.0fx fewer)", commas(g429), g429 == 1 ? "" : "s",
					commas(s429), s429 / g429
			else
				printf "with 0 429s against %s", commas(s429)
			if (ga == gn) printf ", and applies every change"
			else printf ", and applies %s of %s changes", commas(ga), commas(gn)
			if (sa < sn)
				printf " where the seed'"'"'s design leaves %s of %s users unchanged", commas(sn - sa),
					commas(sn)
			else
				printf ", as does the seed'"'"'s design"
			printf "; its goodput is %.2f times the seed design'"'"'s (%.1f against %.1f users a second).",
				(ga / gw) / (sa / sw), ga / gw, sa / sw
			# Where the ratio comes from: the window is the same for
			# both, so it is the requests each spends per user.
			if (ga > 0 && sa > 0)
				printf " The window is the same for both, so the ratio is bounded by the requests each spends per user updated: %.2f for the seed'"'"'s design, %.2f for gcu, which also goes one request at a time in the last `throttle.reserve` (10) of every window and never spends its last `throttle.floor` (2).",
					sn_sent / sa, gn_sent / ga
			printf "\n"

		}' "$work/rows.A" 2>/dev/null || true
fi
if ran E; then
	read -r g s < <(goodputs E)
	awk -v g="$g" -v s="$s" '
		$1 == "gcu" { ga = $8; gn = $2; gr = $5 ? 100 * $6 / $5 : 0 }
		$1 == "seed" { sa = $8; sn = $2; sr = $5 ? 100 * $6 / $5 : 0 }
		END {
			printf "In E gcu applies %d of %d users, the seed'"'"'s design %d of %d; ", ga, gn, sa, sn
			if (g >= s)
				printf "gcu'"'"'s goodput is %.2f times the seed design'"'"'s", g / s
			else
				printf "gcu'"'"'s goodput is %.1f%% below the seed design'"'"'s", 100 * (1 - g / s)
			printf " (%.1f against %.1f users a second), with %.1f%% of its requests answered 429 ", g, s, gr
			printf "against %.1f%%. Every routing write costs the window four entries, three of them ", sr
			printf "landing up to 0.75 s later, so the window holds far more than its limit after each "
			printf "burst of writes and both tools wait for the same entries to leave it: goodput here "
			printf "is set by the platform, and what a tool decides is how many requests it wastes.\n"
		}' "$work/rows.E" 2>/dev/null || true
fi
echo
echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)," \
	"$(date -u +%Y-%m-%d); load average $load at the start; the run took" \
	"$((finished - started)) s."
