//! Shared set-up for the vision tests that run the real models: where the repository's models
//! and ../shared's evaluation data are, and one `Models` per test binary.

#![allow(dead_code)] // Each test binary uses its own subset.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use glint_media::{load_image, DecodeLimits, RgbImage};
use glint_vision::Models;

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn models_dir() -> PathBuf {
    repo_root().join("models")
}

/// A folder of ../shared/eval; panics with a clear message when the data is not there, because
/// a test that silently skips would pass without checking anything.
pub fn eval_set(name: &str) -> PathBuf {
    let dir = repo_root().join("../shared/eval").join(name);
    assert!(
        dir.is_dir(),
        "evaluation data {} is missing (../shared must sit beside the repository)",
        dir.display()
    );
    dir
}

/// The installed models, loaded once per test binary (`make setup` installs them).
pub fn models() -> &'static Models {
    static MODELS: OnceLock<Models> = OnceLock::new();
    MODELS.get_or_init(|| Models::load(&models_dir(), None).expect("models installed by `make setup`"))
}

pub fn image(path: &Path) -> RgbImage {
    load_image(path, DecodeLimits::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// `(path, group_id)` rows of a groundtruth.csv (paths made absolute).
pub fn groundtruth(set: &Path) -> Vec<(PathBuf, String)> {
    let text = std::fs::read_to_string(set.join("groundtruth.csv")).expect("groundtruth.csv");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut cols = l.split(',');
            let path = set.join(cols.next().unwrap_or_default());
            (path, cols.next().unwrap_or_default().trim().to_string())
        })
        .collect()
}
