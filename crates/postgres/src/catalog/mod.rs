//! [`PgCatalog`]: the catalog traits of `glint_catalog` over PostgreSQL, one file per trait as
//! in the embedded backend (`media`, `jobs`, `privacy`, `shop`, `tokens`). The rules that are
//! not storage (feed comparison, token hashing, offer order) come from
//! `glint_catalog::backend`, so both backends decide alike; `glint_catalog::contract` checks it.

mod jobs;
mod media;
mod privacy;
mod shop;
mod tokens;
mod words;

use glint_catalog::{Catalog, CatalogError};

use crate::{Conn, Database};

/// The catalog backend over a [`Database`]. Cheap to clone; every call takes a pooled
/// connection, so calls from many threads and processes run side by side.
#[derive(Clone)]
pub struct PgCatalog {
    db: Database,
}

impl PgCatalog {
    pub(crate) fn new(db: Database) -> Self {
        Self { db }
    }

    pub(crate) fn conn(&self) -> Result<Conn, CatalogError> {
        self.db.conn().map_err(CatalogError::Database)
    }
}

/// A read-only transaction that sees one snapshot throughout (exports read several tables).
pub(crate) fn snapshot(conn: &mut Conn) -> Result<postgres::Transaction<'_>, CatalogError> {
    conn.build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(db)
}

/// A driver error as a catalog error.
pub(crate) fn db(e: postgres::Error) -> CatalogError {
    CatalogError::Database(e.to_string())
}

impl Catalog for PgCatalog {
    fn location(&self) -> String {
        self.db.location().to_string()
    }
}
