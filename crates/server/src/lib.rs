//! The HTTP API and web UI of Glint, served by the `glint serve` command.
//!
//! [`AppState`] is what every request shares: the [`Store`](glint_store::Store) (catalog and
//! vector index, embedded or on PostgreSQL), the loaded [`Models`](glint_vision::Models), a
//! [`Searcher`](glint_search::Searcher) over the same store, the [`ServerConfig`], and the
//! handle of the background [`worker`] thread that works the durable ingest queue (woken
//! whenever an upload adds a job; it reports progress that `GET /api/jobs` shows). With a shared
//! database the server may run no worker at all (`ServerConfig::ingest_worker`): uploads are
//! then only queued, for `glint worker` processes. Ingest is a dependency for that thread and
//! for merchant catalog imports, which index product images; reads never go through it. [`app`]
//! builds the router from the one table of endpoints in `routes`; each handler parses its
//! input, runs the heavy part (search, decoding, file reads) on the blocking pool and answers
//! JSON, or an [`ApiError`] whose status and code come from one table in `error`. The OpenAPI
//! document is generated from the handlers' `#[utoipa::path]` and the types they answer with
//! (`openapi`), and describes every endpoint of that table; `web` serves the embedded
//! single-page UI. Each endpoint of the table declares its [`Access`]; `auth` checks bearer
//! tokens (kept in the catalog) in front of it; `limits` bounds what searches may cost (rate per
//! client, concurrent jobs, time). Merchant catalog feeds are imported synchronously, one at a
//! time, through `glint-merchant` (`routes/catalog.rs`). [`serve`] and [`run`] put the router on
//! a socket.

mod auth;
mod error;
mod hotspots;
mod limits;
mod openapi;
mod params;
mod routes;
mod session;
mod sniff;
mod state;
mod validators;
mod web;
pub mod worker;

use std::net::SocketAddr;

pub use auth::Access;
pub use error::{ApiError, ErrorBody, ErrorCode, ServerError};
pub use limits::RateLimit;
pub use openapi::document as openapi_document;
pub use routes::{app, endpoints};
pub use state::{AppState, ServerConfig};

/// Serves the API and UI on `bind` until Ctrl-C or SIGTERM.
pub async fn serve(state: AppState, bind: SocketAddr) -> Result<(), ServerError> {
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|source| ServerError::Bind { addr: bind, source })?;
    serve_on(state, listener).await
}

/// Serves the API and UI on an already bound listener until Ctrl-C or SIGTERM.
pub async fn serve_on(state: AppState, listener: tokio::net::TcpListener) -> Result<(), ServerError> {
    let addr = listener.local_addr().map_err(ServerError::Io)?;
    tracing::info!(%addr, "serving");
    // The peer address keys the per-client rate limit.
    axum::serve(listener, app(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(ServerError::Io)
}

/// Runs the server on its own multi-threaded runtime, for callers that have none (the CLI):
/// binds, calls `ready` with the bound address (so it can print the URL), then serves.
pub fn run(state: AppState, bind: SocketAddr, ready: impl FnOnce(SocketAddr)) -> Result<(), ServerError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(ServerError::Io)?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .map_err(|source| ServerError::Bind { addr: bind, source })?;
        ready(listener.local_addr().map_err(ServerError::Io)?);
        serve_on(state, listener).await
    })
}

/// Resolves on Ctrl-C or SIGTERM. Jobs interrupted by the exit stay in the durable queue and
/// are resumed by the next start.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
