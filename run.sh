#!/usr/bin/env bash
# run.sh (installed as gcu-run) - the scheduler of the gcu pipeline.
#
# In a run folder it resolves and splits the change file, runs the
# non-routing scope through fetch, merge, send and verify with a file
# between every two stages, waits the gap, runs the routing scope and
# writes the report; its state file lets --resume go on where a run
# stopped, and undo.ndjson is what --undo runs. Settings, the platform and
# the token come from gcu-config, the C code the stages use (run_platform.sh
# asks it); the token reaches the stages in the environment, never on a
# command line. gcu-sim-run hosts a run against the simulator. Every stage
# holds the run folder's lock and ends when this script ends (run_stage.sh).
set -euo pipefail
umask 077 # what a run writes holds personal data: 0700 folders, 0600 files

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
self=$here/$(basename "${BASH_SOURCE[0]}")
bin=${GCU_BIN:-$here/bin}
[ -n "${GCU_BIN:-}" ] || [ -x "$bin/gcu-partition" ] || bin=$here # installed beside them
lib=$here/lib && [ -r "$lib/run_folder.sh" ] || lib=$here/../share/gcu # the source tree, or installed
# The run folder, children through signals, the platform, one stage:
# shellcheck source=lib/run_folder.sh
. "$lib/run_folder.sh"
# shellcheck source=lib/child.sh
. "$lib/child.sh"
# shellcheck source=lib/run_platform.sh
. "$lib/run_platform.sh"
# shellcheck source=lib/run_stage.sh
. "$lib/run_stage.sh"
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

run_dir='' quiet=0
logged() { [ ! -d "$run_dir" ] || run_log "$run_dir" "$*"; }
say() { [ "$quiet" = 1 ] || printf 'gcu: %s\n' "$*" >&2; logged "$*"; }
warn() { printf 'gcu: %s\n' "$*" >&2; logged "$*"; }
die() { warn "${*:2}"; exit "$1"; }
resume_hint() { die "$1" "${*:2}; continue with: run.sh --resume $run_dir"; }

# --- children and signals -------------------------------------------------
# A stage keeps the run folder's lock (fd 9), ends when this script does
# and leaves a Ctrl-C or a hangup to it (child.sh): run.sh passes one
# SIGTERM on, the stage drains what is in flight and exits 75, and the run
# can be resumed.
# Its stderr is a log; its live progress line goes to the terminal through
# GCU_PROGRESS_FD.
progress_fd=''
check_interrupted() { [ -z "$interrupted" ] || resume_hint 75 "interrupted (SIG$interrupted)"; }

# --- the schedule ---------------------------------------------------------
# prepare: resolves the change file's emails and names once per run
# folder (from the capture --directory gives, else from the platform,
# keeping what was read in directory.ndjson for an offline plan; offline
# without a capture, only ids get through), then splits it by scope. A
# resolution from a capture is done again when a run goes to the platform.
prepare() {
	local args=(--capture-directory "$run_dir/directory.ndjson") from=platform s again=1
	if [ "$(state_get resolve)" = 'done' ]; then
		[ "$(state_get resolve.from)" = capture ] && [ -z "$directory" ] && [ "$mode" != plan ] || again=0
		[ "$again" = 0 ] || say "resolving again: the plan used a capture of the directory"
	fi
	if [ "$again" = 1 ]; then
		if [ -n "$directory" ]; then
			args=(--directory "$directory") from=capture
		elif [ "$platform" = snapshot ]; then
			args=(--offline) from=capture
		fi
		check_interrupted
		ensure_token
		stage resolve '' "$run_dir/resolved.ndjson" "${args[@]}" --rejects "$run_dir/rejects.txt" "$changes"
		state_set resolve 'done'
		state_set resolve.from "$from"
		state_set partition ''
	fi
	[ "$(state_get partition)" != 'done' ] || return 0
	stage partition '' /dev/null --split "$run_dir/changes" --rejects "$run_dir/rejects.partition.ndjson" \
		"$run_dir/resolved.ndjson"
	for s in "${scopes[@]}"; do [ -f "$run_dir/changes.$s.ndjson" ] || : >"$run_dir/changes.$s.ndjson"; done
	state_set partition 'done'
}

# run_scope SCOPE: fetch, merge, send, verify; each stage that is done is
# not run again, and an interrupted send resumes from its results.
run_scope() {
	local s=$1 res=$run_dir/results.$1.ndjson args=() n=1
	if [ "$(state_get "$s")" = 'done' ]; then say "$s: done already"; return 0; fi
	if ! [ -s "$run_dir/changes.$s.ndjson" ]; then say "$s: no changes"; state_set "$s" 'done'; return 0; fi
	state_set "$s" running
	[ -n "$(state_get "$s.started")" ] || state_set "$s.started" "$(now_ms)"
	step "$s" fetch "$run_dir/fetched.$s.ndjson" "$run_dir/changes.$s.ndjson"
	step "$s" merge "$run_dir/requests.$s.ndjson" "$run_dir/fetched.$s.ndjson"
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
		step "$s" send "$res" --failed "$run_dir/failed.$s.ndjson" --undo "$run_dir/undo.$s.ndjson" \
			"${args[@]}" "$run_dir/requests.$s.ndjson"
	fi
	step "$s" verify "$run_dir/verify.$s.ndjson" "$res"
	state_set "$s.ended" "$(now_ms)"
	state_set "$s" 'done'
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

# report: gcu-report's report.txt and timeline.svg, unless --no-report,
# and where they are.
report() {
	[ "$no_report" = 0 ] || return 0
	"$bin/gcu-report" "$run_dir" || warn "gcu-report failed (exit $?)"
	printf '\nrun folder: %s\n' "$run_dir"
	[ ! -f "$run_dir/timeline.svg" ] || printf 'timeline:   %s\n' "$run_dir/timeline.svg"
}

# --- options --------------------------------------------------------------
argv=("$@") cfg=()
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
case $only_scope in '' | non-routing | routing) ;; *) die 64 "--scope: non-routing or routing, not $only_scope" ;; esac
if [[ $mode =~ ^(resume|wait|verify)$ ]]; then # these go on with a run that has started
	[ -n "$run_dir" ] || usage
	[ -f "$run_dir/state" ] || die 66 "$run_dir: not a run that has started (no state file)"
fi
# A rollback is a run of the undo file, with the config and the gap of the
# run it undoes; a new run folder, unless one is named.
if [ -n "$undo_of" ]; then
	case $mode in run | plan) ;; *) die 64 "--undo runs or plans a rollback; it does not go with --$mode" ;; esac
	[ -z "$changes" ] || die 64 "--undo takes a run folder, and no change file"
	[ -f "$undo_of/state" ] || die 66 "$undo_of: not a run folder (no state file)"
	[ -s "$undo_of/undo.ndjson" ] || die 66 "$undo_of: nothing to undo (no undo.ndjson, or it is empty)"
	undo_of=$(realpath -- "$undo_of") changes=$undo_of/undo.ndjson
	config=${config:-$(state_get config "$undo_of")} gap=${gap:-$(state_get gap "$undo_of")}
fi
# A run folder remembers its change file, config, directory and gap.
if [ -f "$run_dir/state" ]; then
	changes=${changes:-$(state_get changes)} config=${config:-$(state_get config)}
	gap=${gap:-$(state_get gap)} directory=${directory:-$(state_get directory)}
fi
config=${config:-${GCU_CONFIG:-}}
if [ -n "$config" ]; then
	[ -r "$config" ] || die 64 "$config: cannot read"
	config=$(realpath -- "$config") cfg=(-c "$config")
fi
for f in changes directory; do # the files a run folder remembers, by their whole path
	[ -n "${!f}" ] || continue
	[ -r "${!f}" ] || die 66 "${!f}: cannot read"
	printf -v "$f" '%s' "$(realpath -- "${!f}")"
done
[ -n "$changes" ] || [ "$mode" = wait ] || [ "$mode" = verify ] || usage
command -v jq >/dev/null || die 69 "jq is needed (apt-get install jq, or make deps)"
[ -x "$bin/gcu-partition" ] || die 69 "the gcu programs are not built (make)"
# What the schedule needs of the settings, as the stages see them, read
# once, so that a bad config stops the run at once.
v=$("$bin/gcu-config" "${cfg[@]}" --get platform.limit --get platform.window --get throttle.floor \
	--get throttle.pause_below --get schedule.gap)
read -r -d '' limit window kept pause_below gap_setting <<<"$v" || true
gap=${gap:-$gap_setting}
is_number "$gap" || die 64 "--gap: not a number of seconds: $gap"

# --- the run folder -------------------------------------------------------
if [ -z "$run_dir" ]; then
	run_dir=runs/$(date -u +%Y%m%dT%H%M%SZ)
	[ "$mode" = plan ] && run_dir=$run_dir-plan
	n=1 base=$run_dir
	while [ -e "$run_dir" ]; do n=$((n + 1)) run_dir=$base-$n; done
fi
mkdir -p "$run_dir"
if [ "$mode" = plan ] && [ -n "$snapshot" ]; then platform=snapshot; elif [ "$mode" != wait ]; then use_platform; fi
run_lock "$run_dir" || die 75 "$run_dir is in use by another run"

sum=$(sha256sum <"${changes:-/dev/null}" | cut -d' ' -f1)
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
export GCU_PROGRESS_FD=$progress_fd

case $mode in
plan)
	if [ -n "$(state_get non-routing.started)$(state_get routing.started)" ]; then
		# The run has begun: its files are the run's now, not a plan's.
		say "$run_dir has started; the plan made before it:"
		[ ! -f "$run_dir/plan.txt" ] || cat "$run_dir/plan.txt"
		exit 0
	fi
	say "planning ${changes#"$PWD"/} in $run_dir; nothing will be sent"
	prepare
	for s in "${scopes[@]}"; do
		[ -s "$run_dir/changes.$s.ndjson" ] || continue
		check_interrupted
		ensure_token
		stage fetch "$s" "$run_dir/fetched.$s.ndjson" ${snapshot:+--snapshot "$snapshot"} "$run_dir/changes.$s.ndjson"
		stage merge "$s" "$run_dir/requests.$s.ndjson" "$run_dir/fetched.$s.ndjson"
	done
	state_set planned "$(now_ms)"
	[ "$quiet" = 1 ] || echo
	"$bin/gcu-report" --plan "$run_dir" || warn "gcu-report --plan failed (exit $?)"
	exit "$(records_failed "$run_dir"/*.summary.json)"
	;;
wait) wait_gap; exit 0 ;;
verify)
	for s in "${scopes[@]}"; do
		[ "$(state_get "$s.send")" = 'done' ] || continue
		ensure_token
		stage verify "$s" "$run_dir/verify.$s.ndjson" "$run_dir/results.$s.ndjson"
	done
	report
	exit "$(records_failed "$run_dir"/verify.*.summary.json)"
	;;
esac

[ "$mode" = run ] || say "resuming $run_dir"
say "run folder $run_dir; gap $(human "$gap")"
prepare
[ "$only_scope" = routing ] || run_scope non-routing
if [ "$only_scope" != non-routing ]; then
	[ "$(state_get non-routing)" = 'done' ] ||
		die 64 "the non-routing scope is not done in $run_dir; run it first (--scope non-routing)"
	if [ "$(state_get routing)" != 'done' ] && [ -s "$run_dir/changes.routing.ndjson" ]; then wait_gap; fi
	run_scope routing
fi
undo_file
report
exit "$(records_failed "$run_dir"/*.summary.json)"
