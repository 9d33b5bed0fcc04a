# lib.bash - what the benchmark scripts that drive gcu-sim share: the work
# folder and its clean-up, the benchmark's credentials, starting and
# stopping the simulator, an access token, the generated org and the
# title change planned for each of its users, and numbers with commas.
#
# Source it with `me` (the script's name, for messages) and `bin` (where
# the programs are) set, then call bench_init. Everything it makes lives in
# $work; KEEP=1 keeps that folder for a look afterwards.
# shellcheck shell=bash disable=SC2154 # me and bin come from that script

# bench_init: makes $work, arranges for the simulator to be stopped and
# $work removed on exit, and exports the credentials the simulator, gcu
# and the peers read (never in argv: the environment and stdin only).
bench_init() {
	work=$(mktemp -d "${TMPDIR:-/tmp}/gcu-bench-${me%.sh}.XXXXXX")
	sim_pid=''
	trap bench_cleanup EXIT
	export GCU_SIM_CLIENT_ID=bench GCU_SIM_CLIENT_SECRET=bench-secret-0123456789
	export GCU_CLIENT_ID=$GCU_SIM_CLIENT_ID GCU_CLIENT_SECRET=$GCU_SIM_CLIENT_SECRET
	unset GCU_CONFIG GCU_ACCESS_TOKEN GCU_REGION GCU_LOGIN_BASE
}

# bench_cleanup: the EXIT trap bench_init sets.
bench_cleanup() {
	sim_down
	if [ -n "${KEEP:-}" ]; then
		echo "$me: work files kept in $work" >&2
	else
		rm -rf "$work"
	fi
}

# sim_up ARGS...: starts gcu-sim with ARGS on a free port, sets and
# exports GCU_API_BASE; exits 69 if it does not come up in 5 s.
sim_up() {
	rm -f "$work/url"
	"$bin/gcu-sim" --port 0 --ready-file "$work/url" "$@" 2>"$work/sim.log" &
	sim_pid=$!
	for _ in $(seq 100); do [ -s "$work/url" ] && break; sleep 0.05; done
	[ -s "$work/url" ] || { echo "$me: gcu-sim did not start" >&2; exit 69; }
	GCU_API_BASE=$(cat "$work/url")
	export GCU_API_BASE
}

# sim_down: stops the simulator sim_up started, if one is up.
sim_down() {
	[ -n "${sim_pid:-}" ] || return 0
	kill "$sim_pid" 2>/dev/null || true
	wait "$sim_pid" 2>/dev/null || true
	sim_pid=''
}

# token: an access token from the running simulator on stdout, without a
# newline. The secret reaches curl on stdin (printf is a builtin).
token() {
	printf 'user = "%s:%s"\n' "$GCU_CLIENT_ID" "$GCU_CLIENT_SECRET" |
		curl -sf --config - -d grant_type=client_credentials "$GCU_API_BASE/oauth/token" |
		jq -j .access_token
}

# make_org SIZE: SIZE generated users (seed 1) in $work/org.ndjson.
make_org() {
	sim_up --generate "$1" --seed 1 --limit 0
	curl -sf "$GCU_API_BASE/__sim/state" >"$work/org.ndjson"
	sim_down
}

# plan_titles SIZE: an org of SIZE users and one title change per user,
# planned offline (partition, fetch --snapshot, merge) into
# $work/requests.ndjson.
plan_titles() {
	make_org "$1"
	jq -c '{id, changes: {title: ("Lead " + .id[0:8])}}' "$work/org.ndjson" >"$work/changes.ndjson"
	"$bin/gcu-partition" -q "$work/changes.ndjson" |
		"$bin/gcu-fetch" -q --snapshot "$work/org.ndjson" |
		"$bin/gcu-merge" -q >"$work/requests.ndjson"
}

# commas NUMBER: the number with a comma every three digits.
commas() {
	sed -e ':a' -e 's/\B[0-9]\{3\}\>/,&/' -e 'ta' <<<"$1"
}
