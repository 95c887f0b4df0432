#!/usr/bin/env bash
# The packaging checks of CI, on a build in ./build (scripts/setup.sh): builds the .deb and the .tar.gz with CPack,
# validates the desktop entry, the AppStream metadata, the man page and lintian's view of the .deb, installs the .deb
# with apt-get, then uses only the installed files: --version, --create-token, the simple commands, --serve with
# systemd's readiness message, /healthz, one admin route, /metrics through promtool, the OpenAPI document through
# an OpenAPI validator from npm, the unit through systemd-analyze verify, and SIGTERM. Removes the package at the end.
# Installs the tools it needs from Debian (and the validator from npm) when they are missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build"
[ -d "$build" ] || { echo "packaging/check.sh: no build in $build (run scripts/setup.sh first)" >&2; exit 1; }
if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi

tools=(desktop-file-utils appstream lintian systemd prometheus dpkg-dev fakeroot gzip man-db curl python3 npm)
missing=()
for p in "${tools[@]}"; do
  # A Node.js from elsewhere brings its own npm.
  if [ "$p" = npm ] && command -v npm >/dev/null; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

step() { printf '\n== %s\n' "$*"; }
work=$(mktemp -d)
server_pid=
cleanup() {
  [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

step "CPack: .deb and .tar.gz"
cmake --build "$build"
rm -f "$build"/aether-console_*.deb "$build"/aether-console_*.tar.gz
(cd "$build" && cpack -G DEB >/dev/null && cpack -G TGZ >/dev/null)
deb=$(ls "$build"/aether-console_*_"$(dpkg --print-architecture)".deb)
tgz=$(ls "$build"/aether-console_*.tar.gz)
echo "$deb"; echo "$tgz"
dpkg-deb -I "$deb" | sed -n '/Depends/p; /Recommends/p'
# Without Qt's catalogues a Chinese window shows Qt's own buttons and dialogs in English.
dpkg-deb -f "$deb" Recommends | grep -q 'qt6-translations-l10n'
tar -tzf "$tgz" >"$work/tgz.list"
grep -q 'usr/bin/aether-console$' "$work/tgz.list"

step "desktop entry, AppStream, man page"
desktop-file-validate "$root/packaging/org.aether.Console.desktop"
appstreamcli validate --no-net "$root/packaging/org.aether.Console.metainfo.xml"
warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$root/packaging/aether-console.1" 2>&1 >/dev/null || true)
[ -z "$warnings" ] || { echo "man page warnings: $warnings" >&2; exit 1; }

step "lintian (errors fail; warnings are explained in packaging/README.md)"
lintian --fail-on error --allow-root "$deb"

step "apt-get install the package"
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "$deb" >/dev/null
test -x /usr/libexec/aether-console/aether-console-window
test -f /usr/share/applications/org.aether.Console.desktop
test -f /usr/share/icons/hicolor/scalable/apps/org.aether.Console.svg
man -w aether-console
desktop-file-validate /usr/share/applications/org.aether.Console.desktop
systemd-analyze verify /lib/systemd/system/aether-console.service

step "the installed program"
cd "$work"
/usr/bin/aether-console --version
export AETHER_CONSOLE_DATABASE="$work/smoke.db"
unset AETHER_CONSOLE_TOKEN
token=$(/usr/bin/aether-console --create-token smoke --role admin | tail -1)
viewer=$(/usr/bin/aether-console --create-token scraper --role viewer | tail -1)
/usr/bin/aether-console --prepare --demo --demo-keys 5 2>/dev/null
/usr/bin/aether-console keys --json | python3 -c 'import json,sys; assert len(json.load(sys.stdin)) >= 1'
/usr/bin/aether-console summary
status=0; /usr/bin/aether-console key no-such-key 2>/dev/null || status=$?
[ "$status" -eq 1 ] || { echo "key no-such-key exited $status, not 1" >&2; exit 1; }

step "--serve: readiness, routes, metrics, OpenAPI, SIGTERM"
# systemd's notification socket, played by a small datagram server that keeps what it receives.
python3 - "$work/notify.sock" "$work/notified" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
with open(sys.argv[2], "wb") as out:
    while True:
        try:
            data = s.recv(4096)
        except socket.timeout:
            break
        out.write(data + b"\n")
        out.flush()
        if b"STOPPING=1" in data:
            break
PY
notify_pid=$!
for _ in $(seq 50); do [ -S "$work/notify.sock" ] && break; sleep 0.1; done
NOTIFY_SOCKET="$work/notify.sock" /usr/bin/aether-console --serve --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
for _ in $(seq 100); do grep -q "^Listening on" "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/^Listening on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$work/serve.out")
[ -n "$port" ] || { cat "$work/serve.err" >&2; exit 1; }
base="http://127.0.0.1:$port"
curl -fsS "$base/healthz"; echo
curl -fsS -H "Authorization: Bearer $token" "$base/api/admin/adaptive/summary" >/dev/null
curl -fsS -H "Authorization: Bearer $viewer" "$base/metrics" >"$work/metrics.txt"
promtool check metrics <"$work/metrics.txt"
grep -q '^aether_database_up 1$' "$work/metrics.txt"
curl -fsS "$base/api/admin/adaptive/openapi.json" >"$work/openapi.json"
validator="${AETHER_NPM_TOOLS:-$HOME/.cache/aether-console-tools}"
if [ ! -x "$validator/node_modules/.bin/validate-api" ]; then
  npm install --silent --no-audit --no-fund --prefix "$validator" @seriousme/openapi-schema-validator@2 >/dev/null
fi
"$validator/node_modules/.bin/validate-api" "$work/openapi.json"
grep -q "READY=1" "$work/notified"
started=$(date +%s%N)
kill -TERM "$server_pid"
wait "$server_pid"
server_pid=
echo "stopped on SIGTERM in $(( ($(date +%s%N) - started) / 1000000 )) ms"
wait "$notify_pid" || true
grep -q "STOPPING=1" "$work/notified"

step "remove the package"
DEBIAN_FRONTEND=noninteractive $sudo apt-get purge -y -q aether-console >/dev/null
echo "packaging checks passed"
