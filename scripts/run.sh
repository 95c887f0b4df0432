#!/usr/bin/env bash
# Sets everything up and opens the console window on the embedded SQLite database, filled with demo data on first
# start. Without a display it serves the admin API instead (--serve). Extra arguments go to aether-console.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "No display: serving the admin API instead of opening the window." >&2
  exec "$root/build/src/app/aether-console" --serve --demo "$@"
fi
exec "$root/build/src/app/aether-console" --demo "$@"
