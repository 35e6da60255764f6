"""Reading user inputs: single images, and movies (image folders, TIFF stacks, videos) frame by frame."""
from .contrast import apply_contrast, auto_contrast, contrast_limits
from .images import IMAGE_SUFFIXES, read_image, to_rgb8
from .movies import Movie, open_movie

__all__ = ["IMAGE_SUFFIXES", "Movie", "apply_contrast", "auto_contrast", "contrast_limits", "open_movie",
           "read_image", "to_rgb8"]
