"""``yoloxsp export``: write a model as ONNX (batch, height and width dynamic)."""
from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser("export", help="export a model to ONNX", description=__doc__.split(":", 1)[1].strip())
    p.add_argument("--model", required=True, help="weights file, model folder, or 'yoloxsp' (bundled)")
    p.add_argument("--out", required=True, help="output .onnx file")
    p.add_argument("--opset", type=int, help="ONNX opset (default: the one yoloxsp's ONNX tests run with)")
    p.set_defaults(run=run)


def run(args) -> int:
    from ..model.config import INPUT_CHANNELS, NUM_CLASSES
    from ..model.onnx_export import DEFAULT_OPSET, export_onnx  # imported here: other commands skip torch
    from ..model.resolve import open_backend

    opset = args.opset or DEFAULT_OPSET
    model = open_backend(args.model, "torch").model
    path = export_onnx(model, args.out, opset=opset)
    print(f"wrote {path} (opset {opset}, inputs images[B,{INPUT_CHANNELS},H,W]; "
          f"outputs boxes[B,N,{9 + NUM_CLASSES}], poles[B,3,H/{model.config.pole_stride},"
          f"W/{model.config.pole_stride}])")
    return 0
