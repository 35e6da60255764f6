"""Packaging for yoloxsp.

The core (reading inputs, datasets, model, post-processing, CLI) installs with plain pip.
The EasyCV training stack is the ``easycv`` extra; two of its steps cannot be written as pip
requirements (building mmcv-full without build isolation, and pai-easycv without its
over-tight pins), so ``tools/setup_env.sh`` performs them. See README "Install".
"""
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent

# Inference: the bundled model runs in ONNX Runtime, and preprocessing and decoding are numpy, so
# `yoloxsp predict`/`eval`/`demo` never import torch. torch stays a core dependency because the
# mission's call needs it: ModelScope's pipeline module (modelscope.pipelines.base) imports
# modelscope.utils.torch_utils, which imports torch at its top, and the model classes are torch
# modules. Any build does (setup_env.sh core takes the CPU one); torchvision is for training only.
CORE = [
    "torch>=2.1",
    "numpy",
    "opencv-python-headless>=4.9",  # the overlay video stores encoded JPEG frames (VIDEOWRITER_PROP_RAW_VIDEO)
    "tifffile",
    "scipy",
    "pycocotools",
    "lxml",
    "onnx",
    "onnxruntime",
    "tqdm",
    "wrapt",  # post-import hook: ModelScope registrations without importing modelscope eagerly
    "matplotlib",
    "pillow",
    "modelscope",
    "addict",  # modelscope's config module imports it but modelscope does not declare it
    "simplejson",  # modelscope's JSON loader (pipeline(...) reads configuration.json with it); not declared either
    "datasets",
    "huggingface-hub",
    "pandas",
    "motmetrics",
    # Microscope vendors' files (yoloxsp.io.microscope): bioio with its Nikon ND2, Zeiss CZI, Leica LIF
    # and DeltaVision DV reader plugins (they bring the nd2, pylibCZIrw, liffile and mrc packages)
    "bioio",
    "bioio-nd2",
    "bioio-czi",
    "bioio-lif",
    "bioio-dv",
]

# Modules pai-easycv 0.11.7 really imports on the detection/training path. pai-easycv itself is
# installed with --no-deps by tools/setup_env.sh because its own pins (shapely==1.8.4, decord,
# nuscenes-devkit, ...) have no Python 3.11 wheels.
EASYCV = [
    "torchvision>=0.16",
    "mmcv-full==1.7.2",
    "timm==0.5.4",
    "fvcore",
    "scikit-learn",
    "shapely>=2",
    "pyclipper",
    "rapidfuzz",
    "prettytable",
    "pytorch-metric-learning",
    "transformers",
    "xtcocotools",
    "imgaug",
    "json_tricks",
    "jsonplus",
    "lmdb",
    "wget",
    "future",
    "yacs",
    "thop",
    "seaborn",
    "h5py",
    "einops",
    "scikit-image",
    "yapf",
    "cityscapesscripts",  # imported by easycv at import time; pip-installed by easycv itself if missing
]

# `yoloxsp batch --scheduler ADDRESS` runs on a Dask distributed cluster; the local process pool
# needs neither, so they stay out of the core install.
CLUSTER = ["dask", "distributed"]
DEMO = ["gradio"]
# pytrackmate reads the TrackMate XML export back (the tests' stand-in for Fiji); trackpy's linking is
# the reference the track linker is compared with
# mrc (DeltaVision) and pylibCZIrw (Zeiss CZI) also write the files the reader tests read back
TEST = ["pytest", "hypothesis", "pytrackmate", "trackpy", "mrc", "pylibczirw"] + DEMO + CLUSTER
BROWSER = ["playwright"]  # the demo app's browser test (it drives Debian's chromium)

setup(
    name="yoloxsp",
    version="0.1.0",
    description="YOLOX-SP spindle and spindle-pole detection for S. pombe microscopy, "
    "as a ModelScope / EasyCV plugin",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.9",
    package_dir={"": "modelscope_plugin"},
    packages=find_packages("modelscope_plugin"),
    include_package_data=True,
    package_data={"yoloxsp": ["assets/default_model/*"]},
    install_requires=CORE,
    extras_require={"easycv": EASYCV, "cluster": CLUSTER, "demo": DEMO, "test": TEST,
                    "browser": BROWSER},
    entry_points={"console_scripts": ["yoloxsp = yoloxsp.cli.main:main"]},
)
