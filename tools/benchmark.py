"""Speed figures for yoloxsp, printed as a table (targets live here, not in timed tests).

    .venv/bin/python tools/benchmark.py synth      # synthetic generator, frames/s per field size
    .venv/bin/python tools/benchmark.py model      # params, GFLOPs, ms/frame (torch, ONNX Runtime)
    .venv/bin/python tools/benchmark.py poles      # cost of the pole branch designs (stride 4 vs 8)
    .venv/bin/python tools/benchmark.py predict    # end to end: a 200-frame 512x512 movie through yoloxsp predict

Each section runs on this machine as it is; run it on an idle machine for numbers you quote.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from yoloxsp.model import SIZES, YoloxSp
from yoloxsp.model.backends import OnnxBackend
from yoloxsp.model.onnx_export import export_onnx
from yoloxsp.synth import SynthConfig, generate, write_movie

THREADS = 2
RESOLUTIONS = (256, 384, 512, 640)


def bench_synth(frames: int) -> None:
    print(f"synthetic generator, {frames} frames per row (render only / render + write all files)")
    print(f"{'size':>9} {'wells':>5} {'render fps':>10} {'write fps':>9}")
    for size in (256, 512):
        for wells in (False, True):
            config = SynthConfig(width=size, height=size, frames=frames, seed=1, wells=wells, pixel_size=0.1,
                                 spindles=4, jpeg_quality=80)
            start = time.perf_counter()
            for _ in generate(config):
                pass
            render = frames / (time.perf_counter() - start)
            with tempfile.TemporaryDirectory() as tmp:
                start = time.perf_counter()
                write_movie(Path(tmp) / "m", config)
                write = frames / (time.perf_counter() - start)
            print(f"{size:>4}x{size:<4} {str(wells):>5} {render:>10.1f} {write:>9.1f}")


def gflops(model: torch.nn.Module, size: int) -> float:
    """Forward FLOPs (2 x multiply-accumulates, as YOLOX reports them) in billions."""
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model.forward_raw(torch.zeros(1, model.config.in_channels, size, size))
    return counter.get_total_flops() / 1e9


def _ms_per_frame(run, repeats: int) -> float:
    run()  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        run()
    return (time.perf_counter() - start) / repeats * 1000


def bench_model(repeats: int) -> None:
    torch.set_num_threads(THREADS)
    print(f"YOLOX-SP (pole stride 4), batch 1, {THREADS} threads, mean of {repeats} runs after one warm-up")
    print(f"{'size':>5} {'input':>5} {'params M':>8} {'GFLOPs':>7} {'torch ms':>8} {'ORT ms':>7} "
          f"{'torch GFLOP/s':>13} {'ORT GFLOP/s':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in SIZES:
            model = YoloxSp(size=name).eval()
            params = sum(p.numel() for p in model.parameters()) / 1e6
            onnx_backend = OnnxBackend(export_onnx(model, Path(tmp) / f"{name}.onnx"), threads=THREADS)
            for size in RESOLUTIONS:
                image = torch.rand(1, 3, size, size) * 255
                flops = gflops(model, size)
                with torch.no_grad():
                    torch_ms = _ms_per_frame(lambda m=model, x=image: m.forward_raw(x), repeats)
                ort_ms = _ms_per_frame(lambda b=onnx_backend, x=image: b.raw(x), repeats)
                print(f"{name:>5} {size:>5} {params:>8.2f} {flops:>7.2f} {torch_ms:>8.1f} {ort_ms:>7.1f} "
                      f"{flops / torch_ms * 1000:>13.1f} {flops / ort_ms * 1000:>11.1f}")


def bench_poles(repeats: int) -> None:
    torch.set_num_threads(THREADS)
    print("pole branch cost at 512 and 640 (GFLOPs of the whole model; share added by the pole head)")
    print(f"{'size':>5} {'input':>5} {'no poles':>8} {'stride 4':>8} {'stride 8':>8}")
    for name in SIZES:
        for size in (512, 640):
            totals = {}
            for stride in (4, 8):
                model = YoloxSp(size=name, pole_stride=stride).eval()
                counter = FlopCounterMode(display=False)
                with counter, torch.no_grad():
                    features = model.backbone(torch.zeros(1, 3, size, size))
                    pyramid = model.neck(features)
                    model.head(pyramid)
                    base = counter.get_total_flops() / 1e9
                totals[stride] = gflops(model, size)
            print(f"{name:>5} {size:>5} {base:>8.2f} {totals[4]:>5.2f} (+{(totals[4] / base - 1) * 100:.0f}%) "
                  f"{totals[8]:>5.2f} (+{(totals[8] / base - 1) * 100:.0f}%)")


def bench_predict(frames: int) -> None:
    """``yoloxsp predict`` on a synthetic TIFF stack, as a user runs it (process start and model
    load included), per backend; also the time of detection alone from its progress bar."""
    import subprocess
    import sys

    from yoloxsp.model.resolve import open_backend

    with tempfile.TemporaryDirectory() as tmp:
        movie = write_movie(Path(tmp) / "movie", SynthConfig(width=512, height=512, frames=frames, seed=5,
                                                             pixel_size=0.1, spindles=4, wells=True))
        onnx_file = export_onnx(open_backend("yoloxsp").model, Path(tmp) / "model.onnx")
        print(f"yoloxsp predict, {frames}-frame 512x512 TIFF stack, default model, {THREADS} threads")
        print(f"{'backend':>8} {'total s':>8} {'frames/s (end to end)':>22}")
        for backend, model in (("torch", "yoloxsp"), ("onnx", str(onnx_file))):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "yoloxsp.cli.main", "predict", str(movie / "stack.tif"), "--out",
                            str(Path(tmp) / backend), "--model", model, "--backend", backend],
                           check=True, capture_output=True)
            seconds = time.perf_counter() - start
            print(f"{backend:>8} {seconds:>8.1f} {frames / seconds:>22.1f}")


SECTIONS = {"synth": bench_synth, "model": bench_model, "poles": bench_poles, "predict": bench_predict}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sections", nargs="*", choices=sorted(SECTIONS), default=sorted(SECTIONS))
    parser.add_argument("--frames", type=int, default=None, help="frames per synth row (50) / predict movie (200)")
    parser.add_argument("--repeats", type=int, default=10, help="timed runs per model row")
    args = parser.parse_args()
    for name in args.sections:
        frames = args.frames or (200 if name == "predict" else 50)
        SECTIONS[name](frames if name in ("synth", "predict") else args.repeats)


if __name__ == "__main__":
    main()
