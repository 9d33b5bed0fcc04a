#!/usr/bin/env bash
# xargs_curl.sh - the shell way to apply bulk user changes, as a benchmark
# peer: `xargs -P 6` over curl with `--retry 5`, jq for the bodies.
#
#   xargs_curl.sh [changes.ndjson | -]
#
# Reads change records ({"id","changes":{...}}, one a line). For each user,
# six at a time: GET /api/v2/users/{id} for its version, then PATCH the
# changes with id and version; a 409 re-reads and resends, at most three
# times. Routing changes go where the platform takes them, without a
# version and so without the GET: routingSkills to PATCH
# .../routingskills/bulk, routingStatus to PUT .../routingstatus.
#
# Retries are curl's own: --retry 5 retries a 408, 429, 500, 502, 503, 504
# or a timeout, honouring Retry-After (whole seconds; curl drops the
# fraction, and when that leaves 0 it falls back to its own backoff of 1 s,
# doubling). A reset connection is not retried by --retry, so that user
# fails. Nothing here paces itself from the rate-limit headers.
#
# Writes one line per user on stdout, {"id","status":"ok"|"failed","http"},
# and a summary on stderr; exits 0 if every user is ok, 1 otherwise.
#
# Credentials from the environment: GCU_CLIENT_ID, GCU_CLIENT_SECRET,
# GCU_API_BASE, optionally GCU_LOGIN_BASE. The secret reaches curl through
# its config on stdin and the token through a header file of mode 600:
# neither appears in any process's argv.
set -euo pipefail

PARALLEL=6
RETRIES=5

# one LINE: the work for one user; LINE is "id<TAB>changes-json".
one() {
	local id=${1%%$'\t'*} changes=${1#*$'\t'}
	local tmp http body status=failed
	tmp=$(mktemp "$XC_WORK/u.XXXXXX")
	local -a curl_opts=(-s --retry "$RETRIES" -H "@$XC_WORK/auth"
		-H 'Content-Type: application/json' -o "$tmp" -w '%{http_code}')
	local user_url=$XC_BASE/api/v2/users/$id

	if [[ ! $id =~ ^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$ ]]; then
		http=0
	elif [[ $changes == *'"routingSkills"'* || $changes == *'"routingStatus"'* ]]; then
		# Routing: no version, so no GET. One jq call yields both bodies.
		local skills state
		{
			read -r skills
			read -r state
		} < <(jq -c '(if has("routingSkills") then .routingSkills
				| if type == "object"
				then to_entries | map(select(.value != null) | {id: .key, proficiency: .value})
				else map({id, proficiency: (.proficiency // .level)}) end
			else null end),
			(if has("routingStatus") then {status: .routingStatus} else null end)' <<<"$changes")
		http=200
		if [ "$skills" != null ]; then
			http=$(curl "${curl_opts[@]}" -X PATCH --data-binary @- \
				"$user_url/routingskills/bulk" <<<"$skills") || http=000
		fi
		if [ "$http" = 200 ] && [ "$state" != null ]; then
			http=$(curl "${curl_opts[@]}" -X PUT --data-binary @- \
				"$user_url/routingstatus" <<<"$state") || http=000
		fi
		[ "$http" = 200 ] && status=ok
	else
		for _ in 1 2 3; do
			http=$(curl "${curl_opts[@]}" "$user_url") || http=000
			[ "$http" = 200 ] || break
			body=$(jq -c --arg id "$id" --argjson c "$changes" '{id: $id, version} + $c' "$tmp")
			http=$(curl "${curl_opts[@]}" -X PATCH --data-binary @- "$user_url" \
				<<<"$body") || http=000
			[ "$http" = 409 ] || break
		done
		[ "$http" = 200 ] && status=ok
	fi
	rm -f "$tmp"
	# One short write per line, so that parallel workers do not interleave.
	printf '{"id":"%s","status":"%s","http":%d}\n' "$id" "$status" "$((10#$http))"
}

if [ "${1:-}" = --one ]; then
	# A worker reports its user whatever happens, so that xargs goes on.
	set +e
	one "$2"
	exit 0
fi

for tool in curl jq xargs; do
	command -v "$tool" >/dev/null || { echo "xargs_curl: $tool is required" >&2; exit 69; }
done
: "${GCU_API_BASE:?xargs_curl: GCU_API_BASE is needed}"
: "${GCU_CLIENT_ID:?xargs_curl: GCU_CLIENT_ID is needed}"
: "${GCU_CLIENT_SECRET:?xargs_curl: GCU_CLIENT_SECRET is needed}"
input=()
[ "${1:--}" = - ] || input=("$1")

umask 077
XC_WORK=$(mktemp -d "${TMPDIR:-/tmp}/xargs-curl.XXXXXX")
trap 'rm -rf "$XC_WORK"' EXIT
XC_BASE=${GCU_API_BASE%/}
export XC_WORK XC_BASE

# curl config syntax: a quoted value takes backslash escapes.
quote() {
	local s=${1//\\/\\\\}
	printf '"%s"' "${s//\"/\\\"}"
}
token=$(printf 'user = %s\n' "$(quote "$GCU_CLIENT_ID:$GCU_CLIENT_SECRET")" |
	curl -sf --config - -d grant_type=client_credentials \
		"${GCU_LOGIN_BASE:-$XC_BASE}/oauth/token" | jq -r '.access_token // empty') || true
if [ -z "$token" ]; then
	echo "xargs_curl: no token" >&2
	exit 77
fi
printf 'Authorization: Bearer %s\n' "$token" >"$XC_WORK/auth"

start=$(date +%s.%N)
jq -r '[.id, (.changes | tojson)] | join("\t")' "${input[@]}" |
	xargs -d '\n' -n 1 -P "$PARALLEL" bash "${BASH_SOURCE[0]}" --one |
	tee "$XC_WORK/results"
end=$(date +%s.%N)
ok=$(grep -c '"status":"ok"' "$XC_WORK/results" || true)
total=$(wc -l <"$XC_WORK/results")
awk -v ok="$ok" -v n="$total" -v a="$start" -v b="$end" \
	'BEGIN { printf "xargs_curl: %d/%d users ok in %.1f s\n", ok, n, b - a }' >&2
[ "$ok" -eq "$total" ]
