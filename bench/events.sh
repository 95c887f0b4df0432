#!/usr/bin/env bash
# Benchmark of the learning events through the endpoint (see bench/README.md): fills a database with 10,000 adaptive
# keys, starts `--serve`, and measures with wrk, as a gateway token:
#   - single events (POST /keys/{id}/events) with 32 connections, over 1,000 keys: nine successes to one 429;
#   - batches of 500 events (POST /events) with 4 connections: each batch on 500 different keys, and each batch on 50
#     keys with 10 events each (a gateway that reports every few hundred milliseconds sees several outcomes per key);
# then prints the core alone (aether-learner-bench: Learner::handleSuccess on a state in memory).
#   bench/events.sh [--backend sqlite|postgres] [--keys N] [--duration S] [--build DIR]
# (AETHER_BENCH_SQL: statements run on the filled database before the server starts, for an A/B of a schema variant.)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

"$bin" --database "$url" --prepare --demo --demo-keys "$keys" 2>/dev/null
psql_run "UPDATE provider_api_keys SET max_concurrent = NULL" >/dev/null
# A/B of a schema variant: SQL run on the filled database before the server starts (e.g. other triggers).
[ -z "${AETHER_BENCH_SQL:-}" ] || psql_run "$AETHER_BENCH_SQL" >/dev/null
token=$("$bin" --database "$url" --create-token bench-gateway --role gateway | tail -1)
admin=$("$bin" --database "$url" --create-token bench-admin | tail -1)
start_server
# The steady state: a console with the time series takes every key's baseline in its first sampling pass, once, when
# it starts (builds before the time series have no such pass).
for _ in $(seq 300); do
  psql_run "SELECT count(*) FROM console_meta WHERE name = 'timeline_sampled_at'" 2>/dev/null | grep -q '^ *1$' && break
  psql_run "SELECT count(*) FROM console_schema_version WHERE version >= 6" 2>/dev/null | grep -q '^ *0$' && break
  sleep 0.1
done
curl -sf -H "Authorization: Bearer $admin" "$base/api/admin/adaptive/keys" >"$work/keys.json"
grep -o '"id":"[^"]*"' "$work/keys.json" | cut -d'"' -f4 | awk 'NR <= 1000' >"$work/ids"

. "$here/eventscripts.sh"
event_script "$work/events.lua" "$work/ids" "$token"
batch500=$work/batch500.lua batch50=$work/batch50.lua
batch_script "$batch500" "$work/ids" "$token" 500
batch_script "$batch50" "$work/ids" "$token" 50

run_wrk() { # $1 connections, $2 script; prints "rps p50 p99"
  local out
  out=$(wrk -t2 -c"$1" -d"${duration}s" --latency -s "$2" "$base")
  if echo "$out" | grep -q 'Non-2xx'; then echo "$out" >&2; echo "non-2xx answers" >&2; exit 1; fi
  echo "$out" | awk '/Requests\/sec/ {r = $2} $1 == "50%" {p50 = $2} $1 == "99%" {p99 = $2} END {print r, p50, p99}'
}
median() { sort -g | awk '{v[NR] = $0} END {print v[int((NR + 1) / 2)]}'; }

# A sample answer of each, so a broken route cannot pass as fast.
curl -sf -XPOST -H "Authorization: Bearer $token" "$base/api/admin/adaptive/keys/$(head -1 "$work/ids")/events" \
  -d '{"outcome":"success","current_concurrent":3}' | grep -q '"key_id"'
declare -a single wide narrow
for round in 1 2 3; do
  single+=("$(run_wrk 32 "$work/events.lua")")
  wide+=("$(run_wrk 4 "$batch500")")
  narrow+=("$(run_wrk 4 "$batch50")")
done
echo "| route | connections | requests/s | events/s | p50 | p99 |"
echo "|---|---|---|---|---|---|"
set -- $(printf '%s\n' "${single[@]}" | median)
echo "| POST /keys/{id}/events (one event) | 32 | $1 | $1 | $2 | $3 |"
set -- $(printf '%s\n' "${wide[@]}" | median)
echo "| POST /events (500 events on 500 keys) | 4 | $1 | $(awk -v r="$1" 'BEGIN {printf "%.0f", r * 500}') | $2 | $3 |"
set -- $(printf '%s\n' "${narrow[@]}" | median)
echo "| POST /events (500 events on 50 keys) | 4 | $1 | $(awk -v r="$1" 'BEGIN {printf "%.0f", r * 500}') | $2 | $3 |"
echo
echo "rounds (requests/s): single ${single[*]%% *}; 500 keys ${wide[*]%% *}; 50 keys ${narrow[*]%% *}"
# Every event was applied: the counters grew, and the histories are valid JSON arrays.
psql_run "SELECT sum(concurrent_429_count), count(*) FROM provider_api_keys WHERE concurrent_429_count > 0" | tail -1
echo "backend: $backend, keys: $keys, duration per run: ${duration}s, server RSS after the run: $(server_rss)"
machine
echo
"$build/bench/aether-learner-bench" 5000000
