#!/usr/bin/env bash
# gcu-sim-run - run a command against gcu-sim, hosted for a run folder.
#
# Starts gcu-sim on a free loopback port with an org: the run folder's
# sim-org.ndjson when an earlier session left one (so that a resumed run
# continues from the org as it was), else --org. Then
# runs the command with the environment pointing at it (the API base, the
# simulator's client credentials, the platform's limit with time running
# ten times faster: 30 requests per 6 s), keeps the simulator's counters for
# the report, stops it, and lets it write the org back to sim-org.ndjson.
# run.sh execs it for --demo, --sim, --sim-org and when no credentials are
# set.
#
# The simulator and the command hold the run folder's lock and end with
# this script, however it ends, so that a killed session leaves nothing
# running and a resume waits for the dump.
set -euo pipefail
umask 077 # the org holds personal data

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=${GCU_BIN:-$here}
lib=$here # built; installed, share/gcu
[ -r "$lib/child.sh" ] || lib=$here/../share/gcu
# shellcheck source=lib/run_folder.sh
. "$lib/run_folder.sh"
# shellcheck source=lib/child.sh
. "$lib/child.sh"

usage() {
	local status=${1:-64}
	[ "$status" = 0 ] || exec >&2
	cat <<'USAGE'
usage: gcu-sim-run [-qv] [-c config] [--org org.ndjson] [--why text] --run-dir dir
                   -- command [arg...]

Run command against gcu-sim loaded with dir/sim-org.ndjson (written back when
the simulator stops), else org.ndjson; say so first, after text.
  -c, --config FILE  the simulator serves the platform.limit and
                     platform.window of FILE (the command reads it too);
                     without it GCU_SIM_LIMIT (30) and GCU_SIM_WINDOW (6)
      --org FILE     the org to start from when dir has none yet
      --why TEXT     what to say before "running against gcu-sim"
      --run-dir DIR  the run folder: its lock, sim-org.ndjson, sim.log
  -q, --quiet        do not say so first
  -v, --verbose      the simulator says more in dir/sim.log
  -h, --help         this text
  -V, --version      the version
The simulator's credentials: GCU_SIM_CLIENT_ID, GCU_SIM_CLIENT_SECRET.
Exit: the command's, or 64 usage, 66 no org, 69 gcu-sim did not start,
75 dir is in use by another run, or a signal came before the command began.
USAGE
	exit "$status"
}
die() {
	printf 'gcu: %s\n' "$2" >&2
	exit "$1"
}

org='' why='' dir='' config='' quiet=0 sim_args=(-q)
while [ $# -gt 0 ]; do
	case $1 in
	-c | --config)
		config=${2:?-c needs a file}
		[ -r "$config" ] || die 64 "$config: cannot read"
		shift 2
		;;
	-q | --quiet) quiet=1; shift ;;
	-v | --verbose) sim_args+=(-v -v); shift ;;
	--org) org=${2:?--org needs a file}; shift 2 ;;
	--why) why=${2?--why needs a text}; shift 2 ;;
	--run-dir) dir=${2:?--run-dir needs a folder}; shift 2 ;;
	-h | --help) usage 0 ;;
	-V | --version) v=$("$bin/gcu-sim" --version); echo "gcu-sim-run ${v##* }"; exit 0 ;;
	--) shift; break ;;
	*) usage ;;
	esac
done
if [ -z "$dir" ] || [ $# -eq 0 ]; then usage; fi

mkdir -p "$dir"
run_lock "$dir" || die 75 "$dir is in use by another run"

# The org: as the last session left it, else the one asked for, copied
# into the run folder so that every later session starts from the copy.
dump=$dir/sim-org.ndjson
from=$dump
if ! [ -s "$dump" ]; then
	[ -r "$org" ] || die 66 "${why}no org to simulate: ${org:-give --org}"
	from=$(cd "$(dirname "$org")" && pwd)/$(basename "$org")
	cp -- "$from" "$dump"
fi

# Its own session: a Ctrl-C must not stop it under a draining stage. It
# holds the lock (fd 9) and, told by GCU_RUN_PID, ends with this script.
# Its client secret is this session's own unless one is set.
export GCU_SIM_CLIENT_ID=${GCU_SIM_CLIENT_ID:-gcu-sim-run}
export GCU_SIM_CLIENT_SECRET=${GCU_SIM_CLIENT_SECRET:-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')}
# The platform's limit with time running ten times faster, the reserve,
# the routing pause and the gap scaled alike; with -c, what config says.
if [ -n "$config" ]; then
	sim_args+=(-c "$config")
else
	limit=${GCU_SIM_LIMIT:-30} window=${GCU_SIM_WINDOW:-6}
	sim_args+=(--limit "$limit" --window "$window")
	export GCU_PLATFORM_LIMIT=${GCU_PLATFORM_LIMIT:-$limit} GCU_PLATFORM_WINDOW=${GCU_PLATFORM_WINDOW:-$window} \
		GCU_THROTTLE_RESERVE=${GCU_THROTTLE_RESERVE:-1} GCU_THROTTLE_PAUSE_BELOW=${GCU_THROTTLE_PAUSE_BELOW:-2} \
		GCU_SCHEDULE_GAP=${GCU_SCHEDULE_GAP:-3}
fi
ready=$dir/.sim-url
rm -f "$ready"
GCU_RUN_PID=$$ setsid "$bin/gcu-sim" "${sim_args[@]}" --port 0 --ready-file "$ready" --users "$dump" \
	--dump "$dump" 2>>"$dir/sim.log" &
sim=$!
for _ in $(seq 1 100); do
	[ -s "$ready" ] && break
	kill -0 "$sim" 2>/dev/null || break
	sleep 0.05
done
[ -s "$ready" ] || die 69 "gcu-sim did not start (see $dir/sim.log)"
url=$(cat "$ready")
if [ -n "${GCU_CLIENT_ID:-}${GCU_CLIENT_SECRET:-}${GCU_ACCESS_TOKEN:-}" ]; then
	why="${why}the credentials are not used; "
fi
msg="${why}running against gcu-sim on $url with ${from#"$PWD"/}"
[ "$quiet" = 1 ] || printf 'gcu: %s\n' "$msg" >&2
run_log "$dir" "$msg"

# Never let production credentials near the simulator, or the reverse.
unset GCU_REGION GCU_LOGIN_BASE GCU_ACCESS_TOKEN
export GCU_RUN_PLATFORM=sim GCU_API_BASE=$url \
	GCU_CLIENT_ID=$GCU_SIM_CLIENT_ID GCU_CLIENT_SECRET=$GCU_SIM_CLIENT_SECRET

# The command ends with this script too (setpriv, and GCU_RUN_PID for a
# stage); in a session of its own (run_child), it learns of a signal here
# as one SIGTERM. Told to stop before it began, it does not begin: 75, as
# for a run interrupted.
bound=()
command -v setpriv >/dev/null && bound=(setpriv --pdeathsig TERM --)
rc=75
if [ -z "$interrupted" ]; then
	rc=0
	run_child "${bound[@]}" "$@" || rc=$?
fi

# The counters and per-second timeline for the report, named after when
# they were read; then the dump, and the report drawn again with them.
at=$(date +%s%3N)
if curl -sf --max-time 5 -o "$dir/.sim-stats.tmp" -- "$url/__sim/stats"; then
	mv -f "$dir/.sim-stats.tmp" "$dir/sim-stats.$at.json"
fi
rm -f "$dir/.sim-stats.tmp"
kill -TERM "$sim" 2>/dev/null || true
wait "$sim" || true
if [ "$dir/report.txt" -nt "$ready" ]; then "$bin/gcu-report" -q "$dir" || true; fi
rm -f "$ready"
exit "$rc"
