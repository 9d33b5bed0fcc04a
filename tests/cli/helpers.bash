# helpers.bash - shared setup for the bats tests.
#
# Every test finds the programs in $GCU_BIN (bin/ by default, build/asan/bin
# under `make check-asan`) and the repository's data through $ROOT. The
# sim_* functions start gcu-sim on a free loopback port, wait until it
# listens, and stop it at the end of the test.

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
GCU_BIN=${GCU_BIN:-$ROOT/bin}
PATH=$GCU_BIN:$PATH
export ROOT GCU_BIN PATH
# Tests never pick up a developer's own credentials or config.
unset GCU_CONFIG GCU_CLIENT_ID GCU_CLIENT_SECRET GCU_REGION GCU_API_BASE GCU_ACCESS_TOKEN
export GCU_SIM_CLIENT_ID=test-client GCU_SIM_CLIENT_SECRET=test-secret-0123456789

# sim_start [gcu-sim options]: starts the simulator, exports GCU_API_BASE,
# SIM_PID and SIM_DIR. Fails the test when it does not come up in 5 s.
sim_start() {
	SIM_DIR=$(mktemp -d "${BATS_TEST_TMPDIR:-/tmp}/sim.XXXXXX")
	gcu-sim --port 0 --ready-file "$SIM_DIR/url" "$@" 2>"$SIM_DIR/stderr" &
	SIM_PID=$!
	for _ in $(seq 1 100); do
		[ -s "$SIM_DIR/url" ] && break
		kill -0 "$SIM_PID" 2>/dev/null || break
		sleep 0.05
	done
	if [ ! -s "$SIM_DIR/url" ]; then
		echo "gcu-sim did not start:" >&2
		cat "$SIM_DIR/stderr" >&2
		return 1
	fi
	GCU_API_BASE=$(cat "$SIM_DIR/url")
	export GCU_API_BASE SIM_PID SIM_DIR
	export GCU_CLIENT_ID=$GCU_SIM_CLIENT_ID GCU_CLIENT_SECRET=$GCU_SIM_CLIENT_SECRET
}

# sim_stop: stops the simulator (SIGTERM, so that --dump is written).
sim_stop() {
	if [ -n "${SIM_PID:-}" ]; then
		kill -TERM "$SIM_PID" 2>/dev/null || true
		wait "$SIM_PID" 2>/dev/null || true
		SIM_PID=
	fi
}

# sim_token: prints a fresh access token from the running simulator.
sim_token() {
	curl -sf -u "$GCU_SIM_CLIENT_ID:$GCU_SIM_CLIENT_SECRET" \
		-d grant_type=client_credentials "$GCU_API_BASE/oauth/token" | jq -r .access_token
}

# sim_state: the simulated org as NDJSON on stdout.
sim_state() {
	curl -sf "$GCU_API_BASE/__sim/state"
}

# sim_stats: the simulator's counters as JSON on stdout.
sim_stats() {
	curl -sf "$GCU_API_BASE/__sim/stats"
}

# non_routing_sent_once DIR: the run in DIR sent its 40 user PATCHes in one
# session of gcu-send, all ok, and the platform received what that session
# says it sent: no PATCH went out twice, a retry after a 429 aside.
non_routing_sent_once() {
	local sum=$1/send.non-routing.1.summary.json
	[ ! -e "$1/send.non-routing.2.summary.json" ]
	jq -e '.requests == 40 and .results.ok == 40' "$sum"
	[ "$(sim_stats | jq '.requests.by_route["PATCH /api/v2/users/{id}"]')" -eq "$(jq .sent "$sum")" ]
}
