//! Opening the data directory: the catalog, and the vector index kept consistent with it.
//!
//! The catalog is the source of truth. The index is written after the catalog commits, so a
//! crash between the two leaves the index behind; on open, each space whose vector count differs
//! from the catalog's is repaired from the catalog's `vectors` table: the missing vectors are
//! inserted (cheap, even for a million-vector graph space), and a space that holds vectors the
//! catalog no longer has is rebuilt.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use glint_catalog::Catalog;
use glint_index::{HnswParams, LocalIndex, VectorRead, VectorWrite, GRAPH_ABOVE_FLOATS};

use crate::IngestError;

/// The catalog and vector index of one data directory.
#[derive(Clone)]
pub struct Store {
    pub catalog: Arc<Catalog>,
    pub index: Arc<LocalIndex>,
    pub data_dir: PathBuf,
}

impl Store {
    /// Opens the data directory with the default index settings.
    pub fn open(data_dir: &Path) -> Result<Self, IngestError> {
        Self::open_with(data_dir, GRAPH_ABOVE_FLOATS)
    }

    /// Opens the data directory; spaces holding more than `graph_above_floats` floats are
    /// searched through the graph index.
    pub fn open_with(data_dir: &Path, graph_above_floats: usize) -> Result<Self, IngestError> {
        let catalog = Arc::new(Catalog::open(data_dir)?);
        let index_dir = data_dir.join("index");
        let index = LocalIndex::open(&index_dir, HnswParams::default())?.with_graph_above_floats(graph_above_floats);
        let truth: BTreeMap<String, u64> = catalog.vector_counts()?.into_iter().collect();
        repair(&catalog, &index, &truth)?;
        Ok(Self {
            catalog,
            index: Arc::new(index),
            data_dir: data_dir.to_path_buf(),
        })
    }

    /// Where thumbnails of media `uid` live.
    pub fn thumbs_dir(&self, uid: &str) -> PathBuf {
        self.data_dir.join("thumbs").join(uid)
    }

    /// Where the seek proxy of video `uid` lives when ingest kept one (removed with the
    /// thumbnails; see `glint_media`'s proxy module).
    pub fn proxy_path(&self, uid: &str) -> PathBuf {
        self.thumbs_dir(uid).join("proxy.mp4")
    }
}

/// Brings every space to exactly the catalog's vectors.
fn repair(catalog: &Catalog, index: &LocalIndex, truth: &BTreeMap<String, u64>) -> Result<(), IngestError> {
    for stale in index.spaces() {
        if stale.len > 0 && !truth.contains_key(&stale.name) {
            tracing::warn!(space = %stale.name, "vector space has no vectors in the catalog; dropping it");
            index.drop_space(&stale.name)?;
        }
    }
    let behind: Vec<&String> = truth
        .iter()
        .filter(|(space, n)| index.len(space) as u64 != **n)
        .map(|(space, _)| space)
        .collect();
    if behind.is_empty() {
        return Ok(());
    }
    tracing::warn!(spaces = ?behind, "vector index disagrees with the catalog (interrupted write?); repairing it");
    let mut missing: BTreeMap<String, Vec<(u64, Vec<f32>)>> = BTreeMap::new();
    catalog.for_each_vector(|v| {
        if behind.contains(&&v.space) && !index.contains(&v.space, v.id) {
            missing.entry(v.space).or_default().push((v.id, v.data));
        }
    })?;
    for space in behind {
        let items = missing.remove(space).unwrap_or_default();
        if let Some((_, first)) = items.first() {
            index.create_space(space, first.len())?;
            index.upsert(space, &items)?;
        }
        if index.len(space) as u64 != truth[space] {
            // It also holds vectors the catalog removed: start the space again from the catalog.
            tracing::warn!(space = %space, "rebuilding the vector space from the catalog");
            index.drop_space(space)?;
            let mut all = Vec::new();
            catalog.for_each_vector(|v| {
                if &v.space == space {
                    all.push((v.id, v.data));
                }
            })?;
            if let Some((_, first)) = all.first() {
                index.create_space(space, first.len())?;
                index.upsert(space, &all)?;
            }
        }
    }
    index.flush()?;
    Ok(())
}
