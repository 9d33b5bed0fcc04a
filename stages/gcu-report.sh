#!/usr/bin/env bash
# gcu-report - explain a run folder: what was asked, what was sent, what
# failed and why, how long it took against what the platform's limit allows;
# with --plan, what a run would send and how long it would take.
#
# It reads what run.sh leaves in the run folder and nothing else: the state
# file, the NDJSON of every stage, each stage's --summary JSON (the counts;
# never the wording of the logs) and, against gcu-sim, the simulator's
# per-second counters (sim-stats.<epoch ms>.json). It writes
# RUNDIR/report.txt, which it also prints, RUNDIR/timeline.tsv (the traffic
# in bins, the numbers behind the picture) and RUNDIR/timeline.svg; --plan
# writes RUNDIR/plan.txt instead. It changes nothing else and sends nothing.
# bash, jq, awk and gnuplot (without gnuplot: no picture).
set -euo pipefail
umask 077 # the report quotes personal data

max_failed=20
scopes=(non-routing routing)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lib=$here # built; installed, share/gcu
[ -r "$lib/run_folder.sh" ] || lib=$here/../share/gcu
# shellcheck source=lib/run_folder.sh
. "$lib/run_folder.sh"
# shellcheck source=lib/report_timeline.sh
. "$lib/report_timeline.sh"

# tool NAME: the gcu program NAME beside this script, else on the PATH
# (else false, which fails).
tool() { if [ -x "$here/$1" ]; then echo "$here/$1"; else command -v "$1" || echo false; fi; }

# version: the version every gcu program prints, from the C programs.
version() {
	local v
	v=$("$(tool gcu-merge)" --version 2>/dev/null || true)
	v=${v##* }
	printf 'gcu-report %s\n' "${v:-unknown}"
}

# usage [STATUS]: the synopsis, on stdout for --help, else on stderr.
usage() {
	local status=${1:-64}
	if [ "$status" = 0 ]; then exec 3>&1; else exec 3>&2; fi
	cat >&3 <<'USAGE'
usage: gcu-report [-qv] [-c config] [--no-plot] rundir
       gcu-report --plan [-qv] [-c config] rundir

Write rundir/report.txt (also printed), rundir/timeline.tsv and
rundir/timeline.svg from what the run left: the state file, the stages'
NDJSON and their --summary files.
      --plan        write rundir/plan.txt (also printed): per scope the users,
                    the requests by kind and the time they take at the limit
      --no-plot     no picture (timeline.tsv is still written)
  -c, --config FILE taken as by every gcu program; the report uses the
                    settings the run recorded in rundir/state, and this
                    file's (through gcu-config) for any it did not record
  -q, --quiet       do not print the report or the plan
  -v, --verbose     list every failed record, not only the first 20
  -h, --help        this text
  -V, --version     the version

Exit: 0 written, 64 usage (an unreadable config too), 66 not a run folder,
69 jq missing, 74 the report could not be written.
USAGE
	exit "$status"
}

quiet=0 plot=1 mode=report config=''
while [ $# -gt 0 ]; do
	case $1 in
	-c | --config)
		[ $# -ge 2 ] || usage
		[ -r "$2" ] || { echo "gcu-report: $2: cannot read" >&2; exit 64; }
		config=$2
		shift 2
		;;
	-q | --quiet) quiet=1; shift ;;
	-v | --verbose) max_failed=0; shift ;;
	--no-plot) plot=0; shift ;;
	--plan) mode=plan; shift ;;
	-h | --help) usage 0 ;;
	-V | --version) version; exit 0 ;;
	--) shift; break ;;
	-*) echo "gcu-report: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || usage
dir=${1%/}
if ! [ -f "$dir/state" ]; then
	echo "gcu-report: $dir: not a run folder (no state file)" >&2
	exit 66
fi
command -v jq >/dev/null || { echo "gcu-report: jq is needed" >&2; exit 69; }

state() { state_get "$1" "$dir"; }
# nd FILE: FILE when it exists, else /dev/null (jq -s then sees []).
nd() { if [ -f "$1" ]; then printf '%s\n' "$1"; else printf '/dev/null\n'; fi; }
# summary NAME: the path of a stage's summary, when it left one.
summary() { [ -f "$dir/$1.summary.json" ] && printf '%s\n' "$dir/$1.summary.json"; }
# sessions SCOPE: the summaries of every session of gcu-send in SCOPE, in order.
sessions() {
	local f
	for f in "$dir/send.$1".*.summary.json; do [ -f "$f" ] && printf '%s\n' "$f"; done | sort -V
}
# put FILE STATUS: FILE.tmp, written by a writer that ended with STATUS,
# goes into place; when the writer failed, the report stops with 74.
put() {
	if [ "$2" != 0 ] || ! mv -f "$1.tmp" "$1"; then
		rm -f "$1.tmp"
		echo "gcu-report: $1: cannot write" >&2
		exit 74
	fi
}

# What the exit statuses of the stages mean (sysexits, as they use them).
exit_meaning() {
	case $1 in
	64) echo 'usage' ;;
	65) echo 'bad input' ;;
	66) echo 'input unreadable' ;;
	69) echo 'platform unavailable' ;;
	73 | 74) echo 'output could not be written' ;;
	75) echo 'interrupted' ;;
	77) echo 'not authorised' ;;
	*) echo 'failed' ;;
	esac
}

# partition_line: the partition's counts, from its summary.
partition_line() {
	local f
	f=$(summary partition) || { echo 'partition: no summary'; return; }
	jq -r '"partition: \(.records) records: \(.accepted) accepted (\(.scopes["non-routing"]) non-routing, \(.scopes.routing) routing), \(.folded) folded, \(.rejected) rejected"' "$f"
}

# resolve_line: what gcu-resolve turned into ids and what reading cost,
# from its summary; where it stopped and why, when it did.
resolve_line() {
	local f code
	f=$(summary resolve) || return 0
	code=$(jq -r '.exit' "$f")
	if [ "$code" -gt 1 ]; then
		printf 'stopped at gcu-resolve (exit %s: %s): %s\n' "$code" "$(exit_meaning "$code")" "$(jq -r '.error // "no reason given"' "$f")"
		printf 'fix the cause, then run.sh --resume %s\n' "$dir"
		return 0
	fi
	jq -r '
		([(.keys | to_entries[] | select(.value > 0) | "\(.value) by \(.key)"),
		  (.names | to_entries[] | select(.value > 0) | "\(.value) \(.key) names")] | join(", ")) as $by
		| {none: "nothing read (every user and reference an id)",
		   capture: "from a capture of the directory, nothing read",
		   directory: "read \(.reads.users) pages of the directory (\(.users) users) and \(.reads.catalogues) catalogue pages: \(.requests) requests",
		   search: "read \(if .reads.users > 0 then "the directory\u0027s first page (\(.users) users), " else "" end)\(.reads.searches) search\(if .reads.searches == 1 then "" else "es" end) and \(.reads.catalogues) catalogue pages: \(.requests) requests"}[.plan // ""] as $read
		| "resolve: \(.records) records: \(.resolved) resolved" + (if $by != "" then " (\($by))" else "" end)
		  + ", \(.rejected) rejected, \(.inactive) with an inactive user" + (if $read then "; \($read)" else "" end)' "$f"
}

# partition_stop: why the partition stopped, when it did.
partition_stop() {
	local f code
	f=$(summary partition) || return 0
	code=$(jq -r '.exit' "$f")
	[ "$code" -gt 1 ] || return 0
	printf 'stopped at gcu-partition (exit %s: %s): %s\n' "$code" "$(exit_meaning "$code")" "$(jq -r '.error // "no reason given"' "$f")"
	printf 'fix the cause, then run.sh --resume %s\n' "$dir"
}

# --- the limit ------------------------------------------------------------
# The limit, the window and what each window keeps unspent (a run folder
# from before throttle.floor names the reserve, which was then kept whole):
# the run's config as the state file recorded it, what a plan counts with.
# What a folder did not record (stages run by hand) is what gcu-config
# gives, from -c or the built-in settings. For the report, the limit is
# what the rate headers said to gcu-send (its summaries), the config only
# when no header gave one.
kept=$(state throttle.floor)
[ -n "$kept" ] || kept=$(state throttle.reserve)
cfg_limit=$(state platform.limit) cfg_window=$(state platform.window)
if [ -z "$kept" ] || [ -z "$cfg_limit" ] || [ -z "$cfg_window" ]; then
	v=$("$(tool gcu-config)" ${config:+-c "$config"} --get platform.limit --get platform.window \
		--get throttle.floor) || exit 64
	read -r -d '' l w f <<<"$v" || true
	cfg_limit=${cfg_limit:-$l} cfg_window=${cfg_window:-$w} kept=${kept:-$f}
fi
limit='' window='' limit_from=''
for s in "${scopes[@]}"; do
	while IFS= read -r f; do
		read -r l w < <(jq -r 'if .limit != null and .window != null then "\(.limit) \(.window)" else "- -" end' "$f")
		if [ "$l" != - ]; then limit=$l window=$w limit_from='the rate headers'; fi
	done < <(sessions "$s")
done
if [ -z "$limit" ]; then
	limit=$cfg_limit window=$cfg_window
	limit_from='the config'
	for s in "${scopes[@]}"; do
		if [ -n "$(sessions "$s")" ]; then limit_from='the config; no rate headers came'; fi
	done
fi
window=$(awk -v w="$window" 'BEGIN { print w + 0 }')
allowed="at most $limit in any $window s"

# --- the plan ---------------------------------------------------------------
# display_path: a path relative to the current folder when inside it.
display_path() {
	case $1 in
	"$PWD"/*) printf '%s' "${1#"$PWD"/}" ;;
	*) printf '%s' "$1" ;;
	esac
}

plan_text() {
	local s rate total=0 line secs gap
	gap=$(state gap)
	gap=${gap:-0}
	rate=$(awk -v l="$cfg_limit" -v w="$cfg_window" -v r="$kept" 'BEGIN { n = l - r; if (n < 1) n = 1; printf "%.6f\n", n / w }')
	printf 'plan for %s\n' "$(display_path "$(state changes)")"
	resolve_line
	partition_line
	for s in "${scopes[@]}"; do
		if ! [ -s "$dir/changes.$s.ndjson" ]; then
			printf '%s: no changes\n' "$s"
			continue
		fi
		# The counts from gcu-merge's summary, the users from its output.
		# A group request serves many users: its members are the users.
		# The fields a user's PATCH carries are those that change: how
		# many users each, to be checked against what the file meant.
		line=$(jq -n -r --arg s "$s" --argjson rate "$rate" \
			--slurpfile req "$(nd "$dir/requests.$s.ndjson")" \
			--slurpfile sum "$(nd "$dir/merge.$s.summary.json")" '
			($req | map(.id // empty, (.members // [] | .[].id)) | unique | length) as $users
			| ($sum[0] // {
				requests: ($req | map(select(.op)) | length),
				requests_by_op: ($req | map(select(.op)) | group_by(.op) | map({(.[0].op): length}) | add // {}),
				members_by_op: ($req | map(select(.members)) | group_by(.op) | map({(.[0].op): (map(.members | length) | add)}) | add // {}),
				unchanged: ($req | map(select(.status == "unchanged")) | length),
				failed: ($req | map(select(.status == "failed")) | length)}) as $m
			| ($m.members_by_op // {}) as $members
			| ($req | map(select(.op == "user") | .body // {} | keys[] | select(. != "id" and . != "version"))
				| group_by(.) | map({k: .[0], n: length}) | sort_by(-.n, .k)
				| map("\(.k) \(.n)") | join(", ")) as $fields
			| ($m.requests_by_op | to_entries | sort_by(.key) | map("\(.key) \(.value)") | join(", ")) as $ops
			| ((($users + 99) / 100 | floor) * 2) as $reads
			| "\($s): \($users) users, \($m.requests) requests"
			  + (if $ops != "" then " (\($ops))" else "" end)
			  + ", \($m.unchanged) already true, \($m.failed) failed lookups"
			  + (if ($m.conflict // 0) > 0 then ", \($m.conflict) changed since (conflicts, left alone)" else "" end)
			  + (if $fields != "" then "\n  user fields: \($fields)" else "" end)
			  + ([$members | to_entries | sort_by(.key)[]
			      | "\n  \(.value) \(.key) changes: \($m.requests_by_op[.key]) requests"] | add // "")
			  + "\t\(($m.requests + $reads) / $rate)"')
		secs=${line##*$'\t'}
		printf '%s\n' "${line%$'\t'*}" | sed "1s/\$/; about $(human "$secs")/"
		total=$(awk -v a="$total" -v b="$secs" 'BEGIN { print a + b }')
	done
	printf 'estimate at %s requests per %s s, %s never spent: %s sending' "$cfg_limit" "$cfg_window" "$kept" "$(human "$total")"
	if [ -s "$dir/changes.routing.ndjson" ] && [ -s "$dir/changes.non-routing.ndjson" ]; then
		printf ' + a gap of %s = %s\n' "$(human "$gap")" "$(human "$(awk -v a="$total" -v b="$gap" 'BEGIN { print a + b }')")"
	else
		printf '\n'
	fi
	printf 'nothing was sent; the files are in %s\n' "$dir"
}

if [ "$mode" = plan ]; then
	rc=0
	plan_text >"$dir/plan.txt.tmp" || rc=$?
	put "$dir/plan.txt" "$rc"
	[ "$quiet" = 1 ] || cat "$dir/plan.txt"
	exit 0
fi

# --- the timeline ---------------------------------------------------------
# The run's time axis, from its first scope's start to its last one's end;
# report_timeline.sh puts its ticks in $ticks.
start=$(state non-routing.started)
[ -n "$start" ] || start=$(state routing.started)
end=$(state routing.ended)
[ -n "$end" ] || end=$(state non-routing.ended)
[ -n "$end" ] || end=$(state routing.send_ended)
[ -n "$end" ] || end=$(state non-routing.send_ended)
ticks=$dir/.ticks.tmp
ticks_from=''
trap 'rm -f "$ticks" "$ticks.all"' EXIT

# --- the report -------------------------------------------------------------
# stopped_line SCOPE: why the scope stopped, from the state and the summary
# of the stage it stopped at; nothing when it did not stop.
stopped_line() {
	local s=$1 st stage f
	st=$(state "$s")
	case $st in
	failed:* | interrupted:*) stage=${st#*:} ;;
	*) return 0 ;;
	esac
	if [ "$stage" = send ]; then f=$(sessions "$s" | tail -n 1); else f=$(summary "$stage.$s" || true); fi
	if [ -z "$f" ]; then
		printf '  %-12s at gcu-%s, which left no summary\n' stopped "$stage"
		return 0
	fi
	local code why
	code=$(jq -r '.exit' "$f")
	why=$(jq -r '.error // if .gave_up then "the platform stayed unavailable"
		elif .auth_failed then "the platform refused the credentials"
		elif .interrupted then "stopped by a signal" else empty end' "$f")
	printf '  %-12s at gcu-%s (exit %s: %s)%s\n' stopped "$stage" "$code" "$(exit_meaning "$code")" "${why:+: $why}"
	case $code in
	75) printf '  %-12s run.sh --resume %s\n' 'continue' "$dir" ;;
	*) printf '  %-12s fix the cause, then run.sh --resume %s\n' 'continue' "$dir" ;;
	esac
}

scope_report() {
	local s=$1 st users files
	st=$(state "$s")
	printf '%s: %s\n' "$s" "${st:-not started}"
	stopped_line "$s"
	if ! [ -s "$dir/changes.$s.ndjson" ]; then
		[ -f "$dir/changes.$s.ndjson" ] && printf '  no changes in this scope\n'
		printf '\n'
		return
	fi
	users=$(jq -s 'map(.id) | unique | length' "$dir/changes.$s.ndjson")
	printf '  %-12s %s\n' users "$users"
	if [ -f "$dir/results.$s.ndjson" ]; then
		# A group request has a result per member, each naming the request's
		# line: its members are counted apart, the request once.
		jq -rs '
			def count(f): map(select(f)) | length;
			def statuses: . as $r | [ "ok", "failed", "conflict", "interrupted" ]
			     | map(. as $k | "\($r | count(.status == $k)) \($k)") | join(", ");
			(map(select(.op and .line == null))) as $own
			| (map(select(.op and .line != null))) as $mem
			| ($mem | group_by(.line) | map(max_by(.attempts // 1))) as $groups
			| ($own + $groups) as $req
			| "  requests     \($req | length)"
			  + (if ($groups | length) > 0 then " (\($groups | length) for groups)" else "" end)
			  + (if ($own | length) > 0 then ": " + ($own | statuses) else "" end)
			  + "; \(count(.op == null and .status == "unchanged")) users already true"
			  + (if count(.status == "rejected") > 0
			     then ", \(count(.status == "rejected")) lines rejected unsent" else "" end)
			  + (if count(.op == null and .status == "failed") > 0
			     then ", \(count(.op == null and .status == "failed")) not sent (lookup failed)" else "" end),
			  (if ($mem | length) > 0
			   then "  members      \($mem | length) changes: " + ($mem | statuses) else empty end),
			  "  by op        " + ($req | group_by(.op) | map("\(.[0].op) \(length)"
			      + (. as $g | $mem | count(.op == $g[0].op) | if . > 0 then " (\(.) members)" else "" end))
			    | join(", ")),
			  "  attempts     \($req | map(.attempts // 1) | add // 0) for \($req | length) requests"
			' "$dir/results.$s.ndjson"
	elif [ -f "$dir/requests.$s.ndjson" ]; then
		printf '  %-12s %s\n' requests "$(jq -s 'map(select(.op)) | length' "$dir/requests.$s.ndjson") planned, none sent"
	fi
	# What only gcu-send counted: summed over its sessions in this scope.
	mapfile -t files < <(sessions "$s")
	if [ ${#files[@]} -gt 0 ]; then
		jq -rs '
			def sum(f): map(f) | add;
			"  sent         \(sum(.sent)) in \(length) session\(if length > 1 then "s" else "" end)"
			  + (if sum(.refreshes) > 0 then ", \(sum(.refreshes)) token refreshes" else "" end)
			  + (if any(.[]; .blind) then " (no rate headers: blind)" else "" end),
			"  429s         \(sum(.http_429))" + (if sum(.capped) > 0 then " (\(sum(.capped)) Retry-After cut)" else "" end),
			"  retries      \(sum(.retries))",
			"  conflicts    \(sum(.conflicts)) (\(sum(.resolved)) resolved, \(sum(.parked)) parked)"
			' "${files[@]}"
	elif [ -f "$dir/results.$s.ndjson" ]; then
		printf '  %-12s %s\n' retries "$(jq -s 'map(select(.op)) | unique_by(.line // .src + .op + .path) | map((.attempts // 1) - 1) | add // 0' "$dir/results.$s.ndjson") (from the results; no gcu-send summary)"
	fi
	if [ -f "$dir/verify.$s.ndjson" ]; then
		jq -rs '"  verified     \(map(select(.verified == true)) | length) hold, \(map(select(.verified == false and .mismatch != null)) | length) mismatches, \(map(select(.verified == false and .mismatch == null)) | length) unreadable"' \
			"$dir/verify.$s.ndjson"
	fi
	# The time spent sending: the sessions' own, so that the hours a run
	# stood interrupted do not count; else from the state.
	local a b n d=''
	a=$(state "$s.send_started") b=$(state "$s.send_ended")
	if [ ${#files[@]} -gt 0 ]; then
		d=$(jq -s 'map(.elapsed // 0) | add' "${files[@]}")
	elif [ -n "$a" ] && [ -n "$b" ]; then
		d=$(secs "$a" "$b")
	fi
	if [ -n "$d" ]; then
		n=$(jq -s 'map(select(.op and .status != "unchanged")) | (map(select(.line == null)) + (map(select(.line != null)) | group_by(.line) | map(max_by(.attempts // 1)))) | map(.attempts // 1) | add // 0' "$(nd "$dir/results.$s.ndjson")")
		awk -v d="$d" -v n="$n" -v l="$limit" -v w="$window" -v r="$kept" '
			function h(s) { return s >= 60 ? sprintf("%d min %02d s", s / 60, s % 60) : sprintf("%.1f s", s) }
			BEGIN {
				# A sliding window lets the first "limit" requests go at once,
				# then "limit" a window.
				p = l > r ? l - r : 1
				ideal = n > l ? (int((n + l - 1) / l) - 1) * w : 0
				paced = n > p ? (int((n + p - 1) / p) - 1) * w : 0
				printf "  %-12s %s for %d requests; ideal %s at %d per %g s (%s keeping %d unspent)", "duration", h(d), n, h(ideal), l, w, h(paced), r
				if (ideal > 0) printf ", x%.1f", d / ideal; else printf " (one window)"
				printf "\n" }'
		# The average rate would read like a breach of a per-second limit;
		# a sliding window allows bursts, so say what it allowed and the
		# fullest window seen.
		local most
		most=$(fullest "$(state "$s.started")" "$(state "$s.ended")")
		awk -v d="$d" -v n="$n" -v al="$allowed" -v w="$window" -v m="$most" 'BEGIN {
			printf "  %-12s %.2f requests/s on average; the window allows %s", "rate", (d > 0 ? n / d : 0), al
			if (m != "") printf "; the fullest %g s of this run held %d", w, m
			printf "\n" }'
	fi
	printf '\n'
}

# reject_summaries: the summaries that list rejected input lines: every
# stage's, and of gcu-send the last session's only (each session of a
# resumed send rejects the same lines again).
reject_summaries() {
	local s
	summary resolve || true
	summary partition || true
	for s in "${scopes[@]}"; do
		summary "fetch.$s" || true
		summary "merge.$s" || true
		sessions "$s" | tail -n 1
		summary "verify.$s" || true
	done
}

# Failed records: what did not happen, with the reason, first max_failed.
failed_records() {
	local f=$dir/.failed.tmp s n extra=0 one listed=()
	mapfile -t listed < <(reject_summaries)
	{
		# A summary lists the first rejected lines; the rest is "extra".
		for one in "${listed[@]}"; do
			jq -r --arg f "${one##*/}" '
				($f | split(".")) as $p
				| (if $p[0] == "partition" or $p[0] == "resolve" then "-" else "\($p[1]) \($p[0])" end) as $where
				| .rejects[] | [.src, "-", $where, "rejected", .why]
				| map(tostring | gsub("[\t\n]"; " ")) | join("\t")' "$one"
		done
		for s in "${scopes[@]}"; do
			[ -f "$dir/results.$s.ndjson" ] &&
				jq -r --arg s "$s" 'select(.status == "failed" or .status == "conflict" or .status == "interrupted" or .status == "rejected")
					| [.src // .line, .id, "\($s) \(.op // (if .status == "conflict" then "expect" else "lookup" end))", .status + (if .http then " " + (.http | tostring) else "" end),
					   (.error | if type == "object" then (.message // tostring) elif . == null then "" else tostring end)]
					| map(tostring | gsub("[\t\n]"; " ")) | join("\t")' \
					"$dir/results.$s.ndjson"
			[ -f "$dir/verify.$s.ndjson" ] &&
				jq -r --arg s "$s" 'select(.verified == false)
					| [.src, .id, "\($s) verify", "mismatch",
					   (if .mismatch then (.mismatch | to_entries | map("\(.key): want \(.value.want | tojson), got \(.value.got | tojson)") | join("; "))
					    else (.error | if type == "object" then (.message // tostring) else tostring end) end)]
					| map(tostring | gsub("[\t\n]"; " ")) | join("\t")' \
					"$dir/verify.$s.ndjson"
		done
	} >"$f" || true
	if [ ${#listed[@]} -gt 0 ]; then
		extra=$(jq -s 'map(.rejected - (.rejects | length)) | add // 0' "${listed[@]}")
	fi
	n=$(($(wc -l <"$f") + extra))
	if [ "$n" = 0 ]; then
		printf 'failed records: none\n'
	else
		local shown=$max_failed
		[ "$shown" -gt 0 ] || shown=$n
		printf 'failed records: %d%s\n' "$n" "$([ "$n" -gt "$shown" ] && printf ' (the first %d)' "$shown")"
		head -n "$shown" "$f" | awk -F'\t' '{
			src = $1; n = split(src, p, "/"); if (n > 1) src = p[n]
			why = $5; if (length(why) > 110) why = substr(why, 1, 107) "..."
			printf "  %-22s %-36s %-24s %-12s %s\n", src, $2, $3, $4, why }'
		[ "$n" -gt "$shown" ] && printf '  ... and %d more (results.*.ndjson, verify.*.ndjson, *.summary.json; -v lists them all)\n' "$((n - shown))"
		if [ -s "$dir/failed.non-routing.ndjson" ] || [ -s "$dir/failed.routing.ndjson" ]; then
			printf '  failed requests can be sent again: gcu-send --resume results.SCOPE.ndjson requests.SCOPE.ndjson\n'
		fi
	fi
	rm -f "$f"
}

# rollback_lines: of a rollback (run.sh --undo), how many users are back
# and how many were left as they were because they had changed since the
# run (conflict); of any run, its undo file.
rollback_lines() {
	local of n
	of=$(state undo_of)
	if [ -n "$of" ]; then
		cat "$(nd "$dir/results.non-routing.ndjson")" "$(nd "$dir/results.routing.ndjson")" |
			jq -rs --arg of "$(display_path "$of")" '
				map(select(.id and .status)) | group_by(.id | ascii_downcase) | map(map(.status))
				| (map(select(index("conflict") == null and index("ok") != null)) | length) as $back
				| (map(select(index("conflict") != null)) | length) as $left
				| "rollback: of \($of): \($back) users rolled back, \($left) left as they were"
				  + " (conflict: changed since that run)"'
	fi
	if [ -s "$dir/undo.ndjson" ]; then
		n=$(wc -l <"$dir/undo.ndjson")
		printf 'undo:     %s change records in undo.ndjson; to roll back: run.sh --undo %s\n' "$n" "$(display_path "$dir")"
	fi
}

write_report() {
	local a b platform
	platform=$(state platform)
	printf 'gcu run report: %s\n' "$dir"
	printf 'changes:  %s\n' "$(state changes | awk -F/ '{ print $NF }')"
	{ resolve_line; partition_line; partition_stop; } | sed 's/^/          /'
	case $platform in
	sim) printf 'platform: gcu-sim (simulated org); %s (from %s), %s never spent\n' "$allowed" "$limit_from" "$kept" ;;
	*) printf 'platform: %s; %s (from %s), %s never spent\n' "${platform:-unknown}" "$allowed" "$limit_from" "$kept" ;;
	esac
	a=$start b=$end
	if [ -n "$a" ]; then
		printf 'started:  %s\n' "$(utc "$a")"
		if [ -n "$b" ] && [ "$b" -ge "$a" ]; then
			printf 'ended:    %s, %s in all\n' "$(utc "$b")" "$(human "$(secs "$a" "$b")")"
		fi
	fi
	local ge rs
	ge=$(state non-routing.ended) rs=$(state routing.started)
	if [ -n "$ge" ] && [ -n "$rs" ]; then
		printf 'gap:      %s asked, %s between the scopes\n' "$(human "$(state gap)")" "$(human "$(secs "$ge" "$rs")")"
	fi
	rollback_lines
	printf '\n'
	for s in "${scopes[@]}"; do scope_report "$s"; done
	failed_records
}

make_ticks
if [ -n "$start" ]; then
	rc=0
	timeline_tsv >"$dir/timeline.tsv.tmp" || rc=$?
	put "$dir/timeline.tsv" "$rc"
fi
rc=0
write_report >"$dir/report.txt.tmp" || rc=$?
put "$dir/report.txt" "$rc"
[ "$plot" = 1 ] && plot_timeline
[ "$quiet" = 1 ] || cat "$dir/report.txt"
exit 0
