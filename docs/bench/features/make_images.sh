#!/usr/bin/env bash
# 64 JPEGs of 640x480 from the e2e photo: mirrored or not, rotated -10..10 degrees, brightness, saturation and hue
# varied, quality 75..94. Needs ImageMagick (its `convert`, or `magick` in ImageMagick 7; the figures in
# docs/performance.md were made with ImageMagick 6). Usage: [PHOTO=photo_640x427.jpg] make_images.sh OUT_DIR
set -euo pipefail
if [[ $# -ne 1 ]]; then
  echo "usage: [PHOTO=photo_640x427.jpg] $0 OUT_DIR" >&2
  exit 2
fi
# (`convert -version` is checked: other programs are called convert too.)
if convert -version 2>/dev/null | grep -q '^Version: ImageMagick'; then
  convert=(convert)
elif magick -version 2>/dev/null | grep -q '^Version: ImageMagick'; then
  convert=(magick)
else
  echo "$0: needs ImageMagick, which is not installed (no ImageMagick 'convert' or 'magick' command found);" \
    "install it first, e.g. 'apt-get install imagemagick' or 'brew install imagemagick'" >&2
  exit 1
fi
out="$1"
photo="${PHOTO:-$(dirname "$0")/../../../testdata/e2e/images/photo_640x427.jpg}"
mkdir -p "$out"
for i in $(seq 0 63); do
  flip=$([ $((i % 2)) = 1 ] && echo -flop || true)
  "${convert[@]}" "$photo" $flip -rotate $(( (i * 7) % 21 - 10 )) -gravity center -crop 600x400+0+0 +repage \
    -resize '640x480!' -modulate $((80 + (i * 5) % 40)),$((70 + (i * 11) % 60)),$((90 + (i * 3) % 20)) \
    -quality $((75 + i % 20)) "$out/img_$(printf %02d "$i").jpg"
done
