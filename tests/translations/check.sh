#!/usr/bin/env bash
# Fails when the catalogue does not match the sources: lupdate finds a string that translations/*.ts do not hold (or
# the .ts files hold one the sources no longer have), or an entry is unfinished or empty.
#   check.sh PROJECT_ROOT LUPDATE
set -euo pipefail
root=$1 lupdate=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$root"/translations/*.ts "$tmp/"
mapfile -t sources < <(find "$root/src" -name '*.cpp' -o -name '*.h'; ls "$root"/ui/*.ui)
"$lupdate" -no-obsolete -locations none "${sources[@]}" \
  -ts "$tmp/aether-console_zh_CN.ts" "$tmp/aether-console_en.ts" >"$tmp/lupdate.log" 2>&1
status=0
while read -r line; do
  # "Found 254 source text(s) (0 new and 254 already existing)"
  new=$(sed -n 's/.*(\([0-9]*\) new and.*/\1/p' <<<"$line")
  if [ -n "$new" ] && [ "$new" != 0 ]; then
    echo "FAIL: lupdate found $new string(s) that the .ts files do not hold: run the update_translations target" >&2
    status=1
  fi
done <"$tmp/lupdate.log"
for ts in "$root"/translations/*.ts; do
  name=$(basename "$ts")
  before=$(grep -c '<message' "$ts" || true)
  after=$(grep -c '<message' "$tmp/$name" || true)
  if [ "$before" != "$after" ]; then
    echo "FAIL: $name holds $before messages, the sources $after (strings removed from the sources?)" >&2
    status=1
  fi
  unfinished=$(grep -c 'type="unfinished"' "$tmp/$name" || true)
  empty=$(grep -cE '<translation>\s*</translation>|<numerusform>\s*</numerusform>|<translation/>|<numerusform/>' "$tmp/$name" || true)
  if [ "$unfinished" != 0 ] || [ "$empty" != 0 ]; then
    echo "FAIL: $name has $unfinished unfinished and $empty empty entries:" >&2
    grep -B2 'type="unfinished"' "$tmp/$name" | grep '<source>' | head -20 >&2 || true
    status=1
  fi
  echo "$name: $after messages, $unfinished unfinished, $empty empty"
done
exit $status
