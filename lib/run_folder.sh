# shellcheck shell=bash
# run_folder.sh - the run folder's state file and the times it holds, its
# lock and its log, for the scripts that use a run folder: run.sh writes
# it, gcu-sim-run hosts a run in it, gcu-report explains it.
#
# RUNDIR/state holds key=value lines, one per key, rewritten whole on every
# change so that a reader never sees half a line; it is parsed, never
# sourced. Times in it are epoch milliseconds; durations given by a user
# are seconds, fractions allowed. Sourced by bash; it sets nothing but
# functions.

# state_get KEY [DIR]: the value of KEY in DIR's state (default $run_dir),
# or nothing.
state_get() {
	local f=${2:-$run_dir}/state
	[ ! -f "$f" ] || awk -v k="$1" 'index($0, k "=") == 1 { print substr($0, length(k) + 2); exit }' "$f"
}

# state_set KEY VALUE: sets KEY in $run_dir/state, creating the file.
state_set() {
	[ -f "$run_dir/state" ] || : >"$run_dir/state"
	awk -v k="$1" -v v="$2" 'index($0, k "=") == 1 { print k "=" v; done = 1; next } { print }
		END { if (!done) print k "=" v }' "$run_dir/state" >"$run_dir/.state.tmp"
	mv -f "$run_dir/.state.tmp" "$run_dir/state"
}

# run_lock DIR: takes DIR's lock on descriptor 9, which every stage of the
# run inherits and keeps, unless this shell holds it already (gcu-sim-run
# takes it for the run.sh it hosts); fails when another run holds it.
run_lock() {
	[ /dev/fd/9 -ef "$1/.lock" ] || exec 9>>"$1/.lock"
	flock -n 9
}

# run_log DIR TEXT: TEXT at the end of DIR/run.log, after the UTC time.
run_log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$2" >>"$1/run.log"; }

now_ms() { local t=${EPOCHREALTIME//[.,]/}; echo $((t / 1000)); }
is_number() { [[ $1 =~ ^[0-9]+([.][0-9]+)?$ ]]; }
to_ms() { awk -v s="$1" 'BEGIN { printf "%d\n", s * 1000 + 0.5 }'; }
# utc MS: the time in words; secs A B: the seconds from A to B (ms).
utc() { date -u -d "@$(($1 / 1000))" '+%Y-%m-%d %H:%M:%SZ'; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", (b - a) / 1000 }'; }

# human SECONDS [ms]: a duration in words, "1 h 02 min", "3 min 05 s",
# "12.5 s"; given "ms", the first argument is milliseconds.
human() {
	awk -v s="$1" -v u="${2:-s}" 'BEGIN { if (u == "ms") s /= 1000
		if (s >= 3600) printf "%d h %02d min\n", s / 3600, (s % 3600) / 60
		else if (s >= 60) printf "%d min %02d s\n", s / 60, s % 60
		else printf "%.1f s\n", s }'
}
