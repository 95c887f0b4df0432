#!/usr/bin/env bash
# Benchmark of the connection guard (see bench/README.md): 1 GiB bodies without a token, 3,000 idle connections and
# /healthz latency meanwhile, against a `--serve` on a demo database.
#   bench/guard.sh [--build DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
"$bin" --database "$url" --prepare --demo --demo-keys 100 >/dev/null 2>&1
ulimit -n "$(ulimit -Hn)" # the client side holds 3,000 sockets too
start_server
port=${base##*:}
machine
echo
echo "| measurement | measured | target |"
echo "|---|---|---|"
python3 "$here/guard.py" "$port" "$server_pid"
