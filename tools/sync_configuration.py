"""Write the bundled model's two configuration.json copies from the config it was trained with.

    .venv/bin/python tools/sync_configuration.py --record work_dirs/default/output

The bundled folder's configuration.json (``modelscope_plugin/yoloxsp/assets/default_model``) is the
one source of the bundled model's settings, decoding included: ``yoloxsp predict``, the Python API,
eval and batch on either backend, and ModelScope's pipeline all read it
(:func:`yoloxsp.model.config_file.model_folder_settings`). The top-level ``configuration.json`` is
the same file for the model repository (the hub and the model card). Both are generated, never
edited: each is the training config named by the weights' ``training_record``
(``configs/<record["config"]>``, read whole with its base, the record's ``model.*`` overrides
applied) plus that record. ``--record`` takes the record of a new run (its output model folder or
that folder's configuration.json: only ``training_record`` is read from it); without it, the
bundled copy's record is kept, which regenerates both copies after a config edit.
``--check`` writes nothing and exits 1 when a copy differs from what would be written.

A decoding setting changed without training (``model.decode`` in ``configs/base.json``, then this
tool) takes effect for every caller at once: the weights file and ``model.onnx`` are left as they
are (the settings they carry are read only when one of them is opened alone, outside the folder).
New bundled weights from a run's output folder ``RUN/output``:

    cp RUN/output/pytorch_model.pt modelscope_plugin/yoloxsp/assets/default_model/
    .venv/bin/python tools/sync_configuration.py --record RUN/output
    .venv/bin/yoloxsp export --model yoloxsp --out modelscope_plugin/yoloxsp/assets/default_model/model.onnx

(the export carries the weights; tests/test_bundled_model.py fails until it is redone).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Dict, List, Optional

from yoloxsp.io.atomic import atomic_path
from yoloxsp.model.config_file import generated_configuration, recorded_training

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
COPIES = (ROOT / "configuration.json", ROOT / "modelscope_plugin" / "yoloxsp" / "assets" / "default_model"
          / "configuration.json")


def differing_copies(config: dict) -> List[Path]:
    return [path for path in COPIES if not path.is_file() or json.loads(path.read_text(encoding="utf-8")) != config]


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--record", type=Path, help="a run's output model folder (or its configuration.json) "
                                                    "whose training_record to take (default: keep the bundled one)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a copy differs")
    args = parser.parse_args(argv)
    config = generated_configuration(CONFIGS, recorded_training(args.record or COPIES[1]))
    stale = differing_copies(config)
    if args.check:
        for path in stale:
            print(f"{path} differs from what tools/sync_configuration.py writes", file=sys.stderr)
        return 1 if stale else 0
    written: Dict[Path, str] = {}
    for path in COPIES:
        with atomic_path(path) as partial:
            partial.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        written[path] = "updated" if path in stale else "unchanged"
    for path, state in written.items():
        print(f"{path}: {state}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
