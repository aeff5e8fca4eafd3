//! Schema and migrations, versioned with SQLite's `user_version`.

use rusqlite::Connection;

use crate::CatalogError;

pub(crate) const VERSION: i64 = 7;

pub(crate) const SCHEMA_V1: &str = "
CREATE TABLE media (
    id            INTEGER PRIMARY KEY,
    uid           TEXT NOT NULL UNIQUE,      -- public id: first 16 hex digits of sha256
    sha256        TEXT NOT NULL UNIQUE,      -- identity of a media file is its content
    path          TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('video', 'image')),
    width         INTEGER NOT NULL,
    height        INTEGER NOT NULL,
    duration_s    REAL,
    fps           REAL,
    frames_sampled INTEGER NOT NULL,
    decode_errors INTEGER NOT NULL DEFAULT 0,
    added_at      INTEGER NOT NULL
);
CREATE TABLE shots (
    media_id   INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    idx        INTEGER NOT NULL,
    start_s    REAL NOT NULL,
    start_frame INTEGER NOT NULL,
    PRIMARY KEY (media_id, idx)
);
CREATE TABLE tracks (
    id         INTEGER PRIMARY KEY,
    media_id   INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    ordinal    INTEGER NOT NULL,             -- position within the media (thumbnail name)
    kind       TEXT NOT NULL CHECK (kind IN ('face', 'item')),
    shot_idx   INTEGER NOT NULL,
    start_s    REAL,
    end_s      REAL,
    score      REAL NOT NULL,
    UNIQUE (media_id, ordinal)
);
CREATE INDEX tracks_media ON tracks(media_id);
CREATE TABLE sightings (
    track_id   INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
    t          REAL,                          -- seconds; NULL for images
    x REAL NOT NULL, y REAL NOT NULL, w REAL NOT NULL, h REAL NOT NULL
);
CREATE INDEX sightings_track ON sightings(track_id);
CREATE TABLE vectors (
    id         INTEGER PRIMARY KEY,           -- the id in the vector index
    track_id   INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
    space      TEXT NOT NULL,
    data       BLOB NOT NULL                  -- little-endian f32
);
CREATE INDEX vectors_track ON vectors(track_id);
CREATE INDEX vectors_space ON vectors(space);
CREATE TABLE jobs (
    id         INTEGER PRIMARY KEY,
    path       TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    outcome    TEXT,                          -- 'ingested' | 'skipped' when done
    error      TEXT,
    media_uid  TEXT,
    fps        REAL NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX jobs_state ON jobs(state);
";

/// v2: API tokens. Only the SHA-256 of a secret is kept; the secret is shown once at creation.
pub(crate) const SCHEMA_V2: &str = "
CREATE TABLE tokens (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    scopes     TEXT NOT NULL,                 -- comma-separated subset of read, write, admin
    hash       BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
";

/// v3: face privacy. People who opted out of face search (with the identity vectors of the photos
/// they submitted, checked at every search), and an append-only log of searches that used the
/// person route.
pub(crate) const SCHEMA_V3: &str = "
CREATE TABLE opt_outs (
    id         INTEGER PRIMARY KEY,
    created_at INTEGER NOT NULL,
    note       TEXT
);
CREATE TABLE opt_out_faces (
    opt_out_id INTEGER NOT NULL REFERENCES opt_outs(id) ON DELETE CASCADE,
    embedding  BLOB NOT NULL                  -- little-endian f32, the face space's vector
);
CREATE INDEX opt_out_faces_owner ON opt_out_faces(opt_out_id);
CREATE TABLE face_search_log (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    route      TEXT NOT NULL,                 -- the response's route, e.g. 'person+item'
    query_kind TEXT NOT NULL,                 -- image | media | sighting
    results    INTEGER NOT NULL               -- person hits returned
);
";

/// v4: the merchant catalog (issue #6). Stores and their products, each product's images (the
/// media uid of an indexed image is a plain column, not a foreign key: deleting a media must never
/// be blocked by a product that shows it) and the offers that say where to buy it.
const SCHEMA_V4: &str = "
CREATE TABLE stores (
    store_id   TEXT PRIMARY KEY,              -- chosen by the merchant
    name       TEXT NOT NULL,
    url        TEXT,
    country    TEXT,
    verified   INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1))
);
CREATE TABLE products (
    id          INTEGER PRIMARY KEY,
    store_id    TEXT NOT NULL REFERENCES stores(store_id) ON DELETE CASCADE,
    product_id  TEXT NOT NULL,                -- the merchant's id
    title       TEXT NOT NULL,
    description TEXT,
    category    TEXT,
    brand       TEXT,
    UNIQUE (store_id, product_id)
);
CREATE TABLE product_images (
    product    INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    source     TEXT NOT NULL,                 -- relative path or URL, as the feed gave it
    status     TEXT NOT NULL CHECK (status IN ('indexed', 'not fetched', 'failed')),
    media_uid  TEXT,
    PRIMARY KEY (product, position)
);
CREATE INDEX product_images_media ON product_images(media_uid);
CREATE TABLE offers (
    id           INTEGER PRIMARY KEY,
    product      INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    store_id     TEXT NOT NULL REFERENCES stores(store_id) ON DELETE CASCADE,
    price        REAL NOT NULL CHECK (price >= 0),
    currency     TEXT NOT NULL CHECK (length(currency) = 3 AND currency = upper(currency)),
    url          TEXT NOT NULL,
    availability TEXT NOT NULL CHECK (availability IN ('in_stock', 'out_of_stock', 'preorder', 'unknown')),
    updated_at   INTEGER NOT NULL
);
CREATE INDEX offers_product ON offers(product);
CREATE INDEX offers_store ON offers(store_id);
";

/// v5: job leases (issue 15). A claimed job names its worker and the time its lease ends;
/// a job whose lease ended is claimed again.
const SCHEMA_V5: &str = "
ALTER TABLE jobs ADD COLUMN worker TEXT;
ALTER TABLE jobs ADD COLUMN lease_until INTEGER;
";

/// v6: object tracks name what they show (issue 18): the detector's class, e.g. "handbag".
const SCHEMA_V6: &str = "
ALTER TABLE tracks ADD COLUMN label TEXT;
";

/// v7: words on what was seen (issue 16), with full-text indexes (FTS5, Porter stemming) over
/// them and over the merchant catalog's products. The FTS tables index their content tables
/// through triggers, so every write path (a media's transaction, a feed's, a cascade) keeps them
/// in step; existing products are indexed once here.
const SCHEMA_V7: &str = "
CREATE TABLE words (
    id        INTEGER PRIMARY KEY,
    media_id  INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    track_id  INTEGER REFERENCES tracks(id) ON DELETE CASCADE,
    source    TEXT NOT NULL CHECK (source IN ('label', 'ocr', 'subtitle')),
    text      TEXT NOT NULL,
    score     REAL NOT NULL,
    start_s   REAL,
    end_s     REAL,
    x REAL, y REAL, w REAL, h REAL
);
CREATE INDEX words_media ON words(media_id);
CREATE INDEX words_track ON words(track_id);
CREATE VIRTUAL TABLE words_fts USING fts5(text, content='words', content_rowid='id', tokenize='porter unicode61');
CREATE TRIGGER words_ai AFTER INSERT ON words BEGIN
    INSERT INTO words_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER words_ad AFTER DELETE ON words BEGIN
    INSERT INTO words_fts(words_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE VIRTUAL TABLE products_fts USING fts5(title, description, brand, category, content='products', content_rowid='id', tokenize='porter unicode61');
CREATE TRIGGER products_ai AFTER INSERT ON products BEGIN
    INSERT INTO products_fts(rowid, title, description, brand, category)
    VALUES (new.id, new.title, new.description, new.brand, new.category);
END;
CREATE TRIGGER products_ad AFTER DELETE ON products BEGIN
    INSERT INTO products_fts(products_fts, rowid, title, description, brand, category)
    VALUES ('delete', old.id, old.title, old.description, old.brand, old.category);
END;
CREATE TRIGGER products_au AFTER UPDATE ON products BEGIN
    INSERT INTO products_fts(products_fts, rowid, title, description, brand, category)
    VALUES ('delete', old.id, old.title, old.description, old.brand, old.category);
    INSERT INTO products_fts(rowid, title, description, brand, category)
    VALUES (new.id, new.title, new.description, new.brand, new.category);
END;
INSERT INTO products_fts(products_fts) VALUES ('rebuild');
";

/// A read-only connection to a catalog that [`prepare`] has set up (WAL, current schema).
pub(crate) fn open_reader(path: &std::path::Path) -> Result<Connection, CatalogError> {
    use rusqlite::OpenFlags;
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    Ok(conn)
}

pub(crate) fn prepare(conn: &Connection) -> Result<(), CatalogError> {
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    // WAL: readers never block the ingest writer; NORMAL sync is durable at each commit in WAL.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > VERSION {
        return Err(CatalogError::NewerSchema { found, known: VERSION });
    }
    // Each step moves one version up in its own transaction, so an older catalog is migrated
    // in place and a crash mid-way leaves it at a version it can resume from.
    if found < 1 {
        conn.execute_batch(&format!("BEGIN; {SCHEMA_V1} PRAGMA user_version = 1; COMMIT;"))?;
    }
    if found < 2 {
        conn.execute_batch(&format!("BEGIN; {SCHEMA_V2} PRAGMA user_version = 2; COMMIT;"))?;
    }
    if found < 3 {
        conn.execute_batch(&format!("BEGIN; {SCHEMA_V3} PRAGMA user_version = 3; COMMIT;"))?;
    }
    if found < 4 {
        conn.execute_batch(&format!("BEGIN; {SCHEMA_V4} PRAGMA user_version = 4; COMMIT;"))?;
    }
    if found < 5 {
        conn.execute_batch(&format!("BEGIN; {SCHEMA_V5} PRAGMA user_version = 5; COMMIT;"))?;
    }
    if found < 6 {
        conn.execute_batch(&format!("BEGIN; {SCHEMA_V6} PRAGMA user_version = 6; COMMIT;"))?;
    }
    if found < 7 {
        conn.execute_batch(&format!("BEGIN; {SCHEMA_V7} PRAGMA user_version = 7; COMMIT;"))?;
    }
    Ok(())
}
