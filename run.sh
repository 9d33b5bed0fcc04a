#!/usr/bin/env bash
# run.sh (installed as gcu-run) - drive the gcu pipeline over a change file.
#
# It makes a run folder, turns the change file's emails and names into ids
# (gcu-resolve, reading what it needs of the org's directory, or a capture
# of it with --directory), splits the changes by scope, runs the non-routing
# scope through gcu-fetch, gcu-merge, gcu-send and gcu-verify with a file
# between every two stages (so that any stage can be replayed), waits the
# gap the platform needs to propagate those changes, runs the routing scope
# the same way and writes the report. A state file in the run folder records
# what is done, so that `run.sh --resume RUNDIR` continues where a run
# stopped. Every run leaves undo.ndjson, the change records that restore
# what it changed unless someone changed it since; `run.sh --undo RUNDIR`
# runs them, in a run folder of their own, with the run's config and gap.
#
# It is only the scheduler. Settings, the platform and the token come from
# gcu-config, the C code the stages use; the token is obtained once and
# handed to every stage in the environment, so that all of them share one
# rate-limit window, and no secret reaches a command line. A run against
# the simulator (no credentials, --sim, --sim-org, --demo) is hosted by
# gcu-sim-run, which runs this script again against it. Every stage holds
# the run folder's lock and ends when this script ends, so that a resume
# never runs beside what is left of the run it continues.
set -euo pipefail
umask 077 # what a run writes holds personal data: 0700 folders, 0600 files

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
self=$here/$(basename "${BASH_SOURCE[0]}")
bin=${GCU_BIN:-$here/bin}
[ -n "${GCU_BIN:-}" ] || [ -x "$bin/gcu-partition" ] || bin=$here # installed beside them
scopes=(non-routing routing)

# usage [STATUS]: the synopsis, on stdout for --help, else on stderr.
usage() {
	[ "${1:-64}" = 0 ] || exec >&2
	cat <<'USAGE'
usage: run.sh [-qv] [-c config] [--run-dir dir] [--gap seconds] [--scope scope]
              [--directory file] [--sim | --sim-org org.ndjson | --demo] [--no-report]
              changes.csv|changes.ndjson
       run.sh --plan [-c config] [--run-dir dir] [--snapshot org.ndjson [--directory file]]
              [--sim | --sim-org org.ndjson] changes.csv|changes.ndjson
       run.sh --resume dir [--gap seconds] [--scope scope]
       run.sh --undo dir [--plan] [-qv] [--run-dir dir] [--gap seconds] [--scope scope] [--no-report]
       run.sh --wait-gap --run-dir dir [--gap seconds]
       run.sh --verify --run-dir dir
USAGE
	[ "${1:-64}" != 0 ] || cat <<'HELP'

Run the changes through every stage, the non-routing scope, the gap, then
the routing scope, into a run folder (gcu-run(1) says more).
  -c, --config FILE   settings (default $GCU_CONFIG, else built-in)
      --run-dir DIR   the run folder (default runs/<UTC time>)
      --gap SECONDS   between the scopes (default schedule.gap)
      --scope SCOPE   only non-routing, or only routing
      --plan          read and plan; send nothing (--snapshot: offline)
      --resume DIR    continue a run where it stopped
      --undo DIR      roll back the run in DIR: run (or --plan) its undo.ndjson,
                      which leaves alone (as a conflict) what changed since
      --sim, --demo   against gcu-sim with the sample org (--sim-org: yours)
      --wait-gap      wait what is left of the gap; --verify: read back again
  -q, --quiet         only warnings; -v, --verbose: stages say more
  -h, --help          this text; -V, --version: the version
HELP
	exit "${1:-64}"
}

# --- messages, time, settings, state ---------------------------------------
run_dir='' quiet=0
logged() { [ ! -d "$run_dir" ] || printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >>"$run_dir/run.log"; }
say() { [ "$quiet" = 1 ] || printf 'gcu: %s\n' "$*" >&2; logged "$*"; }
warn() { printf 'gcu: %s\n' "$*" >&2; logged "$*"; }
die() { warn "${*:2}"; exit "$1"; }

# Times are epoch milliseconds; durations are seconds, fractions allowed.
now_ms() { local t=${EPOCHREALTIME//[.,]/}; echo $((t / 1000)); }
is_number() { [[ $1 =~ ^[0-9]+([.][0-9]+)?$ ]]; }
to_ms() { awk -v s="$1" 'BEGIN { printf "%d\n", s * 1000 + 0.5 }'; }
human() { # seconds, or milliseconds with "ms": "1 h 02 min", "3 min 05 s", "12.5 s"
	awk -v s="$1" -v u="${2:-s}" 'BEGIN { if (u == "ms") s /= 1000
		if (s >= 3600) printf "%d h %02d min\n", s / 3600, (s % 3600) / 60
		else if (s >= 60) printf "%d min %02d s\n", s / 60, s % 60
		else printf "%.1f s\n", s }'
}

# settings: what the schedule needs, as the stages see it (gcu-config: the
# defaults, the config file, GCU_*), read once, so that a bad config stops
# the run at once; kept is what a window never spends, throttle.floor cut
# to throttle.reserve as the pacer cuts it.
cfg=()
settings() {
	local v reserve floor
	v=$("$bin/gcu-config" "${cfg[@]}" --get platform.limit --get platform.window \
		--get throttle.reserve --get throttle.floor --get throttle.pause_below --get schedule.gap)
	read -r -d '' limit window reserve floor pause_below gap_setting <<<"$v" || true
	kept=$((floor < reserve ? floor : reserve))
}

# RUNDIR/state holds key=value lines; it is parsed, never sourced.
# state_get KEY [DIR]: of this run, or of the run in DIR.
state_get() {
	local f=${2:-$run_dir}/state
	[ ! -f "$f" ] || awk -v k="$1" 'index($0, k "=") == 1 { print substr($0, length(k) + 2); exit }' "$f"
}
state_set() {
	[ -f "$run_dir/state" ] || : >"$run_dir/state"
	awk -v k="$1" -v v="$2" 'index($0, k "=") == 1 { print k "=" v; done = 1; next } { print }
		END { if (!done) print k "=" v }' "$run_dir/state" >"$run_dir/.state.tmp"
	mv -f "$run_dir/.state.tmp" "$run_dir/state"
}

# --- children and signals -------------------------------------------------
# A stage keeps the run folder's lock (fd 9) and, told by GCU_RUN_PID, ends
# when this script does and leaves Ctrl-C to it: run.sh passes one SIGTERM
# on, the stage drains what is in flight and exits 75, and the run can be
# resumed. Its stderr is a log: its live progress line goes to the terminal
# through GCU_PROGRESS_FD.
child='' interrupted='' progress_fd=''
# shellcheck disable=SC2317 # invoked by the traps
on_signal() {
	interrupted=$1
	[ -z "$child" ] || kill -TERM "$child" 2>/dev/null || true
}
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP

# run_child CMD...: runs CMD in the background and waits for it, through
# signals; returns its exit status.
run_child() {
	local rc=0 again
	GCU_RUN_PID=$$ GCU_PROGRESS_FD=$progress_fd "$@" &
	child=$!
	wait "$child" || rc=$?
	# A trapped signal ends the wait, not the child: wait again until the
	# status is the child's own (the same twice, or no longer known).
	while [ "$rc" -gt 128 ]; do
		again=0
		wait "$child" 2>/dev/null || again=$?
		if [ "$again" = "$rc" ] || [ "$again" = 127 ]; then break; fi
		rc=$again
	done
	child=''
	return "$rc"
}
check_interrupted() {
	[ -z "$interrupted" ] && return 0
	die 75 "interrupted (SIG$interrupted); continue with: run.sh --resume $run_dir"
}

# --- the platform and the token -------------------------------------------
# use_platform: gcu-config checks the platform (region, URL policy,
# credentials) and names its API base. Without credentials, when asked
# (--sim, --sim-org, --demo), or when the run began there, the run goes to
# gcu-sim instead: gcu-sim-run hosts it and runs this script again, with
# GCU_RUN_PLATFORM=sim.
use_platform() {
	local recorded rc=0
	platform=${GCU_RUN_PLATFORM:-}
	[ -z "$platform" ] || return 0
	recorded=$(state_get platform)
	if [ "$recorded" = sim ] && [ "$mode" != plan ]; then want_sim=1 sim_why=''; fi
	if [ "$want_sim" = 0 ]; then
		platform=$("$bin/gcu-config" "${cfg[@]}" -q --platform) || rc=$?
		case $rc in 0) ;; 1) want_sim=1 sim_why='no credentials found; ' ;; *) exit "$rc" ;; esac
	fi
	if [ "$want_sim" = 1 ]; then # the sample org in the source tree, or installed
		[ -n "$sim_org" ] || for sim_org in "$here/testdata/org.ndjson" "$here/../share/gcu/org.ndjson"; do
			[ -r "$sim_org" ] && break
		done
		export GCU_BIN=$bin
		exec "$bin/gcu-sim-run" --org "$sim_org" --why "$sim_why" --run-dir "$run_dir" \
			-- "$self" --run-dir "$run_dir" "${argv[@]}"
	fi
	if [ -n "$recorded" ] && [ "$recorded" != "$platform" ] && [ "$mode" != plan ] &&
		[ -n "$(state_get non-routing)$(state_get routing)" ]; then
		die 64 "this run went to $recorded, not $platform; set the same platform to continue"
	fi
	printf 'gcu: running against %s\n' "$platform" >&2
}

# ensure_token: a token that lasts at least another 10 minutes, from
# gcu-config, exported as GCU_ACCESS_TOKEN for every stage. The client
# credentials stay in the environment, so that a stage can still renew it
# after a 401; a GCU_ACCESS_TOKEN given without them is used as it is.
token_until=0
ensure_token() {
	local answer token ttl=''
	[ $((token_until - $(now_ms))) -lt 600000 ] || return 0
	answer=$("$bin/gcu-config" "${cfg[@]}" --token) || exit
	token=${answer%%$'\n'*}
	[ "$token" = "$answer" ] || ttl=${answer#*$'\n'}
	export GCU_ACCESS_TOKEN=$token
	token_until=$(($(now_ms) + ${ttl:-86400000} * 1000))
}

# --- stages ---------------------------------------------------------------
stage_flags=() overall=0

# last_session LOG: the lines a stage wrote in this session of the run.
last_session() {
	awk '/^--- / { n = 0; delete l; next } { l[++n] = $0 } END { for (i = 1; i <= n; i++) print l[i] }' "$1"
}

# reason SUMMARY LOG: why a stage stopped: the error its summary names, else
# the last line it logged in this session before its summary line.
reason() {
	local r=''
	[ -s "$1" ] && r=$(jq -r '.error // empty' "$1" 2>/dev/null)
	[ -n "$r" ] || r=$(last_session "$2" | grep -Ev '^gcu-[a-z]+: [0-9]+ [a-z]+:' | tail -n 1)
	r=${r#gcu-*: }
	printf '%s\n' "${r:-no message}"
}

# stage NAME SCOPE OUT ARGS...: runs gcu-NAME with ARGS, stdout to OUT,
# stderr to RUNDIR/NAME.SCOPE.log and its counts to
# RUNDIR/NAME.SCOPE.summary.json (gcu-send: send.SCOPE.N.summary.json, one
# per session, which gcu-report adds up); prints its summary line. Returns
# 0, or 1 when some records failed; stops the run with the stage's code
# otherwise.
stage() {
	local name=$1 scope=$2 out=$3 log rc=0 sum n=1 summary
	shift 3
	log=$run_dir/$name.$scope.log
	sum=$run_dir/$name.$scope.summary.json
	if [ "$name" = send ]; then
		while [ -e "$run_dir/send.$scope.$n.summary.json" ]; do n=$((n + 1)); done
		sum=$run_dir/send.$scope.$n.summary.json
	fi
	printf -- '--- %s gcu-%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$name" >>"$log"
	run_child "$bin/gcu-$name" "${cfg[@]}" "${stage_flags[@]}" --summary "$sum" "$@" >"$out" 2>>"$log" || rc=$?
	[ "$name" != send ] || undo_file
	summary=$(last_session "$log" | grep "^gcu-$name: [0-9]" | tail -n 1 || true)
	[ -z "$summary" ] || say "$scope: ${summary#gcu-}"
	case $rc in
	0) return 0 ;;
	1) overall=1; return 0 ;;
	75)
		state_set "$scope" "interrupted:$name"
		die 75 "$scope: gcu-$name was interrupted; continue with: run.sh --resume $run_dir"
		;;
	esac
	state_set "$scope" "failed:$name"
	warn "$scope: stopped at gcu-$name (exit $rc): $(reason "$sum" "$log")"
	die $((rc > 128 ? 75 : rc)) "$scope: the log is $log; fix the cause, then: run.sh --resume $run_dir"
}

# undo_file: RUNDIR/undo.ndjson, the undo records gcu-send wrote for each
# scope sent so far (an empty file before any).
undo_file() {
	local s
	for s in "${scopes[@]}"; do [ ! -f "$run_dir/undo.$s.ndjson" ] || cat "$run_dir/undo.$s.ndjson"; done >"$run_dir/.undo.tmp"
	mv -f "$run_dir/.undo.tmp" "$run_dir/undo.ndjson"
}

# resolve: turns the change file's keys and names into ids, once per run
# folder: from the capture --directory gives, else from the platform (what
# was read is kept in directory.ndjson, so that the run can be planned
# again offline); offline (--plan --snapshot) without a capture, only a
# file that names everything by id gets through. A resolution from a
# capture is done again when a run goes to the platform.
resolve() {
	local rc=0 args=(--capture-directory "$run_dir/directory.ndjson") from=platform
	if [ "$(state_get resolve)" = 'done' ]; then
		[ "$(state_get resolve.from)" = capture ] && [ -z "$directory" ] && [ "$mode" != plan ] || return 0
		say "resolving again: the plan used a capture of the directory"
	fi
	if [ -n "$directory" ]; then
		args=(--directory "$directory") from=capture
	elif [ "$platform" = snapshot ]; then
		args=(--offline) from=capture
	else
		ensure_token
	fi
	run_child "$bin/gcu-resolve" "${cfg[@]}" "${args[@]}" --rejects "$run_dir/rejects.txt" \
		--summary "$run_dir/resolve.summary.json" "$changes" >"$run_dir/resolved.ndjson" \
		2>"$run_dir/resolve.log" || rc=$?
	case $rc in
	0) state_set resolve.rejected '' ;;
	1) overall=1; state_set resolve.rejected yes ;;
	75) die 75 "gcu-resolve was interrupted; continue with: run.sh --resume $run_dir" ;;
	*) die "$rc" "stopped at gcu-resolve (exit $rc): $(reason "$run_dir/resolve.summary.json" "$run_dir/resolve.log")" ;;
	esac
	say "$(tail -n 1 "$run_dir/resolve.log" | sed 's/^gcu-//')"
	state_set resolve 'done'
	state_set resolve.from "$from"
	state_set partition ''
}

# partition: splits the resolved changes once per run folder; its own
# rejections (rows for one user that disagree) name the change file's
# lines too.
partition() {
	[ "$(state_get partition)" != 'done' ] || return 0
	local rc=0 s
	run_child "$bin/gcu-partition" "${cfg[@]}" --split "$run_dir/changes" \
		--rejects "$run_dir/rejects.partition.ndjson" --summary "$run_dir/partition.summary.json" \
		"$run_dir/resolved.ndjson" 2>"$run_dir/partition.log" || rc=$?
	case $rc in
	0) ;;
	1) overall=1; state_set partition.rejected yes ;;
	*) die "$rc" "stopped at gcu-partition (exit $rc): $(reason "$run_dir/partition.summary.json" "$run_dir/partition.log")" ;;
	esac
	for s in "${scopes[@]}"; do [ -f "$run_dir/changes.$s.ndjson" ] || : >"$run_dir/changes.$s.ndjson"; done
	say "$(tail -n 1 "$run_dir/partition.log" | sed 's/^gcu-//')"
	state_set partition 'done'
}

# run_scope SCOPE: fetch, merge, send, verify; each stage that is done is
# not run again, and an interrupted send resumes from its results.
run_scope() {
	local s=$1 res=$run_dir/results.$1.ndjson args=() n=1
	if [ "$(state_get "$s")" = 'done' ]; then say "$s: done already"; return 0; fi
	if ! [ -s "$run_dir/changes.$s.ndjson" ]; then say "$s: no changes"; state_set "$s" 'done'; return 0; fi
	check_interrupted
	state_set "$s" running
	[ -n "$(state_get "$s.started")" ] || state_set "$s.started" "$(now_ms)"
	if [ "$(state_get "$s.fetch")" != 'done' ]; then
		ensure_token
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
		[ "$s" = non-routing ] || say "$s: sending with the routing pause threshold ($pause_below left in the window)"
		if [ -s "$res" ]; then
			# Keep the interrupted results; the new file is complete: gcu-send
			# copies the lines of the requests that were done and sends the rest.
			while [ -e "$run_dir/results.$s.try$n.ndjson" ]; do n=$((n + 1)); done
			mv "$res" "$run_dir/results.$s.try$n.ndjson"
			args=(--resume "$run_dir/results.$s.try$n.ndjson")
			say "$s: resuming the send; earlier results kept as results.$s.try$n.ndjson"
		fi
		[ -n "$(state_get "$s.send_started")" ] || state_set "$s.send_started" "$(now_ms)"
		ensure_token
		stage send "$s" "$res" --failed "$run_dir/failed.$s.ndjson" --undo "$run_dir/undo.$s.ndjson" \
			"${args[@]}" "$run_dir/requests.$s.ndjson"
		state_set "$s.send_ended" "$(now_ms)"
		state_set "$s.send" 'done'
		check_interrupted
	fi
	ensure_token
	stage verify "$s" "$run_dir/verify.$s.ndjson" "$res"
	state_set "$s.ended" "$(now_ms)"
	state_set "$s" 'done'
	check_interrupted
}

# wait_gap: waits until the gap has passed since the non-routing scope
# ended (a countdown on a terminal).
wait_gap() {
	local ended until left
	ended=$(state_get non-routing.ended)
	if [ -z "$ended" ]; then
		[ "$(state_get non-routing)" = 'done' ] && return 0
		die 64 "the non-routing scope has not finished in $run_dir; no gap to wait for"
	fi
	until=$((ended + $(to_ms "$gap")))
	left=$((until - $(now_ms)))
	if [ "$left" -le 0 ]; then say "the gap of $(human "$gap") since the non-routing scope has passed"; return 0; fi
	say "waiting $(human "$left" ms) (the gap of $(human "$gap") after the non-routing scope lets the platform propagate it)"
	while left=$((until - $(now_ms))); [ "$left" -gt 0 ]; do
		[ -z "$progress_fd" ] || printf '\r\033[Kgcu: routing scope in %s' "$(human "$left" ms)" >&3
		[ -z "$interrupted" ] || { [ -z "$progress_fd" ] || echo >&3; check_interrupted; }
		run_child sleep "$(awk -v l="$left" 'BEGIN { print (l < 1000 ? l / 1000 : 1) }')" || true
	done
	[ -z "$progress_fd" ] || printf '\r\033[K' >&3
}

report() {
	[ "$no_report" = 0 ] || return 0
	"$bin/gcu-report" "$run_dir" || warn "gcu-report failed (exit $?)"
	printf '\nrun folder: %s\n' "$run_dir"
	[ ! -f "$run_dir/timeline.svg" ] || printf 'timeline:   %s\n' "$run_dir/timeline.svg"
}

# --- options --------------------------------------------------------------
argv=("$@")
mode=run want_sim=0 sim_why='' sim_org='' config='' gap='' only_scope='' snapshot='' no_report=0 platform=''
directory='' undo_of=''
while [ $# -gt 0 ]; do
	case $1 in
	--run-dir) run_dir=${2:?--run-dir needs a folder}; shift 2 ;;
	-c | --config) config=${2:?-c needs a file}; shift 2 ;;
	--gap) gap=${2:?--gap needs seconds}; shift 2 ;;
	--scope) only_scope=${2:?--scope needs non-routing or routing}; shift 2 ;;
	--plan) mode=plan; shift ;;
	--resume) mode=resume run_dir=${2:?--resume needs a run folder}; shift 2 ;;
	--undo) undo_of=${2:?--undo needs a run folder}; shift 2 ;;
	--wait-gap) mode='wait'; shift ;;
	--verify) mode=verify; shift ;;
	--snapshot) snapshot=${2:?--snapshot needs a file}; shift 2 ;;
	--directory) directory=${2:?--directory needs a capture of the directory}; shift 2 ;;
	--sim | --demo) want_sim=1 sim_why="$1: "; shift ;;
	--sim-org) want_sim=1 sim_why="$1: " sim_org=${2:?--sim-org needs an org export}; shift 2 ;;
	--no-report) no_report=1; shift ;;
	-q | --quiet) quiet=1; shift ;;
	-v | --verbose) stage_flags=(-v); shift ;;
	-h | --help) usage 0 ;;
	-V | --version) v=$("$bin/gcu-config" --version); echo "gcu-run ${v##* }"; exit 0 ;;
	--) shift; break ;;
	-*) echo "run.sh: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
changes=${1:-}
[ $# -le 1 ] || usage
[ -z "$gap" ] || is_number "$gap" || die 64 "--gap: not a number of seconds: $gap"
case $only_scope in '' | non-routing | routing) ;; *) die 64 "--scope: non-routing or routing, not $only_scope" ;; esac
if [ "$mode" = resume ] && ! [ -f "$run_dir/state" ]; then die 66 "$run_dir: no run to resume (no state file)"; fi
if { [ "$mode" = wait ] || [ "$mode" = verify ]; } && { [ -z "$run_dir" ] || ! [ -f "$run_dir/state" ]; }; then
	die 64 "--${mode/wait/wait-gap} needs --run-dir of a started run"
fi
# A rollback is a run of the undo file, with the config and the gap of the
# run it undoes; a new run folder, unless one is named.
if [ -n "$undo_of" ]; then
	case $mode in run | plan) ;; *) die 64 "--undo runs or plans a rollback; it does not go with --$mode" ;; esac
	[ -z "$changes" ] || die 64 "--undo takes a run folder, and no change file"
	[ -f "$undo_of/state" ] || die 66 "$undo_of: not a run folder (no state file)"
	[ -s "$undo_of/undo.ndjson" ] || die 66 "$undo_of: nothing to undo (no undo.ndjson, or it is empty)"
	changes=$undo_of/undo.ndjson
	undo_of=$(cd "$undo_of" && pwd)
	[ -n "$config" ] || config=$(state_get config "$undo_of")
	[ -n "$gap" ] || gap=$(state_get gap "$undo_of")
fi
# A run folder remembers its change file, config and gap.
if [ -f "$run_dir/state" ]; then
	[ -n "$changes" ] || changes=$(state_get changes)
	[ -n "$config" ] || config=$(state_get config)
	[ -n "$gap" ] || gap=$(state_get gap)
	[ -n "$directory" ] || directory=$(state_get directory)
fi
config=${config:-${GCU_CONFIG:-}}
if [ -n "$config" ]; then
	[ -r "$config" ] || die 64 "$config: cannot read"
	config=$(cd "$(dirname "$config")" && pwd)/$(basename "$config")
	cfg=(-c "$config")
fi
if [ "$mode" != wait ] && [ "$mode" != verify ]; then
	[ -n "$changes" ] || usage
	[ -r "$changes" ] || die 66 "$changes: cannot read"
	changes=$(cd "$(dirname "$changes")" && pwd)/$(basename "$changes")
fi
if [ -n "$directory" ]; then
	[ -r "$directory" ] || die 66 "$directory: cannot read"
	directory=$(cd "$(dirname "$directory")" && pwd)/$(basename "$directory")
fi
command -v jq >/dev/null || die 69 "jq is needed (apt-get install jq, or make deps)"
[ -x "$bin/gcu-partition" ] || die 69 "the gcu programs are not built (make)"
settings
gap=${gap:-$gap_setting}
is_number "$gap" || die 64 "schedule.gap: not a number of seconds: $gap"

# --- the run folder -------------------------------------------------------
if [ -z "$run_dir" ]; then
	run_dir=runs/$(date -u +%Y%m%dT%H%M%SZ)
	[ "$mode" = plan ] && run_dir=$run_dir-plan
	n=1 base=$run_dir
	while [ -e "$run_dir" ]; do n=$((n + 1)) run_dir=$base-$n; done
fi
mkdir -p "$run_dir"
if [ "$mode" = plan ] && [ -n "$snapshot" ]; then platform=snapshot; elif [ "$mode" != wait ]; then use_platform; fi
# The lock, kept by every stage; gcu-sim-run may hold it for us already.
[ /dev/fd/9 -ef "$run_dir/.lock" ] || exec 9>>"$run_dir/.lock"
flock -n 9 || die 75 "$run_dir is in use by another run"

sum=$(sha256sum <"$changes" | cut -d' ' -f1)
if [ -n "$(state_get changes.sha256)" ] && [ "$(state_get changes.sha256)" != "$sum" ]; then
	[ -z "$(state_get non-routing)$(state_get routing)" ] ||
		die 65 "$changes differs from the change file this run started with; start a new run folder"
	state_set resolve '' # only planned so far: plan again from the new file
	state_set partition ''
fi
[ -n "$(state_get created)" ] || state_set created "$(now_ms)"
for kv in changes="$changes" changes.sha256="$sum" config="$config" directory="$directory" gap="$gap" platform.limit="$limit" \
	platform.window="$window" throttle.floor="$kept" ${platform:+platform="$platform"} ${undo_of:+undo_of="$undo_of"}; do
	state_set "${kv%%=*}" "${kv#*=}"
done
if [ -t 2 ] && [ "$quiet" = 0 ]; then exec 3>&2; progress_fd=3; fi

case $mode in
plan)
	if [ -n "$(state_get non-routing.started)$(state_get routing.started)" ]; then
		# The run has begun: its files are the run's now, not a plan's.
		say "$run_dir has started; the plan made before it:"
		[ ! -f "$run_dir/plan.txt" ] || cat "$run_dir/plan.txt"
		exit 0
	fi
	say "planning ${changes#"$PWD"/} in $run_dir; nothing will be sent"
	resolve
	partition
	for s in "${scopes[@]}"; do
		[ -s "$run_dir/changes.$s.ndjson" ] || continue
		if [ "$platform" = snapshot ]; then args=(--snapshot "$snapshot"); else ensure_token; args=(); fi
		stage fetch "$s" "$run_dir/fetched.$s.ndjson" "${args[@]}" "$run_dir/changes.$s.ndjson"
		stage merge "$s" "$run_dir/requests.$s.ndjson" "$run_dir/fetched.$s.ndjson"
		check_interrupted
	done
	state_set planned "$(now_ms)"
	[ "$quiet" = 1 ] || echo
	"$bin/gcu-report" --plan "$run_dir" || warn "gcu-report --plan failed (exit $?)"
	exit "$overall"
	;;
wait) wait_gap; exit 0 ;;
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

[ "$mode" = run ] || say "resuming $run_dir"
say "run folder $run_dir; gap $(human "$gap")"
resolve
partition
[ "$(state_get resolve.rejected)" != yes ] || overall=1
[ "$(state_get partition.rejected)" != yes ] || overall=1
[ "$only_scope" = routing ] || run_scope non-routing
if [ "$only_scope" != non-routing ]; then
	[ "$(state_get non-routing)" = 'done' ] ||
		die 64 "the non-routing scope is not done in $run_dir; run it first (--scope non-routing)"
	if [ "$(state_get routing)" != 'done' ] && [ -s "$run_dir/changes.routing.ndjson" ]; then wait_gap; fi
	run_scope routing
fi
# Records that failed in an earlier session of this run still count.
for s in "${scopes[@]}"; do
	if [ -s "$run_dir/failed.$s.ndjson" ] || grep -qs -e '"status":"failed"' "$run_dir/results.$s.ndjson" ||
		grep -qs -e '"verified":false' "$run_dir/verify.$s.ndjson"; then
		overall=1
	fi
done
undo_file
report
exit "$overall"
