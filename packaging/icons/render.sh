#!/bin/sh
# Renders the application icon (resources/icons/aether-console.svg) into the hicolor theme folders of packaging/icons:
# PNGs of 16 to 256 pixels and the SVG itself as the scalable icon, all named after the application id.
# Run it after changing the SVG and commit what it writes; the PNGs are byte-for-byte reproducible with the same
# rsvg-convert (librsvg2-bin) version.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
source_svg="$here/../../resources/icons/aether-console.svg"
id=org.aether.Console

command -v rsvg-convert >/dev/null 2>&1 || {
    echo "render.sh: rsvg-convert is missing (apt-get install librsvg2-bin)" >&2
    exit 1
}

for size in 16 24 32 48 64 128 256; do
    dir="$here/hicolor/${size}x${size}/apps"
    mkdir -p "$dir"
    rsvg-convert --width "$size" --height "$size" --keep-aspect-ratio --format png \
        --output "$dir/$id.png" "$source_svg"
done

mkdir -p "$here/hicolor/scalable/apps"
cp "$source_svg" "$here/hicolor/scalable/apps/$id.svg"
echo "render.sh: icons written under $here/hicolor"
