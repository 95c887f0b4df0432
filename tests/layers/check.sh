#!/usr/bin/env bash
# The core's folders depend on each other in one direction only (docs/architecture.md): a folder may include its own
# headers and those of the folders listed before it. Also: the window (src/gui) and the HTTP layer (src/http) never
# include each other's headers. Prints each violation; fails when there is one.
set -euo pipefail
root=$(cd "${1:?usage: check.sh SOURCE_DIR}" && pwd)
cd "$root/src/core"
order=(base storage timeline learning auth keys simulation)
declare -A allowed=(
  [base]="base"
  [storage]="base storage"
  [timeline]="base storage timeline"
  [learning]="base storage timeline learning"
  [auth]="base storage auth"
  [keys]="base storage timeline learning auth keys"
  [simulation]="base storage timeline learning auth keys simulation"
)
bad=0
for folder in "${order[@]}"; do
  while IFS=: read -r file include; do
    target=${include%%/*}
    if [[ " ${allowed[$folder]} " != *" $target "* ]]; then
      echo "FAIL: src/core/$file includes $include ($folder may use: ${allowed[$folder]})"
      bad=1
    fi
  done < <(grep -rHoE '#include "[a-z]+/[a-z]+\.h"' "$folder" | sed -E 's/#include "//; s/"$//')
done
for f in $(ls "$root/src/core" | grep -vE '^(CMakeLists.txt|base|storage|timeline|learning|auth|keys|simulation)$'); do
  echo "FAIL: src/core/$f is outside the domain folders"; bad=1
done
http_headers=$(cd "$root/src/http" && find . -name '*.h' -printf '%f\n')
gui_headers=$(cd "$root/src/gui" && find . -name '*.h' -printf '%f\n')
for h in $http_headers; do
  if grep -rlq "#include \"$h\"" "$root/src/gui"; then echo "FAIL: src/gui includes the HTTP layer's $h"; bad=1; fi
done
for h in $gui_headers; do
  if grep -rlq "#include \"$h\"" "$root/src/http"; then echo "FAIL: src/http includes the window's $h"; bad=1; fi
done
[ $bad -eq 0 ] && echo "layers: ok"
exit $bad
