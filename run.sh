#!/usr/bin/env bash
# run.sh (installed as gcu-run) - drive the gcu pipeline over a change file.
#
# It makes a run folder, splits the changes by scope, runs the non-routing
# scope through gcu-fetch, gcu-merge, gcu-send and gcu-verify with a file
# between every two stages (so that any stage can be replayed), waits the
# gap the platform needs to propagate those changes, runs the routing scope
# the same way and writes the report. A state file in the run folder records
# what is done, so that `run.sh --resume RUNDIR` continues where a run
# stopped. The token is obtained once, here, and handed to every stage in
# the environment, so that all of them share one rate-limit window. Without
# credentials it runs against gcu-sim on the loopback interface.
#
# Secrets never reach argv: curl reads the client credentials from its
# standard input (--config -), the stages read them from the environment.
set -euo pipefail

version=0.1.0
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -n "${GCU_BIN:-}" ]; then
	bin=$GCU_BIN
elif [ -x "$here/bin/gcu-partition" ]; then
	bin=$here/bin
elif [ -x "$here/gcu-partition" ]; then
	bin=$here
else
	bin=$(dirname "$(command -v gcu-partition 2>/dev/null || echo ./gcu-partition)")
fi

# The embedded default platform: gcu-sim with a sample org and the
# platform's limit with time running ten times faster (30 requests per 6 s
# for 300 a minute, the reserve and the routing pause scaled alike), so that
# a demonstration is quick and still shows the pacing.
sim_limit=${GCU_SIM_LIMIT:-30}
sim_window=${GCU_SIM_WINDOW:-6}
sim_reserve=1
sim_pause=2
sim_gap=3
scopes=(non-routing routing)

# usage [STATUS]: the synopsis, on stdout for --help, else on stderr.
usage() {
	local status=${1:-64}
	if [ "$status" = 0 ]; then exec 3>&1; else exec 3>&2; fi
	cat >&3 <<'USAGE'
usage: run.sh [-qv] [-c config] [--run-dir dir] [--gap seconds] [--scope scope]
              [--sim | --sim-org org.ndjson] [--no-report] changes.csv|changes.ndjson
       run.sh --plan [-c config] [--run-dir dir] [--snapshot org.ndjson]
              [--sim | --sim-org org.ndjson] changes.csv|changes.ndjson
       run.sh --resume dir [--gap seconds] [--scope scope]
       run.sh --wait-gap --run-dir dir [--gap seconds]
       run.sh --verify --run-dir dir
USAGE
	exit "$status"
}

# --- messages -------------------------------------------------------------
run_dir='' quiet=0 verbose=0
say() {
	[ "$quiet" = 1 ] || printf 'gcu: %s\n' "$*" >&2
	if [ -n "$run_dir" ] && [ -d "$run_dir" ]; then
		printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >>"$run_dir/run.log"
	fi
}
warn() {
	printf 'gcu: %s\n' "$*" >&2
	if [ -n "$run_dir" ] && [ -d "$run_dir" ]; then
		printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >>"$run_dir/run.log"
	fi
}
die() {
	local code=$1
	shift
	warn "$*"
	exit "$code"
}

# --- numbers and time -----------------------------------------------------
# Times are kept as epoch milliseconds; durations may have fractions.
now_ms() {
	local t=${EPOCHREALTIME//[.,]/}
	printf '%s\n' $((t / 1000))
}
is_number() { [[ $1 =~ ^[0-9]+([.][0-9]+)?$ ]]; }
to_ms() { awk -v s="$1" 'BEGIN { printf "%d\n", s * 1000 + 0.5 }'; }
ms_to_s() { awk -v m="$1" 'BEGIN { printf "%.3f\n", m / 1000 }'; }
human() { # seconds -> "1 h 02 min", "3 min 05 s", "12.5 s"
	awk -v s="$1" 'BEGIN {
		if (s >= 3600) printf "%d h %02d min\n", s / 3600, (s % 3600) / 60
		else if (s >= 60) printf "%d min %02d s\n", s / 60, s % 60
		else printf "%.1f s\n", s }'
}

# --- settings -------------------------------------------------------------
# yaml_get SECTION KEY: the value of "KEY:" under "SECTION:" in the config
# file, without quotes or comment; empty when absent. Enough for the flat
# sections of config/gcu.yaml (auth, schedule, platform, throttle).
config=''
yaml_get() {
	[ -n "$config" ] && [ -r "$config" ] || return 0
	awk -v sec="$1" -v key="$2" '
		/^[^[:space:]#]/ { top = $0; sub(/:.*/, "", top); next }
		top == sec && $0 ~ "^[[:space:]]+" key ":" {
			v = $0; sub(/^[^:]*:[[:space:]]*/, "", v)
			if (v ~ /^"/) { sub(/^"/, "", v); sub(/".*$/, "", v) }
			else if (v ~ /^'\''/) { sub(/^'\''/, "", v); sub(/'\''.*$/, "", v) }
			else { sub(/[[:space:]]+#.*$/, "", v); sub(/[[:space:]]+$/, "", v) }
			print v; exit
		}' "$config"
}
# setting KEY DEFAULT: GCU_<KEY> from the environment, else the config, else
# DEFAULT (the same precedence the stages use).
setting() {
	local key=$1 def=$2 var v
	var=GCU_$(printf '%s' "$key" | tr '[:lower:].' '[:upper:]_')
	v=${!var:-}
	[ -n "$v" ] || v=$(yaml_get "${key%%.*}" "${key#*.}")
	printf '%s\n' "${v:-$def}"
}

# kept_back: the requests of each window gcu never spends, throttle.floor
# cut to throttle.reserve as the pacer cuts it.
kept_back() {
	local reserve floor
	reserve=$(setting throttle.reserve 10)
	floor=$(setting throttle.floor 2)
	awk -v r="$reserve" -v f="$floor" 'BEGIN { print (f < r ? f : r) + 0 }'
}

# --- the state file -------------------------------------------------------
# RUNDIR/state holds key=value lines; it is parsed, never sourced.
state_get() {
	[ -f "$run_dir/state" ] || return 0
	awk -v k="$1" 'index($0, k "=") == 1 { print substr($0, length(k) + 2); exit }' "$run_dir/state"
}
state_set() {
	local tmp=$run_dir/.state.tmp
	touch "$run_dir/state"
	awk -v k="$1" -v v="$2" '
		index($0, k "=") == 1 { print k "=" v; done = 1; next }
		{ print }
		END { if (!done) print k "=" v }' "$run_dir/state" >"$tmp"
	mv -f "$tmp" "$run_dir/state"
}

# --- children and signals -------------------------------------------------
# Stages run in their own session, so that a Ctrl-C on the terminal reaches
# run.sh only; run.sh passes one SIGTERM on, the stage drains what is in
# flight and exits 75, and the run can be resumed.
child='' interrupted=''
# shellcheck disable=SC2317 # invoked by the traps
on_signal() {
	interrupted=$1
	if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null || true; fi
}
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP

# run_child CMD...: runs CMD in the background and waits for it, through
# signals; returns its exit status.
run_child() {
	local rc=0
	setsid "$@" 9>&- &
	child=$!
	while :; do
		rc=0
		wait "$child" || rc=$?
		if [ "$rc" -gt 128 ] && kill -0 "$child" 2>/dev/null; then continue; fi
		break
	done
	if [ "$rc" -gt 128 ] && [ -n "$interrupted" ]; then
		local again=0
		wait "$child" 2>/dev/null || again=$?
		[ "$again" = 127 ] || rc=$again
	fi
	child=''
	return "$rc"
}
check_interrupted() {
	[ -z "$interrupted" ] && return 0
	say "interrupted (SIG$interrupted); continue with: run.sh --resume $run_dir"
	exit 75
}

# --- the platform and the token -------------------------------------------
region_domain() {
	case ${1,,} in
	us-east-1) echo mypurecloud.com ;;
	eu-west-1) echo mypurecloud.ie ;;
	eu-central-1) echo mypurecloud.de ;;
	ap-southeast-2) echo mypurecloud.com.au ;;
	ap-northeast-1) echo mypurecloud.jp ;;
	us-west-2) echo usw2.pure.cloud ;;
	ca-central-1) echo cac1.pure.cloud ;;
	eu-west-2) echo euw2.pure.cloud ;;
	ap-south-1) echo aps1.pure.cloud ;;
	ap-northeast-2) echo apne2.pure.cloud ;;
	ap-northeast-3) echo apne3.pure.cloud ;;
	sa-east-1) echo sae1.pure.cloud ;;
	eu-central-2) echo euc2.pure.cloud ;;
	me-central-1) echo mec1.pure.cloud ;;
	*.*) echo "$1" ;;
	*) return 1 ;;
	esac
}

# Plain http only to the loopback interface, as the stages demand.
url_allowed() {
	case $1 in
	https://*) return 0 ;;
	http://127.*/* | http://127.* | http://localhost | http://localhost[:/]* | http://\[::1\]*) return 0 ;;
	*) return 1 ;;
	esac
}

# curl_quote S: S quoted for a curl config file.
curl_quote() {
	local s=${1//\\/\\\\}
	s=${s//\"/\\\"}
	printf '"%s"' "$s"
}

# get_token URL: asks URL for a client-credentials token with client_id and
# client_secret; sets token and token_expires (epoch ms). The credentials go
# to curl on its standard input (a curl config), never on its command line.
client_id='' client_secret='' token='' token_expires=0
get_token() {
	local url=$1 answer code body tries=0 rc errf
	errf=$(mktemp)
	while :; do
		tries=$((tries + 1))
		rc=0
		answer=$(printf 'user = %s\n' "$(curl_quote "$client_id:$client_secret")" |
			curl --config - -sS --proto '=https,http' --connect-timeout 10 --max-time 60 \
				-H 'Accept: application/json' -d grant_type=client_credentials \
				-w '\n%{http_code}' -- "$url" 2>"$errf") || rc=$?
		code=${answer##*$'\n'}
		body=${answer%$'\n'*}
		if [ "$rc" = 0 ] && [ "$code" = 200 ]; then break; fi
		case $code in
		400 | 401 | 403)
			rm -f "$errf"
			die 77 "the platform refused the client credentials (HTTP $code from $url)"
			;;
		esac
		if [ "$tries" -ge 4 ]; then
			local why
			why=$(head -c 200 "$errf")
			rm -f "$errf"
			[ "$rc" = 0 ] && why="HTTP $code"
			die 69 "cannot obtain a token from $url: ${why:-no answer}"
		fi
		sleep $((tries * 2))
	done
	rm -f "$errf"
	token=$(printf '%s' "$body" | jq -r '.access_token // empty' 2>/dev/null || true)
	local ttl
	ttl=$(printf '%s' "$body" | jq -r '.expires_in // 86400' 2>/dev/null || echo 86400)
	is_number "$ttl" || ttl=86400
	if [ -z "$token" ] || ! [[ $token =~ ^[!-~]+$ ]]; then
		die 69 "the answer of $url holds no usable access_token"
	fi
	token_expires=$(($(now_ms) + $(to_ms "$ttl")))
}

# ensure_token: a token that lasts at least another 10 minutes, exported as
# GCU_ACCESS_TOKEN (the client credentials stay in the environment too, so
# that a stage can still renew it after a 401).
token_url=''
ensure_token() {
	[ -n "$token_url" ] || return 0
	if [ -z "$token" ] || [ $((token_expires - $(now_ms))) -lt 600000 ]; then
		get_token "$token_url"
		export GCU_ACCESS_TOKEN=$token
	fi
}

# --- the embedded simulator -----------------------------------------------
sim_pid='' sim_url=''
start_sim() { # ORG [DUMP]
	local org=$1 dump=$2 ready args
	ready=$run_dir/.sim-url
	rm -f "$ready"
	args=(--port 0 --ready-file "$ready" -q --users "$org" --limit "$sim_limit" --window "$sim_window" --dump "$dump")
	# A session of its own: a Ctrl-C must not stop it under a draining stage.
	setsid "$bin/gcu-sim" "${args[@]}" 2>>"$run_dir/sim.log" 9>&- &
	sim_pid=$!
	for _ in $(seq 1 100); do
		[ -s "$ready" ] && break
		kill -0 "$sim_pid" 2>/dev/null || break
		sleep 0.05
	done
	[ -s "$ready" ] || die 69 "gcu-sim did not start (see $run_dir/sim.log)"
	sim_url=$(cat "$ready")
	rm -f "$ready"
}
stop_sim() {
	[ -n "$sim_pid" ] || return 0
	kill -TERM "$sim_pid" 2>/dev/null || true
	wait "$sim_pid" 2>/dev/null || true
	sim_pid=''
}

# use_platform: decides where the run goes (credentials, or the simulator)
# and exports what the stages need. The first line of output says which.
platform='' sim_why=''
use_platform() {
	local want_sim=$1 api region domain login
	if [ "$want_sim" = 0 ]; then
		client_id=${GCU_CLIENT_ID:-$(yaml_get auth client_id)}
		client_secret=${GCU_CLIENT_SECRET:-$(yaml_get auth client_secret)}
		if [ -z "$client_id" ] && [ -z "$client_secret" ] && [ -z "${GCU_ACCESS_TOKEN:-}" ]; then
			api=${GCU_API_BASE:-$(yaml_get auth api_base)}
			region=${GCU_REGION:-$(yaml_get auth region)}
			if [ -n "$api" ] || [ -n "$region" ]; then
				die 77 "a platform is set (${api:-$region}) but no credentials: set GCU_CLIENT_ID and GCU_CLIENT_SECRET, or GCU_ACCESS_TOKEN"
			fi
			want_sim=1
			sim_why='no credentials found; '
		fi
	fi
	if [ "$want_sim" = 1 ]; then
		platform=sim
		if [ -z "$sim_why" ]; then
			if [ -n "${GCU_CLIENT_ID:-}${GCU_CLIENT_SECRET:-}${GCU_ACCESS_TOKEN:-}$(yaml_get auth client_id)" ]; then
				sim_why="$sim_flag: the credentials are not used; "
			else
				sim_why='no credentials found; '
			fi
		fi
		return 0
	fi
	if [ -n "$client_id" ] && [ -z "$client_secret" ]; then
		die 64 "GCU_CLIENT_ID is set but GCU_CLIENT_SECRET is not"
	fi
	if [ -z "$client_id" ] && [ -n "$client_secret" ]; then
		die 64 "GCU_CLIENT_SECRET is set but GCU_CLIENT_ID is not"
	fi
	api=${GCU_API_BASE:-$(yaml_get auth api_base)}
	region=${GCU_REGION:-$(yaml_get auth region)}
	login=${GCU_LOGIN_BASE:-}
	if [ -n "$api" ]; then
		api=${api%/}
		token_url=${login:-$api}/oauth/token
	elif [ -n "$region" ]; then
		domain=$(region_domain "$region") ||
			die 64 "unknown region \"$region\" (GCU_REGION): give a region such as us-east-1 or a domain such as mypurecloud.ie"
		api=https://api.$domain
		token_url=${login:-https://login.$domain}/oauth/token
	else
		die 64 "no platform: set GCU_REGION (or auth.region) or GCU_API_BASE"
	fi
	url_allowed "$api" || die 64 "API base $api: plain http is accepted for loopback addresses only"
	url_allowed "$token_url" || die 64 "login URL $token_url: plain http is accepted for loopback addresses only"
	platform=$api
	export GCU_API_BASE=$api
	if [ -z "$client_id" ]; then token_url=''; fi # an existing token, used as is
	printf 'gcu: running against %s\n' "$api" >&2
}

default_org() {
	local f
	for f in "$here/testdata/org.ndjson" "$here/../share/gcu/org.ndjson"; do
		[ -r "$f" ] && { printf '%s\n' "$f"; return; }
	done
	printf '%s\n' "$here/testdata/org.ndjson"
}
display_path() { # a path relative to the current folder when inside it
	case $1 in
	"$PWD"/*) printf '%s' "${1#"$PWD"/}" ;;
	*) printf '%s' "$1" ;;
	esac
}

# enter_sim ORG: runs everything against gcu-sim loaded with ORG (or with
# the org as the last session of this run folder left it) and says so on the
# first line of output.
sim_dump=''
enter_sim() {
	local org=$1
	if [ -z "$sim_pid" ]; then
		if [ -s "$sim_dump" ]; then org=$sim_dump; fi
		[ -r "$org" ] || die 66 "${sim_why}no org to simulate: $org"
		start_sim "$org" "$sim_dump"
		printf 'gcu: %srunning against gcu-sim on %s with %s\n' "$sim_why" "$sim_url" "$(display_path "$org")" >&2
		quiet=1 say "${sim_why}running against gcu-sim on $sim_url with $(display_path "$org")"
	fi
	# Never let production credentials near the simulator, or the reverse.
	unset GCU_REGION GCU_LOGIN_BASE GCU_ACCESS_TOKEN
	export GCU_API_BASE=$sim_url
	export GCU_CLIENT_ID=${GCU_SIM_CLIENT_ID:-gcu-sim}
	export GCU_CLIENT_SECRET=${GCU_SIM_CLIENT_SECRET:-gcu-sim-secret}
	client_id=$GCU_CLIENT_ID client_secret=$GCU_CLIENT_SECRET
	token_url=$sim_url/oauth/token
	export GCU_PLATFORM_LIMIT=${GCU_PLATFORM_LIMIT:-$sim_limit}
	export GCU_PLATFORM_WINDOW=${GCU_PLATFORM_WINDOW:-$sim_window}
	export GCU_THROTTLE_RESERVE=${GCU_THROTTLE_RESERVE:-$sim_reserve}
	export GCU_THROTTLE_PAUSE_BELOW=${GCU_THROTTLE_PAUSE_BELOW:-$sim_pause}
}

# save_sim_stats: keeps the simulator's counters and per-second timeline
# (when the platform is a simulator on loopback) for the report, as
# sim-stats.<epoch ms>.json; the timeline counts seconds since the
# simulator started, and the name says when it was read.
save_sim_stats() {
	local base=${GCU_API_BASE:-} at
	case $base in http://127.* | http://localhost*) ;; *) return 0 ;; esac
	at=$(now_ms)
	if curl -sf --max-time 5 -o "$run_dir/.sim-stats.tmp" -- "$base/__sim/stats" 2>/dev/null; then
		mv -f "$run_dir/.sim-stats.tmp" "$run_dir/sim-stats.$at.json"
	else
		rm -f "$run_dir/.sim-stats.tmp"
	fi
	return 0
}

# --- stages ---------------------------------------------------------------
cfg=() stage_flags=()
overall=0
note_rc() { [ "$1" = 1 ] && overall=1; return 0; }

# last_session LOG: the lines a stage wrote in this session of the run.
last_session() {
	awk '/^--- / { n = 0; delete l; next } { l[++n] = $0 } END { for (i = 1; i <= n; i++) print l[i] }' "$1"
}

# stage NAME SCOPE OUT ARGS...: runs gcu-NAME with ARGS, stdout to OUT,
# stderr to RUNDIR/NAME.SCOPE.log and its counts to
# RUNDIR/NAME.SCOPE.summary.json (gcu-send: send.SCOPE.N.summary.json, one
# per session, which gcu-report adds up); prints its summary line. Returns
# 0, or 1 when some records failed; stops the run with the stage's code
# otherwise.
stage() {
	local name=$1 scope=$2 out=$3 log rc=0 sum n=1
	shift 3
	log=$run_dir/$name.$scope.log
	sum=$run_dir/$name.$scope.summary.json
	if [ "$name" = send ]; then
		while [ -e "$run_dir/send.$scope.$n.summary.json" ]; do n=$((n + 1)); done
		sum=$run_dir/send.$scope.$n.summary.json
	fi
	printf -- '--- %s gcu-%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$name" >>"$log"
	run_child "$bin/gcu-$name" "${cfg[@]}" "${stage_flags[@]}" --summary "$sum" "$@" >"$out" 2>>"$log" || rc=$?
	local summary
	summary=$(last_session "$log" | grep "^gcu-$name:" | tail -n 1 || true)
	[ -n "$summary" ] && say "$scope: ${summary#gcu-}"
	case $rc in
	0 | 1) note_rc "$rc"; return 0 ;;
	75)
		save_sim_stats
		state_set "$scope" "interrupted:$name"
		say "$scope: gcu-$name was interrupted; continue with: run.sh --resume $run_dir"
		exit 75
		;;
	esac
	local why
	why=$(last_session "$log" | tail -n 1)
	save_sim_stats
	state_set "$scope" "failed:$name"
	warn "$scope: stopped at gcu-$name (exit $rc): ${why:-no message}"
	warn "$scope: the log is $log; fix the cause, then: run.sh --resume $run_dir"
	[ "$rc" -gt 128 ] && rc=75
	exit "$rc"
}

# partition: splits the changes once per run folder.
partition() {
	[ "$(state_get partition)" = 'done' ] && return 0
	local rc=0
	run_child "$bin/gcu-partition" "${cfg[@]}" --split "$run_dir/changes" \
		--rejects "$run_dir/rejects.txt" --summary "$run_dir/partition.summary.json" \
		"$changes" 2>"$run_dir/partition.log" || rc=$?
	case $rc in
	0) ;;
	1) overall=1; state_set partition.rejected yes ;;
	*)
		warn "stopped at gcu-partition (exit $rc): $(tail -n 1 "$run_dir/partition.log")"
		exit "$rc"
		;;
	esac
	local s
	for s in "${scopes[@]}"; do [ -f "$run_dir/changes.$s.ndjson" ] || : >"$run_dir/changes.$s.ndjson"; done
	say "$(tail -n 1 "$run_dir/partition.log" | sed 's/^gcu-//')"
	state_set partition 'done'
}

# run_scope SCOPE: fetch, merge, send, verify; each stage that is done is
# not run again, and an interrupted send resumes from its results.
run_scope() {
	local s=$1 st
	st=$(state_get "$s")
	if [ "$st" = 'done' ]; then
		say "$s: done already"
		return 0
	fi
	if ! [ -s "$run_dir/changes.$s.ndjson" ]; then
		say "$s: no changes"
		state_set "$s" 'done'
		return 0
	fi
	check_interrupted
	ensure_token
	state_set "$s" running
	[ -n "$(state_get "$s.started")" ] || state_set "$s.started" "$(now_ms)"
	if [ "$(state_get "$s.fetch")" != 'done' ]; then
		stage fetch "$s" "$run_dir/fetched.$s.ndjson" "$run_dir/changes.$s.ndjson"
		state_set "$s.fetch" 'done'
		check_interrupted
	fi
	if [ "$(state_get "$s.merge")" != 'done' ]; then
		stage merge "$s" "$run_dir/requests.$s.ndjson" "$run_dir/fetched.$s.ndjson"
		state_set "$s.merge" 'done'
		check_interrupted
	fi
	if [ "$(state_get "$s.send")" != 'done' ]; then
		local res=$run_dir/results.$s.ndjson args=()
		[ "$s" = routing ] && say "routing: sending with the routing pause threshold ($(setting throttle.pause_below 20) left in the window)"
		if [ -s "$res" ]; then
			# Keep the interrupted results; the new file is complete: gcu-send
			# copies the lines of the requests that were done and sends the rest.
			local n=1
			while [ -e "$run_dir/results.$s.try$n.ndjson" ]; do n=$((n + 1)); done
			mv "$res" "$run_dir/results.$s.try$n.ndjson"
			args=(--resume "$run_dir/results.$s.try$n.ndjson")
			say "$s: resuming the send; earlier results kept as results.$s.try$n.ndjson"
		fi
		[ -n "$(state_get "$s.send_started")" ] || state_set "$s.send_started" "$(now_ms)"
		stage send "$s" "$res" --failed "$run_dir/failed.$s.ndjson" "${args[@]}" "$run_dir/requests.$s.ndjson"
		state_set "$s.send_ended" "$(now_ms)"
		state_set "$s.send" 'done'
		save_sim_stats
		check_interrupted
	fi
	stage verify "$s" "$run_dir/verify.$s.ndjson" "$run_dir/results.$s.ndjson"
	state_set "$s.ended" "$(now_ms)"
	state_set "$s" 'done'
	save_sim_stats
	check_interrupted
}

# wait_gap: waits until the gap has passed since the non-routing scope
# ended (a countdown when stderr is a terminal).
wait_gap() {
	local ended until left
	ended=$(state_get non-routing.ended)
	if [ -z "$ended" ]; then
		[ "$(state_get non-routing)" = 'done' ] && return 0
		die 64 "the non-routing scope has not finished in $run_dir; no gap to wait for"
	fi
	until=$((ended + $(to_ms "$gap")))
	left=$((until - $(now_ms)))
	if [ "$left" -le 0 ]; then
		say "the gap of $(human "$gap") since the non-routing scope has passed"
		return 0
	fi
	say "waiting $(human "$(ms_to_s "$left")") (the gap of $(human "$gap") after the non-routing scope lets the platform propagate it)"
	while left=$((until - $(now_ms))); [ "$left" -gt 0 ]; do
		if [ -t 2 ] && [ "$quiet" = 0 ]; then
			printf '\rgcu: routing scope in %s   ' "$(human "$(ms_to_s "$left")")" >&2
		fi
		local step=1
		[ "$left" -lt 1000 ] && step=$(ms_to_s "$left")
		run_child sleep "$step" || true
		if [ -n "$interrupted" ]; then
			[ -t 2 ] && printf '\n' >&2
			check_interrupted
		fi
	done
	[ -t 2 ] && [ "$quiet" = 0 ] && printf '\r\033[K' >&2
	return 0
}

report() {
	[ "$no_report" = 1 ] && return 0
	local rc=0
	"$bin/gcu-report" "$run_dir" || rc=$?
	if [ "$rc" != 0 ]; then warn "gcu-report failed (exit $rc)"; fi
	printf '\nrun folder: %s\n' "$run_dir"
	[ -f "$run_dir/timeline.svg" ] && printf 'timeline:   %s\n' "$run_dir/timeline.svg"
	return 0
}

# --- plan -----------------------------------------------------------------
plan() {
	local s limit window kept rate total=0
	limit=$(setting platform.limit 300)
	window=$(setting platform.window 60)
	kept=$(kept_back)
	rate=$(awk -v l="$limit" -v w="$window" -v r="$kept" 'BEGIN { n = l - r; if (n < 1) n = 1; printf "%.6f\n", n / w }')
	{
		printf 'plan for %s\n' "$(display_path "$changes")"
		printf '%s\n' "$(tail -n 1 "$run_dir/partition.log" | sed 's/^gcu-//')"
		for s in "${scopes[@]}"; do
			local f=$run_dir/requests.$s.ndjson
			[ -s "$run_dir/changes.$s.ndjson" ] || { printf '%s: no changes\n' "$s"; continue; }
			jq -rs --arg s "$s" --argjson rate "$rate" '
				(map(.id) | unique | length) as $users
				| (map(select(.op))) as $req
				| ($req | group_by(.op) | map("\(.[0].op) \(length)") | join(", ")) as $ops
				| ((($users + 99) / 100 | floor) * 2) as $reads
				| ((($req | length) + $reads) / $rate) as $secs
				| "\($s): \($users) users, \($req | length) requests"
				  + (if $ops != "" then " (\($ops))" else "" end)
				  + ", \(map(select(.status == "unchanged")) | length) already true"
				  + ", \(map(select(.status == "failed")) | length) failed lookups"
				  + "\t\($secs)"' "$f"
		done
	} >"$run_dir/.plan.tmp"
	local line secs
	: >"$run_dir/plan.txt"
	while IFS= read -r line; do
		if [[ $line == *$'\t'* ]]; then
			secs=${line##*$'\t'}
			line=${line%$'\t'*}
			line="$line; about $(human "$secs")"
			total=$(awk -v a="$total" -v b="$secs" 'BEGIN { print a + b }')
		fi
		printf '%s\n' "$line" >>"$run_dir/plan.txt"
	done <"$run_dir/.plan.tmp"
	rm -f "$run_dir/.plan.tmp"
	{
		printf 'estimate at %s requests per %s s, %s never spent: %s sending' \
			"$limit" "$window" "$kept" "$(human "$total")"
		if [ -s "$run_dir/changes.routing.ndjson" ] && [ -s "$run_dir/changes.non-routing.ndjson" ]; then
			printf ' + a gap of %s = %s\n' "$(human "$gap")" \
				"$(human "$(awk -v a="$total" -v b="$gap" 'BEGIN { print a + b }')")"
		else
			printf '\n'
		fi
		printf 'nothing was sent; the files are in %s\n' "$run_dir"
	} >>"$run_dir/plan.txt"
	cat "$run_dir/plan.txt"
}

# --- options --------------------------------------------------------------
mode=run want_sim=0 sim_flag=--sim sim_org='' gap='' only_scope='' snapshot='' no_report=0 resume=''
while [ $# -gt 0 ]; do
	case $1 in
	--run-dir) run_dir=${2:?--run-dir needs a folder}; shift 2 ;;
	-c | --config) config=${2:?-c needs a file}; shift 2 ;;
	--gap) gap=${2:?--gap needs seconds}; shift 2 ;;
	--scope) only_scope=${2:?--scope needs non-routing or routing}; shift 2 ;;
	--plan) mode=plan; shift ;;
	--resume) mode=resume; resume=${2:?--resume needs a run folder}; shift 2 ;;
	--wait-gap) mode='wait'; shift ;;
	--verify) mode=verify; shift ;;
	--snapshot) snapshot=${2:?--snapshot needs a file}; shift 2 ;;
	--sim) want_sim=1 sim_flag=$1; shift ;;
	--sim-org) want_sim=1 sim_flag=$1 sim_org=${2:?--sim-org needs an org export}; shift 2 ;;
	--demo) want_sim=1 sim_flag=$1; shift ;;
	--no-report) no_report=1; shift ;;
	-q | --quiet) quiet=1; shift ;;
	-v | --verbose) verbose=1; shift ;;
	-h | --help) usage 0 ;;
	-V | --version) echo "gcu-run $version"; exit 0 ;;
	--) shift; break ;;
	-*) echo "run.sh: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
changes=${1:-}
[ $# -le 1 ] || usage
[ -z "$gap" ] || is_number "$gap" || die 64 "--gap: not a number of seconds: $gap"
case $only_scope in '' | non-routing | routing) ;; *) die 64 "--scope: non-routing or routing, not $only_scope" ;; esac
[ "$verbose" = 1 ] && stage_flags=(-v)

if [ "$mode" = resume ]; then
	run_dir=$resume
	[ -f "$run_dir/state" ] || die 66 "$run_dir: no run to resume (no state file)"
fi
if [ "$mode" = wait ] || [ "$mode" = verify ]; then
	if [ -z "$run_dir" ] || ! [ -f "$run_dir/state" ]; then
		die 64 "--${mode/wait/wait-gap} needs --run-dir of a started run"
	fi
fi

# A run folder remembers its change file, config and platform.
if [ -n "$run_dir" ] && [ -f "$run_dir/state" ]; then
	[ -n "$changes" ] || changes=$(state_get changes)
	[ -n "$config" ] || config=$(state_get config)
	[ -n "$gap" ] || gap=$(state_get gap)
fi
[ -n "$config" ] || config=${GCU_CONFIG:-}
if [ -n "$config" ]; then
	[ -r "$config" ] || die 66 "$config: cannot read"
	config=$(cd "$(dirname "$config")" && pwd)/$(basename "$config")
	cfg=(-c "$config")
fi
if [ "$mode" != wait ] && [ "$mode" != verify ]; then
	[ -n "$changes" ] || usage
	[ -r "$changes" ] || die 66 "$changes: cannot read"
	changes=$(cd "$(dirname "$changes")" && pwd)/$(basename "$changes")
fi
command -v jq >/dev/null || die 69 "jq is needed (apt-get install jq, or make deps)"
[ -x "$bin/gcu-partition" ] || die 69 "the gcu programs are not built (make)"

# --- the run folder -------------------------------------------------------
if [ -z "$run_dir" ]; then
	run_dir=runs/$(date -u +%Y%m%dT%H%M%SZ)
	[ "$mode" = plan ] && run_dir=$run_dir-plan
	n=1 base=$run_dir
	while [ -e "$run_dir" ]; do n=$((n + 1)); run_dir=$base-$n; done
fi
mkdir -p "$run_dir"
exec 9>>"$run_dir/.lock"
flock -n 9 || die 75 "$run_dir is in use by another run"
sim_dump=$run_dir/sim-org.ndjson

sum=$(sha256sum <"$changes" | cut -d' ' -f1)
if [ -f "$run_dir/state" ] && [ -n "$(state_get changes.sha256)" ] && [ "$(state_get changes.sha256)" != "$sum" ]; then
	if [ -n "$(state_get non-routing)$(state_get routing)" ]; then
		die 65 "$changes differs from the change file this run started with; start a new run folder"
	fi
	# Only planned so far: plan again from the new file.
	state_set partition ''
fi
state_set changes "$changes"
state_set changes.sha256 "$sum"
state_set config "$config"
[ -n "$(state_get created)" ] || state_set created "$(now_ms)"

# shellcheck disable=SC2317 # invoked by the trap
cleanup() {
	local rc=$?
	if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null || true; fi
	stop_sim
	exit "$rc"
}
trap cleanup EXIT

# --- the platform ---------------------------------------------------------
recorded=$(state_get platform)
if [ "$mode" = wait ]; then
	:
elif [ "$mode" = plan ] && [ -n "$snapshot" ]; then
	platform=snapshot
else
	# A run that started against the simulator stays there.
	if [ "$recorded" = sim ] && [ "$mode" != plan ]; then want_sim=1; fi
	use_platform "$want_sim"
	if [ "$platform" = sim ]; then
		[ -z "$sim_org" ] || sim_org=$(cd "$(dirname "$sim_org")" && pwd)/$(basename "$sim_org")
		sim_org=${sim_org:-$(state_get sim.org)}
		sim_org=${sim_org:-$(default_org)}
		enter_sim "$sim_org"
		state_set sim.org "$sim_org"
		[ -n "$gap" ] || gap=$sim_gap
	elif [ -n "$recorded" ] && [ "$recorded" != "$platform" ] && [ "$mode" != plan ] &&
		[ -n "$(state_get non-routing)$(state_get routing)" ]; then
		die 64 "this run went to $recorded, not $platform; set the same platform to continue"
	fi
	state_set platform "$platform"
fi
[ -n "$gap" ] || gap=$(setting schedule.gap 900)
is_number "$gap" || die 64 "schedule.gap: not a number of seconds: $gap"
state_set gap "$gap"
state_set platform.limit "$(setting platform.limit 300)"
state_set platform.window "$(setting platform.window 60)"
state_set throttle.floor "$(kept_back)"

case $mode in
plan)
	if [ -n "$(state_get non-routing.started)$(state_get routing.started)" ]; then
		# The run has begun: its files are the run's now, not a plan's.
		say "$run_dir has started; the plan made before it:"
		if [ -f "$run_dir/plan.txt" ]; then cat "$run_dir/plan.txt"; fi
		exit 0
	fi
	say "planning $(display_path "$changes") in $run_dir; nothing will be sent"
	partition
	for s in "${scopes[@]}"; do
		[ -s "$run_dir/changes.$s.ndjson" ] || continue
		if [ "$platform" = snapshot ]; then
			stage fetch "$s" "$run_dir/fetched.$s.ndjson" --snapshot "$snapshot" "$run_dir/changes.$s.ndjson"
		else
			ensure_token
			stage fetch "$s" "$run_dir/fetched.$s.ndjson" "$run_dir/changes.$s.ndjson"
		fi
		stage merge "$s" "$run_dir/requests.$s.ndjson" "$run_dir/fetched.$s.ndjson"
		check_interrupted
	done
	state_set planned "$(now_ms)"
	[ "$quiet" = 1 ] || printf '\n'
	plan
	exit "$overall"
	;;
wait)
	wait_gap
	exit 0
	;;
verify)
	for s in "${scopes[@]}"; do
		[ "$(state_get "$s.send")" = 'done' ] || continue
		ensure_token
		stage verify "$s" "$run_dir/verify.$s.ndjson" "$run_dir/results.$s.ndjson"
	done
	report
	exit "$overall"
	;;
esac

# run and resume
[ "$mode" = resume ] && say "resuming $run_dir"
say "run folder $run_dir; gap $(human "$gap")"
partition
[ "$(state_get partition.rejected)" = yes ] && overall=1
if [ -z "$only_scope" ] || [ "$only_scope" = non-routing ]; then
	run_scope non-routing
fi
if [ -z "$only_scope" ] || [ "$only_scope" = routing ]; then
	if [ "$(state_get non-routing)" != 'done' ]; then
		die 64 "the non-routing scope is not done in $run_dir; run it first (--scope non-routing)"
	fi
	if [ "$(state_get routing)" != 'done' ] && [ -s "$run_dir/changes.routing.ndjson" ]; then
		wait_gap
	fi
	run_scope routing
fi
# Records that failed in an earlier session of this run still count.
for s in "${scopes[@]}"; do
	if [ -s "$run_dir/failed.$s.ndjson" ] ||
		grep -qs '"status":"failed"' "$run_dir/results.$s.ndjson" ||
		grep -qs '"verified":false' "$run_dir/verify.$s.ndjson"; then
		overall=1
	fi
done
stop_sim
report
exit "$overall"
