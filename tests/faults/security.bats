#!/usr/bin/env bats
# security.bats - what gcu keeps out of URLs, out of sight, and off the
# wire: ids that are not UUIDs never reach a URL (path traversal is
# refused by every stage, and the simulator's counters prove nothing got
# through); the client secret and the access token never appear in argv,
# logs, results, --failed files or error messages; a config file holding
# a secret that others can read is refused; plain http is refused for a
# host that is not loopback, before any connection.

load faults
bats_require_minimum_version 1.5.0

teardown() {
	faults_teardown
}

V=a06bcdfe-7533-40fd-a339-11c082f5e35d
TRAVERSAL=../../authorization/roles
ENCODED=%2e%2e%2f%2e%2e%2fauthorization%2froles

# api_routes: the /api/v2 routes the simulator has been asked for, one a
# line ("METHOD /path/{id}..."), the token endpoint left out.
api_routes() {
	sim_stats | jq -r '.requests.by_route | keys[] | select(. != "POST /oauth/token")'
}

@test "traversal: ids and paths that are not a user's never reach the platform" {
	local w=$BATS_TEST_TMPDIR/t
	mkdir -p "$w"
	fsim
	# gcu-partition: CSV and NDJSON.
	printf 'id,title\n%s,x\n%s,y\n%s,z\n' "$TRAVERSAL" "$ENCODED" "$V/../../x" >"$w/c.csv"
	run -1 gcu-partition "$w/c.csv"
	[[ "$output" == *"is not a UUID"* ]]
	! echo "$output" | grep -q '"id"'
	printf '{"id":"%s","changes":{"title":"x"}}\n{"id":"%s","changes":{"title":"x"}}\n' \
		"$TRAVERSAL" "$ENCODED" >"$w/c.ndjson"
	run -1 gcu-partition "$w/c.ndjson"
	[[ "$output" == *"is not a UUID"* ]]
	# gcu-fetch over the network: scoped records written by hand.
	printf '{"id":"%s","src":"x:1","scope":"non-routing","changes":{"title":"x"}}\n' \
		"$TRAVERSAL" "$ENCODED" "$V/../.." >"$w/s.ndjson"
	run gcu-fetch "$w/s.ndjson"
	[ "$status" -ne 0 ] && [ "$status" -lt 128 ]
	[[ "$output" == *"is not a UUID"* ]]
	! echo "$output" | grep -q '"current"'
	# gcu-merge: fetched records written by hand.
	printf '{"id":"%s","src":"x:1","scope":"non-routing","changes":{"title":"x"},"current":{"version":3,"title":"y"}}\n' \
		"$TRAVERSAL" "$ENCODED" >"$w/f.ndjson"
	run -1 gcu-merge "$w/f.ndjson"
	! echo "$output" | grep -q '"method"'
	# gcu-send: request records with a bad id, or a good id and a bad path.
	local p
	for p in "/api/v2/users/$TRAVERSAL" "/api/v2/users/$ENCODED"; do
		printf '{"id":"%s","src":"x:1","scope":"non-routing","op":"user","method":"PATCH","path":"%s","body":{"title":"x","version":9},"changes":{"title":"x"}}\n' \
			"$TRAVERSAL" "$p"
	done >"$w/r.ndjson"
	for p in "/api/v2/users/$V/$TRAVERSAL" "/api/v2/users/$ENCODED" \
		"/api/v2/users/$V/routingskills/..%2f..%2f..%2fauthorization%2froles" \
		"/api/v2/users/$V/./../../authorization/roles" "http://evil.example/api/v2/users/$V" \
		"//evil.example/api/v2/users/$V"; do
		printf '{"id":"%s","src":"x:2","scope":"non-routing","op":"user","method":"PATCH","path":"%s","body":{"title":"x","version":9},"changes":{"title":"x"}}\n' \
			"$V" "$p"
	done >>"$w/r.ndjson"
	run gcu-send "$w/r.ndjson"
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | grep -c '"status":"rejected"')" -eq 8 ]
	# Not one request reached the platform's API.
	run api_routes
	[ -z "$output" ]
	[ "$(sim_stats | jq '.requests.total - .requests.by_route["POST /oauth/token"] // 0')" -eq 0 ]
}

# every_output DIR: every file a run left in DIR, and every stderr.
every_output() {
	find "$1" -type f
}

@test "secrets: neither the secret nor a token appears in any output of a full run" {
	local w=$BATS_TEST_TMPDIR/s canary=Canary-Secret-7f3a91c2e8d4b6a0
	mkdir -p "$w"
	export GCU_SIM_CLIENT_SECRET=$canary
	fsim --error-rate 0.2 --token-ttl 0.3 --writer 10
	[ "$GCU_CLIENT_SECRET" = "$canary" ]
	gcu-partition -v -v "$CHANGES" >"$w/p.ndjson" 2>"$w/partition.err"
	gcu-fetch -v -v "$w/p.ndjson" >"$w/f.ndjson" 2>"$w/fetch.err" || true
	gcu-merge -v -v "$w/f.ndjson" >"$w/m.ndjson" 2>"$w/merge.err" || true
	GCU_RETRY_SERVER_ATTEMPTS=1 gcu-send -v -v --failed "$w/failed.ndjson" "$w/m.ndjson" >"$w/r.ndjson" 2>"$w/send.err" ||
		true
	if [ -x "$GCU_BIN/gcu-verify" ]; then
		gcu-verify -v -v "$w/r.ndjson" >"$w/v.ndjson" 2>"$w/verify.err" || true
	fi
	# Some failed, so the --failed file and the error messages are there.
	[ -s "$w/failed.ndjson" ]
	[ "$(sim_stats | jq .tokens_issued)" -gt 1 ]
	# A wrong secret and a refused token: their messages too.
	GCU_CLIENT_SECRET=$canary-wrong gcu-send "$w/m.ndjson" >"$w/wrong.out" 2>"$w/wrong.err" &&
		false || [ $? -eq 77 ]
	GCU_ACCESS_TOKEN=0123456789abcdef0123456789abcdef01234567 \
		gcu-send "$w/m.ndjson" >"$w/tok.out" 2>"$w/tok.err" || true
	run grep -rl -e "$canary" "$w"
	[ -z "$output" ]
	# Tokens are 40 hex digits: none anywhere (ids are 36 with dashes).
	run grep -rlE '[0-9a-f]{40}' "$w"
	[ -z "$output" ]
	# Nor the token's prefix as the simulator lists it.
	local prefix
	for prefix in $(sim_stats | jq -r '.peak_inflight_by_token | keys[]'); do
		run grep -rl -e "$prefix" "$w"
		[ -z "$output" ]
	done
}

@test "secrets: not in the command line of a running gcu-send or gcu-fetch" {
	local w=$BATS_TEST_TMPDIR/argv canary=Canary-Secret-argv-51d2
	mkdir -p "$w"
	export GCU_SIM_CLIENT_SECRET=$canary
	fsim --latency 1500
	offline "$w"
	gcu-send -q "$w/m.ndjson" >/dev/null 2>&1 &
	local send=$!
	gcu-fetch -q "$w/p.ndjson" >/dev/null 2>&1 &
	local fetch=$!
	sleep 0.4
	local pid
	for pid in $send $fetch; do
		[ -r "/proc/$pid/cmdline" ]
		tr '\0' ' ' <"/proc/$pid/cmdline" >"$w/cmdline.$pid"
		cat "$w/cmdline.$pid"
		[ -s "$w/cmdline.$pid" ]
		! grep -q -e "$canary" "$w/cmdline.$pid"
		! grep -qE '[0-9a-f]{40}' "$w/cmdline.$pid"
	done
	kill "$send" "$fetch" 2>/dev/null || true
	wait "$send" "$fetch" || true
}

@test "config: a secret in a file others can read is refused, with the fix; 0600 is accepted" {
	local c=$BATS_TEST_TMPDIR/gcu.yaml
	printf 'auth:\n  client_id: someone\n  client_secret: Canary-File-Secret-9e1\n' >"$c"
	chmod 644 "$c"
	run gcu-partition -c "$c" "$CHANGES"
	[ "$status" -ne 0 ] && [ "$status" -lt 128 ]
	[[ "$output" == *"chmod 600"* ]]
	[[ "$output" != *"Canary-File-Secret-9e1"* ]]
	chmod 640 "$c"
	run gcu-send -c "$c" --dry-run "$CHANGES"
	[ "$status" -ne 0 ]
	[[ "$output" == *"chmod 600"* ]]
	chmod 600 "$c"
	run gcu-partition -q -c "$c" "$CHANGES"
	[ "$status" -eq 0 ]
	# Without a secret in it, a readable file is fine.
	printf 'http:\n  max_response: 65536\n' >"$c"
	chmod 644 "$c"
	run gcu-partition -q -c "$c" "$CHANGES"
	[ "$status" -eq 0 ]
}

@test "TLS: plain http to a host that is not loopback is refused before connecting" {
	local u
	export GCU_ACCESS_TOKEN=not-a-real-token GCU_HTTP_CONNECT_TIMEOUT=0.2
	printf '{"id":"%s","src":"x:1","scope":"non-routing","op":"user","method":"PATCH","path":"/api/v2/users/%s","body":{"title":"x","version":1},"changes":{"title":"x"}}\n' \
		"$V" "$V" >"$BATS_TEST_TMPDIR/r.ndjson"
	printf '{"id":"%s","src":"x:1","scope":"non-routing","changes":{"title":"x"}}\n' \
		"$V" >"$BATS_TEST_TMPDIR/s.ndjson"
	# Never send traffic to these: the refusal must come first.
	for u in http://10.0.0.1 http://10.0.0.1:8080/ http://127.0.0.1.nip.io \
		http://localhost.example.com "http://127.0.0.1@10.0.0.1/" ftp://10.0.0.1 \
		10.0.0.1; do
		SECONDS=0
		GCU_API_BASE=$u run -64 timeout 5 gcu-send "$BATS_TEST_TMPDIR/r.ndjson"
		echo "$u: $output"
		[[ "$output" == *"http"* ]]
		GCU_API_BASE=$u run -64 timeout 5 gcu-fetch "$BATS_TEST_TMPDIR/s.ndjson"
		[ "$SECONDS" -lt 3 ]
	done
	# Loopback over plain http is the simulator's case, and allowed.
	fsim
	GCU_ACCESS_TOKEN=$(sim_token) run gcu-send --dry-run "$BATS_TEST_TMPDIR/r.ndjson"
	[ "$status" -eq 0 ]
}

@test "TLS: verification has no switch to turn it off" {
	local c=$BATS_TEST_TMPDIR/tls.yaml k
	for k in 'http:\n  insecure: true' 'http:\n  verify: false' 'http:\n  ssl_verify_peer: false' \
		'tls:\n  verify: false'; do
		printf "$k\n" >"$c"
		run gcu-send -c "$c" --dry-run /dev/null
		echo "$output"
		[ "$status" -eq 64 ] || [ "$status" -eq 78 ] || [ "$status" -eq 65 ]
		[[ "$output" == *"unknown"* ]]
	done
	# Nor in the code: libcurl's verification options are never lowered.
	! grep -nE 'SSL_VERIFY(PEER|HOST)[^;]*, *0' "$ROOT"/lib/*.c "$ROOT"/stages/*.c
}

@test "run.sh: a plain-http API base or login URL off loopback is refused before the secret leaves" {
	command -v strace >/dev/null || skip "strace not installed"
	local canary=Canary-Run-Secret-3c8e dir=$BATS_TEST_TMPDIR/evil u trace
	export GCU_CLIENT_ID=someone GCU_CLIENT_SECRET=$canary
	for u in "GCU_API_BASE=http://127.evil.example/" "GCU_API_BASE=http://127.0.0.1@evil.example/" \
		"GCU_API_BASE=http://127.0.0.1.evil.example:8080" \
		"GCU_LOGIN_BASE=http://127.evil.example GCU_REGION=eu-west-1"; do
		trace=$BATS_TEST_TMPDIR/connect.${#u}
		# shellcheck disable=SC2086 # the assignments are split on purpose
		run env $u strace -f -qq -e trace=connect -o "$trace" timeout 30 "$ROOT/run.sh" \
			--run-dir "$dir" "$CHANGES"
		echo "$u: $output"
		[ "$status" -eq 64 ]
		[[ $output == *"plain http is allowed only to a loopback host"* ]]
		[[ $output != *"$canary"* ]]
		# Not one connection left the machine, not even a name lookup.
		run grep -E 'AF_INET6?' "$trace"
		[ -z "$output" ]
	done
	# Nothing was started and nothing holds the secret.
	run grep -rl -e "$canary" "$dir"
	[ -z "$output" ]
}

@test "private files: what gcu writes is 0600 in 0700 folders, whatever the umask" {
	local w=$BATS_TEST_TMPDIR/p bad
	mkdir -p "$w"
	umask 022
	cd "$w"
	# A whole run (run folders under runs/, the demo's simulator and its dump,
	# the report) and every stage's own output files.
	export GCU_SIM_LIMIT=100 GCU_SIM_WINDOW=2
	run "$ROOT/run.sh" --sim --gap 0.2 "$CHANGES"
	echo "$output"
	[ "$status" -eq 0 ]
	fsim
	gcu-partition -q --split "$w/split" --rejects "$w/rejects.txt" "$CHANGES"
	gcu-fetch -q --capture "$w/capture.ndjson" "$w/split.non-routing.ndjson" >"$w/f.ndjson"
	gcu-merge -q "$w/f.ndjson" >"$w/m.ndjson"
	GCU_RETRY_SERVER_ATTEMPTS=1 GCU_API_BASE=http://127.0.0.1:9 gcu-send -q --failed "$w/failed.ndjson" \
		"$w/m.ndjson" >/dev/null || true
	gcu-sim --port 0 --ready-file "$w/sim.url" --dump "$w/dump.ndjson" --users "$ORG" &
	local pid=$!
	for _ in $(seq 1 100); do [ -s "$w/sim.url" ] && break; sleep 0.05; done
	kill -TERM "$pid"
	wait "$pid"
	for f in split.non-routing.ndjson split.routing.ndjson rejects.txt capture.ndjson failed.ndjson \
		sim.url dump.ndjson; do
		[ -f "$w/$f" ] || { echo "no $f"; false; }
	done
	[ -d runs ] && [ -n "$(ls runs)" ]
	# What the shell's redirections made (f.ndjson, m.ndjson) is the shell's.
	bad=$(find runs "$w"/split.* "$w"/rejects.txt "$w"/capture.ndjson "$w"/failed.ndjson \
		"$w"/sim.url "$w"/dump.ndjson \( -type d -perm /077 \) -o \( -type f -perm /077 \) -printf '%m %p\n')
	[ -z "$bad" ] || { echo "readable by others:"; echo "$bad"; false; }
	[ "$(stat -c %a runs)" = 700 ]
	[ -f runs/*/sim-org.ndjson ] && [ -f runs/*/report.txt ] && [ -f runs/*/results.routing.ndjson ]
}
