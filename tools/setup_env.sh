#!/usr/bin/env bash
# Create or update a project environment (idempotent: seconds when nothing changed).
#
#   bash tools/setup_env.sh core   # .venv-core/: inference (ONNX Runtime, CPU torch, ModelScope pipeline, demo app)
#   bash tools/setup_env.sh full   # .venv/: core + the EasyCV training stack + test tools (CUDA torch build)
#
# Two folders because the two need different torch builds:
#  * core takes the machine's local CPU wheel torch 2.13.0+cpu (a fifth of the CUDA build's size) and no
#    torchvision: inference runs the bundled ONNX model and decodes without torchvision; torch itself is
#    what ModelScope's pipeline and model classes are built on;
#  * full needs torchvision (training) and mmcv-full, and the only torchvision on the index (0.28.0)
#    pairs with the index's own torch 2.13.0 build, not with the local +cpu one.
# The core environment is installed by uv (it resolves and downloads in parallel: most of a fresh
# core setup is downloads, which pip makes one at a time). uv lives in its own small environment
# beside the wheel cache, made once per machine. uv reads no pip configuration, so the machine's pip
# sources (find-links, indexes, constraint files, CA bundle) are handed to it, with pip's rule of
# taking the best version from any of them. uv also drops declared requirements that no core path
# imports (tools/core-overrides.txt: cmake, s3fs). The full environment stays on
# pip: its time is the one-off mmcv-full build, and its large CUDA wheels sit in pip's cache.
# Steps pip cannot express on its own live here:
#  * mmcv-full 1.7.2 has no wheel for this torch: it is built once from the sdist (CPU ops,
#    ~17 min on 2 cores) into a wheel cache ($YOLOXSP_WHEEL_CACHE) and installed from there;
#  * pai-easycv 0.11.7 is installed with --no-deps (its pins have no Python 3.11 wheels); the
#    modules it really imports are the `easycv` extra of setup.py;
#  * the demo app's browser test drives Debian's Chromium (apt package `chromium`), installed
#    here when missing (full mode).
set -euo pipefail

mode=${1:-full}
root=$(cd "$(dirname "$0")/.." && pwd)
constraints="$root/tools/constraints.txt"
case "$mode" in
    core) venv="$root/.venv-core"; torch_pins=("torch==2.13.0+cpu") ;;
    full) venv="$root/.venv"; torch_pins=("torch==2.13.0,!=2.13.0+cpu" "torchvision==0.28.0") ;;
    *) echo "usage: $0 [core|full]" >&2; exit 2 ;;
esac
tools_cache=${YOLOXSP_TOOLS_CACHE:-$HOME/.cache/yoloxsp}
wheel_cache=${YOLOXSP_WHEEL_CACHE:-$tools_cache/wheels}
uv_venv="$tools_cache/uv-0.13.8"
py=${PYTHON:-python3}

# Everything that decides the environment's contents goes into the stamp.
stamp_key=$(cat "$root/setup.py" "$constraints" "$root/tools/core-overrides.txt" "$0" | sha256sum | cut -c1-16)
stamp="$venv/.yoloxsp-$mode-$stamp_key"
if [ -f "$stamp" ] && "$venv/bin/python" -c "import yoloxsp" 2>/dev/null; then
    echo "[setup] ${venv#"$root"/} is up to date ($mode)"
    exit 0
fi

if [ "$mode" = core ]; then
    if [ ! -x "$uv_venv/bin/uv" ]; then
        echo "[setup] uv 0.13.8 into ${uv_venv/#"$HOME"/\~} (once per machine)"
        "$py" -m venv "$uv_venv"
        "$uv_venv/bin/python" -m pip install --quiet --disable-pip-version-check uv==0.13.8
    fi
    sources=(--index-strategy unsafe-best-match)
    while IFS= read -r line; do
        key=${line%%=*}; value=${line#*=}; value=${value#\'}; value=${value%\'}
        for item in $value; do
            case "${key##*.}" in
                index-url) sources+=(--index-url "$item") ;;
                extra-index-url) sources+=(--extra-index-url "$item") ;;
                find-links) sources+=(--find-links "$item") ;;
                constraint) sources+=(-c "$item") ;;
                cert) export SSL_CERT_FILE=${SSL_CERT_FILE:-$item} ;;
            esac
        done
    done < <("$uv_venv/bin/python" -m pip config list 2>/dev/null)
    # no pip inside: uv installs (and pip would be 17 MB of the environment)
    [ -x "$venv/bin/python" ] || "$uv_venv/bin/uv" venv --quiet --python "$py" "$venv"
    echo "[setup] ${torch_pins[*]}, yoloxsp[test] (demo app and test tools included)"
    # --compile-bytecode: as pip does; without .pyc files (and with PYTHONDONTWRITEBYTECODE set, as on
    # this machine kind) every run would compile its imports again
    "$uv_venv/bin/uv" pip install --quiet --compile-bytecode --python "$venv/bin/python" "${sources[@]}" \
        -c "$constraints" --override "$root/tools/core-overrides.txt" "setuptools>=77,<81" wheel "${torch_pins[@]}" -e "$root[test]"
    # the editable package's own .pyc files, for the same reason
    "$venv/bin/python" -m compileall -q "$root/modelscope_plugin/yoloxsp" >/dev/null
    "$venv/bin/python" -c "import yoloxsp, torch, onnxruntime, modelscope" >/dev/null
else
    [ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
    pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check -c "$constraints")
    echo "[setup] ${torch_pins[*]}"
    "${pip[@]}" "setuptools>=77,<81" wheel "${torch_pins[@]}"
    if ! ls "$wheel_cache"/mmcv_full-1.7.2-*.whl >/dev/null 2>&1; then
        echo "[setup] building mmcv-full 1.7.2 with CPU ops (once per machine, ~17 min)"
        "${pip[@]}" ninja
        mkdir -p "$wheel_cache"
        PATH="$venv/bin:$PATH" MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS=2 "$venv/bin/python" -m pip wheel --quiet \
            --no-deps --no-build-isolation -c "$constraints" -w "$wheel_cache" mmcv-full==1.7.2
    fi
    echo "[setup] mmcv-full, yoloxsp[easycv,test,browser], pai-easycv (--no-deps)"
    "${pip[@]}" --no-deps "$wheel_cache"/mmcv_full-1.7.2-*.whl
    "${pip[@]}" -e "$root[easycv,test,browser]" "${torch_pins[@]}"
    "${pip[@]}" --no-deps pai-easycv==0.11.7
    if ! command -v chromium >/dev/null; then
        echo "[setup] Debian chromium for the demo app's browser test"
        sudo=$([ "$(id -u)" = 0 ] || echo sudo)
        $sudo apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q chromium >/dev/null
    fi
    "$venv/bin/python" -c "import yoloxsp, torch, torchvision; torchvision.ops.nms" >/dev/null
fi

rm -f "$venv"/.yoloxsp-"$mode"-*
touch "$stamp"
echo "[setup] done ($mode)"
