"""Natural order of file names: ``frame_2`` before ``frame_10``, case ignored.

Microscopes, CVAT and users number frames and tasks without zero padding, so a plain string sort
would put frame 10 before frame 2.
"""
from __future__ import annotations

import re
from pathlib import PurePath
from typing import List, Union


def natural_key(path: Union[str, PurePath]) -> List[Union[int, str]]:
    """Sort key of a file name (the last part of ``path``): digit runs compare as numbers."""
    name = path.name if isinstance(path, PurePath) else str(path)
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]
