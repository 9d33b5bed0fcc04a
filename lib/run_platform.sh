# shellcheck shell=bash
# shellcheck disable=SC2154 # run.sh, which sources this, sets its settings
# run_platform.sh - where a run of run.sh goes, and the token it takes
# there: the platform gcu-config names and checks, or gcu-sim hosted by
# gcu-sim-run, and one token for the stages of the run, renewed before it
# runs out. run.sh keeps no platform fact of its own (regions, URL policy,
# logins are gcu-config's, the C code the stages use).
#
# Sourced by run.sh after run_folder.sh; reads run.sh's settings (bin,
# cfg, here, self, argv, run_dir, mode, undo_of, want_sim, sim_why, sim_org)
# and sets platform, GCU_ACCESS_TOKEN and functions.

# use_platform: gcu-config checks the platform (region, URL policy,
# credentials) and names its API base. Without credentials, when asked, or
# when the run began there, the run goes to gcu-sim: gcu-sim-run hosts it
# and runs this script again, with GCU_RUN_PLATFORM=sim. The rollback of a
# run against gcu-sim goes there too, starting from the org that run left.
use_platform() {
	local recorded rc=0
	platform=${GCU_RUN_PLATFORM:-}
	[ -z "$platform" ] || return 0
	recorded=$(state_get platform)
	if [ "$recorded" = sim ] && [ "$mode" != plan ]; then want_sim=1 sim_why=''; fi
	if [ -n "$undo_of" ] && [ "$(state_get platform "$undo_of")" = sim ] && [ -z "$sim_org" ]; then
		want_sim=1 sim_why="rolling back a run against gcu-sim: " sim_org=$undo_of/sim-org.ndjson
	fi
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
	[ "$platform" != snapshot ] && [ $((token_until - $(now_ms))) -lt 600000 ] || return 0
	answer=$("$bin/gcu-config" "${cfg[@]}" --token) || exit
	token=${answer%%$'\n'*}
	[ "$token" = "$answer" ] || ttl=${answer#*$'\n'}
	export GCU_ACCESS_TOKEN=$token
	token_until=$(($(now_ms) + ${ttl:-86400000} * 1000))
}
