# shellcheck shell=bash
# child.sh - one child at a time, waited for through signals, for the two
# scripts that run the others: run.sh (the stages) and gcu-sim-run (the
# command it hosts).
#
# A script that sources it runs its children with run_child. A SIGINT,
# SIGTERM or SIGHUP to the script is remembered in $interrupted and passed
# to the running child as one SIGTERM; the child drains what it has in
# flight and ends with a status of its own (75 for a stage), which is what
# run_child returns, not the signal's. The child has a session of its own,
# so that a signal to this script's process group (a Ctrl-C, a hangup,
# timeout(1)) reaches it only so, also when the child is such a script
# (run.sh under gcu-sim-run). Sourced by bash; it sets three variables, the
# traps, and functions.

child='' interrupted='' child_gone=''

# shellcheck disable=SC2317 # invoked by the traps
on_signal() {
	# shellcheck disable=SC2034 # read by the script that sources this
	interrupted=$1
	[ -z "$child" ] || kill -TERM "$child" 2>/dev/null || child_gone=1
}
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP

# run_child CMD...: runs CMD in the background, with GCU_RUN_PID naming this
# script (a stage ends when it does), and returns CMD's exit status; or
# 128 + the signal's number when CMD had ended already as the signal came.
# CMD runs in a session of its own, so that a signal to this script's
# process group (timeout(1), kill -- -PGID, a lost terminal) reaches it
# only as the one SIGTERM passed on; setsid(1) does not fork here, as a
# background command of a script leads no process group.
run_child() {
	local rc=0 again
	GCU_RUN_PID=$$ setsid "$@" &
	child=$! child_gone=''
	wait "$child" || rc=$?
	# A trapped signal ends the wait, not the child: wait again until the
	# status is the child's own (the same twice, or no longer known). Not
	# kill -0: bash may have reaped a child that ended just after it was
	# told, and only wait knows its status. But a child that had ended
	# before it could be told (both signalled at once, as a process group
	# is) is not waited for: bash 5.2 may have lost its status, and a wait
	# would block on the script's other children.
	while [ "$rc" -gt 128 ] && [ -z "$child_gone" ]; do
		again=0
		wait "$child" 2>/dev/null || again=$?
		if [ "$again" = "$rc" ] || [ "$again" = 127 ]; then break; fi
		rc=$again
	done
	child=''
	return "$rc"
}
