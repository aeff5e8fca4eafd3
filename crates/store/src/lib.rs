//! A library's storage: its catalog, its vector index and its files, opened together.
//!
//! [`Store`] is what ingest writes and search and the server read. It holds the catalog as
//! `Arc<dyn Catalog>` and the index as `Arc<dyn VectorWrite>`, so nothing above this crate knows
//! which backend it runs on:
//! - **embedded** (the default, [`Store::open`]): SQLite under the data directory and the
//!   [`LocalIndex`] beside it. The catalog is the source of truth; the index is written after
//!   each commit, and on open each space whose count differs from the catalog's is repaired from
//!   it (see `repair`);
//! - **database** ([`Store::open_database`]): PostgreSQL with pgvector for catalog and vectors
//!   (`glint-postgres`), where a media's vectors commit with its rows, so there is nothing to
//!   repair, and any number of processes share one library.
//!
//! Either way the files (thumbnails, seek proxies, keypoints) live under the data directory;
//! with several machines it must be storage they all see.

mod copy;
mod repair;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use glint_catalog::{Catalog, CatalogError, MediaRecord, NewMedia, SqliteCatalog, StoredVector};
use glint_index::{HnswParams, IndexError, LocalIndex, VectorWrite, GRAPH_ABOVE_FLOATS};

pub use copy::{copy_media, Copied, CopyMismatch, CopyReport, CopyShortfall};

/// Why a library could not be opened or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error("vector index: {0}")]
    Index(#[from] IndexError),
    #[error(transparent)]
    Database(#[from] glint_postgres::PgError),
    #[error(transparent)]
    Copy(#[from] CopyMismatch),
    /// A copy whose target lacks tokens, opt-outs, log entries or merchant rows of the source.
    #[error(transparent)]
    CopyShort(#[from] CopyShortfall),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The catalog, vector index and files of one library.
#[derive(Clone)]
pub struct Store {
    pub catalog: Arc<dyn Catalog>,
    pub index: Arc<dyn VectorWrite>,
    pub data_dir: PathBuf,
    /// The embedded index, when this is an embedded library (for its own statistics).
    local: Option<Arc<LocalIndex>>,
}

impl Store {
    /// Opens the embedded library in `data_dir` with the default index settings.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        Self::open_with(data_dir, GRAPH_ABOVE_FLOATS)
    }

    /// Opens the embedded library in `data_dir`; spaces holding more than `graph_above_floats`
    /// floats are searched through the graph index.
    pub fn open_with(data_dir: &Path, graph_above_floats: usize) -> Result<Self, StoreError> {
        let catalog = SqliteCatalog::open(data_dir)?;
        let index = LocalIndex::open(data_dir.join("index"), HnswParams::default())?
            .with_graph_above_floats(graph_above_floats);
        repair::repair(&catalog, &index)?;
        let index = Arc::new(index);
        Ok(Self {
            catalog: Arc::new(catalog),
            index: index.clone(),
            data_dir: data_dir.to_path_buf(),
            local: Some(index),
        })
    }

    /// Opens the library held by the PostgreSQL database at `url`, with its files under
    /// `data_dir` (shared storage when several machines serve it).
    pub fn open_database(url: &str, data_dir: &Path) -> Result<Self, StoreError> {
        let db = glint_postgres::Database::open(url)?;
        Ok(Self {
            catalog: Arc::new(db.catalog()),
            index: Arc::new(db.vectors()),
            data_dir: data_dir.to_path_buf(),
            local: None,
        })
    }

    /// Opens `database` when given, else the embedded library in `data_dir`.
    pub fn open_any(database: Option<&str>, data_dir: &Path, graph_above_floats: usize) -> Result<Self, StoreError> {
        match database {
            Some(url) => Self::open_database(url, data_dir),
            None => Self::open_with(data_dir, graph_above_floats),
        }
    }

    /// The embedded vector index, or None on a database.
    pub fn local_index(&self) -> Option<&LocalIndex> {
        self.local.as_deref()
    }

    /// Whether other processes may write this library at the same time (a database).
    pub fn is_shared(&self) -> bool {
        self.local.is_none()
    }

    /// Commits a media with everything it contributes, and its vectors to the index: on the
    /// embedded library after the catalog commit (a crash between the two is repaired on the
    /// next open), on a database in the same transaction.
    pub fn add_media(&self, media: &NewMedia) -> Result<(MediaRecord, Vec<StoredVector>), StoreError> {
        let (record, vectors) = self.catalog.insert_media(media)?;
        if self.local.is_some() {
            let mut by_space: std::collections::BTreeMap<&str, Vec<(u64, Vec<f32>)>> = Default::default();
            for v in &vectors {
                by_space.entry(&v.space).or_default().push((v.id, v.data.clone()));
            }
            for (space, items) in by_space {
                self.index.create_space(space, items[0].1.len())?;
                self.index.upsert(space, &items)?;
            }
        }
        Ok((record, vectors))
    }

    /// Deletes a media from the catalog and its vectors from the index (the files are the
    /// caller's).
    pub fn remove_media(&self, uid: &str) -> Result<(), StoreError> {
        let vectors = self.catalog.remove_media(uid)?;
        if self.local.is_some() {
            let mut by_space: std::collections::BTreeMap<String, Vec<u64>> = Default::default();
            for (space, id) in vectors {
                by_space.entry(space).or_default().push(id);
            }
            for (space, ids) in by_space {
                self.index.remove(&space, &ids)?;
            }
            self.index.flush()?;
        }
        Ok(())
    }

    /// Where thumbnails of media `uid` live.
    pub fn thumbs_dir(&self, uid: &str) -> PathBuf {
        self.data_dir.join("thumbs").join(uid)
    }

    /// Where the keypoints of media `uid` live (`glint_describe::local`'s file).
    pub fn local_features_path(&self, uid: &str) -> PathBuf {
        self.thumbs_dir(uid).join("local.bin")
    }

    /// Where the seek proxy of video `uid` lives when ingest kept one (removed with the
    /// thumbnails; see `glint_media`'s proxy module).
    pub fn proxy_path(&self, uid: &str) -> PathBuf {
        self.thumbs_dir(uid).join("proxy.mp4")
    }

    /// Where the analysis copy of photo `uid` lives when ingest kept one (removed with the
    /// thumbnails; see `glint_media::photo_copy`).
    pub fn photo_copy_path(&self, uid: &str) -> PathBuf {
        self.thumbs_dir(uid).join("analysis.jpg")
    }
}
