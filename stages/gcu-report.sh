#!/usr/bin/env bash
# gcu-report - explain a run folder: what was asked, what was sent, what
# failed and why, how long it took against what the platform's limit allows.
#
# It reads the run folder run.sh leaves behind (state, the NDJSON of every
# stage, the stages' logs and, against gcu-sim, the simulator's per-second
# timeline) and writes RUNDIR/report.txt, which it also prints, and
# RUNDIR/timeline.svg: requests per second against the limit, 429s marked,
# the gap between the scopes shaded. It changes nothing else and sends
# nothing. bash, jq and gnuplot (without gnuplot: the text only).
set -euo pipefail

version=0.1.0
max_failed=20

# usage [STATUS]: the synopsis, on stdout for --help, else on stderr.
usage() {
	local status=${1:-64}
	if [ "$status" = 0 ]; then exec 3>&1; else exec 3>&2; fi
	cat >&3 <<'USAGE'
usage: gcu-report [-q] [--no-plot] rundir

Write rundir/report.txt (also printed) and rundir/timeline.svg.
  -q, --quiet     do not print the report
      --no-plot   no picture
  -h, --help      this text
  -V, --version   the version

Exit: 0 written, 64 usage, 66 not a run folder, 69 jq missing,
74 the report could not be written.
USAGE
	exit "$status"
}

quiet=0 plot=1
while [ $# -gt 0 ]; do
	case $1 in
	-q | --quiet) quiet=1; shift ;;
	--no-plot) plot=0; shift ;;
	-h | --help) usage 0 ;;
	-V | --version) echo "gcu-report $version"; exit 0 ;;
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

scopes=(non-routing routing)

state() { awk -v k="$1" 'index($0, k "=") == 1 { print substr($0, length(k) + 2); exit }' "$dir/state"; }
human() {
	awk -v s="$1" 'BEGIN {
		if (s >= 3600) printf "%d h %02d min\n", s / 3600, (s % 3600) / 60
		else if (s >= 60) printf "%d min %02d s\n", s / 60, s % 60
		else printf "%.1f s\n", s }'
}
utc() { date -u -d "@$(($1 / 1000))" '+%Y-%m-%d %H:%M:%SZ'; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", (b - a) / 1000 }'; }
# nd FILE: FILE when it exists, else /dev/null (jq -s then sees []).
nd() { if [ -f "$1" ]; then printf '%s\n' "$1"; else printf '/dev/null\n'; fi; }

limit=$(state platform.limit)
window=$(state platform.window)
# What each window keeps unspent; a run folder from before throttle.floor
# names the reserve, which was then kept whole.
kept=$(state throttle.floor)
[ -n "$kept" ] || kept=$(state throttle.reserve)
limit=${limit:-300} window=${window:-60} kept=${kept:-2}
platform=$(state platform)

# send_counts SCOPE: "429s retries conflicts resolved parked" summed over
# the summary lines of every session of gcu-send in this scope; "-" when
# no session left a summary.
send_counts() {
	local log=$dir/send.$1.log
	[ -f "$log" ] || { echo -; return; }
	awk '/^gcu-send: .* sent, / {
		n++
		if (match($0, /[0-9]+ 429s/)) r += substr($0, RSTART, RLENGTH) + 0
		if (match($0, /[0-9]+ retries/)) t += substr($0, RSTART, RLENGTH) + 0
		if (match($0, /[0-9]+ conflicts \(/)) c += substr($0, RSTART, RLENGTH) + 0
		if (match($0, /[0-9]+ resolved/)) v += substr($0, RSTART, RLENGTH) + 0
		if (match($0, /[0-9]+ parked/)) p += substr($0, RSTART, RLENGTH) + 0
	} END { if (n) print r + 0, t + 0, c + 0, v + 0, p + 0; else print "-" }' "$log"
}

scope_report() {
	local s=$1 st users counts
	st=$(state "$s")
	printf '%s: %s\n' "$s" "${st:-not started}"
	if ! [ -s "$dir/changes.$s.ndjson" ]; then
		printf '  no changes in this scope\n\n'
		return
	fi
	users=$(jq -s 'map(.id) | unique | length' "$dir/changes.$s.ndjson")
	printf '  %-12s %s\n' users "$users"
	if [ -f "$dir/results.$s.ndjson" ]; then
		jq -rs '
			def count(f): map(select(f)) | length;
			(map(select(.op))) as $req
			| "  requests     \($req | length): "
			  + ([ "ok", "failed", "conflict", "interrupted" ]
			     | map(. as $k | "\($req | count(.status == $k)) \($k)") | join(", "))
			  + "; \(count(.op == null and .status == "unchanged")) users already true"
			  + (if count(.op == null and .status == "failed") > 0
			     then ", \(count(.op == null and .status == "failed")) not sent (lookup failed)" else "" end),
			  "  by op        " + ($req | group_by(.op) | map("\(.[0].op) \(length)") | join(", ")),
			  "  attempts     \($req | map(.attempts // 1) | add // 0) for \($req | length) requests"
			' "$dir/results.$s.ndjson"
	elif [ -f "$dir/requests.$s.ndjson" ]; then
		printf '  %-12s %s\n' requests "$(jq -s 'map(select(.op)) | length' "$dir/requests.$s.ndjson") planned, none sent"
	fi
	counts=$(send_counts "$s")
	if [ "$counts" = - ]; then
		if [ -f "$dir/results.$s.ndjson" ]; then
			printf '  %-12s %s\n' retries "$(jq -s 'map(select(.op) | (.attempts // 1) - 1) | add // 0' "$dir/results.$s.ndjson") (from the results; no gcu-send summary)"
		fi
	else
		local r t c v p
		read -r r t c v p <<<"$counts"
		printf '  %-12s %s\n' 429s "$r" retries "$t" conflicts "$c ($v resolved, $p parked)"
	fi
	if [ -f "$dir/verify.$s.ndjson" ]; then
		jq -rs '"  verified     \(map(select(.verified == true)) | length) hold, \(map(select(.verified == false and .mismatch != null)) | length) mismatches, \(map(select(.verified == false and .mismatch == null)) | length) unreadable"' \
			"$dir/verify.$s.ndjson"
	fi
	local a b n
	a=$(state "$s.send_started") b=$(state "$s.send_ended")
	if [ -n "$a" ] && [ -n "$b" ]; then
		n=$(jq -s 'map(select(.op and .status != "unchanged")) | map(.attempts // 1) | add // 0' "$(nd "$dir/results.$s.ndjson")")
		awk -v d="$(secs "$a" "$b")" -v n="$n" -v l="$limit" -v w="$window" -v r="$kept" '
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
	fi
	printf '\n'
}

# Failed records: what did not happen, with the reason, first max_failed.
failed_records() {
	local f=$dir/.failed.tmp
	{
		if [ -s "$dir/rejects.txt" ] && [ -f "$dir/partition.log" ]; then
			grep -E '^gcu-partition: .+:[0-9]+: ' "$dir/partition.log" |
				sed -E 's/^gcu-partition: //' |
				awk '{ src = $1; sub(/:$/, "", src); $1 = ""; sub(/^ /, ""); printf "%s\t-\t-\trejected\t%s\n", src, $0 }'
		fi
		for s in "${scopes[@]}"; do
			[ -f "$dir/results.$s.ndjson" ] &&
				jq -r --arg s "$s" 'select(.status == "failed" or .status == "conflict" or .status == "interrupted")
					| [.src, .id, "\($s) \(.op // "lookup")", .status + (if .http then " " + (.http | tostring) else "" end),
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
	local n
	n=$(wc -l <"$f")
	if [ "$n" = 0 ]; then
		printf 'failed records: none\n'
	else
		printf 'failed records: %d%s\n' "$n" "$([ "$n" -gt "$max_failed" ] && printf ' (the first %d)' "$max_failed")"
		head -n "$max_failed" "$f" | awk -F'\t' '{
			src = $1; n = split(src, p, "/"); if (n > 1) src = p[n]
			why = $5; if (length(why) > 110) why = substr(why, 1, 107) "..."
			printf "  %-22s %-36s %-24s %-12s %s\n", src, $2, $3, $4, why }'
		[ "$n" -gt "$max_failed" ] && printf '  ... and %d more (results.*.ndjson, verify.*.ndjson, rejects.txt)\n' "$((n - max_failed))"
		if [ -s "$dir/failed.non-routing.ndjson" ] || [ -s "$dir/failed.routing.ndjson" ]; then
			printf '  failed requests can be sent again: gcu-send --resume results.SCOPE.ndjson requests.SCOPE.ndjson\n'
		fi
	fi
	rm -f "$f"
}

write_report() {
	local a b
	printf 'gcu run report: %s\n' "$dir"
	printf 'changes:  %s\n' "$(state changes | awk -F/ '{ print $NF }')"
	[ -f "$dir/partition.log" ] && printf '          %s\n' "$(grep '^gcu-partition: [0-9]' "$dir/partition.log" | tail -n 1 | sed 's/^gcu-partition: //')"
	case $platform in
	sim) printf 'platform: gcu-sim (simulated org); limit %s per %s s, %s never spent\n' "$limit" "$window" "$kept" ;;
	*) printf 'platform: %s; limit %s per %s s, %s never spent\n' "${platform:-unknown}" "$limit" "$window" "$kept" ;;
	esac
	a=$(state non-routing.started)
	[ -n "$a" ] || a=$(state routing.started)
	b=$(state routing.ended)
	[ -n "$b" ] || b=$(state non-routing.ended)
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
	printf '\n'
	for s in "${scopes[@]}"; do scope_report "$s"; done
	failed_records
}

# --- the timeline ---------------------------------------------------------
# timeline_data: "seconds-since-start admitted rejected" per second on
# stdout, from the simulator's timelines when there are any, else from the
# results' "at" (epoch seconds) when gcu-send writes it, else nothing.
timeline_data() {
	local start=$1 end=$2 files=()
	shopt -s nullglob
	files=("$dir"/sim-stats.*.json)
	shopt -u nullglob
	if [ ${#files[@]} -gt 0 ]; then
		local f
		for f in "${files[@]}"; do
			local at=${f##*/sim-stats.}
			at=${at%.json}
			jq -c --argjson at "$at" '{at: $at, tl: .timeline}' "$f"
		done | jq -rs --argjson start "$start" --argjson stop "$end" '
			# Second i of a timeline read at "at" (ms) began at about
			# at/1000 - (length - 1) - 0.5 + i. Reads of the same simulator
			# share a start; keep the last read of each.
			map(. + {t0: (.at / 1000 - (.tl | length) + 0.5)})
			| sort_by(.at)
			| reduce .[] as $x ([]; if length > 0 and ((.[-1].t0 - $x.t0) | fabs) < 1.5 then .[:-1] + [$x] else . + [$x] end)
			| map(.t0 as $t0 | .tl[] | {x: ($t0 + .t - $start / 1000), a: .admitted, r: .rejected})
			| map(select(.x >= -1 and .x <= ($stop - $start) / 1000 + 1))
			| .[] | "\(.x * 1000 | round / 1000) \(.a) \(.r)"'
		return
	fi
	local s
	for s in "${scopes[@]}"; do
		[ -f "$dir/results.$s.ndjson" ] && jq -c 'select(.at != null and .op != null) | {at, attempts}' "$dir/results.$s.ndjson"
	done | jq -rs --argjson start "$start" '
		map({x: ((.at - $start / 1000) | floor), n: 1, r: ((.attempts // 1) - 1)})
		| group_by(.x) | .[] | "\(.[0].x) \(map(.n) | add) \(map(.r) | add)"'
}

plot_timeline() {
	command -v gnuplot >/dev/null || { echo "gcu-report: gnuplot not found; no timeline picture (apt-get install gnuplot-nox)" >&2; return 0; }
	local start end data=$dir/timeline.tsv rate nr_a nr_b ro_a ro_b gap_a gap_b
	start=$(state non-routing.started)
	[ -n "$start" ] || start=$(state routing.started)
	[ -n "$start" ] || return 0
	end=$(state routing.ended)
	[ -n "$end" ] || end=$(state non-routing.ended)
	[ -n "$end" ] || end=$(date +%s%3N)
	rel() { awk -v a="$start" -v b="$1" 'BEGIN { printf "%.3f\n", (b - a) / 1000 }'; }
	timeline_data "$start" "$end" | sort -n >"$data.tmp"
	local kind="requests per second (gcu-sim)"
	if ! [ -s "$data.tmp" ]; then
		# No per-request times: the average rate of each scope's send.
		kind="average requests per second (no per-request times)"
		for s in "${scopes[@]}"; do
			local a b n
			a=$(state "$s.send_started") b=$(state "$s.send_ended")
			if [ -z "$a" ] || [ -z "$b" ]; then continue; fi
			n=$(jq -s 'map(select(.op and .status != "unchanged") | .attempts // 1) | add // 0' "$(nd "$dir/results.$s.ndjson")")
			awk -v a="$(rel "$a")" -v b="$(rel "$b")" -v n="$n" 'BEGIN {
				d = b - a; if (d <= 0) d = 1
				for (t = int(a); t <= b; t++) printf "%d %.3f 0\n", t, n / d }'
		done >"$data.tmp"
	fi
	# Long runs are drawn in bins of several seconds (about 600 bars at
	# most), each bar the average rate over its bin; the fourth column is
	# the rate over the last window, which the limit bounds.
	local bin
	bin=$(awk -v a="$start" -v b="$end" 'BEGIN { d = (b - a) / 1000; n = int(d / 600) + 1; print n }')
	{
		printf '# seconds since %s (bins of %s s)\tadmitted/s\trejected (429)/s\tadmitted/s over the last window\n' "$(utc "$start")" "$bin"
		awk -v bin="$bin" -v w="$window" '
			{ x = int(($1 + 0.5) / bin) * bin; a[x] += $2; r[x] += $3; if (!(x in seen)) { seen[x] = 1; order[++n] = x } }
			END {
				for (i = 1; i <= n; i++) {
					x = order[i]; s = 0
					for (j = 1; j <= n; j++) if (order[j] > x - w && order[j] <= x) s += a[order[j]]
					printf "%g %.3f %.3f %.3f\n", x, a[x] / bin, r[x] / bin, s / w
				}
			}' "$data.tmp"
	} >"$data"
	rm -f "$data.tmp"
	rate=$(awk -v l="$limit" -v w="$window" 'BEGIN { printf "%.3f\n", l / w }')
	nr_a=$(state non-routing.started) nr_b=$(state non-routing.ended)
	ro_a=$(state routing.started) ro_b=$(state routing.ended)
	local objs=() xmax
	xmax=$(rel "$end")
	if [ -n "$nr_a" ] && [ -n "$nr_b" ]; then
		objs+=("set object 1 rect from $(rel "$nr_a"), graph 0 to $(rel "$nr_b"), graph 1 behind fc rgb '#e8f0fe' fs solid 1.0 noborder")
		objs+=("set label 1 'non-routing' at $(rel "$nr_a"), graph 0.95 offset 0.5,0 font ',10' tc rgb '#1a4f9c'")
	fi
	if [ -n "$nr_b" ] && [ -n "$ro_a" ]; then
		gap_a=$(rel "$nr_b") gap_b=$(rel "$ro_a")
		objs+=("set object 2 rect from $gap_a, graph 0 to $gap_b, graph 1 behind fc rgb '#dddddd' fs pattern 4 noborder")
		objs+=("set label 2 'gap' at $(awk -v a="$gap_a" -v b="$gap_b" 'BEGIN { print (a + b) / 2 }'), graph 0.88 center font ',10' tc rgb '#555555'")
	fi
	if [ -n "$ro_a" ]; then
		objs+=("set object 3 rect from $(rel "$ro_a"), graph 0 to $(rel "${ro_b:-$end}"), graph 1 behind fc rgb '#fdf0e0' fs solid 1.0 noborder")
		objs+=("set label 3 'routing' at $(rel "$ro_a"), graph 0.95 offset 0.5,0 font ',10' tc rgb '#9c5a1a'")
	fi
	local ymax
	ymax=$(awk -v r="$rate" '!/^#/ { v = $2 + $3; if (v > m) m = v } END { m = (m > r ? m : r) * 1.25; if (m < 1) m = 1; print m }' "$data")
	{
		printf "set terminal svg size 1000,460 dynamic font 'sans,11' background rgb 'white'\n"
		printf "set output '%s'\n" "$dir/.timeline.svg.tmp"
		printf "set title 'gcu run %s: %s' noenhanced\n" "$(basename "$dir")" "$kind"
		printf "set xlabel 'seconds since the run started (%s)'\n" "$(utc "$start")"
		printf "set ylabel 'requests per second'\n"
		printf "set xrange [-1:%s]\nset yrange [0:%s]\n" "$(awk -v x="$xmax" 'BEGIN { print x + 1 }')" "$ymax"
		printf "set grid ytics lc rgb '#cccccc'\nset key below horizontal\n"
		printf "set style fill solid 0.85 noborder\nset boxwidth %s absolute\n" "$(awk -v b="$bin" 'BEGIN { print b * 0.9 }')"
		printf '%s\n' "${objs[@]}"
		# The 429s are stacked on the admitted requests of the same second.
		printf "plot '%s' using 1:(\$3 > 0 ? \$2 + \$3 : 1/0) with boxes lc rgb '#c62828' title '429 (rejected)', \\\\\n" "$data"
		printf "     '' using 1:2 with boxes lc rgb '#2e7d32' title 'admitted', \\\\\n"
		printf "     '' using 1:4 with steps lw 1.5 lc rgb '#1565c0' title 'average over the last %s s', \\\\\n" "$window"
		printf "     %s with lines dt 2 lw 2 lc rgb '#c62828' title 'limit %s per %s s'\n" "$rate" "$limit" "$window"
	} >"$dir/.timeline.gp"
	if gnuplot "$dir/.timeline.gp" 2>"$dir/.timeline.err"; then
		mv -f "$dir/.timeline.svg.tmp" "$dir/timeline.svg"
		rm -f "$dir/.timeline.gp" "$dir/.timeline.err"
	else
		echo "gcu-report: gnuplot failed: $(head -n 3 "$dir/.timeline.err")" >&2
		rm -f "$dir/.timeline.svg.tmp"
	fi
}

tmp=$dir/.report.txt.tmp
write_report >"$tmp" || { echo "gcu-report: $dir/report.txt: cannot write" >&2; rm -f "$tmp"; exit 74; }
mv -f "$tmp" "$dir/report.txt"
[ "$plot" = 1 ] && plot_timeline
[ "$quiet" = 1 ] || cat "$dir/report.txt"
exit 0
