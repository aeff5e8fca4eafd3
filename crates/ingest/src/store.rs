//! Opening the data directory: the catalog, and the vector index kept consistent with it.
//!
//! The catalog is the source of truth. The index is written after the catalog commits, so a
//! crash between the two leaves the index behind; on open, any space whose vector count differs
//! from the catalog's is rebuilt from the catalog's `vectors` table.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use glint_catalog::Catalog;
use glint_index::{FlatIndex, VectorRead, VectorWrite};

use crate::IngestError;

/// The catalog and vector index of one data directory.
#[derive(Clone)]
pub struct Store {
    pub catalog: Arc<Catalog>,
    pub index: Arc<FlatIndex>,
    pub data_dir: PathBuf,
}

impl Store {
    pub fn open(data_dir: &Path) -> Result<Self, IngestError> {
        let catalog = Arc::new(Catalog::open(data_dir)?);
        let index_dir = data_dir.join("index");
        let mut index = FlatIndex::open(&index_dir)?;
        let truth: BTreeMap<String, u64> = catalog.vector_counts()?.into_iter().collect();
        if !agrees(&index, &truth) {
            tracing::warn!("vector index disagrees with the catalog (interrupted write?); rebuilding it");
            drop(index);
            std::fs::remove_dir_all(&index_dir).map_err(|e| IngestError::io(&index_dir, e))?;
            index = rebuild(&catalog, &index_dir)?;
        }
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

/// Whether every space has exactly the catalog's number of vectors.
fn agrees(index: &FlatIndex, truth: &BTreeMap<String, u64>) -> bool {
    let spaces = index.spaces();
    truth.iter().all(|(space, n)| index.len(space) as u64 == *n)
        && spaces.iter().all(|s| s.len == 0 || truth.contains_key(&s.name))
}

/// A fresh index holding exactly the catalog's vectors.
fn rebuild(catalog: &Catalog, dir: &Path) -> Result<FlatIndex, IngestError> {
    let index = FlatIndex::open(dir)?;
    let mut batches: BTreeMap<String, Vec<(u64, Vec<f32>)>> = BTreeMap::new();
    catalog.for_each_vector(|v| batches.entry(v.space).or_default().push((v.id, v.data)))?;
    for (space, items) in batches {
        index.create_space(&space, items[0].1.len())?;
        index.upsert(&space, &items)?;
    }
    index.flush()?;
    Ok(index)
}
