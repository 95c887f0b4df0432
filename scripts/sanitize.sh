#!/usr/bin/env bash
# The whole test suite again, built with clang under AddressSanitizer and UndefinedBehaviorSanitizer (any report fails
# the test that made it), plus a short run of every libFuzzer target from its seed corpus. Used by CI after
# scripts/test.sh; installs clang and its sanitizer runtimes when missing. Builds into ./build-sanitize.
#   scripts/sanitize.sh [ctest arguments]     e.g. scripts/sanitize.sh -R tst_http
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh" --test --no-build
need=()
for p in clang libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "Installing: ${need[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
fi
build="$root/build-sanitize"
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS="-O1 -g1" \
  -DAETHER_SANITIZE=address,undefined -DAETHER_FUZZ=ON -DAETHER_FUZZ_SECONDS="${AETHER_FUZZ_SECONDS:-8}" >/dev/null
cmake --build "$build"
cd "$build"
export LC_ALL=C.UTF-8
# Reports fail the process that made them; the tests run the server as a child process, which inherits these.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export AETHER_SANITIZED=1 # tests skip their RSS bounds: ASan keeps freed memory in quarantine
export LSAN_OPTIONS=suppressions=$root/tests/sanitizer/lsan.supp:print_suppressions=0
# Two at a time on two cores: the suite alone took ~490 s of CI's 30 minutes, one test after the other.
ctest --output-on-failure --timeout 1200 -j"$(nproc)" "$@"
