//! The PostgreSQL schema and its migrations, versioned in `glint_schema`.
//!
//! The tables mirror the embedded catalog's (crates/catalog/src/schema.rs) in PostgreSQL's
//! types, with two differences: a vector row (`vectors`) holds only its track and space, its
//! floats living in the space's own table (see [`crate::vectors`]), and jobs carry their lease
//! from the start. Each step runs in its own transaction under an advisory lock, so processes
//! starting at once migrate one after the other and a crash leaves a version to resume from.

use postgres::GenericClient;

/// Advisory lock key for migrations ("glint" in ASCII, as a number).
const MIGRATION_LOCK: i64 = 0x0067_6c69_6e74;

const V1: &str = "
CREATE TABLE media (
    id             BIGSERIAL PRIMARY KEY,
    uid            TEXT NOT NULL UNIQUE,
    sha256         TEXT NOT NULL UNIQUE,
    path           TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('video', 'image')),
    width          BIGINT NOT NULL,
    height         BIGINT NOT NULL,
    duration_s     DOUBLE PRECISION,
    fps            DOUBLE PRECISION,
    frames_sampled BIGINT NOT NULL,
    decode_errors  BIGINT NOT NULL DEFAULT 0,
    added_at       BIGINT NOT NULL
);
CREATE TABLE shots (
    media_id    BIGINT NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    idx         BIGINT NOT NULL,
    start_s     DOUBLE PRECISION NOT NULL,
    start_frame BIGINT NOT NULL,
    PRIMARY KEY (media_id, idx)
);
CREATE TABLE tracks (
    id       BIGSERIAL PRIMARY KEY,
    media_id BIGINT NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    ordinal  BIGINT NOT NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('face', 'item')),
    shot_idx BIGINT NOT NULL,
    start_s  DOUBLE PRECISION,
    end_s    DOUBLE PRECISION,
    score    REAL NOT NULL,
    UNIQUE (media_id, ordinal)
);
CREATE TABLE sightings (
    track_id BIGINT NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
    t        DOUBLE PRECISION,
    x REAL NOT NULL, y REAL NOT NULL, w REAL NOT NULL, h REAL NOT NULL
);
CREATE INDEX sightings_track ON sightings(track_id);
-- The floats of each vector live in its space's table (vector_spaces.tbl), same id.
CREATE TABLE vectors (
    id       BIGSERIAL PRIMARY KEY,
    track_id BIGINT NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
    space    TEXT NOT NULL
);
CREATE INDEX vectors_track ON vectors(track_id);
CREATE INDEX vectors_space ON vectors(space);
CREATE TABLE vector_spaces (
    name TEXT PRIMARY KEY,
    dim  INTEGER NOT NULL CHECK (dim > 0),
    tbl  TEXT NOT NULL UNIQUE
);
CREATE SEQUENCE vector_space_tables;
CREATE TABLE jobs (
    id          BIGSERIAL PRIMARY KEY,
    path        TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    outcome     TEXT,
    error       TEXT,
    media_uid   TEXT,
    fps         DOUBLE PRECISION NOT NULL,
    worker      TEXT,
    lease_until BIGINT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX jobs_claimable ON jobs(state, id);
CREATE TABLE tokens (
    id         BIGSERIAL PRIMARY KEY,
    name       TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    hash       BYTEA NOT NULL UNIQUE CHECK (length(hash) = 32),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE TABLE opt_outs (
    id         BIGSERIAL PRIMARY KEY,
    created_at BIGINT NOT NULL,
    note       TEXT
);
CREATE TABLE opt_out_faces (
    id         BIGSERIAL PRIMARY KEY,
    opt_out_id BIGINT NOT NULL REFERENCES opt_outs(id) ON DELETE CASCADE,
    embedding  BYTEA NOT NULL
);
CREATE TABLE face_search_log (
    id         BIGSERIAL PRIMARY KEY,
    at         BIGINT NOT NULL,
    route      TEXT NOT NULL,
    query_kind TEXT NOT NULL,
    results    BIGINT NOT NULL
);
CREATE TABLE stores (
    store_id TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    url      TEXT,
    country  TEXT,
    verified BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE TABLE products (
    id          BIGSERIAL PRIMARY KEY,
    store_id    TEXT NOT NULL REFERENCES stores(store_id) ON DELETE CASCADE,
    product_id  TEXT NOT NULL,
    title       TEXT NOT NULL,
    description TEXT,
    category    TEXT,
    brand       TEXT,
    UNIQUE (store_id, product_id)
);
CREATE TABLE product_images (
    product   BIGINT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    position  BIGINT NOT NULL,
    source    TEXT NOT NULL,
    status    TEXT NOT NULL CHECK (status IN ('indexed', 'not fetched', 'failed')),
    media_uid TEXT,
    PRIMARY KEY (product, position)
);
CREATE INDEX product_images_media ON product_images(media_uid);
CREATE TABLE offers (
    id           BIGSERIAL PRIMARY KEY,
    product      BIGINT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    store_id     TEXT NOT NULL REFERENCES stores(store_id) ON DELETE CASCADE,
    price        DOUBLE PRECISION NOT NULL CHECK (price >= 0),
    currency     TEXT NOT NULL CHECK (length(currency) = 3 AND currency = upper(currency)),
    url          TEXT NOT NULL,
    availability TEXT NOT NULL CHECK (availability IN ('in_stock', 'out_of_stock', 'preorder', 'unknown')),
    updated_at   BIGINT NOT NULL
);
CREATE INDEX offers_product ON offers(product);
CREATE INDEX offers_store ON offers(store_id);
";

/// Object tracks name what they show (issue 18), as in the embedded catalog's v6.
const V2: &str = "ALTER TABLE tracks ADD COLUMN label TEXT;";

/// Words on what was seen (issue 16), as in the embedded catalog's v7, and full-text search over
/// them and over products. Where SQLite keeps FTS5 tables in step through triggers, here each
/// table carries a generated `tsvector` column: PostgreSQL recomputes it on every insert and
/// update (a feed renaming a product included) and it goes with its row, so no write path can
/// forget it, and adding it indexes the existing products at once. The English configuration
/// stems as SQLite's Porter tokenizer does ("juices" finds "juice"). Product words weigh by
/// where they are, as SQLite's bm25 weights do: title (A) over brand and category (B) over the
/// description (C).
const V3: &str = "
CREATE TABLE words (
    id       BIGSERIAL PRIMARY KEY,
    media_id BIGINT NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    track_id BIGINT REFERENCES tracks(id) ON DELETE CASCADE,
    source   TEXT NOT NULL CHECK (source IN ('label', 'ocr', 'subtitle')),
    text     TEXT NOT NULL,
    score    REAL NOT NULL,
    start_s  DOUBLE PRECISION,
    end_s    DOUBLE PRECISION,
    x REAL, y REAL, w REAL, h REAL,
    tsv      TSVECTOR GENERATED ALWAYS AS (to_tsvector('english', text)) STORED
);
CREATE INDEX words_media ON words(media_id);
CREATE INDEX words_track ON words(track_id);
CREATE INDEX words_tsv ON words USING GIN (tsv);
ALTER TABLE products ADD COLUMN tsv TSVECTOR GENERATED ALWAYS AS (
    setweight(to_tsvector('english', title), 'A') ||
    setweight(to_tsvector('english', coalesce(brand, '')), 'B') ||
    setweight(to_tsvector('english', coalesce(category, '')), 'B') ||
    setweight(to_tsvector('english', coalesce(description, '')), 'C')
) STORED;
CREATE INDEX products_tsv ON products USING GIN (tsv);
";

/// The migrations, in order; the schema version is the number applied.
const STEPS: &[&str] = &[V1, V2, V3];

/// Brings the database to this build's schema.
pub(crate) fn migrate(conn: &mut impl GenericClient) -> Result<(), postgres::Error> {
    conn.batch_execute("CREATE EXTENSION IF NOT EXISTS vector")?;
    conn.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])?;
    let result = apply(conn);
    conn.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])?;
    result
}

fn apply(conn: &mut impl GenericClient) -> Result<(), postgres::Error> {
    conn.batch_execute("CREATE TABLE IF NOT EXISTS glint_schema (version INTEGER NOT NULL)")?;
    let found: i64 = conn
        .query_opt("SELECT version::BIGINT FROM glint_schema", &[])?
        .map_or(0, |r| r.get(0));
    if found > STEPS.len() as i64 {
        tracing::warn!(found, known = STEPS.len(), "database schema is newer than this build");
    }
    for (i, step) in STEPS.iter().enumerate().skip(found.max(0) as usize) {
        let version = i as i32 + 1;
        let mut tx = conn.transaction()?;
        tx.batch_execute(step)?;
        tx.execute("DELETE FROM glint_schema", &[])?;
        tx.execute("INSERT INTO glint_schema (version) VALUES ($1)", &[&version])?;
        tx.commit()?;
        tracing::info!(version, "database schema migrated");
    }
    Ok(())
}
