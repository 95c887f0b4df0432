#!/usr/bin/env bash
# The learning strategies over the simulator's scenarios (bench/learning.py): the console's simulator over every
# built-in scenario, then (where ../shared/sim is) sim.py driving the console through its store. Prints Markdown.
#   bench/learning.sh [--build DIR] [--seeds N]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build="$here/../build"
seeds=5
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--seeds N]" >&2; exit 2 ;;
  esac
done
console="$build/src/app/aether-console"
[ -x "$console" ] || { echo "no $console: build first (scripts/setup.sh)" >&2; exit 1; }
python3 "$here/learning.py" --console "$console" --seeds "$seeds" --sim "$here/../../shared/sim"
echo
echo "The core alone (aether-learner-bench, decisions per second):"
"$build/bench/aether-learner-bench" 5000000 | grep 'round 3'
