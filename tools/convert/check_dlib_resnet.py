#!/usr/bin/env python3
"""Check an ONNX file from dlib_resnet_to_onnx.py against dlib itself.

Every face that dlib's HOG detector finds in the photos under --images is
landmarked with the 5-point shape predictor and cut out with
dlib.get_face_chip(size=150, padding=0.25).  The same chip goes through dlib's
face_recognition_model_v1 and through the ONNX model with onnxruntime; the
largest difference over all faces must stay within --max-l2.

Usage: python check_dlib_resnet.py --onnx PATH --images PATH [PATH ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import dlib
import numpy as np

from faces_common import CHIP_PADDING, CHIP_SIZE, DlibFaces, OnnxEmbedder, list_images, load_rgb

# dlib and onnxruntime sum in different orders; on real faces the descriptors
# (norm ~1) agree to ~1e-6, so 1e-4 still catches any real conversion error.
DEFAULT_MAX_L2 = 1e-4


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--onnx", required=True, type=Path)
    parser.add_argument("--images", required=True, type=Path, nargs="+",
                        help="photos, or directories searched recursively for jpg/png photos")
    parser.add_argument("--max-l2", type=float, default=DEFAULT_MAX_L2,
                        help=f"largest allowed L2 distance per face (default {DEFAULT_MAX_L2:g})")
    args = parser.parse_args()

    embed = OnnxEmbedder(args.onnx)
    faces = DlibFaces()
    images = list_images(args.images)
    chips, reference = [], []
    for path in images:
        img = load_rgb(path)
        for shape in faces.detect(img):
            chip = dlib.get_face_chip(img, shape, size=CHIP_SIZE, padding=CHIP_PADDING)
            chips.append(chip)
            # The aligned-chip overload, so both sides see exactly the same pixels.
            reference.append(np.array(faces.recognizer.compute_face_descriptor(chip)))
    if not chips:
        print(f"error: no faces found in {len(images)} images", file=sys.stderr)
        return 1

    diff = embed(chips).astype(np.float64) - np.stack(reference)
    l2 = np.linalg.norm(diff, axis=1)
    ok = l2.max() <= args.max_l2
    print(f"{len(chips)} faces in {len(images)} images: max |diff| {np.abs(diff).max():.3g}, "
          f"max L2 {l2.max():.3g}, mean L2 {l2.mean():.3g} "
          f"(tolerance {args.max_l2:g}) -> {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
