#!/usr/bin/env bash
# Sets everything up and runs the console's HTTP endpoint on the embedded SQLite database, filled with demo data on
# first start. Extra arguments go to aether-console (e.g. --listen 127.0.0.1:9000).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
exec "$root/build/src/app/aether-console" --serve --demo "$@"
