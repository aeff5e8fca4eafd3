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
    /// Address of a reverse proxy in front of this server (repeat, or comma-separated in the
    /// variable): requests from it are counted against the client its `X-Forwarded-For` names,
    /// so the per-client search rate limit does not put everyone behind the proxy in one bucket.
    #[arg(long = "trusted-proxy", env = "GLINT_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

pub fn run(global: &GlobalArgs, args: ServeArgs) -> anyhow::Result<()> {
    let store = global.open_store()?;
    let models = global.load_models()?;
    let config = ServerConfig {
        max_upload_bytes: args.max_upload_mb << 20,
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
            ..IngestConfig::default()
        },
        ..ServerConfig::default()
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
