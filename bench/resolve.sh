#!/usr/bin/env bash
# resolve.sh - what turning an HR export's emails and names into ids costs
# with gcu-resolve, next to the naive way: a user search per user, which is
# what glue around curl does to look ids up.
#
# For an org of N users (generated, seed 1) and a change file naming M of
# them by email, with two skills by name each: gcu-resolve against a fresh
# gcu-sim, and then, against another fresh one, the same lookups the naive
# way: one POST /api/v2/users/search per user (one value each), sent by
# one curl process from a config file written beforehand, one after the
# other on one connection, retrying a 429 after its Retry-After (retry),
# and one page of skills. Both see the platform's default limit, 300
# requests a minute, with the minute scaled down 20 times (--limit 300
# --window 3; gcu is told the same). The sim counts the requests (the
# token's left out) and the 429s; wall time is the tool's.
#
# Prints one markdown section with the table, the machine and the command;
# progress goes to stderr. Environment: CELLS ("N:M N:M …", default
# "5000:300 5000:2500 10000:300 10000:5000"), GCU_BIN (default bin/),
# KEEP=1 to keep the work files. Build first with `make -j2`. Takes about
# two minutes on 2 cores, most of it the naive way waiting out the limit.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${GCU_BIN:-$root/bin}
cells=${CELLS:-"5000:300 5000:2500 10000:300 10000:5000"}
limit=300 window=3

for tool in curl jq awk; do
	command -v "$tool" >/dev/null || { echo "resolve.sh: $tool is required" >&2; exit 69; }
done
for prog in gcu-sim gcu-resolve; do
	[ -x "$bin/$prog" ] || { echo "resolve.sh: no $bin/$prog (run make -j2)" >&2; exit 69; }
done

umask 077
me=resolve.sh
# shellcheck source=bench/lib.bash
. "$root/bench/lib.bash"
bench_init
export GCU_PLATFORM_LIMIT=$limit GCU_PLATFORM_WINDOW=$window

# counts: "requests 429s" the sim answered, the token requests left out.
counts() {
	curl -sf "$GCU_API_BASE/__sim/stats" | jq -r '
		[.requests.by_route | to_entries[] | select(.key != "POST /oauth/token") | .value]
		| add // 0 | tostring' | tr '\n' ' '
	curl -sf "$GCU_API_BASE/__sim/stats" | jq -r '.rate_limited'
}

# elapsed START: seconds since START (epoch ms), to a tenth.
elapsed() {
	awk -v a="$1" -v b="$(date +%s%3N)" 'BEGIN { printf "%.1f\n", (b - a) / 1000 }'
}

# naive_config: curl's config for a search per user of emails.txt, one
# block each, and a page of skills; the token from a file of mode 600.
# Each answer goes to a file, not /dev/null, which curl could not truncate
# to retry.
naive_config() {
	# shellcheck disable=SC2016 # jq variables, not shell ones
	jq -R -r -n --arg base "$GCU_API_BASE" --arg out "$work/answer" --rawfile tok "$work/token" '
		def block(url; body): "url = \(url | tojson)\n"
			+ "header = \("Authorization: Bearer " + $tok | tojson)\n"
			+ (if body then "header = \("Content-Type: application/json" | tojson)\n"
			   + "data-raw = \(body | tojson)\n" else "" end)
			+ "output = \($out | tojson)\nretry = 20\n";
		block($base + "/api/v2/routing/skills?pageSize=100"; null),
		(inputs | "next\n" + block($base + "/api/v2/users/search";
			{pageSize: 1, query: [{type: "EXACT", fields: ["email"], values: [.]}]} | tojson))' \
		"$work/emails.txt" >"$work/curl.cfg"
}

started=$(date +%s)
load=$(cut -d" " -f1-3 /proc/loadavg)
: >"$work/rows"
for cell in $cells; do
	n=${cell%%:*} m=${cell#*:}
	echo "$me: $n users, $m named" >&2
	make_org "$n"
	jq -r 'select(.state == "active") | .email' "$work/org.ndjson" |
		awk -v m="$m" -v n="$n" 'BEGIN { step = int(n * 0.9 / m); if (step < 1) step = 1 }
			(NR - 1) % step == 0 && c < m { print; c++ }' >"$work/emails.txt"
	awk 'BEGIN { print "email,title,skills" } { print $0 ",Lead,Technical:4;Escalations:2" }' \
		"$work/emails.txt" >"$work/hr.csv"

	sim_up --users "$work/org.ndjson" --limit "$limit" --window "$window"
	t=$(date +%s%3N)
	"$bin/gcu-resolve" -q --summary "$work/sum.json" "$work/hr.csv" >"$work/resolved.ndjson"
	wall=$(elapsed "$t")
	read -r req r429 < <(counts)
	plan=$(jq -r '.plan' "$work/sum.json")
	ok=$(jq -r '.resolved' "$work/sum.json")
	sim_down

	sim_up --users "$work/org.ndjson" --limit "$limit" --window "$window"
	token >"$work/token"
	naive_config
	t=$(date +%s%3N)
	curl -s -K "$work/curl.cfg" >/dev/null 2>"$work/curl.err" || true
	nwall=$(elapsed "$t")
	read -r nreq n429 < <(counts)
	sim_down
	echo "$n $m $plan $ok $req $r429 $wall $nreq $n429 $nwall" >>"$work/rows"
done
finished=$(date +%s)

echo "## Resolving an HR export: gcu-resolve next to a search per user"
echo
cat <<EOF
\`${CELLS:+CELLS="$cells" }bench/resolve.sh\` (also \`make bench-resolve\`): an org of N
generated users (\`gcu-sim --generate N --seed 1\`) and a CSV naming M of
its active users by email, each with two skills by name
(\`Technical:4;Escalations:2\`). gcu-resolve turns them into ids (\`gcu-resolve
-q hr.csv\`, its plan its own: searches of 100 values or the directory, 500
users a page, and the skills catalogue). The naive way looks the same users
up one search each (\`POST /api/v2/users/search\` with one value) plus a page
of skills, sent by one \`curl -K curl.cfg\` one after the other on one
connection, each with \`retry = 20\` (a 429 waits its Retry-After): what glue around curl
does. Each runs against its own fresh gcu-sim limited to $limit requests per
$window s (the platform's 300 a minute with the minute scaled 20 times;
gcu told the same). Requests and 429s are the simulator's counts, the token
left out; wall is the tool's own.
EOF
echo
echo "| org | users named | gcu-resolve: plan | requests | 429s | wall | resolved | a search per user: requests | 429s | wall | requests saved |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
while read -r n m plan ok req r429 wall nreq n429 nwall; do
	printf '| %s | %s | %s | %s | %s | %s s | %s | %s | %s | %s s | %s times fewer |\n' \
		"$(commas "$n")" "$(commas "$m")" "$plan" "$req" "$r429" "$wall" "$(commas "$ok")" \
		"$(commas "$nreq")" "$n429" "$nwall" \
		"$(awk -v a="$nreq" -v b="$req" 'BEGIN { printf "%.0f", (b > 0 ? a / b : 0) }')"
done <"$work/rows"
echo
read -r s u ns < <(awk '{ s += $5; u += $2; ns += $8 } END { print s, u, ns }' "$work/rows")
printf 'Over these files gcu-resolve sent %s requests for %s users (%s a user), the naive way %s (%s a user).\n\n' \
	"$(commas "$s")" "$(commas "$u")" "$(awk -v a="$s" -v b="$u" 'BEGIN { printf "%.3f", a / b }')" \
	"$(commas "$ns")" "$(awk -v a="$ns" -v b="$u" 'BEGIN { printf "%.2f", a / b }')"
echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)," \
	"$(date -u +%Y-%m-%d); load average $load at the start;" \
	"$(curl --version | head -n 1 | cut -d' ' -f1-2); the run took $((finished - started)) s."
