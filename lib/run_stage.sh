# shellcheck shell=bash
# shellcheck disable=SC2154 # run.sh, which sources this, sets its settings
# run_stage.sh - one stage of a run in its run folder, for run.sh: its
# stderr in NAME.SCOPE.log, its counts in NAME.SCOPE.summary.json, its step
# in the state file, and, when it stops, the reason its summary names and
# how to go on.
#
# Sourced by run.sh after run_folder.sh, child.sh and run_platform.sh;
# reads run.sh's run_dir, bin, cfg, stage_flags and scopes, and uses its
# say, warn, resume_hint and check_interrupted. Sets functions only, and
# stage_flags.

stage_flags=()

# stage NAME SCOPE OUT ARGS...: runs gcu-NAME with ARGS, stdout to OUT,
# stderr to RUNDIR/NAME.SCOPE.log and its counts to NAME.SCOPE.summary.json
# (gcu-send: send.SCOPE.N.summary.json, one per session; resolve and
# partition, run once for both scopes, have SCOPE ''); says the summary
# line that its summary keeps. Returns 0, also when some records failed
# (exit 1, which its summary keeps for records_failed); stops the run with
# the stage's code otherwise, saying the error its summary names.
stage() {
	local name=$1 scope=$2 out=$3 base log sum rc=0 n=1 line how=failed why
	shift 3
	base=$run_dir/$name${scope:+.$scope}
	log=$base.log sum=$base.summary.json
	if [ "$name" = send ]; then
		while [ -e "$base.$n.summary.json" ]; do n=$((n + 1)); done
		sum=$base.$n.summary.json
	fi
	printf -- '--- %s gcu-%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$name" >>"$log"
	rm -f "$sum" # what an earlier try left is not this one's
	run_child "$bin/gcu-$name" "${cfg[@]}" "${stage_flags[@]}" --summary "$sum" "$@" >"$out" 2>>"$log" || rc=$?
	# A signal that came to the stage and to this script at once can hide
	# its status from bash (child.sh); its summary still has it.
	[ "$rc" -le 128 ] || rc=$(jq -er .exit "$sum" 2>/dev/null || echo "$rc")
	[ "$name" != send ] || undo_file
	line=$(jq -r '.line // empty' "$sum" 2>/dev/null || true)
	[ -z "$line" ] || say "${scope:+$scope: }$name: $line"
	case $rc in 0 | 1) return 0 ;; esac
	[ "$rc" != 75 ] || how=interrupted
	[ -z "$scope" ] || state_set "$scope" "$how:$name"
	[ "$how" = failed ] || resume_hint 75 "${scope:+$scope: }gcu-$name was interrupted"
	why=$(jq -r '.error // "no reason given"' "$sum" 2>/dev/null || echo 'it left no summary')
	warn "${scope:+$scope: }stopped at gcu-$name (exit $rc): $why"
	resume_hint $((rc > 128 ? 75 : rc)) "${scope:+$scope: }the log is $log; fix the cause"
}

# step SCOPE NAME OUT ARGS...: stage NAME in SCOPE, unless the state says
# it is done there (or the run was interrupted); then the state says so.
step() {
	local s=$1 name=$2
	[ "$(state_get "$s.$name")" != 'done' ] || return 0
	check_interrupted
	[ "$name" = merge ] || ensure_token
	stage "$name" "$s" "${@:3}"
	[ "$name" != send ] || state_set "$s.send_ended" "$(now_ms)"
	state_set "$s.$name" 'done'
}

# undo_file: RUNDIR/undo.ndjson, the undo records gcu-send wrote for each
# scope sent so far (an empty file before any).
undo_file() {
	local s
	for s in "${scopes[@]}"; do [ ! -f "$run_dir/undo.$s.ndjson" ] || cat "$run_dir/undo.$s.ndjson"; done >"$run_dir/.undo.tmp"
	mv -f "$run_dir/.undo.tmp" "$run_dir/undo.ndjson"
}

# records_failed SUMMARY...: 1 when a stage said, in its latest summary,
# that some of its records failed or were rejected (its exit 1), or a
# summary cannot be read, else 0; what an earlier session found still counts.
records_failed() {
	[ -e "${1:-}" ] || { echo 0; return; }
	jq -s 'if any(.[]; .exit == 1) then 1 else 0 end' "$@" 2>/dev/null || echo 1
}
