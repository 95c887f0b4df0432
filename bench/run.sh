#!/usr/bin/env bash
# Benchmark of the HTTP endpoint (see bench/README.md): fills a database with 10,000 keys, starts `--serve`, and
# measures the admin routes with wrk next to the constant-JSON route /version of the same server (the ceiling).
#   bench/run.sh [--backend sqlite|postgres] [--keys N] [--duration S] [--build DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

"$bin" --database "$url" --prepare --demo --demo-keys "$keys" 2>/dev/null
# /keys and /summary are measured over adaptive keys only: make every key adaptive.
psql_run "UPDATE provider_api_keys SET max_concurrent = NULL" >/dev/null
export AETHER_CONSOLE_TOKEN=bench-token
start_server
auth="Authorization: Bearer $AETHER_CONSOLE_TOKEN"

# Key ids for the per-key routes, cycled by a wrk script.
curl -sf -H "$auth" "$base/api/admin/adaptive/keys" >"$work/keys.json"
grep -o '"id":"[^"]*"' "$work/keys.json" | cut -d'"' -f4 | awk 'NR <= 1000' >"$work/ids"
make_script() { # $1 = method, $2 = path before the key id, $3 = path after it, $4 = script name, $5 = body,
                # $6 = "alternate": the path ends with 7 or 8, switching at each pass over the ids
  local tail='""'
  [ "${6:-}" = alternate ] && tail='(7 + math.floor(n / #ids) % 2)'
  {
    echo 'local ids = {}'
    echo "for line in io.lines(\"$work/ids\") do ids[#ids + 1] = line end"
    echo 'local n = 0'
    echo "wrk.method = \"$1\""
    [ -n "${5:-}" ] && echo "wrk.body = '$5'"
    echo "wrk.headers[\"Authorization\"] = \"Bearer $AETHER_CONSOLE_TOKEN\""
    echo 'request = function()'
    echo '  n = n + 1'
    echo "  return wrk.format(nil, \"$2\" .. ids[(n % #ids) + 1] .. \"$3\" .. $tail)"
    echo 'end'
  } >"$work/$4.lua"
  echo "$work/$4.lua"
}
# The ceiling goes through the same client-side script machinery as the per-key routes, so both pay the same
# client cost on this 2-core machine.
ceiling_script=$(make_script GET "/version?key=" "&limit=" ceiling "" alternate)
stats_script=$(make_script GET /api/admin/adaptive/keys/ /stats stats)
# Every PATCH is a real change: the limit alternates between 7 and 8 from one pass over the ids to the next.
limit_script=$(make_script PATCH /api/admin/adaptive/keys/ "/limit?limit=" limit "" alternate)
# A writer that keeps every key adaptive (so /keys keeps listing all of them) but changes rows all the time.
writer_script=$(make_script PATCH /api/admin/adaptive/keys/ /mode writer '{"enabled":true}')

start_results
measure() { # $1 label, $2 connections, $3.. wrk args
  local label=$1 conns=$2; shift 2
  row "$label" "$conns" "$(run_wrk "$conns" "$@")"
}
median() { sort -g | awk '{v[NR] = $0} END {print v[int((NR + 1) / 2)]}'; }

# The per-key routes against the ceiling: this machine's speed drifts, so the three are measured in turns, three
# rounds, and each row gives the run with the median requests/s.
declare -a c_runs s_runs l_runs
for round in 1 2 3; do
  c_runs+=("$(run_wrk 32 -s "$ceiling_script" "$base")")
  s_runs+=("$(run_wrk 32 -s "$stats_script" "$base")")
  l_runs+=("$(run_wrk 32 -s "$limit_script" "$base")")
done
pick() { printf '%s\n' "$@" | median; } # the run (line "rps p50 p99") with the median requests/s
ceil_run=$(pick "${c_runs[@]}")
ceiling=${ceil_run%% *}
row "GET /version (ceiling)" 32 "$ceil_run"
row "GET /keys/{id}/stats" 32 "$(pick "${s_runs[@]}")"
row "PATCH /keys/{id}/limit" 32 "$(pick "${l_runs[@]}")"
echo "rounds (requests/s): ceiling ${c_runs[*]%% *}; stats ${s_runs[*]%% *}; limit ${l_runs[*]%% *}" >&2
# Back to adaptive (behind the server's back, as another process would) before the list and summary rows.
psql_run "UPDATE provider_api_keys SET max_concurrent = NULL" >/dev/null
measure "GET /keys ($keys adaptive)" 32 -H "$auth" "$base/api/admin/adaptive/keys"
measure "GET /keys ($keys adaptive)" 1 -H "$auth" "$base/api/admin/adaptive/keys"
measure "GET /summary" 32 -H "$auth" "$base/api/admin/adaptive/summary"
measure "GET /summary" 1 -H "$auth" "$base/api/admin/adaptive/summary"
# Stats, /keys and /summary answers are kept while the data does not change. These rows measure them while a writer keeps
# changing keys (one client switching keys to adaptive mode), so every answer is computed afresh.
(wrk -t1 -c1 -d"$((3 * duration + 2))s" -s "$writer_script" "$base" >/dev/null 2>&1 &)
sleep 1
measure "GET /keys/{id}/stats, during writes" 32 -s "$stats_script" "$base"
measure "GET /keys, during writes" 1 -H "$auth" "$base/api/admin/adaptive/keys"
measure "GET /summary, during writes" 1 -H "$auth" "$base/api/admin/adaptive/summary"
sleep 2
rss=$(server_rss)
echo
echo "backend: $backend, keys: $keys, duration per row: ${duration}s, server RSS after the run: $rss"
machine
cp "$results" "$work/../aether-bench-last-$backend.md" 2>/dev/null || true
