#!/usr/bin/env bash
# groups.sh - what a reorganisation costs in requests: queue, team and
# division changes gathered into group requests, next to a request per
# user per change, measured in the same run.
#
# gcu-sim generates an org of N users (seed 1); bench/reorg.jq plans a
# reorganisation of it: every user leaves one of its queues and joins
# another, moves team, and one in five moves division. Then, each against
# a fresh simulator from the same seed:
#   - gcu: run.sh over the change file (partition, fetch, merge, send,
#     verify, both scopes, no gap): every request it makes, reads included;
#   - one a change: the same group requests split into one request per
#     user per change (the same ops and bodies, one member each), sent by
#     gcu-send; no reads counted, so it is the least such a client spends.
# The requests are the simulator's own counts (/__sim/stats, the token's
# left out); each run is checked to leave every change held in the org.
#
# Prints one markdown section with the table, the machine and the
# command; progress goes to stderr. Environment: N (default 2000),
# GCU_BIN (default bin/), KEEP=1 to keep the work files. Build first with
# `make -j2`. Takes about a minute at N=2000 on 2 cores, most of it the
# split requests paced to the limit.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${GCU_BIN:-$root/bin}
n=${N:-2000}
window=2 # the platform's 300 a minute, a minute scaled down to 2 s

for tool in curl jq awk; do
	command -v "$tool" >/dev/null || { echo "groups.sh: $tool is required" >&2; exit 69; }
done
for prog in gcu-sim gcu-partition gcu-fetch gcu-merge gcu-send gcu-verify; do
	[ -x "$bin/$prog" ] || { echo "groups.sh: no $bin/$prog (run make -j2)" >&2; exit 69; }
done

umask 077
me=groups.sh
# shellcheck source=bench/lib.bash
. "$root/bench/lib.bash"
# wanted, not_held: what a reorg asks for, and what of it the org lacks.
# shellcheck source=tests/cli/groups.bash
. "$root/tests/cli/groups.bash"
bench_init
export GCU_BIN=$bin GCU_PLATFORM_WINDOW=$window
started=$(date +%s)
load=$(cut -d' ' -f1 /proc/loadavg)

# requests: what the running simulator answered, but the token, as
# "total route=count…".
requests() {
	curl -sf "$GCU_API_BASE/__sim/stats" | jq -r '.requests.by_route | to_entries
		| map(select(.key | startswith("POST /oauth") | not))
		| "\(map(.value) | add // 0) \(map("\(.key)=\(.value)") | join(";"))"'
}

# holds: every change of the reorg holds in the running simulator's org.
holds() {
	curl -sf "$GCU_API_BASE/__sim/state" >"$work/state.ndjson"
	[ -z "$(not_held "$work/reorg.csv" "$work/state.ndjson")" ]
}

fresh() {
	sim_down
	sim_up --generate "$n" --seed 1 --limit 300 --window "$window"
}

echo "$me: $n users, a reorg planned" >&2
fresh
curl -sf "$GCU_API_BASE/__sim/state?catalog=1" >"$work/org.ndjson"
jq -rn -f "$root/bench/reorg.jq" "$work/org.ndjson" >"$work/reorg.csv"

echo "$me: gcu (run.sh)" >&2
t0=$(date +%s.%N)
rc=0
"$root/run.sh" -q --no-report --run-dir "$work/run" --gap 0 "$work/reorg.csv" 2>"$work/run.log" || rc=$?
t1=$(date +%s.%N)
[ "$rc" = 0 ] || { echo "$me: run.sh exited $rc" >&2; tail "$work/run.log" >&2; exit 1; }
read -r gcu_total gcu_routes < <(requests)
holds || { echo "$me: gcu left changes undone" >&2; exit 1; }
gcu_wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
changes=$(cat "$work/run/requests.non-routing.ndjson" "$work/run/requests.routing.ndjson" |
	jq -s 'map(.members | length) | add')

# The same requests, one member each (the path and body the row makes for
# one member), in the order gcu-merge wrote them.
echo "$me: one request a change" >&2
for s in non-routing routing; do
	jq -c '. as $r | .members[] as $m | $r + {members: [$m],
		path: (if $r.op == "teamLeave" then ($r.path | split("?")[0]) + "?id=" + $m.id else $r.path end),
		body: (if $r.op == "teamLeave" then null
			elif $r.op == "teamJoin" then {memberIds: [$m.id]}
			elif $r.op == "division" then [$m.id]
			else [{id: $m.id}] end)}' "$work/run/requests.$s.ndjson" >"$work/one.$s.ndjson"
done
fresh
t0=$(date +%s.%N)
for s in non-routing routing; do
	"$bin/gcu-send" -q "$work/one.$s.ndjson" >"$work/one.$s.results" ||
		{ echo "$me: gcu-send failed on the split requests" >&2; exit 1; }
done
t1=$(date +%s.%N)
read -r one_total one_routes < <(requests)
holds || { echo "$me: the split requests left changes undone" >&2; exit 1; }
one_wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
finished=$(date +%s)

# kinds ROUTES: the requests by kind, in words.
kinds() {
	tr ';' '\n' <<<"$1" | awk -F= '
		/GET \/api\/v2\/users/ { r[1] += $2; next }
		/GET .*queues/ { r[2] += $2; next }
		/queues/ { r[3] += $2; next }
		/teams/ { r[4] += $2; next }
		/divisions/ { r[5] += $2; next }
		{ r[6] += $2 }
		END {
			split("user reads,queue member pages,queue calls,team calls,division calls,other", name, ",")
			for (i = 1; i <= 6; i++) if (r[i]) s = s (s ? ", " : "") r[i] " " name[i]
			print s
		}'
}

cat <<EOF
## Group requests: a reorganisation

\`N=$n bench/groups.sh\` (also \`make bench-groups\`): gcu-sim generates
$(commas "$n") users (\`--generate $n --seed 1 --limit 300 --window $window\`: the
platform's 300 requests a minute, the minute scaled down to $window s) and
bench/reorg.jq plans a reorganisation: every user leaves one of its queues
and joins another, moves team, and one in five moves division,
$(commas "$changes") changes in all. **gcu** is \`run.sh --gap 0\` over that
file: both scopes, fetch, merge, send and verify, every request counted,
reads included. **One a change** is the same requests split into one
request per user per change (one member each), sent by gcu-send against a
fresh simulator from the same seed, reads not counted. Requests are the
simulator's counts (/__sim/stats, tokens left out); each run left every
change held in the org (/__sim/state).

| run | requests | per user | by kind | wall |
|---|---|---|---|---|
| gcu | $(commas "$gcu_total") | $(awk -v a="$gcu_total" -v u="$n" 'BEGIN { printf "%.3f", a / u }') | $(kinds "$gcu_routes") | $gcu_wall s |
| one a change | $(commas "$one_total") | $(awk -v a="$one_total" -v u="$n" 'BEGIN { printf "%.2f", a / u }') | $(kinds "$one_routes") | $one_wall s |

gcu spends $(awk -v a="$gcu_total" -v b="$one_total" 'BEGIN { printf "%.1f", b / a }') times fewer requests than one a change, reads included.

Machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(date -u +%Y-%m-%d); load average $load at the start; the run took $((finished - started)) s.
EOF
