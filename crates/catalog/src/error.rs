use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("catalog database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// An error from another backend's database (PostgreSQL), as its driver words it.
    #[error("catalog database: {0}")]
    Database(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no media with id {0}")]
    UnknownMedia(String),
    #[error("no token with id {0}")]
    UnknownToken(i64),
    #[error("no opt-out with id {0}")]
    UnknownOptOut(i64),
    /// A job a worker is ingesting now: it can be neither cancelled nor removed.
    #[error("job {0} is running; it can be removed once it has finished")]
    JobRunning(i64),
    #[error("an opt-out needs at least one face")]
    EmptyOptOut,
    #[error("unknown scope `{0}` (expected read, write or admin)")]
    BadScope(String),
    #[error("a token needs a name and at least one scope")]
    BadToken,
    #[error("a token hash is 32 bytes (SHA-256), not {0}")]
    BadTokenHash(usize),
    #[error("cannot read random bytes from the OS: {0}")]
    Random(String),
    #[error("no store with id {0}")]
    UnknownStore(String),
    #[error("no product {product_id} in store {store_id}")]
    UnknownProduct { store_id: String, product_id: String },
    /// A feed handed to [`Catalog::apply_feed`](crate::Catalog::apply_feed) that breaks its own
    /// invariants (the importer validates first, so this is a bug upstream).
    #[error("invalid feed: {0}")]
    BadFeed(String),
    /// Media handed to `insert_media` that breaks its own invariants (a word naming a track it
    /// does not have): a bug upstream.
    #[error("invalid media: {0}")]
    BadMedia(String),
    #[error("catalog was written by a newer Glint (schema {found}, this build knows {known})")]
    NewerSchema { found: i64, known: i64 },
}
