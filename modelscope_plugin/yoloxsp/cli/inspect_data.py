"""``yoloxsp inspect``: read a CVAT export, report what it holds and any problems, optionally write COCO JSON."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path



def add_parser(sub) -> None:
    p = sub.add_parser("inspect", help="check a CVAT export and summarise it (optionally as COCO JSON)",
                       description=__doc__.split(":", 1)[1].strip())
    p.add_argument("data", help="CVAT task folder, zip, or folder of tasks")
    p.add_argument("--box-labels", nargs="+", metavar="LABEL", help="box labels (default: yoloxsp's CVAT labels)")
    p.add_argument("--pole-labels", nargs="+", metavar="LABEL", help="pole labels (default: yoloxsp's CVAT labels)")
    p.add_argument("--coco", metavar="OUT.json", help="also write the annotations as COCO JSON")
    p.set_defaults(run=run)


def run(args) -> int:
    from ..data.coco import records_to_coco  # imported here: the CLI starts without scipy and lxml
    from ..data.cvat import CvatLabels, read_cvat
    from ..io.atomic import atomic_path

    default = CvatLabels()
    labels = CvatLabels(tuple(args.box_labels or default.boxes), tuple(args.pole_labels or default.poles))
    export = read_cvat(args.data, labels)
    per_task = Counter(r.task for r in export.records)
    tracks = {(r.task, s.track_id) for r in export.records for s in r.spindles if s.track_id is not None}
    with_poles = sum(1 for r in export.records for s in r.spindles if s.poles is not None)
    print(f"{args.data}: {len(export.tasks)} task(s), {len(export.records)} frames, "
          f"{export.n_spindles} spindles ({with_poles} with both poles), {len(tracks)} tracks, "
          f"{len(export.problems)} problem(s)")
    for task in export.tasks:
        print(f"  {task}: {per_task[task]} frames")
    if args.coco:
        out = Path(args.coco)
        with atomic_path(out) as partial:
            partial.write_text(json.dumps(records_to_coco(export.records)))
        print(f"wrote {out}")
    return 0
