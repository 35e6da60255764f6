"""Synthetic training frames rendered on demand: the ``synthetic:train`` data source.

Frame ``i`` of the source is one field drawn by :func:`~yoloxsp.synth.looks.training_config`
from seed ``first_seed + i`` (or, when that draw's cells do not fit its field, from the seeds
``count`` apart after it; the record names the seed used) (a random look, microscope and field; the spindles at random phases)
and rendered when first asked for (fields drawn at pixels finer than the model's scale shrunk to
it, :mod:`yoloxsp.data.scale`), so training needs no files on disk and anyone can regenerate
exactly the frames a model saw. Rendered frames are kept in memory (each data-loader worker keeps
its own), so every epoch after the first costs no rendering.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Mapping, Optional, Sequence, Tuple

import numpy as np

from ..data.records import FrameRecord, scaled_spindle
from ..data.scale import to_model_scale
from .looks import look_counts, training_config
from .movie import generate
from .scene import CrowdedFieldError

SOURCE_PREFIX = "synthetic:"
RETRIES = 5


class SyntheticFrames:
    """A :class:`~yoloxsp.data.dataset.FrameSource` of ``count`` generated single-frame fields.

    ``exclude`` names looks never drawn (leave-one-look-out training); ``look_weights`` draws a
    look that many times as often as the others (see :func:`~yoloxsp.synth.looks.training_config`).
    """

    def __init__(self, count: int, first_seed: int = 0, exclude: Sequence[str] = (),
                 look_weights: Optional[Mapping[str, int]] = None):
        if count < 1:
            raise ValueError(f"a synthetic source needs at least one frame (got {count})")
        self.count, self.first_seed, self.exclude = count, first_seed, tuple(exclude)
        look_counts(self.exclude, look_weights)  # bad looks and weights fail here, not in a data-loader worker
        self.look_weights = dict(look_weights or {})
        self._cache: Dict[int, Tuple[np.ndarray, FrameRecord]] = {}

    def __len__(self) -> int:
        return self.count

    def load(self, index: int) -> Tuple[np.ndarray, FrameRecord]:
        if not 0 <= index < self.count:
            raise IndexError(f"frame {index} of a {self.count}-frame synthetic source")
        if index not in self._cache:
            self._cache[index] = self._render(self.first_seed + index)
        return self._cache[index]

    def _render(self, slot: int) -> Tuple[np.ndarray, FrameRecord]:
        for attempt in range(RETRIES):
            seed = slot + attempt * self.count
            config = training_config(seed, frames=1, exclude=self.exclude, weights=self.look_weights)
            try:
                frame = next(iter(generate(config)))
                break
            except CrowdedFieldError:  # a draw whose cells do not fit: the slot's next seed
                continue
        else:
            raise ValueError(f"no field of synthetic slot {slot} fits after {RETRIES} draws")
        image, (sx, sy) = to_model_scale(frame.image, config.pixel_size)  # as inference shrinks fine pixels
        record = FrameRecord(Path(f"{SOURCE_PREFIX}seed-{seed}"), image.shape[1], image.shape[0], 0,
                             [scaled_spindle(row.spindle, sx, sy) for row in frame.truth], task=f"seed-{seed}")
        return image, record
