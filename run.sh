#!/usr/bin/env bash
# run.sh - drive the gcu pipeline over a change file and keep every
# stage's NDJSON in a run folder, so that any stage can be replayed.
#
# This version plans offline: it partitions the changes, joins them with a
# captured export of the org (--snapshot) and builds the requests each
# scope would send, without touching the network.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=${GCU_BIN:-$here/bin}
[ -x "$bin/gcu-partition" ] || bin=$(dirname "$(command -v gcu-partition 2>/dev/null || echo /)")

usage() {
	cat >&2 <<'USAGE'
usage: run.sh [--run-dir DIR] [-c CONFIG] --snapshot ORG.ndjson CHANGES.csv|CHANGES.ndjson
       run.sh --demo [CHANGES]
USAGE
	exit 64
}

run_dir='' snapshot='' config='' demo=0
while [ $# -gt 0 ]; do
	case $1 in
	--run-dir) run_dir=${2:?}; shift 2 ;;
	--snapshot) snapshot=${2:?}; shift 2 ;;
	-c | --config) config=${2:?}; shift 2 ;;
	--demo) demo=1; shift ;;
	-h | --help) usage ;;
	--) shift; break ;;
	-*) echo "run.sh: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
changes=${1:-}
if [ "$demo" = 1 ]; then
	snapshot=${snapshot:-$here/testdata/org.ndjson}
	changes=${changes:-$here/testdata/changes.csv}
fi
if [ -z "$changes" ] || [ -z "$snapshot" ]; then usage; fi
[ -r "$changes" ] || { echo "run.sh: $changes: cannot read" >&2; exit 66; }

run_dir=${run_dir:-runs/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$run_dir"
cfg=()
[ -n "$config" ] && cfg=(-c "$config")

echo "gcu: planning $changes against the snapshot $snapshot (offline) in $run_dir"
set +e
"$bin/gcu-partition" "${cfg[@]}" --split "$run_dir/changes" --rejects "$run_dir/rejects.txt" \
	"$changes" 2>"$run_dir/partition.log"
status=$?
set -e
[ "$status" -le 1 ] || { cat "$run_dir/partition.log" >&2; exit "$status"; }

for scope in non-routing routing; do
	"$bin/gcu-fetch" "${cfg[@]}" --snapshot "$snapshot" "$run_dir/changes.$scope.ndjson" \
		>"$run_dir/fetched.$scope.ndjson" 2>>"$run_dir/fetch.log" || [ $? -eq 1 ]
	"$bin/gcu-merge" "${cfg[@]}" "$run_dir/fetched.$scope.ndjson" \
		>"$run_dir/requests.$scope.ndjson" 2>>"$run_dir/merge.log" || [ $? -eq 1 ]
done

echo
tail -n 1 "$run_dir/partition.log"
for scope in non-routing routing; do
	jq -rs --arg scope "$scope" '
		(map(select(.op)) | group_by(.op) | map("\(.[0].op) \(length)") | join(", ")) as $ops
		| "\($scope): \(map(.id) | unique | length) users, \(map(select(.op)) | length) requests"
		  + (if $ops != "" then " (\($ops))" else "" end)
		  + ", \(map(select(.status == "unchanged")) | length) already true"
		  + ", \(map(select(.status == "failed")) | length) failed"' \
		"$run_dir/requests.$scope.ndjson"
done
echo
echo "files in $run_dir:"
for f in "$run_dir"/*; do printf '  %s\n' "$f"; done
if [ -s "$run_dir/rejects.txt" ]; then
	echo "rejected input lines are in $run_dir/rejects.txt (reasons in partition.log)"
fi
