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
