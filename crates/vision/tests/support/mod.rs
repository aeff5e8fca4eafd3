//! Shared set-up for the tests that plug tiny hand-written ONNX models into Glint: the writer of
//! those models ([`onnx_writer`]) and the installed ONNX Runtime they run on.

#![allow(dead_code)] // Each test binary uses its own subset.

pub mod colour_plugin;
pub mod onnx_writer;

use std::path::{Path, PathBuf};

use glint_vision::{init_runtime, SETUP_COMMAND};
use serde_json::Value;

pub fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models")
}

/// The process-wide ONNX Runtime, loaded from the library that models/manifest.json names.
pub fn runtime() -> &'static ort::environment::Environment {
    let manifest_path = models_dir().join("manifest.json");
    let text = std::fs::read_to_string(&manifest_path)
        .unwrap_or_else(|e| panic!("{}: {e}; run `{SETUP_COMMAND}`", manifest_path.display()));
    let manifest: Value = serde_json::from_str(&text).expect("models/manifest.json is JSON");
    let file = manifest["runtime"]["file"]
        .as_str()
        .expect("manifest names runtime.file");
    let library = models_dir().join(file);
    assert!(
        library.is_file(),
        "ONNX Runtime {} is missing; run `{SETUP_COMMAND}`",
        library.display()
    );
    init_runtime(&library).unwrap_or_else(|e| panic!("{e}"))
}
