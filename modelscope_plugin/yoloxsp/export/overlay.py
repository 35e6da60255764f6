"""Draw detections on a frame (OpenCV): box, the two poles, the pole-to-pole line, labels; and
write a movie's drawn frames as the overlay ``yoloxsp predict`` leaves beside its tables."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Sequence

import cv2
import numpy as np

from ..errors import PathLike
from ..io.atomic import AtomicPath
from ..io.images import to_rgb8

if TYPE_CHECKING:  # the model (torch) is not needed to measure or draw
    from ..model.decode import Detections

BOX = (0, 220, 255)       # cyan: predicted spindle
POLE = (255, 255, 255)    # white: predicted pole
TRUTH = (255, 150, 0)     # orange: reference boxes
OVERLAYS = ("auto", "video", "frames", "none")  # the ways yoloxsp predict can write overlays
OVERLAY_NAMES = {"video": "overlay.avi", "frames": "overlay"}  # what each kind is written as
VIDEO_FPS = 10
# JPEG quality of the overlay video's frames: about the fidelity (PSNR) of FFmpeg's own Motion-JPEG
# encoder at its defaults, on drawn synthetic frames
JPEG_QUALITY = 90


def overlay_scale(shape: Sequence[int]) -> int:
    """How many times an overlay of a frame of ``shape`` is enlarged: small fields twice, so that
    labels and thin lines stay legible; others not at all."""
    return 2 if min(shape[:2]) < 400 else 1


def draw_detections(frame: np.ndarray, detections: Detections, labels: Optional[Sequence[str]] = None,
                    reference_boxes: Optional[np.ndarray] = None, scale: int = 2) -> np.ndarray:
    """An RGB uint8 overlay, enlarged ``scale`` times so thin lines stay visible on small frames.

    ``frame``: the 8-bit RGB frame the model saw, drawn as it is; any other frame (16-bit, fewer
    channels) is first made one as the model's input is. ``labels`` (e.g. track ids or scores) are
    written above each box; ``reference_boxes`` (N, 4), e.g. annotations, are drawn in orange
    underneath.
    """
    rgb8 = frame if frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3 else to_rgb8(frame)
    canvas = cv2.resize(rgb8, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)

    def px(x: float, y: float):
        return int(round(x * scale)), int(round(y * scale))

    for box in np.asarray(reference_boxes if reference_boxes is not None else [], float).reshape(-1, 4):
        cv2.rectangle(canvas, px(box[0], box[1]), px(box[2], box[3]), TRUTH, 1, cv2.LINE_AA)
    for i, (box, poles) in enumerate(zip(detections.boxes, detections.poles)):
        cv2.rectangle(canvas, px(box[0], box[1]), px(box[2], box[3]), BOX, 1, cv2.LINE_AA)
        found = [p for p in poles if np.isfinite(p).all()]
        if len(found) == 2:
            cv2.line(canvas, px(*found[0]), px(*found[1]), POLE, 1, cv2.LINE_AA)
        for point in found:
            cv2.circle(canvas, px(*point), max(2, scale), POLE, -1, cv2.LINE_AA)
        if labels is not None:
            cv2.putText(canvas, str(labels[i]), px(box[0], box[1] - 2), cv2.FONT_HERSHEY_SIMPLEX,
                        0.35 * scale, BOX, 1, cv2.LINE_AA)
    return canvas


class OverlayWriter:
    """``with OverlayWriter(kind, out) as overlay: overlay.write(frame, detections, track_ids)``
    for each frame in order. ``kind``: ``video`` (``overlay.avi``, Motion-JPEG, which Fiji opens
    natively and any player plays), ``frames`` (``overlay/frame_NNNNNN.png``) or ``none``.

    The overlay is written under a temporary name and appears under its final name when the
    ``with`` block ends -- stopped by an exception too, once it holds a frame: a stopped movie
    keeps what was drawn. It then replaces any earlier overlay of either kind (an overwritten run
    must not leave an old one beside the new tables); stopped before its first frame, it leaves
    earlier overlays as they were.
    """

    def __init__(self, kind: str, out: PathLike):
        if kind not in (*OVERLAY_NAMES, "none"):
            raise ValueError(f"unknown overlay kind {kind!r}; choose one of {(*OVERLAY_NAMES, 'none')}")
        self.kind, self.out, self.count = kind, Path(out), 0
        self._staged = AtomicPath(self.out / OVERLAY_NAMES[kind]) if kind in OVERLAY_NAMES else None
        self._video, self._size = None, None

    def __enter__(self) -> "OverlayWriter":
        if self.kind == "frames":
            self._staged.path.mkdir()
        return self

    def write(self, frame: np.ndarray, detections: Detections, track_ids: Sequence[int]) -> None:
        """Draw ``detections`` (labelled with their track ids) on the 8-bit RGB ``frame`` and add it."""
        if self._staged is None:
            return
        image = cv2.cvtColor(draw_detections(frame, detections, [str(i) for i in track_ids],
                                             scale=overlay_scale(frame.shape)),
                             cv2.COLOR_RGB2BGR)
        if self.kind == "frames":
            path = self._staged.path / f"frame_{self.count:06d}.png"
            if not cv2.imwrite(str(path), image, [cv2.IMWRITE_PNG_COMPRESSION, 1]):
                raise OSError(f"OpenCV cannot write {path}")
        else:
            if self._video is None:
                self._size = (image.shape[1], image.shape[0])
                # the frames go in as JPEG files (libjpeg-turbo, through OpenCV) and FFmpeg only
                # stores them: its own Motion-JPEG encoder took four times as long per frame
                self._video = cv2.VideoWriter(str(self._staged.path), cv2.CAP_FFMPEG, cv2.VideoWriter_fourcc(*"MJPG"),
                                              VIDEO_FPS, self._size, [cv2.VIDEOWRITER_PROP_RAW_VIDEO, 1])
                if not self._video.isOpened():
                    raise RuntimeError(f"OpenCV (with FFmpeg) cannot write a Motion-JPEG AVI to {self._staged.path}; "
                                       "write the overlay as PNG frames instead (--overlay frames)")
            if (image.shape[1], image.shape[0]) != self._size:  # a video has one frame size; OpenCV would drop it
                image = cv2.resize(image, self._size, interpolation=cv2.INTER_AREA)
            encoded, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
            if not encoded:
                raise OSError(f"OpenCV cannot encode frame {self.count} of {self._staged.path} as JPEG")
            self._video.write(jpeg.reshape(1, -1))
        self.count += 1

    def __exit__(self, error_type, error, traceback) -> None:
        if self._video is not None:
            self._video.release()
        if error_type is not None and not self.count:
            if self._staged is not None:
                self._staged.discard()
            return
        for kind, name in OVERLAY_NAMES.items():
            if kind != self.kind or not self._staged.path.exists():
                _remove(self.out / name)
        if self._staged is not None and self._staged.path.exists():
            self._staged.commit()


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
