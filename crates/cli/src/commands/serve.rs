//! `glint serve`: the HTTP API and web UI over the data directory, with uploads ingested by a
//! background worker (see the glint-server crate).

use std::net::SocketAddr;

use clap::Args;

use glint_ingest::IngestConfig;
use glint_server::{AppState, ServerConfig};

use crate::config::GlobalArgs;

/// Uploads and deletes need `Authorization: Bearer <token>` with the `write` scope (create one
/// with `glint tokens create NAME --scope write`); searching and viewing are public unless
/// `--private`. Exception: while no token has ever been created, a server bound to a loopback
/// address (the default) lets everything through, so a fresh local install works as is.
#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on; use 0.0.0.0:PORT to reach it from other machines.
    #[arg(long, env = "GLINT_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Largest accepted upload, in MiB.
    #[arg(long, env = "GLINT_MAX_UPLOAD_MB", default_value_t = 2048, value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    pub max_upload_mb: u64,
    /// No access control at all: anyone who reaches the server may upload and delete (local
    /// demos only).
    #[arg(long, env = "GLINT_OPEN", value_parser = clap::builder::FalseyValueParser::new())]
    pub open: bool,
    /// Require a token with the `read` scope to search and view too (by default reads are public).
    #[arg(long, env = "GLINT_PRIVATE", value_parser = clap::builder::FalseyValueParser::new())]
    pub private: bool,
    /// Longest uploaded video accepted, in minutes.
    #[arg(long, env = "GLINT_MAX_VIDEO_MIN", default_value_t = 240.0)]
    pub max_video_min: f64,
    /// Longest time one uploaded video may take to decode and index, in minutes.
    #[arg(long, env = "GLINT_MAX_ANALYSIS_MIN", default_value_t = 240.0)]
    pub max_analysis_min: f64,
    /// Whether this server ingests uploads itself, on one background thread. Default: yes on
    /// the embedded library; no with --database, where `glint worker` processes do it and API
    /// servers stay stateless.
    #[arg(long, env = "GLINT_SERVE_INGEST", action = clap::ArgAction::Set)]
    pub ingest_worker: Option<bool>,
    /// Read the text in uploaded photos and at shot starts of uploaded videos (see `glint
    /// ingest --ocr`).
    #[arg(long, env = "GLINT_INGEST_OCR")]
    pub ocr: bool,
    /// Address of a reverse proxy in front of this server (repeat, or comma-separated in the
    /// variable): requests from it are counted against the client its `X-Forwarded-For` names,
    /// so the per-client search rate limit does not put everyone behind the proxy in one bucket.
    #[arg(long = "trusted-proxy", env = "GLINT_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Web origin allowed to call the API from its pages (CORS; repeat, or comma-separated).
    #[arg(long = "cors-origin", env = "GLINT_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Gzip answers that gain from it (never media bytes).
    #[arg(long, env = "GLINT_COMPRESSION", default_value_t = true, action = clap::ArgAction::Set)]
    pub compression: bool,
    /// Largest search photo, in MiB.
    #[arg(long, env = "GLINT_MAX_PHOTO_MB", default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub max_photo_mb: u64,
    /// Largest catalog feed upload (a feed or a ZIP with its images), in MiB.
    #[arg(long, env = "GLINT_MAX_CATALOG_MB", default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=65536))]
    pub max_catalog_mb: u64,
    /// Largest JSON body (a search), in KiB.
    #[arg(long, env = "GLINT_MAX_JSON_KB", default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=65536))]
    pub max_json_kb: u64,
    /// Searches run at once; more wait for a slot (default: the number of cores, at least 2).
    #[arg(long, env = "GLINT_MAX_SEARCHES", value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub max_searches: Option<u64>,
    /// How long a search waits for a slot before it is answered 503, in seconds.
    #[arg(long, env = "GLINT_SEARCH_QUEUE_WAIT_S", default_value_t = 5.0)]
    pub search_queue_wait_s: f64,
    /// Searches per client and second (over it: 429); 0 turns the limit off.
    #[arg(long, env = "GLINT_SEARCH_RATE", default_value_t = 20.0)]
    pub search_rate: f64,
    /// Searches a client may send in a burst above the rate.
    #[arg(long, env = "GLINT_SEARCH_BURST", default_value_t = 40.0)]
    pub search_burst: f64,
    /// Longest a search may run before it is answered 504, in seconds.
    #[arg(long, env = "GLINT_WORK_TIMEOUT_S", default_value_t = 60.0)]
    pub work_timeout_s: f64,
}

/// Seconds from a setting, refused when negative or not finite.
fn seconds(value: f64, what: &str) -> anyhow::Result<std::time::Duration> {
    std::time::Duration::try_from_secs_f64(value)
        .map_err(|_| anyhow::anyhow!("{what} must be a non-negative number, got {value}"))
}

pub fn run(global: &GlobalArgs, args: ServeArgs) -> anyhow::Result<()> {
    let defaults = ServerConfig::default();
    let queue_wait = seconds(args.search_queue_wait_s, "--search-queue-wait-s")?;
    let work_timeout = seconds(args.work_timeout_s, "--work-timeout-s")?;
    let job_retention = global.job_retention()?;
    if args.ocr {
        // A missing Tesseract is said at start, not as every upload's failure.
        glint_ingest::text_reader()?;
    }
    if !(args.search_rate.is_finite()
        && args.search_rate >= 0.0
        && args.search_burst.is_finite()
        && args.search_burst >= 1.0)
    {
        anyhow::bail!("--search-rate must be 0 or more and --search-burst 1 or more");
    }
    let store = global.open_store()?;
    let models = global.load_models()?;
    let config = ServerConfig {
        max_upload_bytes: args.max_upload_mb << 20,
        max_photo_bytes: args.max_photo_mb << 20,
        max_catalog_bytes: args.max_catalog_mb << 20,
        max_json_bytes: (args.max_json_kb << 10) as usize,
        max_searches: args.max_searches.map_or(defaults.max_searches, |n| n as usize),
        search_queue_wait: queue_wait,
        search_rate: glint_server::RateLimit {
            per_second: args.search_rate,
            burst: args.search_burst,
        },
        work_timeout,
        compression: args.compression,
        cors_origins: args.cors_origins,
        auth: !args.open,
        read_public: !args.private,
        loopback: args.bind.ip().is_loopback(),
        face_search: global.faces.search(),
        ingest_worker: args.ingest_worker.unwrap_or(global.database.is_none()),
        trusted_proxies: args.trusted_proxies,
        // From the environment only: a secret on the command line would show in `ps`.
        admin_key: std::env::var("GLINT_ADMIN_KEY").ok().filter(|k| !k.is_empty()),
        ingest: IngestConfig {
            faces: global.faces.indexing(),
            seek_proxies: global.seek_proxies,
            max_video_s: args.max_video_min * 60.0,
            max_analysis_s: args.max_analysis_min * 60.0,
            ocr: args.ocr,
            job_retention,
            ..IngestConfig::default()
        },
    };
    let state = AppState::new(store, models, config)?;
    glint_server::run(state, args.bind, |addr| {
        println!(
            "Glint is running at http://{addr}/  (data: {})",
            global.library_location()
        );
        println!("Press Ctrl-C to stop.");
    })?;
    Ok(())
}
