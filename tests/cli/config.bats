#!/usr/bin/env bats
# config.bats - gcu-config: the settings as the stages see them (defaults,
# the file in block or flow style, GCU_* variables), the platform it
# checks before any connection, and the token it hands a script, with the
# secret on no command line and no terminal.

load helpers
bats_require_minimum_version 1.5.0

teardown() {
	sim_stop
}

@test "config: every setting at its default, the secret never shown" {
	run gcu-config
	[ "$status" -eq 0 ]
	[[ $output == *"platform.limit = 300"* ]]
	[[ $output == *"schedule.gap = 900"* ]]
	[[ $output == *"scopes.routing += routingSkills"* ]]
	GCU_CLIENT_SECRET=Canary-Config-5e1 run gcu-config
	[[ $output == *"auth.client_secret = (set)"* ]]
	[[ $output != *"Canary-Config-5e1"* ]]
}

@test "config: --get reads a flow-style file and the environment as the stages do" {
	local c=$BATS_TEST_TMPDIR/flow.yaml
	printf 'platform: {limit: 600, window: 6}\nschedule: {gap: 0.25}\nthrottle: {reserve: 3}\n' >"$c"
	run gcu-config -c "$c" --get platform.limit --get platform.window --get schedule.gap --get throttle.floor
	[ "$status" -eq 0 ]
	[ "$output" = $'600\n6\n0.25\n2' ]
	GCU_CONFIG=$c GCU_PLATFORM_LIMIT=450 run gcu-config --get platform.limit
	[ "$output" = 450 ]
}

@test "config: unknown keys and bad files are usage errors naming the problem" {
	run -64 gcu-config --get platform.limt
	[[ $output == *"unknown setting 'platform.limt'"* ]]
	printf 'platform: {limit: lots}\n' >"$BATS_TEST_TMPDIR/bad.yaml"
	run -64 gcu-config -c "$BATS_TEST_TMPDIR/bad.yaml" --get platform.limit
	[[ $output == *"bad.yaml:1: platform.limit: expected a whole number"* ]]
	run -64 gcu-config --platform --token
	run -64 gcu-config --get platform.limit extra
}

@test "config: --platform resolves the region and refuses what the stages refuse" {
	unset GCU_ACCESS_TOKEN
	run -1 gcu-config --platform
	[[ $output == *"no platform and no credentials"* ]]
	run -1 gcu-config -q --platform
	[ -z "$output" ]
	export GCU_CLIENT_ID=someone GCU_CLIENT_SECRET=Canary-Config-77
	GCU_REGION=eu-west-1 run -0 gcu-config --platform
	[ "$output" = https://api.mypurecloud.ie ]
	GCU_REGION=mars-1 run -64 gcu-config --platform
	[[ $output == *'unknown region "mars-1"'* ]]
	local u
	for u in http://127.evil.example/ http://127.0.0.1@evil.example/ http://10.0.0.1 ftp://127.0.0.1; do
		GCU_API_BASE=$u run -64 gcu-config --platform
		echo "$u: $output"
		[[ $output == *"API base"* ]]
		[[ $output != *"Canary-Config-77"* ]]
	done
	GCU_REGION=eu-west-1 GCU_LOGIN_BASE=http://127.evil.example run -64 gcu-config --platform
	[[ $output == *"login URL"* ]]
	unset GCU_CLIENT_SECRET
	GCU_REGION=eu-west-1 run -64 gcu-config --platform
	[[ $output == *"GCU_CLIENT_SECRET is not"* ]]
}

@test "config: --token hands a script a fresh token and how long it lasts, never a terminal" {
	sim_start --users "$ROOT/testdata/org.ndjson" --token-ttl 120
	run -0 gcu-config --token
	[ "${#lines[@]}" -eq 2 ]
	[[ ${lines[0]} =~ ^[!-~]{16,}$ ]]
	[ "${lines[1]}" -ge 118 ] && [ "${lines[1]}" -le 120 ]
	# It works: the simulator takes it.
	curl -sf -H "Authorization: Bearer ${lines[0]}" "$GCU_API_BASE/api/v2/users?pageSize=1" >/dev/null
	# Given a token and the credentials, it gets a new one (a renewal).
	first=${lines[0]}
	GCU_ACCESS_TOKEN=$first run -0 gcu-config --token
	[ "${lines[0]}" != "$first" ]
	[ "$(sim_stats | jq .tokens_issued)" -eq 2 ]
	# A token without credentials cannot be renewed: it comes back as it is.
	env -u GCU_CLIENT_ID -u GCU_CLIENT_SECRET GCU_ACCESS_TOKEN=given-token-0123456789 \
		gcu-config --token >"$BATS_TEST_TMPDIR/given"
	[ "$(head -n 1 "$BATS_TEST_TMPDIR/given")" = given-token-0123456789 ]
	[ "$(sed -n 2p "$BATS_TEST_TMPDIR/given")" = '' ]
	# Refused credentials: 77, without the secret.
	GCU_CLIENT_SECRET=wrong-Canary-9 run -77 gcu-config --token
	[[ $output != *"wrong-Canary-9"* ]]
	# Onto a terminal: refused.
	command -v script >/dev/null || skip "script(1) not installed"
	run script -qec "$GCU_BIN/gcu-config --token" /dev/null
	[ "$status" -eq 64 ]
	[[ $output == *"never onto a terminal"* ]]
	[ "$(sim_stats | jq .tokens_issued)" -eq 2 ]
}
