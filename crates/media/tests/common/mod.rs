//! What the media tests share: the evaluation clips in ../shared/eval.

use std::path::{Path, PathBuf};

/// The evaluation data folder beside the repository.
#[allow(dead_code)] // not every test file lists the folder
pub fn eval_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/eval")
}

/// A file of ../shared/eval; panics with a clear message when the data is not there, because a
/// test that silently skips would pass without checking anything.
pub fn eval(rel: &str) -> PathBuf {
    let path = eval_dir().join(rel);
    assert!(
        path.exists(),
        "evaluation data {} is missing (../shared must sit beside the repository)",
        path.display()
    );
    path
}
