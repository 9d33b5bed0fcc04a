# lib.bash - what the benchmark scripts that drive gcu-sim share: the work
# folder and its clean-up, the benchmark's credentials, starting and
# stopping the simulator, an access token, the generated org and the
# title change planned for each of its users, the scaled minute, one run
# of gcu or a peer against a fresh simulator and what the org holds
# afterwards, and numbers with commas.
#
# Source it with `me` (the script's name, for messages) and `bin` (where
# the programs are) set, then call bench_init. Everything it makes lives in
# $work; KEEP=1 keeps that folder for a look afterwards. measure and
# run_tool also need `peers` (bench/peers), `python`, `fetch_mode` (live
# or snapshot) and `tool_timeout` (seconds a run may take).
# shellcheck shell=bash disable=SC2154 # me and bin come from that script

# bench_init: makes $work, arranges for the simulator to be stopped and
# $work removed on exit (and for a failed command to be named), and
# exports the credentials the simulator, gcu and the peers read (never in
# argv: the environment and stdin only).
bench_init() {
	work=$(mktemp -d "${TMPDIR:-/tmp}/gcu-bench-${me%.sh}.XXXXXX")
	sim_pid=''
	trap bench_cleanup EXIT
	trap 'echo "$me: line $LINENO: a command failed (status $?)" >&2' ERR
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

# The scaled minute: 300 requests per 3 s window (the platform's 300 a
# minute, 20 times faster), other traffic at 20 a second, latency 10-20
# ms; what is left to a tool, per second.
limit=300 window=3 background=20
# shellcheck disable=SC2034 # for the scripts that source this
left=$(((limit - background * window) / window))
# shellcheck disable=SC2034
common=(--limit "$limit" --window "$window" --background "$background" --latency 15 --jitter 5)
# The seed's durations (2-30 s backoff, 0-1.5 s jitter) are for a 60 s
# window; the sim's window is 3 s, so every duration a tool chooses itself
# is scaled by 3/60: gcu through its settings, the seed's design through
# --time-scale. curl's backoff cannot be scaled (whole seconds only).
scale=0.05
gcu_env=("GCU_PLATFORM_WINDOW=$window" GCU_RETRY_RATE_LIMIT_BASE=0.1 GCU_RETRY_RATE_LIMIT_MAX=1.5
	GCU_RETRY_SERVER_BASE=0.5 GCU_RETRY_SERVER_MAX=6 GCU_RETRY_CONFLICT_COOLDOWN=3
	GCU_CIRCUIT_PAUSE=1.5)

# need_peers: exits 69 unless the tools the runs and the seed's design
# need are installed.
need_peers() {
	local tool
	for tool in curl jq xargs awk timeout; do
		command -v "$tool" >/dev/null || { echo "$me: $tool is required" >&2; exit 69; }
	done
	if ! "$python" -c 'import aiohttp, tenacity' 2>/dev/null; then
		echo "$me: $python needs aiohttp and tenacity" \
			"(apt-get install python3-aiohttp python3-tenacity)" >&2
		exit 69
	fi
}

# run_tool TOOL CHANGES LOG [ENV...]: runs one tool on CHANGES, results on
# stdout; gcu with the scaled durations and ENV on top.
run_tool() {
	local tool=$1 changes=$2 log=$3
	shift 3
	case $tool in
	gcu)
		local fetch=("$bin/gcu-fetch")
		[ "$fetch_mode" = snapshot ] && fetch+=(--snapshot "$work/org.ndjson")
		# One token for the whole pipeline, so that its reads and its
		# writes share one rate window, as a single client's would.
		GCU_ACCESS_TOKEN=$(token)
		export GCU_ACCESS_TOKEN
		"$bin/gcu-partition" -q "$changes" |
			env "${gcu_env[@]}" "$@" timeout "$tool_timeout" "${fetch[@]}" 2>>"$log.fetch" |
			"$bin/gcu-merge" -q |
			env "${gcu_env[@]}" "$@" timeout "$tool_timeout" "$bin/gcu-send" \
				--failed "$work/failed" 2>>"$log" || true
		unset GCU_ACCESS_TOKEN
		;;
	seed)
		timeout "$tool_timeout" "$python" "$peers/seed_asyncio.py" --time-scale "$scale" \
			"$changes" 2>>"$log" || true
		;;
	shell)
		timeout "$tool_timeout" bash "$peers/xargs_curl.sh" "$changes" 2>>"$log" || true
		;;
	esac
}

# verdict CHANGES PRE POST: what the final state says, from the sim's dumps
# before and after the run: "applied touched lost". applied: users of
# CHANGES whose every changed field holds its new value. The writer check
# (a competing writer), over every user of the org:
# the writer bumps the version and sets wfmSyncStamp, and the sim's PATCH
# merges fields, so a user's version grows by one per applied tool write
# plus one per writer touch. A user whose version grew by more than the
# tool's own write was touched by the writer during the run and must carry
# a stamp newer than before the run ("touched"); any other user must carry
# its stamp unchanged. A user breaking either rule lost the writer's field
# ("lost").
verdict() {
	# shellcheck disable=SC2016 # jq variables, not shell ones
	jq -n -r --slurpfile ch "$1" --slurpfile pre "$2" --slurpfile post "$3" '
		($ch | map({key: .id, value: .changes}) | from_entries) as $want
		| ($pre | map({key: .id, value: .}) | from_entries) as $before
		| [ $post[] | . as $u | $want[.id] as $c | $before[.id] as $b
			| (if $c == null then false else [$c | to_entries[] | .key as $k | .value as $v
				| if $k == "routingSkills" then
					all($v | to_entries[]; .key as $s | .value as $p
						| any(($u.skills // [])[]; .id == $s and .proficiency == $p))
				elif $k == "routingStatus" then $u.routingStatus.status == $v
				else $u[$k] == $v end] | all end) as $applied
			| (if $applied and ($c | keys | any(startswith("routing") | not)) then 1 else 0 end) as $own
			| ($u.version - $b.version - $own) as $extra
			| { applied: $applied,
				touched: ($extra > 0),
				lost: (if $extra > 0
					then ($u.wfmSyncStamp == null or $u.wfmSyncStamp == $b.wfmSyncStamp)
					else ($extra < 0 or $u.wfmSyncStamp != $b.wfmSyncStamp) end) } ]
		| "\(map(select(.applied)) | length) \(map(select(.touched)) | length) \(map(select(.lost)) | length)"'
}

# split_args SIM_ARGS... [-- ENV...]: the words before -- in the array
# sim_args, those after it in envs.
split_args() {
	sim_args=() envs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do sim_args+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	envs=("$@")
}

# measure TAG TOOL CHANGES SIM_ARGS... [-- ENV...]: one run of TOOL on
# CHANGES against a fresh gcu-sim (the org of $work/org.ndjson and
# SIM_ARGS), gcu with ENV on top of the scaled durations. With `front` set
# to the name of a function, the tools talk to what `$front up SIM_URL`
# puts in front of the simulator (it sets GCU_API_BASE), `$front down`
# stops it and `$front turned_away` prints the requests it answered 429
# itself. Appends one row to $work/rows.TAG: "tool users t0 t1 sent 429s
# said applied touched lost", figures from the simulator's stats and state
# (and the front's), "said" the results the tool called ok or unchanged;
# its last lines on stderr go to $work/notes. Returns 1 when the front
# cannot be had.
measure() {
	local tag=$1 tool=$2 changes=$3
	shift 3
	split_args "$@"
	local users run=$tag.$tool t0 t1 sim front_429=0
	users=$(wc -l <"$changes")
	sim_up --users "$work/org.ndjson" "${sim_args[@]}"
	sim=$GCU_API_BASE
	if [ -n "${front:-}" ] && ! "$front" up "$sim"; then
		sim_down
		return 1
	fi
	# Let the background traffic fill the window as it would on a busy org.
	sleep 3
	curl -sf -X POST "$sim/__sim/reset-stats" >/dev/null
	curl -sf "$sim/__sim/state" >"$work/pre.$run"
	t0=$(date +%s.%N)
	run_tool "$tool" "$changes" "$work/log.$run" "${envs[@]}" >"$work/out.$run"
	t1=$(date +%s.%N)
	curl -sf "$sim/__sim/stats" >"$work/stats.$run"
	curl -sf "$sim/__sim/state" >"$work/post.$run"
	if [ -n "${front:-}" ]; then
		"$front" down
		front_429=$("$front" turned_away)
	fi
	sim_down
	local sent r429 said applied touched lost
	sent=$(($(jq '.requests.total' "$work/stats.$run") + front_429))
	r429=$(($(jq '.rate_limited' "$work/stats.$run") + front_429))
	said=$(grep -c '"status":"\(ok\|unchanged\)"' "$work/out.$run" || true)
	read -r applied touched lost < <(verdict "$changes" "$work/pre.$run" "$work/post.$run")
	printf '%s %s %s %s %s %s %s %s %s %s\n' "$tool" "$users" "$t0" "$t1" "$sent" "$r429" \
		"$said" "$applied" "$touched" "$lost" >>"$work/rows.$tag"
	tail -n 3 "$work/log.$run" | sed "s/^/    $tag $tool: /" >>"$work/notes"
}

# words WORD...: the words joined by single spaces, on one line.
words() {
	local IFS=' '
	printf '%s\n' "$*"
}

# commas NUMBER: the number with a comma every three digits.
commas() {
	sed -e ':a' -e 's/\B[0-9]\{3\}\>/,&/' -e 'ta' <<<"$1"
}
