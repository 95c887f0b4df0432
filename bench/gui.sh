#!/usr/bin/env bash
# The console window on a million keys (bench/README.md): fills an SQLite database once (kept in /tmp between runs;
# bench/fill.py), then runs aether-gui-bench under Xvfb.
#   bench/gui.sh [--keys N] [--build DIR] [--backend sqlite|postgres] [--runs N] [--gateway]
# (--gateway, PostgreSQL: the console's own indexes are dropped after the fill, as on a gateway's own database, whose
# tables the console does not alter.)
# (postgres: a server of its own in a scratch folder, filled each time. --runs: start the window N times on the same
# database, as on the days after the first; on PostgreSQL the first Summary keeps digests for later processes.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
keys=1000000 build="$root/build" backend=sqlite runs=1 gateway=0
while [ $# -gt 0 ]; do
  case "$1" in
    --keys) keys=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --backend) backend=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --gateway) gateway=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
need=()
for p in xvfb fonts-dejavu-core; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
[ ${#need[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
if [ "$backend" = postgres ]; then
  pg=$(mktemp -d /tmp/aether-gui-bench-pg.XXXXXX)
  chmod 755 "$pg"
  "$root/tests/pg/pgserver.sh" start "$pg/pg" >/dev/null
  url="postgresql://postgres@/postgres?host=$pg/pg"
  python3 "$root/bench/fill.py" "$url" "$keys" --console "$build/src/app/aether-console"
  # A database in use has been vacuumed and analysed (hint bits set, statistics known); a freshly filled one pays for
  # that on its first reads instead. The figures are for one in use.
  if [ "$gateway" = 1 ]; then
    psql -q -h "$pg/pg" -U postgres -d postgres -At -c "SELECT indexname FROM pg_indexes WHERE tablename =
      'provider_api_keys' AND (indexname LIKE 'ix_console_order_%' OR indexname LIKE 'ix_console_search_%')" |
      while read -r index; do psql -q -h "$pg/pg" -U postgres -d postgres -c "DROP INDEX $index"; done
  fi
  psql -q -h "$pg/pg" -U postgres -d postgres -c "VACUUM ANALYZE" >/dev/null
else
  db="/tmp/aether-gui-bench-$keys.sqlite"
  url="sqlite://$db"
  if [ ! -f "$db" ]; then
    python3 "$root/bench/fill.py" "$url" "$keys" --console "$build/src/app/aether-console"
  fi
fi
# A console opens a database it used before: the figures are for a warm page cache, as at the second start of a day.
# Xvfb runs first, so that the time from the program's start to its first painted table is measured alone.
display=:$((90 + RANDOM % 100))
Xvfb "$display" -screen 0 1600x1000x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true; [ "$backend" != postgres ] || { "$root/tests/pg/pgserver.sh" stop "$pg/pg" >/dev/null 2>&1; rm -rf "$pg"; }' EXIT
sleep 1
for run in $(seq 1 "$runs"); do
  [ "$runs" -eq 1 ] || echo "== process $run of $runs on this database"
  start=$(date +%s%3N)
  DISPLAY=$display "$build/bench/aether-gui-bench" "$url" 2>/dev/null | tee /tmp/aether-gui-bench.out
  painted=$(sed -n 's/.*at \([0-9]*\) ms since the epoch.*/\1/p' /tmp/aether-gui-bench.out)
  echo "start of the process to the first painted table: $((painted - start)) ms"
done
