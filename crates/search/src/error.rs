/// Why a search could not run. `BadQuery` and `UnknownMedia` are the caller's mistakes (HTTP
/// 400 / 404); the rest are server-side.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("bad query: {0}")]
    BadQuery(String),
    #[error("no media with id {0}")]
    UnknownMedia(String),
    #[error("no sighting with id {0}")]
    UnknownSighting(u64),
    #[error("no face found in the photo")]
    NoFace,
    #[error(transparent)]
    Media(#[from] glint_media::MediaError),
    #[error(transparent)]
    Vision(#[from] glint_vision::VisionError),
    #[error(transparent)]
    Catalog(#[from] glint_catalog::CatalogError),
    #[error("internal error: {0}")]
    Internal(String),
    #[error("vector index: {0}")]
    Index(#[from] glint_index::IndexError),
}
