# reorg.jq - a reorganisation of an org export, as a CSV change file:
# every user leaves one of its queues and joins one it is not in, moves
# to another team, and one in five moves division. Deterministic: the
# same export gives the same file.
#
#   jq -rn -f bench/reorg.jq --argjson every 5 <org.ndjson >changes.csv
#
# The export is gcu-sim's (/__sim/state?catalog=1 or --dump): catalogue
# lines first, then one user a line; deleted users are left out. $every
# (default 5) is how many users share one division move.
[inputs] as $all
| ($all | map(select(.kind == "queue") | .id)) as $queues
| ($all | map(select(.kind == "team") | .id)) as $teams
| ($all | map(select(.kind == "division") | .id)) as $divisions
| ($ARGS.named.every // 5) as $every
| "id,queues,team,division",
  ($all | map(select(.kind == null and .state != "deleted")) | to_entries[]
   | .key as $i | .value as $u
   | ([$u.queues // [] | .[].id]) as $in
   | ($queues | map(select(. as $q | $in | index($q) | not))) as $out
   | ([if ($in | length) > 0 then "-" + $in[$i % ($in | length)] else empty end]
      + [if ($out | length) > 0 then $out[($i * 7) % ($out | length)] else empty end]
      | join(";")) as $q
   | ($teams | map(select(. != $u.team.id))) as $other
   | $other[($i * 13) % ($other | length)] as $team
   | (if $i % $every == 0
      then ($divisions | map(select(. != $u.division.id))) as $d | $d[$i % ($d | length)]
      else "" end) as $division
   | [$u.id, $q, $team, $division] | join(","))
