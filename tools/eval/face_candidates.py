#!/usr/bin/env python3
"""Compare face embedders (and their fusions) on a labelled photo set, with Glint's detections.

Issue 13 asks for the face representation to be chosen by measurement. Glint's Rust harness
(`glint eval retrieval --route face`) measures the shipped embedder; this script measures
candidates side by side on the same detections, so a candidate is only wired into Glint once it
has earned it:

    glint faces --json ../shared/eval/faces_celeba_dev/images/*.jpg > /tmp/celeba_faces.jsonl
    python3 tools/eval/face_candidates.py --set ../shared/eval/faces_celeba_dev \
        --faces /tmp/celeba_faces.jsonl --model faceres=models/face/hse_faceres.onnx ...

Each `--model NAME=FILE.onnx` is one of the known kinds below (by NAME prefix); `--flip` also
scores every model with test-time flip augmentation (the mean of the chip's and its mirror's
vectors); every pair of models is also scored fused (the mean of their two cosines, which is the
cosine of the two unit vectors joined and scaled by 1/sqrt(2)).

Protocol (the same as `glint eval retrieval --route face`): every face of every photo is
indexed; the query is the largest face of each photo; a photo's score is its best face's
cosine; recall@1, mAP over the photos of the query's person; open set: the threshold at which at
most 5% of queries have a photo of another person above it (FPIR), and TPIR there (top photo
right and above the threshold).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

# Where the five landmarks go in each kind's chip (left eye, right eye, nose, mouth corners).
ARCFACE_112 = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    dtype=np.float32,
)
DLIB_150 = np.array(
    [[46.4366, 44.7465], [100.9414, 44.8938], [73.5747, 77.1151], [48.3937, 101.4751], [99.5476, 101.26]],
    dtype=np.float32,
)


def faceres_template(context: float = 1.3) -> np.ndarray:
    scale = 224 / 112 / context
    offset = 112 * (1 - 1 / context)
    return ARCFACE_112 * scale + offset


# kind -> (chip side, template, layout, preprocessing)
KINDS = {
    "faceres": (224, faceres_template(), "nhwc", lambda x: x),
    "dlib": (150, DLIB_150, "nchw", lambda x: x),
    # dlib's network on chips cut by dlib's own 5-point shape predictor run on MTCNN's box
    # (face_recognition's alignment), to see what our landmark alignment costs.
    "dlib5": (150, None, "nchw", lambda x: x),
    "mobilefacenet": (112, ARCFACE_112, "nhwc", lambda x: (x - 127.5) / 128.0),
    "mobileface": (112, ARCFACE_112, "nhwc", lambda x: (x - 127.5) / 128.0),
}


def kind_of(name: str) -> str:
    for k in sorted(KINDS, key=len, reverse=True):
        if name.startswith(k):
            return k
    raise SystemExit(f"unknown model kind for {name!r} (known prefixes: {', '.join(KINDS)})")


def similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (Umeyama) taking src points to dst points, as a 2x3 matrix."""
    sm, dm = src.mean(0), dst.mean(0)
    s, d = src - sm, dst - dm
    cov = d.T @ s / len(src)
    u, sig, vt = np.linalg.svd(cov)
    sign = np.sign(np.linalg.det(u @ vt))
    e = np.diag([1.0, sign])
    r = u @ e @ vt
    scale = (sig * np.diag(e)).sum() / s.var(0).sum()
    m = np.zeros((2, 3), np.float32)
    m[:, :2] = scale * r
    m[:, 2] = dm - scale * r @ sm
    return m


_PREDICTOR = None


def dlib_chips(rgb: np.ndarray, faces: list[dict]) -> np.ndarray:
    global _PREDICTOR
    import dlib

    if _PREDICTOR is None:
        import importlib.util

        models = Path(importlib.util.find_spec("face_recognition_models").origin).parent / "models"
        _PREDICTOR = dlib.shape_predictor(str(models / "shape_predictor_5_face_landmarks.dat"))
    out = []
    for f in faces:
        b = f["bbox"]
        rect = dlib.rectangle(int(b["x"]), int(b["y"]), int(b["x"] + b["w"]), int(b["y"] + b["h"]))
        shape = _PREDICTOR(rgb, rect)
        out.append(dlib.get_face_chip(rgb, shape, size=150, padding=0.25))
    return np.stack(out).astype(np.float32)


class Embedder:
    def __init__(self, name: str, path: str):
        self.name = name
        self.kind = kind_of(name)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 2
        self.sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
        self.input = self.sess.get_inputs()[0].name
        self.output = self.sess.get_outputs()[0].name

    def chips(self, rgb: np.ndarray, faces: list[dict]) -> np.ndarray:
        side, template, _, _ = KINDS[self.kind]
        if self.kind == "dlib5":
            return dlib_chips(rgb, faces)
        out = []
        for f in faces:
            pts = np.array([[p["x"], p["y"]] for p in f["landmarks"]], np.float32)
            m = similarity(pts, template)
            out.append(cv2.warpAffine(rgb, m, (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE))
        return np.stack(out).astype(np.float32)

    def embed(self, chips: np.ndarray) -> np.ndarray:
        _, _, layout, pre = KINDS[self.kind]
        x = pre(chips)
        if layout == "nchw":
            x = x.transpose(0, 3, 1, 2)
        v = self.sess.run([self.output], {self.input: np.ascontiguousarray(x, dtype=np.float32)})[0]
        v = v.reshape(len(chips), -1)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def evaluate(vectors: np.ndarray, photo_of_face: np.ndarray, queries: np.ndarray, groups: np.ndarray) -> dict:
    """Figures for one representation: `vectors` (faces x d, unit rows, compared by cosine),
    each face's photo, the query face of each photo (-1 when none) and each photo's group."""
    return evaluate_scores(vectors[queries[queries >= 0]] @ vectors.T, photo_of_face, queries, groups)


def evaluate_scores(sims: np.ndarray, photo_of_face: np.ndarray, queries: np.ndarray, groups: np.ndarray) -> dict:
    """Figures from query-by-face scores (higher is closer), one row per photo with a query."""
    n_photos = len(groups)
    r1, aps, best_right, best_wrong, top_right = [], [], [], [], []
    for row, p in zip(sims, np.nonzero(queries >= 0)[0]):
        photo_score = np.full(n_photos, -np.inf)
        np.maximum.at(photo_score, photo_of_face, row)
        photo_score[p] = -np.inf
        order = np.argsort(-photo_score, kind="stable")
        order = order[np.isfinite(photo_score[order])]
        rel = groups[order] == groups[p]
        total = (groups == groups[p]).sum() - 1
        if total == 0:
            continue
        r1.append(bool(rel[0]))
        hits = np.cumsum(rel)
        aps.append(float((hits[rel] / (np.nonzero(rel)[0] + 1)).sum() / total))
        wrong = photo_score[order][~rel]
        best_wrong.append(wrong[0] if len(wrong) else -1.0)
        top_right.append(bool(rel[0]))
        best_right.append(photo_score[order[0]])
    best_wrong = np.array(best_wrong)
    # The lowest threshold with FPIR <= 5% (scores strictly above it count).
    threshold = float(np.quantile(best_wrong, 0.95, method="higher"))
    tpir = float(np.mean([t and s > threshold for t, s in zip(top_right, best_right)]))
    fpir = float(np.mean(best_wrong > threshold))
    return {
        "queries": len(r1),
        "recall@1": float(np.mean(r1)),
        "mAP": float(np.mean(aps)),
        "threshold": threshold,
        "TPIR": tpir,
        "FPIR": fpir,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", type=Path, required=True)
    ap.add_argument("--faces", type=Path, required=True, help="JSON lines of `glint faces --json`")
    ap.add_argument("--model", action="append", required=True, help="NAME=FILE.onnx")
    ap.add_argument("--flip", action="store_true")
    ap.add_argument("--min-side", type=float, default=20.0, help="faces smaller are not embedded (as ingest)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--save", type=Path, help="also save every representation's vectors here (.npz)")
    ap.add_argument("--weights", help="comma-separated weights of the first model in a fusion of the first two models (e.g. 0.5,0.7)")
    args = ap.parse_args()

    groups_by_path = {}
    with open(args.set / "groundtruth.csv") as f:
        for row in csv.DictReader(f):
            groups_by_path[str((args.set / row["path"]).resolve())] = row["group_id"]
    photos, faces_of = [], []
    for line in open(args.faces):
        d = json.loads(line)
        key = str(Path(d["path"]).resolve())
        if key not in groups_by_path:
            continue
        photos.append(key)
        faces_of.append([f for f in d["faces"] if min(f["bbox"]["w"], f["bbox"]["h"]) >= args.min_side])
    groups = np.array([groups_by_path[p] for p in photos])
    photo_of_face = np.array([i for i, fs in enumerate(faces_of) for _ in fs])
    queries = np.full(len(photos), -1)
    offset = 0
    for i, fs in enumerate(faces_of):
        if fs:
            queries[i] = offset + int(np.argmax([f["bbox"]["w"] * f["bbox"]["h"] for f in fs]))
        offset += len(fs)
    print(f"{len(photos)} photos, {len(photo_of_face)} faces, {int((queries < 0).sum())} photos without a face", file=sys.stderr)

    embedders = [Embedder(*m.split("=", 1)) for m in args.model]
    plain = {e.name: [] for e in embedders}
    flipped = {e.name: [] for e in embedders}
    for path, fs in zip(photos, faces_of):
        if not fs:
            continue
        rgb = cv2.cvtColor(cv2.imread(path), cv2.COLOR_BGR2RGB)
        for e in embedders:
            chips = e.chips(rgb, fs)
            plain[e.name].append(e.embed(chips))
            if args.flip:
                flipped[e.name].append(e.embed(chips[:, :, ::-1, :].copy()))
    reps = {}
    for e in embedders:
        v = np.concatenate(plain[e.name])
        reps[e.name] = v
        if args.flip:
            f = v + np.concatenate(flipped[e.name])
            reps[e.name + "+flip"] = f / np.linalg.norm(f, axis=1, keepdims=True)
    names = list(reps)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            if a.split("+")[0] != b.split("+")[0] and a.endswith("+flip") == b.endswith("+flip"):
                reps[f"{a} & {b}"] = np.concatenate([reps[a], reps[b]], axis=1) / np.sqrt(2)

    if args.weights:
        for flip in ("", "+flip") if args.flip else ("",):
            a, b = embedders[0].name + flip, embedders[1].name + flip
            for w in (float(x) for x in args.weights.split(",")):
                reps[f"{w:.2f}*{a} & {1 - w:.2f}*{b}"] = np.concatenate([np.sqrt(w) * reps[a], np.sqrt(1 - w) * reps[b]], axis=1)
    if args.save:
        np.savez(args.save, photo_of_face=photo_of_face, queries=queries, groups=groups, **{k: v for k, v in reps.items() if "&" not in k})
    results = {}
    print(f"{'representation':40} {'r@1':>6} {'mAP':>6} {'thr':>6} {'TPIR':>6} {'FPIR':>6}")
    for name, v in reps.items():
        r = evaluate(v, photo_of_face, queries, groups)
        results[name] = r
        print(f"{name:40} {r['recall@1']:6.3f} {r['mAP']:6.3f} {r['threshold']:6.3f} {r['TPIR']:6.3f} {r['FPIR']:6.3f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
