//! [`LocalIndex`]: the embedded default, exact for small spaces and a graph for large ones.
//!
//! A space starts in the [`FlatIndex`] (exact, and the fastest choice while a scan takes a few
//! milliseconds) and moves to the [`HnswIndex`] once it holds more than a threshold of floats:
//! its vectors are copied into a graph, the graph is snapshotted, and only then is the flat file
//! deleted. The flat copy therefore stays authoritative until the move has fully landed: a space
//! found in both on open is a move that was interrupted, and its graph copy is dropped (the move
//! runs again at the next upsert).

use std::path::Path;
use std::sync::{Mutex, PoisonError};

use crate::{Filter, FlatIndex, Hit, HnswIndex, HnswParams, IndexError, SpaceInfo, VectorRead, VectorWrite};

/// Above this many stored floats (64 MiB of f32) a space moves to the graph: a scan of it takes
/// ~10 ms on one core, and an item query makes one per query window.
pub const GRAPH_ABOVE_FLOATS: usize = 16 << 20;

/// Exact spaces below a size threshold, graph spaces above it, behind one pair of traits.
pub struct LocalIndex {
    flat: FlatIndex,
    graph: HnswIndex,
    graph_above_floats: usize,
    /// Writes go one at a time, so that a space's move cannot interleave with its upserts.
    writes: Mutex<()>,
}

impl LocalIndex {
    /// Opens the index in `dir`: flat spaces in `dir` itself (the layout before graphs existed),
    /// graph spaces in `dir/graph`.
    pub fn open(dir: impl AsRef<Path>, params: HnswParams) -> Result<Self, IndexError> {
        let dir = dir.as_ref();
        let flat = FlatIndex::open(dir)?;
        let graph = HnswIndex::open(dir.join("graph"), params)?;
        for space in graph.spaces() {
            if flat.has_space(&space.name) {
                tracing::warn!(space = %space.name, "a move to the graph was interrupted; it will run again");
                graph.drop_space(&space.name)?;
            }
        }
        Ok(Self::new(flat, graph))
    }

    /// An index that lives only in memory.
    pub fn in_memory(params: HnswParams) -> Self {
        Self::new(FlatIndex::in_memory(), HnswIndex::in_memory(params))
    }

    fn new(flat: FlatIndex, graph: HnswIndex) -> Self {
        Self {
            flat,
            graph,
            graph_above_floats: GRAPH_ABOVE_FLOATS,
            writes: Mutex::new(()),
        }
    }

    /// Moves spaces holding more than `floats` floats to the graph (default [`GRAPH_ABOVE_FLOATS`]).
    pub fn with_graph_above_floats(mut self, floats: usize) -> Self {
        self.graph_above_floats = floats;
        self
    }

    /// Changes the graph spaces' search beam width (see [`HnswIndex::set_expansion_search`]).
    pub fn set_expansion_search(&mut self, expansion: usize) {
        self.graph.set_expansion_search(expansion);
    }

    /// Removes a space from whichever backend holds it, with its files.
    pub fn drop_space(&self, space: &str) -> Result<(), IndexError> {
        let _writes = self.writes.lock().unwrap_or_else(PoisonError::into_inner);
        self.flat.drop_space(space)?;
        self.graph.drop_space(space)
    }

    /// Whether `space` is held by the graph.
    pub fn is_graph(&self, space: &str) -> bool {
        !self.flat.has_space(space) && self.graph.has_space(space)
    }

    /// Bytes of heap held by both backends.
    pub fn memory_bytes(&self) -> usize {
        self.flat.memory_bytes() + self.graph.memory_bytes()
    }

    /// The backend that answers for `space`: the flat one while it holds the space.
    fn backend(&self, space: &str) -> &dyn VectorWrite {
        if self.flat.has_space(space) {
            &self.flat
        } else {
            &self.graph
        }
    }

    fn move_to_graph(&self, space: &str, dim: usize) -> Result<(), IndexError> {
        let started = std::time::Instant::now();
        let items = self.flat.export(space)?;
        self.graph.create_space(space, dim)?;
        self.graph.upsert(space, &items)?;
        self.graph.flush()?;
        self.flat.drop_space(space)?;
        tracing::info!(
            space,
            vectors = items.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "moved a space to the graph index"
        );
        Ok(())
    }
}

impl VectorRead for LocalIndex {
    fn search(&self, space: &str, query: &[f32], k: usize, filter: Option<Filter<'_>>) -> Result<Vec<Hit>, IndexError> {
        self.backend(space).search(space, query, k, filter)
    }

    fn len(&self, space: &str) -> usize {
        self.backend(space).len(space)
    }

    fn contains(&self, space: &str, id: u64) -> bool {
        self.backend(space).contains(space, id)
    }

    fn spaces(&self) -> Vec<SpaceInfo> {
        let mut all = self.flat.spaces();
        all.extend(self.graph.spaces());
        all.sort_by(|a, b| a.name.cmp(&b.name));
        all.dedup_by(|a, b| a.name == b.name);
        all
    }
}

impl VectorWrite for LocalIndex {
    fn create_space(&self, name: &str, dim: usize) -> Result<(), IndexError> {
        let _writes = self.writes.lock().unwrap_or_else(PoisonError::into_inner);
        // A new space starts exact; one the graph holds is checked there.
        if self.is_graph(name) {
            self.graph.create_space(name, dim)
        } else {
            self.flat.create_space(name, dim)
        }
    }

    fn upsert(&self, space: &str, items: &[(u64, Vec<f32>)]) -> Result<(), IndexError> {
        let _writes = self.writes.lock().unwrap_or_else(PoisonError::into_inner);
        if !self.flat.has_space(space) {
            return self.graph.upsert(space, items);
        }
        self.flat.upsert(space, items)?;
        let info = self.flat.spaces().into_iter().find(|s| s.name == space);
        match info {
            Some(info) if info.len * info.dim > self.graph_above_floats => self.move_to_graph(space, info.dim),
            _ => Ok(()),
        }
    }

    fn remove(&self, space: &str, ids: &[u64]) -> Result<(), IndexError> {
        let _writes = self.writes.lock().unwrap_or_else(PoisonError::into_inner);
        self.backend(space).remove(space, ids)
    }

    fn flush(&self) -> Result<(), IndexError> {
        let _writes = self.writes.lock().unwrap_or_else(PoisonError::into_inner);
        self.flat.flush()?;
        self.graph.flush()
    }
}
