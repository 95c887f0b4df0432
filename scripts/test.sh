#!/usr/bin/env bash
# Sets everything up (PostgreSQL included) and runs the whole test suite. The suite starts its own PostgreSQL server
# in a temporary folder and runs every storage and HTTP test on SQLite and on PostgreSQL.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh" --test
cd "$root/build"
export LC_ALL=C.UTF-8
ctest --output-on-failure --timeout 900 -j"$(nproc)" "$@"
