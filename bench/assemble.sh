#!/usr/bin/env bash
# assemble.sh - writes bench/RESULTS.md from the sections in bench/results/.
#
# Every bench/results/NAME.md is one whole section as bench/NAME.sh printed
# it (the Makefile's bench-NAME target runs the script into it). This puts
# a short fixed header on top and the sections that exist below it, in a
# fixed order, and replaces RESULTS.md through a temp file. Every bench-*
# target runs it; run it by hand after editing a section.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
results=$here/results
order="offline sim send cost compare resolve groups pacing"

tmp=$(mktemp "$here/.RESULTS.md.XXXXXX")
trap 'rm -f "$tmp"' EXIT
{
	cat <<'EOF'
# Benchmark results

Below, one section for each script in this folder: what it measures, its
tables, the machine it ran on and the exact command. Every figure in a
section comes from the run of the script named with it, and ratios are
taken against a baseline measured in the same run. `make bench` runs
offline, sim, compare and cost, each into bench/results/NAME.md, and
writes this file from those sections; `make bench-send` runs gcu-send's
own scenarios, `make bench-resolve` what resolving an HR export costs,
`make bench-groups` the requests of a reorganisation and `make
bench-pacing` the pacer's scenarios, which are not part of it.
bench/assemble.sh rewrites this file from bench/results/ alone.
EOF
	for name in $order; do
		[ -s "$results/$name.md" ] || continue
		echo
		cat "$results/$name.md"
	done
} >"$tmp"
chmod 644 "$tmp"
mv "$tmp" "$here/RESULTS.md"
