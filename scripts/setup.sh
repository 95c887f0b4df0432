#!/usr/bin/env bash
# Installs what building (and, with --test, testing) needs from Debian 12's packages, only what is missing, then
# configures and builds into ./build (not with --no-build). Run by run.sh, test.sh and sanitize.sh.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

packages=(g++ cmake ninja-build qt6-base-dev qt6-httpserver-dev qt6-websockets-dev qt6-charts-dev libqt6svg6
          qt6-tools-dev qt6-l10n-tools qt6-translations-l10n
          libqt6sql6-sqlite libsqlite3-dev libqt6sql6-psql qt6-qpa-plugins libqt6opengl6-dev fonts-dejavu-core
          zlib1g-dev libsystemd-dev pkg-config)
build=1
for arg in "$@"; do
  case "$arg" in
    --test) packages+=(postgresql python3 openssl) ;;
    --no-build) build= ;;
  esac
done
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

[ -n "$build" ] || exit 0
# Under CI ($CI set) a compiler warning fails the build.
werror=OFF
[ -z "${CI:-}" ] || werror=ON
cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAETHER_WERROR=$werror
cmake --build "$root/build"
