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
mod words;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use glint_types::Pool;
use rusqlite::Connection;

pub use api::{Catalog, JobQueue, MediaCatalog, PrivacyCatalog, ShopCatalog, TokenCatalog};
pub use error::CatalogError;
pub use jobs::{Job, JobState};
pub use media::{MediaKind, MediaRecord, NewMedia, NewTrack, Shot, Sighting, StoredVector, TrackKind, TrackRecord};
pub use privacy::{FaceSearchLogEntry, OptOut};
pub use shop::{
    Availability, CatalogFeed, FeedImage, FeedOffer, FeedProduct, FeedStore, ImageStatus, ImportCounts, Offer,
    ProductDetail, ProductOffers, ProductSummary, StoreSummary,
};
pub use tokens::{Scope, TokenRecord};
pub use words::{NewWord, ProductMatch, TextCatalog, TextQuery, WordHit, WordSource, MAX_TERMS};

/// The SQLite catalog, the embedded default. Cheap to share behind an `Arc`. Writes serialise
/// on one connection, which SQLite would do for writers anyway; reads (searches, the API's
/// lists) take one of a few read-only connections, so they never wait behind an ingest's
/// write (WAL lets readers run beside the writer, each seeing the last commit).
pub struct SqliteCatalog {
    conn: Mutex<Connection>,
    /// Read-only connections; `None` in memory, where a second connection would be another
    /// database.
    readers: Option<Pool<Connection>>,
    path: PathBuf,
}

/// Read connections per catalog: enough for the searches a 2-core server runs at once (see
/// `ServerConfig::max_searches`) plus the API's lists; each costs a file handle and its page
/// cache.
const READERS: usize = 4;

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
        let readers = (0..READERS)
            .map(|_| schema::open_reader(&path))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            conn: Mutex::new(conn),
            readers: Some(Pool::new(readers)),
            path,
        })
    }

    /// An in-memory catalog, for tests.
    pub fn in_memory() -> Result<Self, CatalogError> {
        let conn = Connection::open_in_memory()?;
        schema::prepare(&conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
            readers: None,
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

    /// A connection for reading: a free read-only one (the writer's in memory).
    fn read(&self) -> std::sync::MutexGuard<'_, Connection> {
        match &self.readers {
            Some(pool) => pool.get(),
            None => self.conn(),
        }
    }
}

impl Catalog for SqliteCatalog {
    fn location(&self) -> String {
        self.path.display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::sample;

    /// Issue 17: a read does not wait for a write in progress (an ingest's transaction), and
    /// sees what was committed before it, never what is not yet.
    #[test]
    fn issue17_reads_go_on_beside_an_open_write_transaction() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = std::sync::Arc::new(SqliteCatalog::open(dir.path()).unwrap());
        catalog.insert_media(&sample(&"a".repeat(64))).unwrap();

        let mut writer = catalog.conn();
        let tx = writer.transaction().unwrap();
        tx.execute("DELETE FROM media", []).unwrap();
        let reader = {
            let catalog = catalog.clone();
            std::thread::spawn(move || catalog.list_media().unwrap().len())
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !reader.is_finished() {
            assert!(std::time::Instant::now() < deadline, "the read waited for the writer");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(reader.join().unwrap(), 1, "the uncommitted delete is not seen");
        tx.commit().unwrap();
        drop(writer);
        assert!(catalog.list_media().unwrap().is_empty(), "the commit is seen at once");
    }
}
