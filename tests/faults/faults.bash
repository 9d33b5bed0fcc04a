# faults.bash - shared setup for the fault, hostile-input and security
# tests: the pipeline run against a faulty gcu-sim, and the checks every
# such run must pass.
#
# Retry and pacing settings are scaled down through the environment so
# that a fault that costs minutes against the platform costs a fraction of
# a second here; the simulator runs a 2 s window to match. Each check
# prints what went wrong before it fails, so a red test says why.

load ../cli/helpers

export LC_ALL=C

CHANGES=$ROOT/testdata/changes.csv
ORG=$ROOT/testdata/org.ndjson
export GCU_PLATFORM_WINDOW=2 GCU_RETRY_SERVER_BASE=0.02 GCU_RETRY_SERVER_MAX=0.2 \
	GCU_RETRY_RATE_LIMIT_BASE=0.02 GCU_RETRY_RATE_LIMIT_MAX=0.5 GCU_CIRCUIT_PAUSE=0.2 \
	GCU_RETRY_CONFLICT_COOLDOWN=0.2 GCU_RETRY_MAX_WAIT=1

# fsim [gcu-sim options]: the simulator on the sample org with a 2 s window.
fsim() {
	sim_start --users "$ORG" --window 2 "$@"
}

# faults_teardown: stops the simulator; a sanitizer report on its stderr,
# or a simulator that died early, fails the test.
faults_teardown() {
	local bad=0 st
	if [ -n "${SIM_PID:-}" ] && ! kill -0 "$SIM_PID" 2>/dev/null; then
		wait "$SIM_PID" && st=0 || st=$?
		echo "gcu-sim exited early with status $st:"
		cat "$SIM_DIR/stderr"
		bad=1
	fi
	sim_stop
	if [ -n "${SIM_DIR:-}" ] && grep -qE 'Sanitizer|runtime error' "$SIM_DIR/stderr"; then
		cat "$SIM_DIR/stderr"
		bad=1
	fi
	return "$bad"
}

# offline W: partition and fetch --snapshot of the sample changes into W,
# then merge; leaves W/p.ndjson, W/f.ndjson and W/m.ndjson (the requests).
offline() {
	local w=$1
	mkdir -p "$w"
	gcu-partition -q "$CHANGES" >"$w/p.ndjson"
	gcu-fetch -q --snapshot "$ORG" "$w/p.ndjson" >"$w/f.ndjson"
	gcu-merge -q "$w/f.ndjson" >"$w/m.ndjson"
	[ -s "$w/m.ndjson" ]
}

# online W: the same with a network fetch from the running simulator.
online() {
	local w=$1
	mkdir -p "$w"
	gcu-partition -q "$CHANGES" >"$w/p.ndjson"
	gcu-fetch -q "$w/p.ndjson" >"$w/f.ndjson" 2>"$w/fetch.err" || true
	gcu-merge -q "$w/f.ndjson" >"$w/m.ndjson"
	[ -s "$w/m.ndjson" ]
}

# send W [gcu-send options]: W/m.ndjson to W/r.ndjson (stderr in W/send.err),
# the exit status in SEND_RC. A crash (status 128 and up) fails at once.
send() {
	local w=$1
	shift
	SEND_RC=0
	gcu-send --seed 7 "$@" "$w/m.ndjson" >"$w/r.ndjson" 2>"$w/send.err" || SEND_RC=$?
	if [ "$SEND_RC" -ge 128 ]; then
		echo "gcu-send died with status $SEND_RC"
		cat "$w/send.err"
		return 1
	fi
	no_sanitizer_report "$w/send.err"
}

no_sanitizer_report() {
	if grep -qE 'Sanitizer|runtime error' "$@"; then
		cat "$@"
		return 1
	fi
}

# record_keys FILE: one line per record naming the request it stands for.
record_keys() {
	jq -c '[.id, .src, .scope, (.op // ""), (.path // "")]' "$1" | sort
}

# one_result_each REQUESTS RESULTS: every request has exactly one result,
# and every result a known status.
one_result_each() {
	local bad
	if ! diff <(record_keys "$1") <(record_keys "$2") >"$BATS_TEST_TMPDIR/keys.diff"; then
		echo "requests and results differ (< request without result, > extra result):"
		head -20 "$BATS_TEST_TMPDIR/keys.diff"
		return 1
	fi
	bad=$(jq -c 'select(.status | IN("ok","unchanged","failed","conflict","interrupted") | not)' "$2")
	if [ -n "$bad" ]; then
		echo "results with an unknown status: $bad"
		return 1
	fi
}

# ok_holds RESULTS STATE: every change a result calls ok holds in the org
# (STATE is GET /__sim/state). A result carries the change as asked
# (a manager by id, contact entries by mediaType and type, objects key by
# key), so that is how it is compared. Prints the results that do not hold.
ok_holds() {
	local bad
	bad=$(jq -n -c --slurpfile st "$2" --slurpfile rs "$1" '
		def holds($k; $w; $h):
			if $w == null then $h == null or $h == [] or $h == {}
			elif $k == "manager" then (($h | objects | .id) // $h) == $w
			elif ($w | type) == "array" and ($w | all(type == "object" and has("mediaType"))) then
				all($w[]; . as $e
					| [$h[]? | select(.mediaType == $e.mediaType and .type == $e.type)] as $m
					| if $e.address == null then ($m | length) == 0
					  else ($m | length) == 1 and $m[0].address == $e.address end)
			elif ($w | type) == "object" and ($h | type) == "object" then
				all($w | to_entries[]; . as $e | holds($e.key; $e.value; $h[$e.key]))
			else $w == $h end;
		def routing($list; $want; $removes):
			$want | to_entries | map(select((.value == null) == $removes)) | all(. as $e
				| ([$list[]? | select(.id == $e.key)] | first) as $have
				| if $e.value == null then $have == null
				  else $have != null and $have.proficiency == $e.value end);
		($st | map({(.id): .}) | add) as $org
		| $rs[] | select(.status == "ok") | . as $r | $org[$r.id] as $u
		| select(
			if $u == null then true
			elif $r.op == "user" or $r.op == "state" then
				($r.changes | to_entries | all(. as $e | holds($e.key; $e.value; $u[$e.key])) | not)
			elif $r.op == "routingSkills" or $r.op == "routingSkillRemove" then
				(routing($u.skills; $r.changes.routingSkills; $r.op == "routingSkillRemove") | not)
			elif $r.op == "routingLanguages" or $r.op == "routingLanguageRemove" then
				(routing($u.languages; $r.changes.routingLanguages;
					$r.op == "routingLanguageRemove") | not)
			elif $r.op == "routingStatus" then
				($u.routingStatus.status != $r.changes.routingStatus)
			else true end)
		| {id, op, changes, have: ($u // {} | with_entries(select(.key as $k
			| $r.changes | has($k))))}')
	if [ -n "$bad" ]; then
		echo "results say ok but the org disagrees:"
		echo "$bad" | head -"${OK_HOLDS_SHOW:-10}"
		return 1
	fi
}

# stamps FILE: "id stamp" for every user the competing writer touched.
stamps() {
	jq -r 'select(.wfmSyncStamp != null) | "\(.id) \(.wfmSyncStamp)"' "$1" | sort
}

# writer_intact BEFORE AFTER: no wfmSyncStamp seen in BEFORE (a state
# taken while gcu ran) is gone or older in AFTER.
writer_intact() {
	local bad
	bad=$(join -a 1 <(stamps "$1") <(stamps "$2") | awk 'NF < 3 || $3 < $2')
	if [ -n "$bad" ]; then
		echo "writer stamps lost or rolled back (id before after): $bad"
		return 1
	fi
}

# normal_state FILE: the org without what changes by itself (versions,
# routing status start times, the competing writer's stamp), one user a
# line, sorted, for comparing two orgs.
normal_state() {
	jq -c -S 'del(.version, .routingStatus.startTime, .wfmSyncStamp)' "$1" | sort
}
