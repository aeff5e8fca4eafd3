//! The router: one table of API endpoints ([`endpoints`]), which the OpenAPI document must
//! describe, plus the embedded UI and a JSON 404 for everything else.

pub(crate) mod catalog;
pub(crate) mod files;
pub(crate) mod frames;
pub(crate) mod jobs;
pub(crate) mod library;
pub(crate) mod privacy;
pub(crate) mod search;
pub(crate) mod session;
pub(crate) mod upload;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderValue, Method, Uri};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::IntoResponse;
use axum::routing::{delete, get, post, MethodRouter};
use axum::{Json, Router};
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;

use crate::auth::{authorize, Access};
use crate::{ApiError, AppState, ServerConfig};

/// One API endpoint: its method, its path (in the `{param}` syntax shared by axum and OpenAPI),
/// who may call it and its handler.
pub struct Endpoint {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    handler: MethodRouter<AppState>,
}

macro_rules! endpoint {
    ($access:ident $method:ident $path:literal => $route:ident($handler:expr)) => {
        Endpoint {
            method: Method::$method,
            path: $path,
            access: Access::$access,
            handler: $route($handler),
        }
    };
}

/// Every API endpoint, with who may call it. Limits that depend on the configuration (body sizes) are set here.
pub fn endpoints(config: &ServerConfig) -> Vec<Endpoint> {
    // Multipart framing adds a little to the file itself; the exact file limit is enforced
    // while the file streams to disk.
    let upload_limit = usize::try_from(config.max_upload_bytes.saturating_add(64 << 10)).unwrap_or(usize::MAX);
    let catalog_limit = usize::try_from(config.max_catalog_bytes).unwrap_or(usize::MAX);
    let photo_limit = usize::try_from(config.max_photo_bytes.saturating_add(64 << 10)).unwrap_or(usize::MAX);
    vec![
        endpoint!(Public GET "/healthz" => get(healthz)),
        endpoint!(Public GET "/api/openapi.json" => get(openapi)),
        endpoint!(Public GET "/api/version" => get(version)),
        endpoint!(Public GET "/api/session" => get(session::show)),
        Endpoint {
            method: Method::POST,
            path: "/api/session",
            access: Access::Public,
            handler: post(session::sign_in).layer(DefaultBodyLimit::max(4 << 10)),
        },
        endpoint!(Public DELETE "/api/session" => delete(session::sign_out)),
        endpoint!(Read GET "/api/media" => get(library::list)),
        Endpoint {
            method: Method::POST,
            path: "/api/media",
            access: Access::Write,
            handler: post(upload::upload).layer(DefaultBodyLimit::max(upload_limit)),
        },
        endpoint!(Read GET "/api/media/{id}" => get(library::show)),
        endpoint!(Write DELETE "/api/media/{id}" => delete(library::remove)),
        endpoint!(Read GET "/api/media/{id}/file" => get(files::media_file)),
        endpoint!(Read GET "/api/media/{id}/thumb" => get(files::media_thumb)),
        endpoint!(Read GET "/api/media/{id}/frame" => get(frames::frame)),
        endpoint!(Read GET "/api/media/{id}/hotspots" => get(frames::hotspots)),
        endpoint!(Read GET "/api/tracks/{id}/thumb" => get(files::track_thumb)),
        endpoint!(Read GET "/api/jobs" => get(jobs::list)),
        endpoint!(Read GET "/api/jobs/{id}" => get(jobs::show)),
        endpoint!(Write DELETE "/api/jobs/{id}" => delete(jobs::remove)),
        endpoint!(Read GET "/api/search" => get(search::text)),
        Endpoint {
            method: Method::POST,
            path: "/api/search",
            access: Access::Read,
            handler: post(search::search).layer(DefaultBodyLimit::max(config.max_json_bytes)),
        },
        Endpoint {
            method: Method::POST,
            path: "/api/search/photo",
            access: Access::Read,
            handler: post(search::photo).layer(DefaultBodyLimit::max(photo_limit)),
        },
        Endpoint {
            method: Method::POST,
            path: "/api/optout",
            access: Access::Write,
            handler: post(privacy::opt_out).layer(DefaultBodyLimit::max(photo_limit)),
        },
        Endpoint {
            method: Method::POST,
            path: "/api/catalog/import",
            access: Access::Write,
            handler: post(catalog::import).layer(DefaultBodyLimit::max(catalog_limit)),
        },
        endpoint!(Read GET "/api/catalog" => get(catalog::list)),
        endpoint!(Write DELETE "/api/catalog/stores/{id}" => delete(catalog::remove_store)),
        endpoint!(Read GET "/api/catalog/stores/{id}/products/{product_id}" => get(catalog::product)),
        endpoint!(Write DELETE "/api/catalog/stores/{id}/products/{product_id}" => delete(catalog::remove_product)),
    ]
}

/// The whole application: API, UI, and JSON errors for unknown routes.
pub fn app(state: AppState) -> Router {
    let mut router = Router::new();
    for e in endpoints(state.config()) {
        let access = e.access;
        // Checked before the handler runs, so a refused upload is not read.
        let guard = from_fn_with_state(
            state.clone(),
            move |state: axum::extract::State<AppState>, request: Request, next: Next| {
                authorize(state.0, access, request, next)
            },
        );
        // Handlers of one path under several methods merge into one route.
        router = router.route(e.path, e.handler.route_layer(guard));
    }
    let router = crate::web::routes(router)
        .fallback(no_route)
        // After every route: it is set on each of them. axum still adds the `Allow` header.
        .method_not_allowed_fallback(wrong_method);
    with_http_layers(router, state.config()).with_state(state)
}

/// What wraps every answer: a tracing span per request (method, path, status, latency at
/// `GLINT_LOG=tower_http=debug`), then, as configured, gzip and CORS.
fn with_http_layers(router: Router<AppState>, config: &ServerConfig) -> Router<AppState> {
    let mut router = router.layer(TraceLayer::new_for_http());
    if config.compression {
        router = router.layer(CompressionLayer::new().compress_when(compressible()));
    }
    let origins: Vec<HeaderValue> = config
        .cors_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.trim().trim_end_matches('/')).ok())
        .collect();
    if !origins.is_empty() {
        router = router.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods([Method::GET, Method::POST, Method::DELETE])
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::RANGE])
                .expose_headers([header::CONTENT_RANGE, header::ETAG, header::RETRY_AFTER, header::ALLOW]),
        );
    }
    router
}

type Compressible = tower_http::compression::predicate::And<DefaultPredicate, NotForContentType>;

/// The default (not images, not tiny) and not video: media bytes are compressed already and
/// are served in ranges.
fn compressible() -> Compressible {
    DefaultPredicate::new().and(NotForContentType::const_new("video/"))
}

/// The answer of a live server.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct Health {
    #[schema(example = "ok")]
    status: &'static str,
}

#[utoipa::path(get, path = "/healthz", operation_id = "healthz", tag = "server", summary = "Liveness check",
    responses((status = 200, description = "The server is up", body = Health)))]
pub(crate) async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[utoipa::path(get, path = "/api/openapi.json", operation_id = "openapi", tag = "server", summary = "This document",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object)))]
pub(crate) async fn openapi() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        crate::openapi::document(),
    )
}

async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::NoRoute(format!("{method} {}", uri.path()))
}

async fn wrong_method(method: Method, uri: Uri) -> ApiError {
    ApiError::WrongMethod(format!("{method} {}", uri.path()))
}

/// What is answering.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct Version {
    #[schema(example = "glint")]
    name: &'static str,
    /// The program's version.
    #[schema(example = "0.1.0")]
    version: &'static str,
    /// The API's version (the OpenAPI document's `info.version`).
    #[schema(example = "0.2.0")]
    api: &'static str,
}

/// What is answering: the program, its version and the API's (the OpenAPI document's) version.
#[utoipa::path(get, path = "/api/version", operation_id = "version", tag = "server",
    summary = "What is answering: the program's name, its version and the API version (this document's info.version)",
    responses((status = 200, description = "The versions", body = Version)))]
pub(crate) async fn version() -> Json<Version> {
    Json(Version {
        name: "glint",
        version: env!("CARGO_PKG_VERSION"),
        api: crate::openapi::API_VERSION,
    })
}

/// Runs blocking work (SQLite, decoding, models, file system) off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await?
}
