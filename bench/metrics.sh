#!/usr/bin/env bash
# Benchmark of GET /metrics (bench/README.md): a database of 10,000 keys, `--serve`, and wrk scraping /metrics as
# Prometheus does (Accept-Encoding: gzip) and without compression, next to GET /version of the same server (the
# ceiling); then one scrape right after a change (the keys' part rendered and compressed afresh) and the body sizes.
#   bench/metrics.sh [--backend sqlite|postgres] [--keys N] [--duration S] [--build DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

"$bin" --database "$url" --prepare --demo --demo-keys "$keys" 2>/dev/null
export AETHER_CONSOLE_TOKEN=bench-token
start_server
auth="Authorization: Bearer $AETHER_CONSOLE_TOKEN"
gzip_header="Accept-Encoding: gzip"

start_results
ceiling_run=$(run_wrk 4 "$base/version")
ceiling=${ceiling_run%% *}
row "GET /version (ceiling)" 4 "$ceiling_run"
row "GET /metrics, gzip ($keys keys)" 4 "$(run_wrk 4 -H "$auth" -H "$gzip_header" "$base/metrics")"
row "GET /metrics, gzip ($keys keys)" 1 "$(run_wrk 1 -H "$auth" -H "$gzip_header" "$base/metrics")"
row "GET /metrics, plain ($keys keys)" 4 "$(run_wrk 4 -H "$auth" "$base/metrics")"
row "GET /metrics, plain ($keys keys)" 1 "$(run_wrk 1 -H "$auth" "$base/metrics")"

plain=$(curl -sf -H "$auth" "$base/metrics" | wc -c)
zipped=$(curl -sf -H "$auth" -H "$gzip_header" "$base/metrics" | wc -c)
# A scrape after each change of one key (behind the server's back, as a gateway would): every key rendered again
# (and compressed again for the gzip scrape).
times=() plain_times=()
for i in 1 2 3 4 5 6 7; do
  psql_run "UPDATE provider_api_keys SET concurrent_429_count = concurrent_429_count + 1 WHERE id = (SELECT min(id) FROM provider_api_keys)" >/dev/null
  times+=("$(curl -sf -o /dev/null -w "%{time_total}" -H "$auth" -H "$gzip_header" "$base/metrics")")
  psql_run "UPDATE provider_api_keys SET concurrent_429_count = concurrent_429_count + 1 WHERE id = (SELECT min(id) FROM provider_api_keys)" >/dev/null
  plain_times+=("$(curl -sf -o /dev/null -w "%{time_total}" -H "$auth" "$base/metrics")")
done
median_ms() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $0} END {printf "%.1f ms", 1000 * v[int((NR + 1) / 2)]}'; }
after_change="$(median_ms "${times[@]}") gzip, $(median_ms "${plain_times[@]}") plain"
rss=$(server_rss)
echo
echo "body: $plain bytes plain, $zipped bytes gzip; a scrape after a change (median of 7): $after_change"
echo "backend: $backend, keys: $keys, duration per row: ${duration}s, server RSS after the run: $rss"
machine
