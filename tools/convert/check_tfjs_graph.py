#!/usr/bin/env python3
"""Check an ONNX file from tfjs_graph_to_onnx.py against TensorFlow.js itself.

The photos under --images are resized to the model's input size and go through both the ONNX
model (onnxruntime) and the original graph model (TensorFlow.js's pure-JS CPU backend, from the
npm registry, installed into --tfjs-dir on first use); the largest difference relative to the
output's scale must stay within --max-rel.

Usage: check_tfjs_graph.py --onnx OUT.onnx --model model.json --output-node NODE --images P...
       [--onnx-output NAME]   (which ONNX output holds NODE, when the file has several)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

from tfjs_graph_to_onnx import placeholder_dims  # the converter beside this script

HERE = Path(__file__).resolve().parent
TFJS = "@tensorflow/tfjs@4.22.0"


def images_under(paths: list[Path]) -> list[Path]:
    out = []
    for p in paths:
        out.extend(sorted(q for q in p.rglob("*") if q.suffix.lower() in {".jpg", ".jpeg", ".png"}) if p.is_dir() else [p])
    return out


def graph_input_size(model_json: Path) -> tuple[int, int]:
    """Height and width of the graph model's input placeholder."""
    for node in json.loads(model_json.read_text())["modelTopology"]["node"]:
        if node["op"] == "Placeholder":
            dims = placeholder_dims(node)
            return dims[1], dims[2]
    raise SystemExit(f"{model_json}: no input placeholder")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--onnx", type=Path, required=True)
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--output-node", required=True)
    ap.add_argument("--onnx-output", help="the ONNX output compared with --output-node (default: the first)")
    ap.add_argument("--images", type=Path, nargs="+", required=True)
    ap.add_argument("--tfjs-dir", type=Path, default=HERE.parent.parent / ".cache" / "tfjs-check")
    ap.add_argument("--max-images", type=int, default=8)
    ap.add_argument("--max-rel", type=float, default=1e-4)
    args = ap.parse_args()

    if not (args.tfjs_dir / "node_modules" / "@tensorflow" / "tfjs").is_dir():
        args.tfjs_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(args.tfjs_dir), TFJS], check=True)

    session = ort.InferenceSession(str(args.onnx), providers=["CPUExecutionProvider"])
    inp = session.get_inputs()[0]
    _, h, w, c = inp.shape
    if not isinstance(h, int) or not isinstance(w, int):
        # A graph converted with --any-size: compared at the original graph's own input size,
        # the only one TensorFlow.js runs it at.
        h, w = graph_input_size(args.model)
    files = images_under(args.images)[: args.max_images]
    x = np.stack([np.asarray(Image.open(f).convert("RGB").resize((w, h), Image.BILINEAR), np.float32) for f in files])
    ours = session.run([args.onnx_output] if args.onnx_output else None, {inp.name: x})[0]
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.bin", Path(tmp) / "out.bin"
        x.tofile(src)
        subprocess.run(
            ["node", str(HERE / "run_tfjs_graph.js"), str(args.model), str(src), str(len(files)), str(h), str(w), str(c), args.output_node, str(dst)],
            check=True,
            env={"NODE_PATH": str(args.tfjs_dir / "node_modules"), "PATH": __import__("os").environ["PATH"]},
            stderr=subprocess.DEVNULL,
        )
        theirs = np.fromfile(dst, np.float32).reshape(ours.shape)
    rel = float(np.abs(ours - theirs).max() / max(np.abs(theirs).max(), 1e-12))
    print(f"  {args.output_node}, {len(files)} photos: max |onnx - tfjs| / max |tfjs| = {rel:.2e} (limit {args.max_rel:.0e})")
    return 0 if rel <= args.max_rel else 1


if __name__ == "__main__":
    sys.exit(main())
