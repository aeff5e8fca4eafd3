//! The PostgreSQL backend: the catalog and the vectors of a library in one PostgreSQL database
//! with pgvector, shared by any number of Glint processes on any number of machines.
//!
//! [`Database`] is a connection pool to one database; opening it applies the schema
//! migrations ([`schema`]) under an advisory lock, so processes starting together migrate once.
//! Over one pool sit the two backends, each implementing the traits the embedded default
//! implements:
//! - [`PgCatalog`] implements `glint_catalog::Catalog` (media, tracks, sightings, the job queue
//!   with leases claimed by `FOR UPDATE SKIP LOCKED`, opt-outs, shop, tokens);
//! - [`PgVectors`] implements `glint_index::VectorWrite`: one table per space (`vector(dim)`
//!   with an HNSW index for cosine distance), registered in `vector_spaces`.
//!
//! Unlike the embedded default, where the vector index is a file derived from the catalog and
//! written after each commit, here a media's vectors are written into their space tables in the
//! same transaction as its catalog rows ([`PgCatalog`]'s `insert_media`), so a killed process
//! never leaves the two apart and no repair is needed. [`PgVectors`] serves the searches, and
//! its own writes (upsert, remove) serve the contract tests and tools that manage spaces
//! directly.

mod catalog;
mod schema;
#[doc(hidden)]
pub mod testing;
mod vectors;

use std::time::Duration;

use r2d2_postgres::postgres::NoTls;
use r2d2_postgres::PostgresConnectionManager;

pub use catalog::PgCatalog;
pub use vectors::PgVectors;

/// Why the database could not be reached or prepared.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("bad PostgreSQL URL {url}: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("cannot connect to PostgreSQL at {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("PostgreSQL at {url}: {reason}")]
    Schema { url: String, reason: String },
}

pub(crate) type Pool = r2d2_postgres::r2d2::Pool<PostgresConnectionManager<NoTls>>;
pub(crate) type Conn = r2d2_postgres::r2d2::PooledConnection<PostgresConnectionManager<NoTls>>;

/// A pool of connections to one Glint database.
#[derive(Clone)]
pub struct Database {
    pool: Pool,
    /// The URL without its password, for messages.
    shown: String,
}

impl Database {
    /// Connects to `url` (`postgres://user[:password]@host[:port]/dbname`), creates the
    /// pgvector extension if needed and brings the schema to this build's version.
    pub fn open(url: &str) -> Result<Self, PgError> {
        let shown = without_password(url);
        let config: postgres::Config = url.parse().map_err(|e: postgres::Error| PgError::BadUrl {
            url: shown.clone(),
            reason: e.to_string(),
        })?;
        let manager = PostgresConnectionManager::new(config, NoTls);
        let pool = r2d2_postgres::r2d2::Pool::builder()
            .max_size(pool_size())
            // Connections open as they are needed: many processes share one server's limit.
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .build(manager)
            .map_err(|e| PgError::Connect {
                url: shown.clone(),
                reason: e.to_string(),
            })?;
        let db = Self { pool, shown };
        let mut conn = db.conn().map_err(|reason| PgError::Connect {
            url: db.shown.clone(),
            reason,
        })?;
        schema::migrate(&mut *conn).map_err(|e| PgError::Schema {
            url: db.shown.clone(),
            reason: e.to_string(),
        })?;
        Ok(db)
    }

    /// The catalog backend over this database.
    pub fn catalog(&self) -> PgCatalog {
        PgCatalog::new(self.clone())
    }

    /// The vector backend over this database.
    pub fn vectors(&self) -> PgVectors {
        PgVectors::new(self.clone())
    }

    /// The URL without its password.
    pub fn location(&self) -> &str {
        &self.shown
    }

    pub(crate) fn conn(&self) -> Result<Conn, String> {
        self.pool.get().map_err(|e| format!("no database connection: {e}"))
    }
}

/// Connections per process: searches run on many threads at once, ingest workers a few more.
fn pool_size() -> u32 {
    std::env::var("GLINT_PG_POOL")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n: &u32| n > 0)
        .unwrap_or(12)
}

/// `postgres://user:secret@host/db` → `postgres://user@host/db`.
pub fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_string();
    };
    let user = userinfo.split(':').next().unwrap_or("");
    format!("{scheme}://{user}@{host}")
}

#[cfg(test)]
mod tests {
    use super::without_password;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            without_password("postgres://glint:s3cret@db:5432/glint"),
            "postgres://glint@db:5432/glint"
        );
        assert_eq!(
            without_password("postgres://glint@db/glint"),
            "postgres://glint@db/glint"
        );
        assert_eq!(without_password("host=db user=glint"), "host=db user=glint");
    }
}
