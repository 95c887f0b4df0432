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
  "$bin" --database "$url" --serve --listen 127.0.0.1:0 >"$work/server.out" 2>"$work/server.err" &
  server_pid=$!
  for _ in $(seq 100); do grep -q Listening "$work/server.out" 2>/dev/null && break; sleep 0.1; done
  base=$(sed -n 's/^Listening on //p' "$work/server.out")
  [ -n "$base" ] || { cat "$work/server.err" >&2; exit 1; }
}

# server_rss: the server's resident memory now.
server_rss() { awk '/VmRSS/ {print $2, $3}' "/proc/$server_pid/status"; }
machine() { echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"; }
