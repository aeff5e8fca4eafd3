//! The metadata catalog: what Glint has indexed, in SQLite under the data directory.
//!
//! [`Catalog`] owns one SQLite database (WAL mode) holding media, their shots, the tracks
//! (a face or an item region followed through one shot), each track's sightings (time + box),
//! the representative vectors of each track, and the durable ingest job queue. Everything one
//! media file contributes is written by [`Catalog::insert_media`] in a single transaction, so a
//! crash leaves either the whole file or none of it. The vector index is derived from the
//! `vectors` table and can always be rebuilt from it. API tokens live here too, stored as
//! SHA-256 hashes only (see [`Catalog::create_token`]). Face-search opt-outs and the face-search audit log
//! live here as well (see [`Catalog::add_opt_out`]). The merchant catalog (stores, products,
//! their images and offers) is applied one feed per transaction by [`Catalog::apply_feed`] and
//! tells search where an indexed product image can be bought ([`Catalog::products_for_media`]).

mod api;
pub mod backend;
#[doc(hidden)]
pub mod contract;
mod error;
mod jobs;
mod media;
mod privacy;
mod schema;
mod shop;
mod tokens;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::Connection;

pub use api::{Catalog, JobQueue, MediaCatalog, PrivacyCatalog, ShopCatalog, TokenCatalog};
pub use error::CatalogError;
pub use jobs::{Job, JobState};
pub use media::{MediaKind, MediaRecord, NewMedia, NewTrack, Shot, Sighting, StoredVector, TrackKind, TrackRecord};
pub use privacy::{FaceSearchLogEntry, OptOut};
pub use shop::{
    Availability, CatalogFeed, FeedImage, FeedOffer, FeedProduct, FeedStore, ImageStatus, ImportCounts, Offer,
    ProductOffers, ProductSummary, StoreSummary,
};
pub use tokens::{Scope, TokenRecord};

/// The SQLite catalog, the embedded default. Cheap to share behind an `Arc`; calls serialise on
/// one connection, which SQLite would do for writers anyway.
pub struct SqliteCatalog {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl SqliteCatalog {
    /// Opens (creating if needed) `dir/catalog.sqlite3`.
    pub fn open(dir: &Path) -> Result<Self, CatalogError> {
        std::fs::create_dir_all(dir).map_err(|source| CatalogError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join("catalog.sqlite3");
        let conn = Connection::open(&path)?;
        schema::prepare(&conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
            path,
        })
    }

    /// An in-memory catalog, for tests.
    pub fn in_memory() -> Result<Self, CatalogError> {
        let conn = Connection::open_in_memory()?;
        schema::prepare(&conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
            path: PathBuf::from(":memory:"),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic elsewhere while holding the lock cannot leave SQLite half-written: every
        // multi-statement write is a transaction that rolls back when dropped.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Catalog for SqliteCatalog {
    fn location(&self) -> String {
        self.path.display().to_string()
    }
}
