"""Speed figures for yoloxsp, and what a few-shot fine-tune buys, printed as tables (targets live
here, not in timed tests).

    .venv/bin/python tools/benchmark.py synth      # synthetic generator, frames/s per field size
    .venv/bin/python tools/benchmark.py model      # params, GFLOPs, ms/frame (torch, ONNX Runtime)
    .venv/bin/python tools/benchmark.py poles      # cost of the pole branch designs (stride 4 vs 8)
    .venv/bin/python tools/benchmark.py predict    # end to end: a 200-frame 512x512 movie through yoloxsp predict,
                                                   # against the model-only ceiling measured in the same run
    .venv-core/bin/python tools/benchmark.py startup  # yoloxsp predict (defaults) on one small image, wall and CPU time
    .venv/bin/python tools/benchmark.py batch      # yoloxsp batch: movies per minute with 1 and 2 local workers
    .venv/bin/python tools/benchmark.py contrast   # 16-bit contrast limits, ms per 2-channel frame, with and
                                                   # without a dead cell, against plain percentiles
    .venv/bin/python tools/benchmark.py fewshot    # what fine-tuning on 5, 10, 20 annotated frames of a look no
                                                   # training draws buys on that look's held-out frames
                                                   # (--looks, --shots, --model, --set KEY=VALUE recipe overrides)

Each section runs on this machine as it is; run it on an idle machine for numbers you quote.
"""
from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from yoloxsp.io.contrast import contrast_limits
from yoloxsp.model import SIZES, YoloxSp
from yoloxsp.model.backends import OnnxBackend
from yoloxsp.model.config import INPUT_CHANNELS
from yoloxsp.model.onnx_export import export_onnx
from yoloxsp.synth import SynthConfig, generate, write_movie
from yoloxsp.synth.looks import look_config

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
        model.forward_raw(torch.zeros(1, INPUT_CHANNELS, size, size))
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
                ort_ms = _ms_per_frame(lambda b=onnx_backend, x=image.numpy(): b.raw(x), repeats)
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


def _predict_times(image: Path, out: Path, *options: str) -> tuple:
    """Wall and CPU (user + system) seconds of one ``yoloxsp predict`` process. CPU time is the figure
    that holds when other jobs share the machine: wall time then includes waiting for a core."""
    import resource
    import subprocess
    import sys

    def children_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    start, cpu = time.perf_counter(), children_cpu()
    subprocess.run([sys.executable, "-m", "yoloxsp.cli.main", "predict", str(image), "--out", str(out), "--overwrite",
                    *options],
                   check=True, capture_output=True)
    return time.perf_counter() - start, children_cpu() - cpu


def _ceiling_fps(movie: Path) -> float:
    """Frames/s of the bundled ONNX model alone (ONNX Runtime, one frame per core, as predict runs it) on
    the movie's own frames, already read and prepared: what no end-to-end run can beat."""
    from yoloxsp.io import open_movie
    from yoloxsp.model.preprocess import prepare_batch
    from yoloxsp.model.resolve import open_backend

    backend = open_backend("yoloxsp", "onnx")
    frames = list(open_movie(movie).frames())
    batches = [prepare_batch(frames[i:i + backend.parallel_frames]).images
               for i in range(0, len(frames), backend.parallel_frames)]
    backend.raw(batches[0])  # warm-up
    start = time.perf_counter()
    for images in batches:
        backend.raw(images)
    return len(frames) / (time.perf_counter() - start)


def bench_predict(frames: int, rounds: int) -> None:
    """``yoloxsp predict`` on a synthetic TIFF stack, as a user runs it (process start and model
    load included): with no options (the default backend), with the network's poles as ends (what
    fitting the ends costs; ``--channels 0``: the tubulin channel alone, where every end is fitted
    rather than taken from an SPB dot), with confirmed tracks off (what they cost), and with each backend named.
    ``rounds`` rounds of every run, interleaved with the ceiling, and medians: a shared machine's
    speed drifts by tens of percent over minutes, which one run each would read as differences."""
    with tempfile.TemporaryDirectory() as tmp:
        movie = write_movie(Path(tmp) / "movie", SynthConfig(width=512, height=512, frames=frames, seed=5,
                                                             pixel_size=0.1, spindles=4, wells=True))
        stack = movie / "stack.tif"
        runs = {"default": (), "--ends model": ("--ends", "model"), "--channels 0": ("--channels", "0"),
                "--channels 0 --ends model": ("--channels", "0", "--ends", "model"),
                "--track-threshold 1": ("--track-threshold", "1"), "--backend onnx": ("--backend", "onnx"),
                "--backend torch": ("--backend", "torch")}
        ceilings, times = [], {name: [] for name in runs}
        for _ in range(rounds):
            ceilings.append(_ceiling_fps(stack))
            for name, options in runs.items():
                times[name].append(_predict_times(stack, Path(tmp) / name.strip("-").replace(" ", "_"), *options))
        ceiling = float(np.median(ceilings))
        print(f"yoloxsp predict, {frames}-frame 512x512 TIFF stack, bundled model, medians of {rounds} round(s); "
              f"model-only ceiling (ONNX Runtime, one frame per core): {ceiling:.1f} frames/s")
        print(f"{'run':>26} {'total s':>8} {'CPU s':>7} {'frames/s':>9} {'of ceiling':>10}")
        medians = {}
        for name, measured in times.items():
            seconds, cpu = (float(np.median(column)) for column in zip(*measured))
            medians[name] = seconds
            fps = frames / seconds
            print(f"{name:>26} {seconds:>8.1f} {cpu:>7.1f} {fps:>9.1f} {fps / ceiling:>9.0%}")
        for fitted, kept in (("default", "--ends model"), ("--channels 0", "--channels 0 --ends model")):
            print(f"fitting the ends adds {medians[fitted] / medians[kept] - 1:+.0%} to {fitted} "
                  f"(against {kept})")


def bench_startup(repeats: int) -> None:
    """Wall and CPU time of ``yoloxsp predict`` with its defaults on one small image: process start,
    imports, model load, one frame, outputs. Medians of ``repeats`` runs after one warm-up run, on a
    128x128 noise image (no spindles: the issue's figure) and on the sample movie's first frame
    (spindles: lengths and overlay drawn too)."""
    import statistics

    import cv2

    from yoloxsp.io import open_movie, to_rgb8

    sample = to_rgb8(next(iter(open_movie(Path(__file__).resolve().parents[1] / "res/sample/stack.tif").frames())))
    images = {"128x128 noise": np.random.default_rng(0).integers(0, 60, (128, 128, 3), np.uint8),
              "sample frame 0 (256x256)": sample[..., ::-1]}
    with tempfile.TemporaryDirectory() as tmp:
        for name, pixels in images.items():
            image = Path(tmp) / "frame.png"
            cv2.imwrite(str(image), pixels)
            _predict_times(image, Path(tmp) / "warm-up", "--overwrite")
            walls, cpus = zip(*(_predict_times(image, Path(tmp) / f"run{i}", "--overwrite") for i in range(repeats)))
            print(f"yoloxsp predict start-up, one {name} image, defaults: median {statistics.median(walls):.2f} s "
                  f"(min {min(walls):.2f} s, {repeats} runs); CPU median {statistics.median(cpus):.2f} s")


def bench_batch(movies: int) -> None:
    """``yoloxsp batch`` over ``movies`` synthetic 20-frame 256x256 TIFF stacks (two conditions),
    bundled model on ONNX Runtime, with 1 and 2 local worker processes; process starts and model
    loads included."""
    import subprocess
    import sys

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rows = ["path,condition"]
        for i in range(movies):
            write_movie(root / f"m{i}", SynthConfig(width=256, height=256, frames=20, seed=100 + i, pixel_size=0.1,
                                                    spindles=3))
            rows.append(f"m{i}/stack.tif,{'A' if i % 2 else 'B'}")
        (root / "manifest.csv").write_text("\n".join(rows) + "\n")
        print(f"yoloxsp batch, {movies} movies of 20 frames 256x256, bundled model on ONNX Runtime, {THREADS} cores")
        print(f"{'workers':>8} {'total s':>8} {'movies/min':>11}")
        for workers in (1, 2):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "yoloxsp.cli.main", "batch", str(root / "manifest.csv"), "--out",
                            str(root / f"out{workers}"), "--backend", "onnx",
                            "--workers", str(workers), "--quiet"], check=True, capture_output=True)
            seconds = time.perf_counter() - start
            print(f"{workers:>8} {seconds:>8.1f} {movies * 60 / seconds:>11.1f}")


def bench_contrast(repeats: int) -> None:
    print("contrast limits of a raw 2-channel 16-bit field (two-colour-raw look), ms per frame")
    print(f"{'size':>5} {'frame':>12} {'np.percentile':>13} {'contrast_limits':>15}")
    for size in (512, 2048):
        config = dataclasses.replace(look_config("two-colour-raw", 7, 1), width=size, height=size)
        frame = np.moveaxis(next(generate(config)).counts, 0, -1).copy()
        rows, cols = np.mgrid[:size, :size]
        dead_cell = frame.copy()
        dead_cell[np.hypot(cols - 0.8 * size, rows - 0.2 * size) < 1.0 / config.pixel_size] += 3000
        for name, image in (("as rendered", frame), ("a dead cell", dead_cell)):
            plain = _ms_per_frame(lambda: [np.percentile(image[..., c], (0.5, 99.99)) for c in range(2)], repeats)
            limits = _ms_per_frame(lambda: contrast_limits(image, pixel_size=config.pixel_size), repeats)
            print(f"{size:>5} {name:>12} {plain:>13.1f} {limits:>15.1f}")


FEWSHOT_KEYS = {"det_F1@0.5": "F1", "long_recall@0.5": "long-spindle recall", "bbox_AP": "box AP",
                "pole_median_error_px": "pole error px"}


def _finetune(model: str, train: Path, work: Path, options: dict) -> Path:
    """The README's fine-tune: the bundled recipe from ``model``'s weights on a CVAT export, no
    validation data given (the trainer holds one frame out and keeps the best epoch by it).
    Returns the kept model folder."""
    import yoloxsp  # noqa: F401  (registers the trainer)
    from modelscope.trainers import build_trainer

    from yoloxsp.metainfo import Trainers
    from yoloxsp.model.resolve import model_path

    trainer = build_trainer(Trainers.easycv, dict(model=str(model_path(model)), train_dataset=str(train),
                                                  work_dir=str(work), cfg_options=options))
    trainer.train()
    return work / "output_best"


def bench_fewshot(model: str, looks: list, shots: list, options: dict) -> None:
    """Per look of ``looks`` (those no training draws, by default): the model's scores on the look's
    held-out movies (``synthetic:look:NAME``, 48 frames), then, for each number of frames in
    ``shots``, the scores of the model fine-tuned on that many annotated fields of the look
    (``write_fields_task``: seeds no held-out movie uses) with the README's call, and the fine-tune's
    wall time, as markdown table rows (the README's table). Scored with the network's poles (torch
    backend), as the trainer scores."""
    from yoloxsp.metrics import evaluate_records
    from yoloxsp.metrics.sources import LOOK_PREFIX, open_eval_set
    from yoloxsp.model.backends import Predictor
    from yoloxsp.model.resolve import model_path, open_backend
    from yoloxsp.synth.sets import write_fields_task

    def scores(folder, data) -> dict:
        return evaluate_records(Predictor(open_backend(str(folder), backend="torch")), data.records, data.pixel_sizes,
                                progress=False)

    print(f"fine-tuning {model} on N annotated fields of a look, scored on the look's held-out frames; "
          f"the README's call (no validation data: one frame held out){', ' if options else ''}"
          + " ".join(f"{k}={v}" for k, v in options.items()), flush=True)
    print("| look | frames | " + " | ".join(FEWSHOT_KEYS.values()) + " | fine-tune min |")
    print("|---|---|" + "---|" * len(FEWSHOT_KEYS) + "---|", flush=True)
    for look in looks:
        with open_eval_set(LOOK_PREFIX + look) as data, tempfile.TemporaryDirectory() as tmp:
            before = scores(model_path(model), data)
            for n in shots:
                start = time.perf_counter()
                tuned = _finetune(model, write_fields_task(Path(tmp) / f"fields{n}", look, n), Path(tmp) / f"work{n}",
                                  options)
                minutes = (time.perf_counter() - start) / 60
                after = scores(tuned, data)
                cells = [f"{before[key]:.3f} -> {after[key]:.3f}" for key in FEWSHOT_KEYS]
                print(f"| {look} | {n} | " + " | ".join(cells) + f" | {minutes:.1f} |", flush=True)


SECTIONS = {"synth": bench_synth, "model": bench_model, "poles": bench_poles, "predict": bench_predict,
            "startup": bench_startup, "batch": bench_batch, "contrast": bench_contrast, "fewshot": bench_fewshot}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sections", nargs="*", choices=sorted(SECTIONS),
                        default=sorted(set(SECTIONS) - {"fewshot"}))  # fewshot trains: tens of minutes
    parser.add_argument("--frames", type=int, default=None, help="frames per synth row (50) / predict movie (200)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed runs per model row / start-up (10), rounds of the predict runs (3)")
    parser.add_argument("--movies", type=int, default=8, help="movies in the batch section")
    parser.add_argument("--model", default="yoloxsp", help="fewshot: the model to fine-tune")
    parser.add_argument("--looks", nargs="+", default=None,
                        help="fewshot: looks (default: every one no training draws; a training look measures harm)")
    parser.add_argument("--shots", nargs="+", type=int, default=[5, 10, 20], help="fewshot: frames to fine-tune on")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="fewshot: fine-tuning recipe override, as yoloxsp train --set takes it")
    args = parser.parse_args()
    for name in args.sections:
        frames = args.frames or (200 if name == "predict" else 50)
        if name == "batch":
            bench_batch(args.movies)
            continue
        if name == "fewshot":
            from yoloxsp.cli.train import parse_set_options
            from yoloxsp.synth.looks import UNSEEN_LOOKS

            bench_fewshot(args.model, args.looks or list(UNSEEN_LOOKS), args.shots, parse_set_options(args.set))
            continue
        if name == "predict":
            bench_predict(frames, args.repeats or 3)
            continue
        SECTIONS[name](frames if name == "synth" else args.repeats or 10)


if __name__ == "__main__":
    main()
