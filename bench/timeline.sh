#!/usr/bin/env bash
# Benchmark of the time series (see bench/README.md): fills a fresh database with 10,000 demo keys (80 % adaptive) and
# 30 days of synthetic history, then runs aether-timeline-bench: storage, sampling passes, queries, maintenance.
#   bench/timeline.sh [--backend sqlite|postgres] [--keys N] [--build DIR] [--incidents-per-day X] [--as-a-console]
# --as-a-console: the month is written as a console writes it (minute rows an hour at a time, the console's maintenance
# after each hour, VACUUM where autovacuum would) instead of at once (minutes for the last 48 hours, hours before);
# slower (a few minutes).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
incidents=1
fill_mode=()
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --incidents-per-day) incidents=$2; shift 2 ;;
    --as-a-console) fill_mode=(--as-a-console); shift ;;
    *) args+=("$1"); shift ;;
  esac
done
set -- "${args[@]+"${args[@]}"}"
. "$here/common.sh"

"$bin" --database "$url" --prepare --demo --demo-keys "$keys" 2>/dev/null
if [ "$backend" = postgres ]; then
  psql_run "UPDATE provider_api_keys SET max_concurrent = NULL WHERE abs(hashtext(id)) % 5 <> 0" >/dev/null
else
  psql_run "UPDATE provider_api_keys SET max_concurrent = NULL WHERE rowid % 5 <> 0" >/dev/null
fi
# The demo's own story out (TRUNCATE: no dead rows left in the measured size): only the synthetic history counts.
if [ "$backend" = postgres ]; then psql_run "TRUNCATE console_timeline, console_timeline_hours" >/dev/null; else psql_run "DELETE FROM console_timeline; DELETE FROM console_timeline_hours" >/dev/null; fi
"$build/bench/aether-timeline-bench" "$url" --fill "${fill_mode[@]+"${fill_mode[@]}"}" --incidents-per-day "$incidents"
echo "backend: $backend, keys: $keys"
machine
