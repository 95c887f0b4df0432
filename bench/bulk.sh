#!/usr/bin/env bash
# Bulk changes over HTTP (POST /keys/bulk, see bench/README.md): a database with N demo keys, then each action on every
# key (a filter of {}), each timed end to end with curl, three times in a row (a fixed limit 7 → 9 → 7, so that every
# run changes every key).
#   bench/bulk.sh [--backend sqlite|postgres] [--keys N] [--build DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

"$bin" --database "$url" --prepare --demo --demo-keys "$keys" 2>/dev/null
admin=$("$bin" --database "$url" --create-token bench-admin | tail -1)
start_server
bulk() {
  curl -sf -o "$work/answer.json" -w '%{time_total}' -H "Authorization: Bearer $admin" -X POST \
    "$base/api/admin/adaptive/keys/bulk" -d "$1"
}
echo "| action on $keys keys | seconds (3 runs) | answer of the last run |"
echo "|---|---|---|"
for body in '{"action":"set_limit","limit":7,"filter":{}}|{"action":"set_limit","limit":9,"filter":{}}' \
            '{"action":"set_mode","enabled":true,"filter":{}}|{"action":"set_mode","enabled":false,"fixed_limit":5,"filter":{}}' \
            '{"action":"reset_learning","filter":{}}|{"action":"reset_learning","filter":{}}'; do
  first=${body%%|*} second=${body#*|}
  times="$(bulk "$first") $(bulk "$second") $(bulk "$first")"
  echo "| \`$first\` | $times | $(cat "$work/answer.json") |"
done
echo
echo "backend: $backend, server RSS after the runs: $(server_rss)"
machine
