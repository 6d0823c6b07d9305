#!/usr/bin/env bash
# 64 JPEGs of 640x480 from the e2e photo: mirrored or not, rotated -10..10 degrees, brightness, saturation and hue
# varied, quality 75..94 (ImageMagick 6). Usage: [PHOTO=photo_640x427.jpg] make_images.sh OUT_DIR
set -euo pipefail
out="$1"
photo="${PHOTO:-$(dirname "$0")/../../../testdata/e2e/images/photo_640x427.jpg}"
mkdir -p "$out"
for i in $(seq 0 63); do
  flip=$([ $((i % 2)) = 1 ] && echo -flop || true)
  convert "$photo" $flip -rotate $(( (i * 7) % 21 - 10 )) -gravity center -crop 600x400+0+0 +repage \
    -resize '640x480!' -modulate $((80 + (i * 5) % 40)),$((70 + (i * 11) % 60)),$((90 + (i * 3) % 20)) \
    -quality $((75 + i % 20)) "$out/img_$(printf %02d "$i").jpg"
done
