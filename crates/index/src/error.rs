use std::path::PathBuf;

/// Why an index operation failed.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("vector space {0:?} does not exist; create it first")]
    UnknownSpace(String),
    #[error("vector space {name:?} already holds {existing}-d vectors, cannot re-create it as {requested}-d")]
    SpaceConflict {
        name: String,
        existing: usize,
        requested: usize,
    },
    #[error("invalid vector space name {name:?}: {reason}")]
    BadSpaceName { name: String, reason: String },
    #[error("vector space {space:?} holds {expected}-d vectors, got {actual}-d{}", id_suffix(*.id))]
    DimMismatch {
        space: String,
        /// The offending item's id; `None` for a query.
        id: Option<u64>,
        expected: usize,
        actual: usize,
    },
    #[error("invalid vector for id {id} in space {space:?}: {reason}")]
    BadVector { space: String, id: u64, reason: String },
    #[error("vector index: {0}")]
    Backend(String),
    #[error("invalid input: {0}")]
    BadInput(String),
    #[error("index file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "index file {path} is corrupt or unreadable ({reason}); restore it from a backup or delete it and re-ingest"
    )]
    Corrupt { path: PathBuf, reason: String },
}

fn id_suffix(id: Option<u64>) -> String {
    match id {
        Some(id) => format!(" for id {id}"),
        None => " query".to_string(),
    }
}

impl IndexError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        IndexError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn corrupt(path: impl Into<PathBuf>, reason: impl std::fmt::Display) -> Self {
        IndexError::Corrupt {
            path: path.into(),
            reason: reason.to_string(),
        }
    }
}
