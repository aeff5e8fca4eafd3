use std::path::PathBuf;

/// Why a whole feed could not be imported. Problems with single rows are not errors: they are
/// reported as [`RowError`](crate::RowError)s and the other rows are imported.
#[derive(Debug, thiserror::Error)]
pub enum MerchantError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("feed {path} is {size} bytes; feeds are limited to {limit} bytes")]
    FeedTooLarge { path: PathBuf, size: u64, limit: u64 },
    #[error("feed has more than {limit} rows (products for JSON); split it into several feeds")]
    TooManyRows { limit: usize },
    #[error("feed {0} is neither CSV (.csv) nor JSON (.json, or content starting with `{{`)")]
    UnknownFormat(PathBuf),
    #[error("CSV feed: {0}")]
    Csv(String),
    #[error("CSV feed lacks the required column(s) {0}")]
    MissingColumns(String),
    #[error("JSON feed: {0}")]
    Json(String),
    /// A feed without a single store or product: most likely the wrong file, and a full import
    /// of it would delete the whole catalog.
    #[error("the feed lists no stores and no products")]
    EmptyFeed,
    /// A ZIP upload that is malformed or breaks one of the limits of [`ZipLimits`](crate::ZipLimits).
    #[error("ZIP archive: {0}")]
    BadArchive(String),
    #[error(transparent)]
    Catalog(#[from] glint_catalog::CatalogError),
    #[error(transparent)]
    Ingest(#[from] glint_ingest::IngestError),
    #[error("demo feed: {0}")]
    Demo(String),
}

impl MerchantError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        MerchantError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
