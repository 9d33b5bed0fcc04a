# shellcheck shell=bash
# shellcheck disable=SC2154 # gcu-report, which sources this, sets its settings
# report_timeline.sh - the traffic of a run in time, for gcu-report: one
# tick a second (from gcu-sim's counters, else from the results' times),
# the fullest window, the bins of RUNDIR/timeline.tsv and its picture,
# RUNDIR/timeline.svg, drawn by gnuplot.
#
# The ticks, one a second of traffic on the run's time axis, in $ticks:
#   session  k  start  admitted  rejected  window
# start in seconds since the run started (the tick covers [start, start+1)),
# k the tick's second in its session, window the requests admitted in the
# whole seconds of the last platform window up to this one. From gcu-sim's
# counters when the run went to it (rejected: 429s), else from the results'
# times (rejected: the requests' retries).
#
# Sourced by gcu-report after run_folder.sh; its functions read gcu-report's
# dir, scopes, start, end, window, limit, allowed and limit_from, write
# $ticks and set ticks_from. Sets functions only.

# Each session of the simulator counts seconds since it started, and its
# start is known only from when it was read: a timeline of n seconds read
# at "at" (taken just before the read) started in (at - n, at - n + 1 +
# slack]. Reads of one session narrow that down together; a read whose
# interval does not meet the others' is a new session (a resumed run starts
# a new simulator). The longest read of a session holds all its seconds.
sim_ticks() {
	local f at
	for f in "$dir"/sim-stats.*.json; do
		[ -f "$f" ] || continue
		at=${f##*/sim-stats.}
		at=${at%.json}
		[[ $at =~ ^[0-9]+$ ]] || continue
		jq -c --argjson at "$at" '{at: ($at / 1000), tl: (.timeline // [])}' "$f"
	done | jq -rs --argjson start "$start" '
		def slack: 0.25;
		sort_by(.at)
		| reduce .[] as $r ([];
			($r.at - ($r.tl | length)) as $lo | ($lo + 1 + slack) as $hi
			| if length > 0 and .[-1].lo < $hi and $lo < .[-1].hi
			  then .[-1] |= {lo: ([.lo, $lo] | max), hi: ([.hi, $hi] | min),
			                 tl: (if ($r.tl | length) >= (.tl | length) then $r.tl else .tl end)}
			  else . + [{lo: $lo, hi: $hi, tl: $r.tl}] end)
		| to_entries[] | .key as $n | .value
		| ((.lo + .hi) / 2 - $start / 1000) as $t0
		| .tl as $tl
		| range(0; $tl | length) as $k
		| [$n, $k, ((($t0 + $k) * 1000 | round) / 1000), $tl[$k].admitted, $tl[$k].rejected]
		| map(tostring) | join("\t")'
}

# From the results: each request in the second its result was written, its
# retries as the second column (a group request once, not per member). One
# session starting at the run's start.
result_ticks() {
	local s
	for s in "${scopes[@]}"; do
		[ ! -f "$dir/results.$s.ndjson" ] || jq -c 'select(.at != null and .op != null) | {at, attempts, line}' "$dir/results.$s.ndjson"
	done | jq -rs --argjson start "$start" '
		select(length > 0)
		| map(select(.line == null)) + (map(select(.line != null)) | group_by(.line) | map(max_by(.at)))
		| map({x: ((.at - $start / 1000) | floor), r: ((.attempts // 1) - 1)})
		| (map(.x) | min) as $x0 | (map(.x) | max) as $x1
		| (reduce .[] as $e ([range($x0; $x1 + 1) | {admitted: 0, rejected: 0}];
			.[$e.x - $x0].admitted += 1 | .[$e.x - $x0].rejected += $e.r)) as $tl
		| range(0; $tl | length) as $k
		| [0, $k, $x0 + $k, $tl[$k].admitted, $tl[$k].rejected]
		| map(tostring) | join("\t")'
}

# make_ticks: $ticks from gcu-sim's counters, else from the results' times
# (ticks_from says which), with the window column, over the run's span.
make_ticks() {
	: >"$ticks"
	[ -n "$start" ] || return 0
	local stop=${end:-$(date +%s%3N)}
	sim_ticks >"$ticks.all"
	ticks_from="gcu-sim's counters"
	if ! [ -s "$ticks.all" ]; then
		result_ticks >"$ticks.all"
		ticks_from="the results' times"
	fi
	# The window column: a session's ticks come in order, one a second.
	# Then the run's span only (a simulator may have served others before).
	awk -F'\t' -v OFS='\t' -v w="$window" -v stop="$(secs "$start" "$stop")" '
		BEGIN { m = int(w); if (m < 1) m = 1 }
		$1 != session { session = $1; delete seen }
		{
			seen[$2] = $4; sum = 0
			for (k = $2 - m + 1; k <= $2; k++) if (k in seen) sum += seen[k]
			if ($3 + 1 > 0 && $3 < stop) print $0, sum
		}' "$ticks.all" >"$ticks"
	rm -f "$ticks.all"
}

# fullest A [B]: the most requests admitted in one window of whole seconds
# that ended between A and B (epoch ms; B empty: the end); empty without
# ticks.
fullest() {
	[ -s "$ticks" ] && [ -n "$1" ] || return 0
	awk -F'\t' -v a="$(secs "$start" "$1")" -v b="${2:+$(secs "$start" "$2")}" '
		$3 + 1 > a && (b == "" || $3 < b + 0) && $6 > m { m = $6 } END { if (m != "") print m }' "$ticks"
}

# timeline_tsv: the ticks in bins (of several seconds for long runs, about
# 600 bars at most, counted from each session's start):
#   start end admitted rejected fullest
# fullest being the most admitted in one window ending in the bin.
timeline_tsv() {
	local bin
	bin=$(awk -v a="$start" -v b="${end:-$start}" 'BEGIN { print int((b - a) / 1000 / 600) + 1 }')
	printf '# gcu-report timeline: seconds since %s, bins of %s s, from %s\n' "$(utc "$start")" "$bin" "$ticks_from"
	printf '# limit: %s (from %s)\n' "$allowed" "$limit_from"
	printf '# start\tend\tadmitted\trejected\tfullest window\n'
	awk -F'\t' -v bin="$bin" '
		{
			j = int($2 / bin); key = $1 SUBSEP j
			if (!(key in a)) { order[++n] = key; from[key] = $3 - ($2 - j * bin) }
			a[key] += $4; r[key] += $5; if ($6 > w[key]) w[key] = $6
		}
		END {
			for (i = 1; i <= n; i++) {
				k = order[i]
				printf "%.3f\t%.3f\t%d\t%d\t%d\n", from[k], from[k] + bin, a[k], r[k], w[k]
			}
		}' "$ticks"
}

# plot_timeline: RUNDIR/timeline.svg from RUNDIR/timeline.tsv, with the
# scopes and the gap behind the bars and the limit across; none without
# ticks, and none (said on stderr) without gnuplot.
plot_timeline() {
	local data=$dir/timeline.tsv svg=$dir/timeline.svg
	[ -s "$ticks" ] || { rm -f "$svg"; return 0; }
	command -v gnuplot >/dev/null || { echo "gcu-report: gnuplot not found; no timeline picture (apt-get install gnuplot-nox)" >&2; return 0; }
	local nr_a nr_b ro_a ro_b objs=() bin ymax xmin xmax what
	rel() { secs "$start" "$1"; }
	nr_a=$(state non-routing.started) nr_b=$(state non-routing.ended)
	ro_a=$(state routing.started) ro_b=$(state routing.ended)
	if [ -n "$nr_a" ] && [ -n "$nr_b" ]; then
		objs+=("set object 1 rect from $(rel "$nr_a"), graph 0 to $(rel "$nr_b"), graph 1 behind fc rgb '#e8f0fe' fs solid 1.0 noborder")
		objs+=("set label 1 'non-routing' at $(rel "$nr_a"), graph 0.95 offset 0.5,0 font ',10' tc rgb '#1a4f9c'")
	fi
	if [ -n "$nr_b" ] && [ -n "$ro_a" ]; then
		objs+=("set object 2 rect from $(rel "$nr_b"), graph 0 to $(rel "$ro_a"), graph 1 behind fc rgb '#dddddd' fs pattern 4 noborder")
		objs+=("set label 2 'gap' at $(awk -v a="$(rel "$nr_b")" -v b="$(rel "$ro_a")" 'BEGIN { print (a + b) / 2 }'), graph 0.95 center font ',10' tc rgb '#555555'")
	fi
	if [ -n "$ro_a" ]; then
		objs+=("set object 3 rect from $(rel "$ro_a"), graph 0 to $(rel "${ro_b:-$end}"), graph 1 behind fc rgb '#fdf0e0' fs solid 1.0 noborder")
		objs+=("set label 3 'routing' at $(rel "$ro_a"), graph 0.95 offset 0.5,0 font ',10' tc rgb '#9c5a1a'")
	fi
	read -r bin xmin xmax ymax < <(awk -F'\t' -v l="$limit" -v stop="$(secs "$start" "${end:-$start}")" '
		!/^#/ { b = $2 - $1; if ($1 < lo) lo = $1; if ($2 > hi) hi = $2
		        if ($3 + $4 > m) m = $3 + $4; if ($5 > m) m = $5 }
		END { if (stop > hi) hi = stop; if (l > m) m = l
		      printf "%g %g %g %g\n", b, lo - 0.5, hi + 0.5, m * 1.25 }' "$data")
	what='second'
	[ "$bin" = 1 ] || what="$bin s"
	local from=gcu-sim rejected='429 (rejected)' admitted=admitted
	[ "$ticks_from" = "gcu-sim's counters" ] || from='the result times' rejected='sent again' admitted=finished
	{
		printf "set terminal svg size 1000,460 dynamic font 'sans,11' background rgb 'white'\n"
		printf "set output '%s'\n" "$svg.tmp"
		printf "set title 'gcu run %s: requests per %s (%s)' noenhanced\n" "$(basename "$dir")" "$what" "$from"
		printf "set xlabel 'seconds since the run started (%s)'\n" "$(utc "$start")"
		printf "set ylabel 'requests'\n"
		printf "set xrange [%s:%s]\nset yrange [0:%s]\n" "$xmin" "$xmax" "$ymax"
		printf "set grid ytics lc rgb '#cccccc'\nset key below horizontal\n"
		printf "set style fill solid 0.85 noborder\n"
		printf '%s\n' "${objs[@]}"
		# The limit as an arrow of its own: one straight dashed segment,
		# which every SVG renderer draws alike (a dashed path of several
		# pieces is joined into a diagonal by some).
		printf "set arrow 1 from graph 0, first %s to graph 1, first %s nohead front dt 2 lw 2 lc rgb '#c62828'\n" "$limit" "$limit"
		# Each bin is drawn over the seconds it counts, [start, end); the
		# 429s are stacked on the admitted requests of the same bin.
		printf "plot '%s' using ((\$1 + \$2) / 2):(\$4 > 0 ? \$3 + \$4 : 1/0):(\$2 - \$1) with boxes lc rgb '#c62828' title '%s', \\\\\n" "$data" "$rejected"
		printf "     '' using ((\$1 + \$2) / 2):3:(\$2 - \$1) with boxes lc rgb '#2e7d32' title '%s per %s', \\\\\n" "$admitted" "$what"
		printf "     '' using 1:5:(\$2 - \$1):(0) with vectors nohead lw 2 lc rgb '#1565c0' title 'the fullest %s s window', \\\\\n" "$window"
		printf "     NaN with lines dt 2 lw 2 lc rgb '#c62828' title 'limit: %s (%s)'\n" "$allowed" "$limit_from"
	} >"$dir/.timeline.gp"
	if gnuplot "$dir/.timeline.gp" 2>"$dir/.timeline.err"; then
		mv -f "$svg.tmp" "$svg"
		rm -f "$dir/.timeline.gp" "$dir/.timeline.err"
	else
		echo "gcu-report: gnuplot failed: $(head -n 3 "$dir/.timeline.err")" >&2
		rm -f "$svg.tmp"
	fi
}
