#!/usr/bin/env bash
# Throughput of the admin routes of two or more servers measured in turns, so that this machine's speed drift hits
# them alike: each server gets its own copy of one 10,000-key SQLite database, then every round runs each route
# against each server for a few seconds. Prints the median requests/s per route and server, and each server's ratio
# to the first one. Used for the cost of the connection guard (against a build without it) and of synchronous=FULL.
#   bench/compare.sh [--rounds N] [--seconds S] LABEL=BUILD_DIR[:ENV=VALUE] …
#   e.g. bench/compare.sh before=/tmp/old-build after=build "after, NORMAL=build:AETHER_CONSOLE_SQLITE_SYNCHRONOUS=NORMAL"
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rounds=5 seconds=5
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    *) break ;;
  esac
done
[ $# -ge 2 ] || { echo "usage: $0 [--rounds N] [--seconds S] LABEL=BUILD[:ENV=VALUE] LABEL=BUILD …" >&2; exit 2; }
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null
work=$(mktemp -d /tmp/aether-compare.XXXXXX)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
export AETHER_CONSOLE_TOKEN=bench-token
labels=() bases=()
first_bin=
for spec in "$@"; do
  label=${spec%%=*} rest=${spec#*=}
  build=${rest%%:*} env=
  [ "$rest" != "$build" ] && env=${rest#*:}
  bin="$build/src/app/aether-console"
  [ -x "$bin" ] || { echo "missing $bin" >&2; exit 1; }
  if [ -z "$first_bin" ]; then
    first_bin=$bin
    "$bin" --database "sqlite://$work/seed.sqlite" --prepare --demo --demo-keys 10000 >/dev/null 2>&1
  fi
  n=${#labels[@]}
  cp "$work/seed.sqlite" "$work/db$n.sqlite"
  env $env "$bin" --database "sqlite://$work/db$n.sqlite" --serve --listen 127.0.0.1:0 >"$work/out$n" 2>"$work/err$n" &
  pids+=($!)
  for _ in $(seq 100); do grep -q Listening "$work/out$n" 2>/dev/null && break; sleep 0.1; done
  base=$(sed -n 's/^Listening on //p' "$work/out$n")
  [ -n "$base" ] || { cat "$work/err$n" >&2; exit 1; }
  labels+=("$label") bases+=("$base")
done
curl -sf -H "Authorization: Bearer $AETHER_CONSOLE_TOKEN" "${bases[0]}/api/admin/adaptive/keys" |
  grep -o '"id":"[^"]*"' | cut -d'"' -f4 | awk 'NR <= 1000' >"$work/ids"
script() { # $1 method, $2 before id, $3 after id, $4 name, $5 "alternate": path ends with 7 or 8 per pass
  local tail='""'
  [ "${5:-}" = alternate ] && tail='(7 + math.floor(n / #ids) % 2)'
  cat >"$work/$4.lua" <<LUA
local ids = {}
for line in io.lines("$work/ids") do ids[#ids + 1] = line end
local n = 0
wrk.method = "$1"
wrk.headers["Authorization"] = "Bearer $AETHER_CONSOLE_TOKEN"
request = function()
  n = n + 1
  return wrk.format(nil, "$2" .. ids[(n % #ids) + 1] .. "$3" .. $tail)
end
LUA
  echo "$work/$4.lua"
}
declare -A scripts=(
  [version]=$(script GET "/version?key=" "&limit=" version alternate)
  [stats]=$(script GET /api/admin/adaptive/keys/ /stats stats)
  [limit]=$(script PATCH /api/admin/adaptive/keys/ "/limit?limit=" limit alternate)
)
routes=(version stats limit)
for round in $(seq "$rounds"); do
  for route in "${routes[@]}"; do
    for i in "${!bases[@]}"; do
      rps=$(wrk -t2 -c32 -d"${seconds}s" -s "${scripts[$route]}" "${bases[$i]}" | awk '/Requests\/sec/ {print $2}')
      echo "$route $i $rps" >>"$work/runs"
    done
  done
done
median() { sort -g | awk '{v[NR] = $0} END {print v[int((NR + 1) / 2)]}'; }
printf '| route |'; for l in "${labels[@]}"; do printf ' %s req/s |' "$l"; done
for l in "${labels[@]:1}"; do printf ' %s / %s |' "$l" "${labels[0]}"; done; echo
printf '|---|'; for _ in "${labels[@]}" "${labels[@]:1}"; do printf -- '---|'; done; echo
declare -A med
for route in "${routes[@]}"; do
  printf '| %s |' "$route"
  for i in "${!bases[@]}"; do
    med[$route,$i]=$(awk -v r="$route" -v s="$i" '$1 == r && $2 == s {print $3}' "$work/runs" | median)
    printf ' %.0f |' "${med[$route,$i]}"
  done
  for i in $(seq 1 $((${#bases[@]} - 1))); do
    awk -v a="${med[$route,$i]}" -v b="${med[$route,0]}" 'BEGIN { printf " %.1f %% |", 100 * a / b }'
  done
  echo
done
echo
echo "rounds: $rounds × ${seconds} s per route and server, in turns; wrk -t2 -c32; $(nproc) cores"
awk '{print "run:", $0}' "$work/runs" | tr '\n' ';' | head -c 4000; echo
