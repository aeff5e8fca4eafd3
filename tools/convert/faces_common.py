"""Shared helpers for the dlib face-model check and template tools.

Needs dlib, face-recognition-models, onnxruntime, numpy and pillow.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import dlib
import numpy as np
import onnxruntime as ort
from PIL import Image

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}
CHIP_SIZE = 150
CHIP_PADDING = 0.25
# HOG finds faces of 80 px and up; upsampling once halves that, but on a
# multi-megapixel photo it costs ~10 s and those faces are large anyway.
HOG_UPSAMPLE_MAX_SIDE = 1024


def model_path(name: str) -> str:
    """A file from the face_recognition_models package, located without importing
    it (its __init__ pulls in the deprecated pkg_resources)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or spec.origin is None:
        raise SystemExit("error: the face-recognition-models package is not installed")
    path = Path(spec.origin).parent / "models" / name
    if not path.is_file():
        raise SystemExit(f"error: {path} is missing")
    return str(path)


def list_images(paths: list[Path]) -> list[Path]:
    """Image files among `paths`: files as given, directories searched recursively."""
    found = []
    for d in paths:
        if d.is_file():
            found.append(d)
        elif d.is_dir():
            found += [p for p in d.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES]
        else:
            raise SystemExit(f"error: {d} does not exist")
    return sorted(found)


def load_rgb(path: Path) -> np.ndarray:
    """HxWx3 uint8 RGB. EXIF orientation is ignored, as dlib.load_rgb_image does."""
    with Image.open(path) as im:
        return np.ascontiguousarray(np.asarray(im.convert("RGB")))


class DlibFaces:
    """dlib's HOG detector, 5-point shape predictor and ResNet descriptor."""

    def __init__(self):
        self.detector = dlib.get_frontal_face_detector()
        self.predictor = dlib.shape_predictor(model_path("shape_predictor_5_face_landmarks.dat"))
        self.recognizer = dlib.face_recognition_model_v1(
            model_path("dlib_face_recognition_resnet_model_v1.dat"))

    def detect(self, img: np.ndarray) -> list[dlib.full_object_detection]:
        upsample = 1 if max(img.shape[:2]) <= HOG_UPSAMPLE_MAX_SIDE else 0
        return [self.predictor(img, rect) for rect in self.detector(img, upsample)]

    def descriptor(self, img: np.ndarray, shape: dlib.full_object_detection) -> np.ndarray:
        """dlib's own pipeline: chip extraction plus network, no jitter."""
        return np.array(self.recognizer.compute_face_descriptor(img, shape, 0, CHIP_PADDING))


class OnnxEmbedder:
    """The converted network, run on 150x150 RGB uint8 chips."""

    def __init__(self, onnx_path: Path):
        if not onnx_path.is_file():
            raise SystemExit(f"error: {onnx_path} does not exist")
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = ort.InferenceSession(str(onnx_path), options,
                                            providers=["CPUExecutionProvider"])

    def __call__(self, chips: list[np.ndarray], batch: int = 16) -> np.ndarray:
        out = [np.zeros((0, 128), np.float32)]
        for i in range(0, len(chips), batch):
            x = np.stack(chips[i:i + batch]).transpose(0, 3, 1, 2).astype(np.float32)
            out.append(self.session.run(["embedding"], {"input": x})[0])
        return np.concatenate(out)
