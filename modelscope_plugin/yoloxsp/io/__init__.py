"""Reading user inputs: image files now; TIFF stacks and videos build on the same helpers."""
from .images import (IMAGE_SUFFIXES, apply_contrast, auto_contrast, contrast_limits, read_image,
                     to_rgb8)

__all__ = ["IMAGE_SUFFIXES", "apply_contrast", "auto_contrast", "contrast_limits", "read_image", "to_rgb8"]
