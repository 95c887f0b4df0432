#!/usr/bin/env bash
# Throughput of two or more servers measured in turns, so that this machine's speed drift hits them alike: each server
# gets its own copy of one 10,000-key database (SQLite: a file; PostgreSQL: a database of one cluster, made from the
# first build's as a template), then every round runs each route against each server for a few seconds, the servers'
# order reversed every other round. Prints the median requests/s per route and server, and each server's ratio to the
# first one, and the CPU time the server (and the PostgreSQL server's processes) spent per request: on a machine that
# the load generator, the server and the database saturate together, throughput is inversely proportional to the CPU
# time a request costs, and that time scatters much less from run to run than requests/s do. Used for the cost of the connection guard (against a build without it), of synchronous=FULL, and of the
# time series on learning events.
#   bench/compare.sh [--rounds N] [--seconds S] [--backend sqlite|postgres] [--routes R,R…] LABEL=BUILD_DIR[:ENV=VALUE] …
#   routes: version stats limit (the default, 32 connections), event (one learning event, 32 connections), batch500
#   and batch50 (500 events on 500 or on 50 keys, 4 connections; events/s = requests/s × 500)
#   e.g. bench/compare.sh before=/tmp/old-build after=build "after, NORMAL=build:AETHER_CONSOLE_SQLITE_SYNCHRONOUS=NORMAL"
#        bench/compare.sh --backend postgres --routes event,batch500,batch50 before=/tmp/old-build after=build
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rounds=5 seconds=5 backend=sqlite routes=version,stats,limit
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --backend) backend=$2; shift 2 ;;
    --routes) routes=$2; shift 2 ;;
    *) break ;;
  esac
done
[ $# -ge 2 ] || { echo "usage: $0 [--rounds N] [--seconds S] LABEL=BUILD[:ENV=VALUE] LABEL=BUILD …" >&2; exit 2; }
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v sqlite3 >/dev/null || need+=(sqlite3)
[ ${#need[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
work=$(mktemp -d /tmp/aether-compare.XXXXXX)
chmod 755 "$work" # the PostgreSQL server runs as its own user
pids=()
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  [ "$backend" = postgres ] && "$here/../tests/pg/pgserver.sh" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
if [ "$backend" = postgres ]; then
  "$here/../tests/pg/pgserver.sh" start "$work/pg" >/dev/null
  pg() { psql -qAt -h "$work/pg" -U postgres -d postgres -c "$1"; }
  pg "CREATE DATABASE seed" >/dev/null
  url_of() { echo "postgresql://postgres@/$1?host=$work/pg"; }
else
  url_of() { echo "sqlite://$work/$1.sqlite"; }
fi
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
    "$bin" --database "$(url_of seed)" --prepare --demo --demo-keys 10000 >/dev/null 2>&1
  fi
  n=${#labels[@]}
  if [ "$backend" = postgres ]; then
    pg "CREATE DATABASE db$n TEMPLATE seed" >/dev/null
  else
    cp "$work/seed.sqlite" "$work/db$n.sqlite"
  fi
  # A build with the time series would otherwise roll up the demo's story while it is measured.
  "$bin" --database "$(url_of "db$n")" --prepare >/dev/null 2>&1
  if [ "$backend" = postgres ]; then
    psql -qAt -h "$work/pg" -U postgres -d "db$n" -c "DELETE FROM console_timeline" >/dev/null 2>&1 || true
  else
    sqlite3 "$work/db$n.sqlite" "DELETE FROM console_timeline" >/dev/null 2>&1 || true
  fi
  env $env "$bin" --database "$(url_of "db$n")" --serve --listen 127.0.0.1:0 >"$work/out$n" 2>"$work/err$n" &
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
. "$here/eventscripts.sh"
event_script "$work/event.lua" "$work/ids" "$AETHER_CONSOLE_TOKEN"
batch_script "$work/batch500.lua" "$work/ids" "$AETHER_CONSOLE_TOKEN" 500
batch_script "$work/batch50.lua" "$work/ids" "$AETHER_CONSOLE_TOKEN" 50
declare -A scripts=(
  [version]=$(script GET "/version?key=" "&limit=" version alternate)
  [stats]=$(script GET /api/admin/adaptive/keys/ /stats stats)
  [limit]=$(script PATCH /api/admin/adaptive/keys/ "/limit?limit=" limit alternate)
  [event]=$work/event.lua [batch500]=$work/batch500.lua [batch50]=$work/batch50.lua
)
declare -A connections=([version]=32 [stats]=32 [limit]=32 [event]=32 [batch500]=4 [batch50]=4)
IFS=, read -r -a routes <<<"$routes"
for route in "${routes[@]}"; do
  [ -n "${scripts[$route]:-}" ] || { echo "unknown route $route" >&2; exit 2; }
done
# The steady state: a build with the time series takes every key's baseline in its first sampling pass.
sleep 3
# CPU ticks (user + system) of the processes that serve a request: the server's, and PostgreSQL's (all of its
# processes: only one server is loaded at a time).
ticks() {
  local pids=("$1")
  [ "$backend" = postgres ] && pids+=($(pgrep -x postgres || true))
  for p in "${pids[@]}"; do sed 's/.*) //' "/proc/$p/stat" 2>/dev/null || true; done | awk '{t += $12 + $13} END {print t + 0}'
}
hz=$(getconf CLK_TCK)
order=("${!bases[@]}")
for round in $(seq "$rounds"); do
  for route in "${routes[@]}"; do
    for i in "${order[@]}"; do
      before=$(ticks "${pids[$i]}")
      out=$(wrk -t2 -c"${connections[$route]}" -d"${seconds}s" -s "${scripts[$route]}" "${bases[$i]}")
      after=$(ticks "${pids[$i]}")
      if echo "$out" | grep -q 'Non-2xx'; then echo "$out" >&2; echo "non-2xx answers from ${labels[$i]}" >&2; exit 1; fi
      requests=$(echo "$out" | awk '/requests in/ {print $1}')
      echo "$route $i $(echo "$out" | awk '/Requests\/sec/ {print $2}') $(awk -v t=$((after - before)) -v r="$requests" \
        -v hz="$hz" 'BEGIN {printf "%.4f", 1000 * t / hz / r}')" >>"$work/runs"
    done
  done
  order=($(printf '%s\n' "${order[@]}" | tac)) # the other order next round
done
median() { sort -g | awk '{v[NR] = $0} END {print v[int((NR + 1) / 2)]}'; }
# The median of each round's ratio of column $2 (3: requests/s, 4: CPU per request) of server $3 to server 0: the two
# runs of a round are seconds apart, so a machine that slows down or speeds up over minutes shifts both.
round_ratio() {
  awk -v r="$1" -v c="$2" -v s="$3" '$1 == r && $2 == 0 {b[++nb] = $c} $1 == r && $2 == s {a[++na] = $c}
    END {for (k = 1; k <= na; k++) print a[k] / b[k]}' "$work/runs" | median
}
printf '| route |'; for l in "${labels[@]}"; do printf ' %s req/s |' "$l"; done
for l in "${labels[@]:1}"; do printf ' %s / %s |' "$l" "${labels[0]}"; done
for l in "${labels[@]:1}"; do printf ' round by round |'; done
for l in "${labels[@]}"; do printf ' %s CPU ms/req |' "$l"; done
for l in "${labels[@]:1}"; do printf ' %s / %s CPU, round by round |' "${labels[0]}" "$l"; done; echo
printf '|---|'; for _ in "${labels[@]}" "${labels[@]:1}" "${labels[@]:1}" "${labels[@]}" "${labels[@]:1}"; do
  printf -- '---|'
done; echo
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
  for i in $(seq 1 $((${#bases[@]} - 1))); do round_ratio "$route" 3 "$i" | awk '{printf " %.1f %% |", 100 * $1}'; done
  for i in "${!bases[@]}"; do
    awk -v r="$route" -v s="$i" '$1 == r && $2 == s {print $4}' "$work/runs" | median | awk '{printf " %.3f |", $1}'
  done
  # As a throughput: the first server's CPU time per request over this one's.
  for i in $(seq 1 $((${#bases[@]} - 1))); do round_ratio "$route" 4 "$i" | awk '{printf " %.1f %% |", 100 / $1}'; done
  echo
done
echo
echo "rounds: $rounds × ${seconds} s per route and server, in turns (ratios: of the medians, and the median of the rounds' ratios); CPU: the server's and the database server's user + system time per request; wrk -t2; $backend; $(nproc) cores"
awk '{print "run:", $0}' "$work/runs" | tr '\n' ';' | head -c 4000; echo
