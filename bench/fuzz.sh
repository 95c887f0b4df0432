#!/usr/bin/env bash
# Runs every libFuzzer target of tests/fuzz for RUNS inputs each (default 10 million) from its seed corpus, with
# AddressSanitizer and UndefinedBehaviorSanitizer, and prints the figures for bench/README.md. Builds
# ./build-sanitize with scripts/sanitize.sh's settings first when it is missing.
#   bench/fuzz.sh [target …]      RUNS=N bench/fuzz.sh requesthead
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build="$root/build-sanitize"
runs=${RUNS:-10000000}
if [ ! -x "$build/tests/fuzz/fuzz_requesthead" ]; then
  "$root/scripts/sanitize.sh" -R '^$' >/dev/null # builds, runs no test
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(requesthead bodies classifier databaseurl jsonhistory)
work=$(mktemp -d /tmp/aether-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
echo "| target | inputs run | seconds | inputs/s | corpus at the end | peak RSS | crashes, leaks, UB reports |"
echo "|---|---|---|---|---|---|---|"
for target in "${targets[@]}"; do
  mkdir -p "$work/$target"
  start=$(date +%s.%N)
  set +e
  "$build/tests/fuzz/fuzz_$target" -runs="$runs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    "$work/$target" "$root/tests/fuzz/corpus/$target" >"$work/$target.log" 2>&1
  rc=$?
  set -e
  end=$(date +%s.%N)
  units=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$target.log")
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$work/$target.log")
  corpus=$(ls "$work/$target" | wc -l)
  reports=$(grep -cE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' "$work/$target.log" || true)
  awk -v t="$target" -v u="$units" -v s="$start" -v e="$end" -v c="$corpus" -v r="$rss" -v n="$reports" -v rc="$rc" \
    'BEGIN { printf "| %s | %\047d | %.0f | %\047.0f | %d | %s MB | %d (exit %d) |\n", t, u, e - s, u / (e - s), c, r, n, rc }'
  [ "$rc" -eq 0 ] || { tail -40 "$work/$target.log" >&2; exit 1; }
done
