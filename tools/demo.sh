#!/usr/bin/env bash
# Set up the inference environment and run the main job on the bundled sample.
# Until the default model exists (issue 4) the main job is: read the bundled CVAT sample
# (res/sample) and generate a fresh synthetic movie with exact ground truth.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/tools/setup_env.sh" core
cd "$root"
out=${1:-out/demo}
echo "[demo] no bundled model yet: reading the bundled CVAT sample and generating a synthetic movie"
mkdir -p "$(dirname "$out")"
.venv/bin/yoloxsp inspect res/sample --coco "$out.coco.json"
.venv/bin/yoloxsp synth "$out" --frames 20 --size 256 256 --pixel-size 0.13 --spindles 3 --wells --seed 1 --overwrite
echo "[demo] outputs: $out/ (stack.tif, images/, annotations.xml, ground_truth.csv) and $out.coco.json"
