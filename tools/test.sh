#!/usr/bin/env bash
# Set up everything (EasyCV stack included) and run the whole test suite. CI runs exactly this.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/tools/setup_env.sh" full
cd "$root"
exec .venv/bin/python -m pytest -q tests "$@"
