use std::path::PathBuf;

/// Why a file could not be ingested. Per-file errors fail that file's job only.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Media(#[from] glint_media::MediaError),
    #[error(transparent)]
    Vision(#[from] glint_vision::VisionError),
    #[error(transparent)]
    Catalog(#[from] glint_catalog::CatalogError),
    #[error(transparent)]
    Keypoints(#[from] glint_keypoints::KeypointError),
    #[error("vector index: {0}")]
    Index(#[from] glint_index::IndexError),
    #[error(transparent)]
    Store(#[from] glint_store::StoreError),
    #[error(transparent)]
    Describe(#[from] glint_describe::DescribeError),
    /// Reading text (`IngestConfig::ocr`) failed: Tesseract missing, or its engine failed.
    #[error(transparent)]
    Ocr(#[from] glint_ocr::OcrError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}: not a file")]
    NotAFile(PathBuf),
    #[error("internal error: {0}")]
    Internal(String),
    #[error("{path}: decoding and analysis took over the limit of {limit_s:.1} s; stopped")]
    TimedOut { path: PathBuf, limit_s: f64 },
    #[error("{path}: the video lasts {duration_s:.0} s, over the limit of {limit_s:.0} s")]
    TooLong {
        path: PathBuf,
        duration_s: f64,
        limit_s: f64,
    },
}

impl IngestError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        IngestError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
