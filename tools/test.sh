#!/usr/bin/env bash
# Build both environments and run every test tier (pytest.ini lists them). CI runs exactly this.
#  1. core environment (.venv-core, what tools/demo.sh uses):
#     - the core tier, with modelscope, easycv and mmcv made unimportable for the run and its
#       subprocesses: `pytest -m core` must work where only the core stack is;
#     - the modelscope tier: the core install must carry ModelScope's pipeline call;
#     so a dependency missing from the core install fails here;
#  2. full environment (.venv): the whole suite, every tier.
# Extra arguments go to every pytest run (e.g. -x, -k NAME).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/tools/setup_env.sh" core
bash "$root/tools/setup_env.sh" full
cd "$root"

blocked=$(mktemp -d)
trap 'rm -rf "$blocked"' EXIT
for module in modelscope easycv mmcv; do
    mkdir "$blocked/$module"
    echo "raise ModuleNotFoundError(\"$module is blocked by tools/test.sh: the core tier must not need it\", name=\"$module\")" \
        > "$blocked/$module/__init__.py"
done
mapfile -t core_files < <(grep -l '^pytestmark = pytest.mark.core$' tests/test_*.py)
echo "[test] core environment: core tier without modelscope/easycv/mmcv"
PYTHONPATH="$blocked" .venv-core/bin/python -m pytest -q -m core -p no:cacheprovider "${core_files[@]}" "$@"
echo "[test] core environment: modelscope tier"
.venv-core/bin/python -m pytest -q -m modelscope -p no:cacheprovider "$@"
echo "[test] full environment: every tier"
.venv/bin/python -m pytest -q tests "$@"
