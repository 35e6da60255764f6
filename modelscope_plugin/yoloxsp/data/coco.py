"""Convert frame records to COCO detection + keypoint JSON (two keypoints per spindle).

The result feeds pycocotools (box AP) and the pole evaluator. Keypoint visibility is 2 for an
annotated pole and 0 (with coordinates 0) for a spindle whose poles are not annotated.
"""
from __future__ import annotations

from typing import Dict, Sequence

from .records import FrameRecord

CATEGORY = {"id": 1, "name": "microtubule", "supercategory": "spindle",
            "keypoints": ["pole1", "pole2"], "skeleton": [[1, 2]]}


def records_to_coco(records: Sequence[FrameRecord]) -> Dict:
    """Return a COCO dict; image ids are record positions + 1, annotation ids count from 1."""
    images, annotations = [], []
    for index, record in enumerate(records):
        image_id = index + 1
        images.append({"id": image_id, "file_name": str(record.image_path), "width": record.width,
                       "height": record.height, "frame": record.frame, "task": record.task})
        for spindle in record.spindles:
            x1, y1, x2, y2 = spindle.box
            if spindle.poles is None:
                keypoints, n_visible = [0.0] * 6, 0
            else:
                (p1x, p1y), (p2x, p2y) = spindle.poles
                keypoints, n_visible = [p1x, p1y, 2, p2x, p2y, 2], 2
            annotations.append({
                "id": len(annotations) + 1, "image_id": image_id, "category_id": CATEGORY["id"],
                "bbox": [x1, y1, x2 - x1, y2 - y1], "area": (x2 - x1) * (y2 - y1), "iscrowd": 0,
                "keypoints": keypoints, "num_keypoints": n_visible,
                "track_id": -1 if spindle.track_id is None else spindle.track_id,
            })
    return {"images": images, "annotations": annotations, "categories": [dict(CATEGORY)]}
