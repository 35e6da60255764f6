#!/usr/bin/env bash
# Set up the inference environment and run the main job on the bundled sample: the bundled
# default model scores itself on the bundled CVAT sample (res/sample, 8 synthetic frames with
# exact annotations, 0.13 um/px) and prints the metrics as JSON.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/tools/setup_env.sh" core
cd "$root"
out=${1:-out/demo}
mkdir -p "$out"
.venv/bin/yoloxsp inspect res/sample --coco "$out/sample.coco.json"
.venv/bin/yoloxsp eval --model yoloxsp --data res/sample --pixel-size 0.13 | tee "$out/sample_metrics.json"
echo "[demo] metrics of the bundled model on res/sample: $out/sample_metrics.json"
