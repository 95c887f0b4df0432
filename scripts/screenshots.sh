#!/usr/bin/env bash
# Renders the main window, a key's detail, the Summary and Learning policy pages and the dialogs under Xvfb into docs/screenshots/*.png (after a
# build; installs Xvfb, ImageMagick and the CJK fonts when missing).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
need=()
for p in xvfb xauth imagemagick fonts-noto-cjk fonts-dejavu-core; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi
tool="$root/build/tests/gui/aether-screenshots"
[ -x "$tool" ] || { echo "build first: $tool missing" >&2; exit 1; }
out="$root/docs/screenshots"
mkdir -p "$out"
langs=("$@")
[ ${#langs[@]} -gt 0 ] || langs=(en zh_CN)
for lang in "${langs[@]}"; do
  LANGUAGE=$lang xvfb-run -a -s "-screen 0 1600x1000x24" "$tool" "$out" "$lang"
done
