//! Vector storage and nearest-neighbour search for sightings.
//!
//! Faces and item regions become vectors upstream (the `vision` crate); this crate keeps them and
//! answers "which stored vectors are most like this one". Vectors live in named *spaces*: a space
//! is a collection of same-dimension vectors from one model (`"face:dlib128"`,
//! `"item:efficientnet-lite0"`), because vectors of different models must never be compared. Each
//! vector carries a `u64` id that the caller maps to a sighting (video, frame, box).
//!
//! Access is split the way Qdrant splits it, so that a later cluster backend fits the same seams:
//! [`VectorRead`] searches and describes spaces, [`VectorWrite`] (a superset) creates spaces and
//! upserts, removes and persists vectors. Both take `&self`; implementations synchronise inside,
//! so one `Arc<dyn VectorWrite>` is shared by an ingest thread and many search threads.
//!
//! Scores are cosine similarities: backends store vectors L2-normalised (normalising on insert)
//! and normalise the query, so a [`Hit`] score is comparable across backends and queries.
//!
//! [`FlatIndex`] is the built-in backend: an exact brute-force scan over one contiguous block of
//! floats per space, persisted to one checksummed file per space (see [`FlatIndex::open`]).

#[doc(hidden)]
pub mod contract;
mod error;
mod filter;
mod flat;
mod hnsw;
mod kernel;
mod local;
mod storage;
mod topk;
pub mod validate;

pub use error::IndexError;
pub use filter::Filter;
pub use flat::FlatIndex;
pub use hnsw::{wait_for_huge_pages, HnswIndex, HnswParams, Quantization, I8F16_MAX_DIM};
pub use local::{LocalIndex, GRAPH_ABOVE_FLOATS};

/// One search result: a stored id and its cosine similarity to the query, in -1..=1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub id: u64,
    pub score: f32,
}

/// What a space holds, as listed by [`VectorRead::spaces`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpaceInfo {
    pub name: String,
    pub dim: usize,
    pub len: usize,
}

/// Searching and describing spaces.
pub trait VectorRead: Send + Sync {
    /// The `k` stored vectors most similar (cosine) to `query`, best first; ties go to the lower
    /// id. `filter` restricts which ids may be returned (e.g. "only this video's vectors"); it is
    /// data, not a closure, so that every backend can apply it where it is cheapest (a selective
    /// `Only` set is scored directly instead of walking a graph). An exact backend returns
    /// `min(k, matching)` hits; an approximate one aims for the same.
    ///
    /// Fails for an unknown space, `k == 0`, or a query that is empty, of the wrong dimension,
    /// non-finite or all zeros.
    fn search(&self, space: &str, query: &[f32], k: usize, filter: Option<Filter<'_>>) -> Result<Vec<Hit>, IndexError>;

    /// Number of vectors in `space`; 0 for a space that does not exist.
    fn len(&self, space: &str) -> usize;

    /// Whether `space` holds no vector (or does not exist). Searches ask this every time, so a
    /// backend where counting costs (a database table of millions) answers it without counting.
    fn is_empty(&self, space: &str) -> bool {
        self.len(space) == 0
    }

    /// Whether `space` holds a vector for `id`.
    fn contains(&self, space: &str, id: u64) -> bool;

    /// Every space, sorted by name.
    fn spaces(&self) -> Vec<SpaceInfo>;
}

/// Creating spaces and changing, removing and persisting their vectors.
pub trait VectorWrite: VectorRead {
    /// Creates `name` for vectors of `dim` floats. Creating an existing space again with the same
    /// dimension does nothing (so every start-up can call it); with another dimension it fails,
    /// because that means two models are being filed under one name.
    fn create_space(&self, name: &str, dim: usize) -> Result<(), IndexError>;

    /// Inserts each `(id, vector)`, replacing the vector an id already has; within one call a
    /// repeated id keeps its last vector. The batch is checked whole first: if any vector is
    /// invalid (wrong dimension, NaN or infinite values, all zeros) nothing is written.
    fn upsert(&self, space: &str, items: &[(u64, Vec<f32>)]) -> Result<(), IndexError>;

    /// Removes the given ids; ids that are not stored are ignored.
    fn remove(&self, space: &str, ids: &[u64]) -> Result<(), IndexError>;

    /// Makes every change so far durable. A no-op for backends that are durable per call or
    /// purely in memory.
    fn flush(&self) -> Result<(), IndexError>;
}
