#!/usr/bin/env bash
# GET /summary, GET /keys and GET /metrics at a million adaptive keys (bench/README.md): the list is streamed a page at a time, so the server's
# memory must not grow with the keys. Fills the database with bench/fill.py (every key adaptive), starts `--serve`,
# reads the whole list with curl (as fast as it can, and once through a slow reader), and prints the server's resident
# memory before, its peak (VmHWM) and the body.
#   bench/keylist.sh [--backend sqlite|postgres] [--keys N] [--build DIR]
# (AETHER_BENCH_SUMMARY_ONLY=1: stop after GET /summary.)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
set -- --keys 1000000 "$@"
. "$here/common.sh"

python3 "$here/fill.py" "$url" "$keys" --adaptive --console "$bin"
export AETHER_CONSOLE_TOKEN=bench-token
# The time-series sampler reads every key's counters on each pass; on a new database its first pass takes the
# baseline of every key (at a million keys it holds up to ~1 GB meanwhile: bench/README.md). A first server does that
# pass and stops once it is idle; the measured one samples hourly, so that GET /keys is measured alone.
cpu_time() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
started=$(date +%s)
start_server
last=-1 still=0
while [ "$still" -lt 3 ]; do
  sleep 1
  now=$(cpu_time)
  if [ "$now" = "$last" ]; then still=$((still + 1)); else still=0; fi
  last=$now
done
echo "first server: the sampler's baseline pass done within $(( $(date +%s) - started - 3 )) s, RSS $(server_rss), peak $(awk '/VmHWM/ {print $2, $3}' "/proc/$server_pid/status")"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
server_args="--sampling-interval 3600"
start_server
auth="Authorization: Bearer $AETHER_CONSOLE_TOKEN"
machine
# GET /summary on a fresh server: the first one reads every adaptive key once (one pass, nothing kept per key), the
# second is answered from the cache (nothing changed), a third after a gateway's write reads them again.
echo "server RSS before /summary: $(server_rss)"
for visit in first second; do
  start=$(date +%s%N)
  size=$(curl -sf -H "$auth" "$base/api/admin/adaptive/summary" | wc -c)
  end=$(date +%s%N)
  echo "GET /summary ($visit): $size bytes in $(( (end - start) / 1000000 )) ms; server RSS $(server_rss), peak (VmHWM): $(awk '/VmHWM/ {print $2, $3}' "/proc/$server_pid/status")"
done
newest=$(curl -sf -H "$auth" "$base/api/admin/adaptive/summary" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["recent_adjustments"][0]["key_id"])')
"$bin" --database "$url" set-limit "$newest" 7 >/dev/null
start=$(date +%s%N)
curl -sf -H "$auth" "$base/api/admin/adaptive/summary" >/dev/null
end=$(date +%s%N)
echo "GET /summary (after another process fixed a key): $(( (end - start) / 1000000 )) ms; server RSS $(server_rss), peak (VmHWM): $(awk '/VmHWM/ {print $2, $3}' "/proc/$server_pid/status")"
[ "${AETHER_BENCH_SUMMARY_ONLY:-0}" = 1 ] && exit 0
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
start_server
echo "server RSS before: $(server_rss)"
start=$(date +%s%N)
size=$(curl -sf -H "$auth" "$base/api/admin/adaptive/keys" | wc -c)
end=$(date +%s%N)
keys_listed=$(curl -sf -H "$auth" "$base/api/admin/adaptive/keys" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
echo "GET /keys: $keys_listed keys, $size bytes in $(( (end - start) / 1000000 )) ms"
echo "server RSS after: $(server_rss), peak (VmHWM): $(awk '/VmHWM/ {print $2, $3}' "/proc/$server_pid/status")"
# A slow reader (1 MB/s for 5 s): the server keeps at most its output limit per connection, not the list.
timeout 5 curl -sf --limit-rate 1M -H "$auth" "$base/api/admin/adaptive/keys" >/dev/null || true
echo "server RSS with a slow reader: $(server_rss), peak: $(awk '/VmHWM/ {print $2, $3}' "/proc/$server_pid/status")"
echo "GET /version still answers meanwhile: $(curl -sf -o /dev/null -w '%{http_code} in %{time_total} s' "$base/version")"
# GET /metrics of the same keys (streamed beyond 20,000 keys, family after family): a fresh server, so that its peak
# is the scrape's alone; as text and gzip-compressed (what Prometheus asks for).
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
start_server
echo "server RSS before /metrics: $(server_rss)"
for encoding in identity gzip; do
  start=$(date +%s%N)
  size=$(curl -sf -H "$auth" -H "Accept-Encoding: $encoding" "$base/metrics" | wc -c)
  end=$(date +%s%N)
  echo "GET /metrics ($encoding): $size bytes in $(( (end - start) / 1000000 )) ms; server RSS $(server_rss), peak (VmHWM): $(awk '/VmHWM/ {print $2, $3}' "/proc/$server_pid/status")"
done
samples=$(curl -sf -H "$auth" -H "Accept-Encoding: identity" "$base/metrics" | grep -c '^aether_key_adaptive{' || true)
echo "GET /metrics: $samples keys in aether_key_adaptive"
