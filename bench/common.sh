# Shared by the HTTP benchmarks (sourced from bench/*.sh with their arguments): the options, tools, a scratch folder,
# the database backend and the `--serve` process. Expects $here; sets $root, $build, $backend, $keys, $duration, $bin,
# $work, $url, $base, $server_pid and psql_run().
#   [--backend sqlite|postgres] [--keys N] [--duration S] [--build DIR]
root=$(cd "$here/.." && pwd)
backend=sqlite keys=10000 duration=10 build="$root/build"
while [ $# -gt 0 ]; do
  case "$1" in
    --backend) backend=$2; shift 2 ;;
    --keys) keys=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v sqlite3 >/dev/null || need+=(sqlite3)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
fi
bin="$build/src/app/aether-console"
[ -x "$bin" ] || { echo "build first: $bin missing" >&2; exit 1; }

work=$(mktemp -d /tmp/aether-bench.XXXXXX)
chmod 755 "$work" # the PostgreSQL server runs as its own user
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ "$backend" = postgres ] && "$root/tests/pg/pgserver.sh" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

if [ "$backend" = postgres ]; then
  "$root/tests/pg/pgserver.sh" start "$work/pg" >/dev/null
  url="postgresql://postgres@/postgres?host=$work/pg"
  psql_run() { psql -q -h "$work/pg" -U postgres -d postgres -c "$1"; }
else
  url="sqlite://$work/bench.sqlite"
  psql_run() { sqlite3 "$work/bench.sqlite" "$1"; }
fi

# start_server: `--serve` on a free port of the loopback; sets $base and $server_pid.
start_server() {
  # shellcheck disable=SC2086 # $server_args: extra options, split on purpose
  "$bin" --database "$url" --serve --listen 127.0.0.1:0 ${server_args:-} >"$work/server.out" 2>"$work/server.err" &
  server_pid=$!
  for _ in $(seq 100); do grep -q Listening "$work/server.out" 2>/dev/null && break; sleep 0.1; done
  base=$(sed -n 's/^Listening on //p' "$work/server.out")
  [ -n "$base" ] || { cat "$work/server.err" >&2; exit 1; }
}

# server_rss: the server's resident memory now.
server_rss() { awk '/VmRSS/ {print $2, $3}' "/proc/$server_pid/status"; }
machine() { echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"; }

# The results table of wrk runs: start_results, then row LABEL CONNECTIONS "$(run_wrk CONNECTIONS wrk-args…)"; the
# share of $ceiling (requests/s of the route every other is compared with) in the last column.
results="$work/results.md"
ceiling=
start_results() {
  printf '| route | connections | requests/s | p50 | p99 | of ceiling |\n|---|---|---|---|---|---|\n' >"$results"
}
run_wrk() { # $1 connections, $2.. wrk args; prints "rps p50 p99"
  local conns=$1; shift
  local out
  out=$(wrk -t"$([ "$conns" -gt 1 ] && echo 2 || echo 1)" -c"$conns" -d"${duration}s" --latency "$@")
  if echo "$out" | grep -q 'Non-2xx'; then echo "$out" >&2; echo "non-2xx answers" >&2; exit 1; fi
  echo "$out" | awk '/Requests\/sec/ {r = $2} $1 == "50%" {p50 = $2} $1 == "99%" {p99 = $2} END {print r, p50, p99}'
}
row() { # $1 label, $2 connections, $3 "rps p50 p99"
  local share
  share=$(awk -v a="${3%% *}" -v b="$ceiling" 'BEGIN { printf "%.0f %%", 100 * a / b }')
  printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$2" $3 "$share" | tee -a "$results"
}
