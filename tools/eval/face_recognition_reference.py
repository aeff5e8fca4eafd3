#!/usr/bin/env python3
"""The reference of issue 13: `face_recognition` 1.3 (dlib's HOG detector, 5-point alignment and
ResNet) on a labelled photo set, scored with the protocol of `face_candidates.py` (every face
indexed, largest face per photo as the query, L2 distance as dlib intends).

Not part of Glint: run it in a throw-away virtualenv, e.g.

    python3 -m venv /tmp/frvenv
    /tmp/frvenv/bin/pip install face_recognition==1.3.0 --no-deps
    /tmp/frvenv/bin/pip install dlib-bin face_recognition_models numpy pillow click opencv-python-headless
    /tmp/frvenv/bin/python tools/eval/face_recognition_reference.py --set ../shared/eval/faces_celeba_dev

Figures are reported over the photos where a face was found (as face_recognition users see
them) and `on_every_photo`, where a photo without a face is a miss (Glint's harness's terms).
`--cnn-fallback` runs dlib's CNN detector on photos where HOG finds nothing (slow on CPU).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import face_recognition
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from face_candidates import evaluate_scores  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", type=Path, required=True)
    ap.add_argument("--cnn-fallback", action="store_true")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    rows = list(csv.DictReader(open(args.set / "groundtruth.csv")))
    groups = np.array([r["group_id"] for r in rows])
    vectors, photo_of_face, queries = [], [], np.full(len(rows), -1)
    started = time.time()
    for i, r in enumerate(rows):
        img = face_recognition.load_image_file(args.set / r["path"])
        boxes = face_recognition.face_locations(img, number_of_times_to_upsample=1, model="hog")
        if not boxes and args.cnn_fallback:
            boxes = face_recognition.face_locations(img, number_of_times_to_upsample=1, model="cnn")
        encodings = face_recognition.face_encodings(img, boxes)
        if encodings:
            areas = [(b - t) * (rt - lf) for t, rt, b, lf in boxes]
            queries[i] = len(vectors) + int(np.argmax(areas))
        for e in encodings:
            vectors.append(e)
            photo_of_face.append(i)
    elapsed = time.time() - started
    v = np.array(vectors)
    q = v[queries[queries >= 0]]
    # Negative L2 distance: higher is closer, as the protocol wants.
    sims = -np.sqrt(((q[:, None, :] - v[None, :, :]) ** 2).sum(-1))
    r = evaluate_scores(sims, np.array(photo_of_face), queries, groups)
    r["photos_without_face"] = int((queries < 0).sum())
    # Glint's harness counts every labelled photo as a query and a photo where no face is found
    # as a miss; each figure is a mean over queries to which such a photo adds 0, so scaling by
    # the share of photos with a face gives the same figures on Glint's terms.
    share = r["queries"] / len(rows)
    r["on_every_photo"] = {k: r[k] * share for k in ("recall@1", "mAP", "TPIR", "FPIR")}
    r["on_every_photo"]["queries"] = len(rows)
    r["seconds"] = round(elapsed, 1)
    print(json.dumps(r, indent=2))
    if args.json:
        args.json.write_text(json.dumps(r, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
