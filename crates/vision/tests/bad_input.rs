//! Missing or damaged models and unusable images end in clear errors, never a panic.

mod common;

use std::path::Path;

use glint_media::{load_image, DecodeLimits, MediaError};
use glint_vision::{Models, VisionError};

use common::models_dir;

/// Copies the installed models folder (manifest, samples, small files) into a temp dir,
/// symlinking the large files so each test can break one of them cheaply.
fn models_copy() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&models_dir(), tmp.path());
    tmp
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn issue2_missing_model_names_the_setup_command() {
    let dir = models_copy();
    std::fs::remove_file(dir.path().join("face/hse_faceres.onnx")).unwrap();
    let err = Models::load(dir.path(), None).err().expect("load must fail");
    assert!(matches!(err, VisionError::ModelMissing { .. }), "{err}");
    assert!(err.to_string().contains("make setup"), "{err}");
}

#[test]
fn unknown_face_embedder_in_the_manifest_is_a_clear_error() {
    let dir = models_copy();
    let path = dir.path().join("manifest.json");
    let manifest = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, manifest.replace("\"hse-faceres\"", "\"arcface-r100\"")).unwrap();
    let err = Models::load(dir.path(), None).err().expect("load must fail");
    assert!(matches!(err, VisionError::Manifest { .. }), "{err}");
    assert!(
        err.to_string().contains("arcface-r100") && err.to_string().contains("hse-faceres"),
        "{err}"
    );
}

#[test]
fn issue2_corrupt_model_is_a_checksum_error() {
    let dir = models_copy();
    let file = dir.path().join("mtcnn/rnet.onnx");
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&file, bytes).unwrap();
    let err = Models::load(dir.path(), None).err().expect("load must fail");
    assert!(matches!(err, VisionError::ChecksumMismatch { .. }), "{err}");
    assert!(
        err.to_string().contains("rnet.onnx") && err.to_string().contains("make setup"),
        "{err}"
    );
}

#[test]
fn issue2_missing_or_malformed_manifest_is_a_clear_error() {
    let empty = tempfile::tempdir().unwrap();
    let err = Models::load(empty.path(), None).err().expect("load must fail");
    assert!(matches!(err, VisionError::Manifest { .. }), "{err}");
    let dir = models_copy();
    std::fs::write(dir.path().join("manifest.json"), "{ not json").unwrap();
    let err = Models::load(dir.path(), None).err().expect("load must fail");
    assert!(err.to_string().contains("manifest.json"), "{err}");
}

#[test]
fn issue2_non_image_and_empty_files_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let text = tmp.path().join("notes.jpg");
    std::fs::write(&text, "this is not a picture").unwrap();
    let empty = tmp.path().join("empty.png");
    std::fs::write(&empty, b"").unwrap();
    let l = DecodeLimits::default();
    assert!(matches!(load_image(&text, l), Err(MediaError::UnknownFormat { .. })));
    assert!(matches!(load_image(&empty, l), Err(MediaError::Empty { .. })));
}

#[test]
fn issue2_tiny_and_blank_images_give_no_faces_not_a_panic() {
    let m = common::models();
    for (w, h) in [(1, 1), (5, 300), (64, 64)] {
        let img = glint_media::RgbImage::new(w, h);
        assert!(m.face_detector.detect(&img).unwrap().is_empty());
        assert_eq!(m.image_encoder.encode(&[&img]).unwrap().len(), 1);
    }
}

/// Issue 13: the manifest can turn flip augmentation on per network; the configuration gets a
/// name (and so an index space) of its own, a threshold of its own is required, and the
/// flipped vectors of a real face stay close to the plain ones (a face and its mirror are the
/// same person).
#[test]
fn issue13_flip_is_a_configuration_of_its_own_with_its_own_threshold() {
    let dir = models_copy();
    let path = dir.path().join("manifest.json");
    let mut manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for part in manifest["face_embedder"]["parts"].as_array_mut().unwrap() {
        part["flip"] = true.into();
    }
    manifest["face_embedder"].as_object_mut().unwrap().remove("threshold");
    std::fs::write(&path, manifest.to_string()).unwrap();
    let err = Models::load(dir.path(), None)
        .err()
        .expect("a fusion without a threshold must be refused");
    assert!(err.to_string().contains("threshold"), "{err}");

    manifest["face_embedder"]["threshold"] = 0.9.into();
    std::fs::write(&path, manifest.to_string()).unwrap();
    let flipped = Models::load(dir.path(), None).unwrap();
    let plain = common::models();
    assert_ne!(flipped.face_embedder.name(), plain.face_embedder.name());
    assert!(
        flipped.face_embedder.name().contains("+flip"),
        "{}",
        flipped.face_embedder.name()
    );
    assert_eq!(flipped.face_threshold, 0.9);

    let img = load_image(&models_dir().join("samples/astronaut.png"), DecodeLimits::default()).unwrap();
    let faces = plain.face_detector.detect(&img).unwrap();
    assert_eq!(faces.len(), 1);
    let a = plain.face_embedder.embed(&img, &faces).unwrap().remove(0);
    let b = flipped.face_embedder.embed(&img, &faces).unwrap().remove(0);
    assert_eq!(a.len(), b.len());
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    let cos = a.iter().zip(&b).map(|(x, y)| x * y).sum::<f32>() / (norm(&a) * norm(&b));
    assert!((norm(&a) - 1.0).abs() < 1e-4, "fused vectors have unit length");
    assert!(cos > 0.9 && cos < 0.99999, "flipped vs plain cosine {cos}");
}

/// Issue 13, face quality: faces the detector is less sure of are matched at the stricter
/// threshold the manifest calibrates for them; a band that would be looser than the embedder's
/// own threshold is not (it only ever makes matching stricter).
#[test]
fn issue13_less_certain_faces_are_matched_at_the_stricter_threshold() {
    let shipped = common::models();
    let low = shipped
        .face_low_quality
        .expect("the shipped manifest calibrates a low-quality band");
    assert!(low.threshold > shipped.face_threshold, "{low:?}");
    assert_eq!(shipped.face_threshold_for(1.0), shipped.face_threshold);
    assert_eq!(
        shipped.face_threshold_for(low.below_detector_score),
        shipped.face_threshold
    );
    assert_eq!(
        shipped.face_threshold_for(low.below_detector_score - 0.01),
        low.threshold
    );

    let dir = models_copy();
    let path = dir.path().join("manifest.json");
    let mut manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    manifest["face_embedder"]["low_quality"]["threshold"] = (shipped.face_threshold - 0.1).into();
    std::fs::write(&path, manifest.to_string()).unwrap();
    let looser = Models::load(dir.path(), None).unwrap();
    assert_eq!(looser.face_threshold_for(0.5), looser.face_threshold);

    manifest["face_embedder"].as_object_mut().unwrap().remove("low_quality");
    std::fs::write(&path, manifest.to_string()).unwrap();
    let single = Models::load(dir.path(), None).unwrap();
    assert!(single.face_low_quality.is_none());
    assert_eq!(single.face_threshold_for(0.5), single.face_threshold);
}
