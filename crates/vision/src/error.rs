use std::path::PathBuf;

/// The command that installs and converts every model; named in errors so that a user who
/// hits a missing or damaged model knows what to run.
pub const SETUP_COMMAND: &str = "make setup";

/// Why a model could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum VisionError {
    #[error("model file {path} is missing; run `{SETUP_COMMAND}` to install the models")]
    ModelMissing { path: PathBuf },
    #[error(
        "model file {path} does not match its manifest (sha256 {actual}, expected {expected}); \
         it is corrupt or from another version: run `{SETUP_COMMAND}` to reinstall it"
    )]
    ChecksumMismatch {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("model manifest {path}: {reason}")]
    Manifest { path: PathBuf, reason: String },
    #[error("cannot load ONNX Runtime from {path}: {reason}; run `{SETUP_COMMAND}`")]
    Runtime { path: PathBuf, reason: String },
    #[error("model {model}: {reason}")]
    Model { model: String, reason: String },
    #[error("invalid input: {0}")]
    BadInput(String),
}

impl VisionError {
    pub(crate) fn model(model: &str, reason: impl std::fmt::Display) -> Self {
        VisionError::Model {
            model: model.to_string(),
            reason: reason.to_string(),
        }
    }
}
