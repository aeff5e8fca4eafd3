//! What every request shares, and how it is put together.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use glint_ingest::IngestConfig;
use glint_search::Searcher;
use glint_store::Store;
use glint_vision::Models;

use crate::limits::{Limits, RateLimit};
use crate::session::SessionKey;
use crate::worker::Worker;
use crate::ServerError;

/// Limits and settings of one server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Largest accepted upload (`POST /api/media`), in bytes.
    pub max_upload_bytes: u64,
    /// Largest accepted search photo (`POST /api/search/photo`), in bytes.
    pub max_photo_bytes: u64,
    /// Largest accepted catalog feed upload (`POST /api/catalog/import`, a feed or a ZIP with its
    /// images), in bytes; held in memory while it is saved.
    pub max_catalog_bytes: u64,
    /// Largest accepted JSON body (`POST /api/search`), in bytes.
    pub max_json_bytes: usize,
    /// Searches (JSON and photo) that may run at once; more wait for a slot.
    pub max_searches: usize,
    /// How long a search waits for a free slot before it is answered 503 `busy`.
    pub search_queue_wait: Duration,
    /// Searches per client (peer IP) and second, with a burst allowance; over it is 429.
    pub search_rate: RateLimit,
    /// Reverse proxies whose `X-Forwarded-For` names the client (for the per-client rate
    /// limit); empty: the peer address is the client, whatever headers say.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Longest a search (with the decoding of its photo) may run before it is answered 504.
    pub work_timeout: Duration,
    /// How uploads are ingested. Its `image_limits` (pixel count) also bound search photos.
    pub ingest: IngestConfig,
    /// Access control by bearer token (see `auth`). `false` lets every request through
    /// (`glint serve --open`, for local demos).
    pub auth: bool,
    /// Whether searching and viewing need no token; when `false` they need the `read` scope.
    pub read_public: bool,
    /// The server listens on a loopback address only. While no token was ever created, such a
    /// server lets every request through, so a fresh local install works without setup.
    pub loopback: bool,
    /// Whether searches may use face identity (privacy switch; face indexing is `ingest.faces`).
    pub face_search: bool,
    /// A secret that works as an `admin` token (`GLINT_ADMIN_KEY`), stored as one at start, so
    /// an unattended deployment has a first credential without running `glint tokens create`.
    /// `glint_` and at least 16 random characters, like the secrets Glint makes; a key revoked with `glint tokens revoke` stays revoked.
    pub admin_key: Option<String>,
    /// Gzip for answers that gain from it (JSON, the web app), never for media bytes (already
    /// compressed, and a compressed byte range would not be the range asked for).
    pub compression: bool,
    /// Web origins (`https://app.example`) whose pages may call this API from the browser
    /// (CORS, with a bearer token; the session cookie stays same-site). Empty: none.
    pub cors_origins: Vec<String>,
    /// Whether uploads are ingested by a thread of this server (else by `glint worker`
    /// processes sharing the database).
    pub ingest_worker: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_upload_bytes: 2 << 30,
            max_photo_bytes: 32 << 20,
            max_catalog_bytes: 256 << 20,
            max_json_bytes: 64 << 10,
            // Searches are CPU-bound model runs; more at once than cores only adds latency.
            max_searches: std::thread::available_parallelism().map_or(4, |n| n.get().max(2)),
            search_queue_wait: Duration::from_secs(5),
            search_rate: RateLimit {
                per_second: 20.0,
                burst: 40.0,
            },
            work_timeout: Duration::from_secs(60),
            trusted_proxies: Vec::new(),
            ingest: IngestConfig::default(),
            auth: true,
            read_public: true,
            loopback: false,
            face_search: true,
            admin_key: None,
            compression: true,
            cors_origins: Vec::new(),
            ingest_worker: true,
        }
    }
}

/// The shared state of the server; cloning is cheap.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    models: Models,
    searcher: Searcher,
    config: ServerConfig,
    worker: Worker,
    limits: Limits,
    /// Signs browser sessions (`crate::session`).
    session_key: SessionKey,
    /// Held while a catalog feed is imported: two imports would index the same images at once
    /// for nothing.
    catalog_import: std::sync::Mutex<()>,
}

impl AppState {
    /// Prepares the uploads folder and starts the ingest worker, which first resumes whatever
    /// the queue still holds from an earlier run.
    pub fn new(store: Store, models: Models, config: ServerConfig) -> Result<Self, ServerError> {
        let uploads = uploads_dir(&store.data_dir);
        std::fs::create_dir_all(&uploads).map_err(|source| ServerError::Dir { path: uploads, source })?;
        // The searcher and the worker share the store's catalog and index (both behind `Arc`),
        // so what the worker ingests is searchable at once.
        let searcher = Searcher::new(store.clone(), models.clone());
        let worker = if config.ingest_worker {
            Worker::start(store.clone(), models.clone(), config.ingest.clone())?
        } else {
            Worker::elsewhere()
        };
        let limits = Limits::new(&config);
        let session_key = SessionKey::load_or_create(&store.data_dir)?;
        if let Some(key) = &config.admin_key {
            bootstrap_admin(&store, key)?;
        }
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                models,
                searcher,
                config,
                worker,
                limits,
                session_key,
                catalog_import: std::sync::Mutex::new(()),
            }),
        })
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn models(&self) -> &Models {
        &self.inner.models
    }

    pub fn searcher(&self) -> &Searcher {
        &self.inner.searcher
    }

    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    pub fn worker(&self) -> &Worker {
        &self.inner.worker
    }

    pub(crate) fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    pub(crate) fn session_key(&self) -> &SessionKey {
        &self.inner.session_key
    }

    pub(crate) fn catalog_import(&self) -> &std::sync::Mutex<()> {
        &self.inner.catalog_import
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.store.data_dir
    }

    /// Where uploaded files are kept.
    pub fn uploads_dir(&self) -> PathBuf {
        uploads_dir(self.data_dir())
    }
}

/// Absolute, because jobs record absolute paths and uploads are recognised by their prefix.
pub(crate) fn uploads_dir(data_dir: &Path) -> PathBuf {
    let dir = data_dir.join("uploads");
    std::path::absolute(&dir).unwrap_or(dir)
}

/// Deletes `path` when it is one of the uploads kept in `uploads`; files indexed in place
/// belong to their owner and are never touched. A failure is logged, not returned: what the
/// file belonged to (a media, a job) is already gone.
pub(crate) fn discard_upload(uploads: &Path, path: &Path) {
    if path.starts_with(uploads) {
        if let Err(e) = std::fs::remove_file(path) {
            tracing::warn!(path = %path.display(), "cannot remove an uploaded file: {e}");
        }
    }
}

/// Stores the bootstrap admin key as an `admin` token unless it already is one. Its record
/// keeps the hash only, like every token, and `glint tokens list` shows it by its name.
fn bootstrap_admin(store: &Store, key: &str) -> Result<(), ServerError> {
    let prefix = glint_catalog::backend::SECRET_PREFIX;
    let key = key.trim();
    if !key.starts_with(prefix) || key.len() < prefix.len() + 16 {
        return Err(ServerError::AdminKey(format!(
            "GLINT_ADMIN_KEY must be `{prefix}` followed by at least 16 random characters, \
             e.g. {prefix}$(openssl rand -hex 16)"
        )));
    }
    let token = glint_catalog::TokenRecord {
        id: 0,
        name: "admin key (GLINT_ADMIN_KEY)".into(),
        scopes: vec![glint_catalog::Scope::Admin],
        created_at: glint_catalog::backend::now(),
        revoked_at: None,
    };
    let hash = glint_catalog::backend::hash_secret(key);
    let added = store
        .catalog
        .import_token(&token, &hash)
        .map_err(|e| ServerError::AdminKey(e.to_string()))?;
    if added {
        tracing::info!("the admin key from the environment is now an admin token");
    }
    Ok(())
}
