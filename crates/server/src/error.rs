//! Errors: [`ApiError`] is what a request can fail with, mapped to an HTTP status and a stable
//! code in one place; [`ServerError`] is what starting the server can fail with.

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use glint_search::SearchError;
use serde::Serialize;
use utoipa::ToSchema;

/// Why a request failed. The body is always `{"code": "...", "message": "..."}`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Malformed input: a bad box, bad JSON, a missing field or parameter.
    #[error("{0}")]
    BadRequest(String),
    /// Well-formed but unanswerable search (box outside the frame, too small, ...).
    #[error("{0}")]
    BadQuery(String),
    /// An upload of zero bytes: well-formed, but nothing to index.
    #[error("the uploaded file is empty")]
    EmptyFile,
    /// Bytes that are not a decodable image.
    #[error("{0}")]
    BadImage(String),
    /// No credentials, or credentials that are not a live token.
    #[error("{0}")]
    Unauthorized(String),
    /// A session cookie that expired, or whose token was revoked: the app asks to sign in again.
    #[error("{0}")]
    SessionExpired(String),
    /// A live token without the scope this request needs.
    #[error("{0}")]
    Forbidden(String),
    #[error("no media with id {0}")]
    UnknownMedia(String),
    #[error("no sighting (track) with id {0}")]
    UnknownSighting(u64),
    #[error("no job with id {0}")]
    UnknownJob(i64),
    /// A job a worker is ingesting: it cannot be removed until it has finished.
    #[error("job {0} is running; remove it once it has finished")]
    JobRunning(i64),
    /// A known media or track without its thumbnail or file on disk.
    #[error("{0}")]
    Missing(String),
    #[error("no store with id {0}")]
    UnknownStore(String),
    #[error("no product {product_id} in store {store_id}")]
    UnknownProduct { store_id: String, product_id: String },
    /// A catalog feed (or its ZIP) that cannot be read as a whole; bad rows are not errors.
    #[error("{0}")]
    BadFeed(String),
    #[error("no route {0}")]
    NoRoute(String),
    /// A known path asked with a method it does not take; `Allow` lists the ones it does.
    #[error("method not allowed: {0}")]
    WrongMethod(String),
    #[error("upload larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    /// Too many searches from one client; `Retry-After` says when to try again.
    #[error("too many requests; retry in {retry_after_s} s")]
    RateLimited { retry_after_s: u64 },
    /// Every search slot stayed taken for the queueing time.
    #[error("{0}")]
    Busy(String),
    /// The work did not finish within the server's time limit.
    #[error("the request took longer than {seconds} s and was abandoned")]
    TimedOut { seconds: f64 },
    #[error("range not satisfiable for {len} bytes")]
    RangeNotSatisfiable { len: u64 },
    /// Our fault; the message is logged, the client sees a generic one.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The stable, machine-readable codes errors carry (the OpenAPI document lists them from here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    BadQuery,
    BadImage,
    EmptyFile,
    Unauthorized,
    SessionExpired,
    Forbidden,
    UnknownMedia,
    UnknownSighting,
    UnknownJob,
    JobRunning,
    UnknownStore,
    UnknownProduct,
    BadFeed,
    Missing,
    NoRoute,
    MethodNotAllowed,
    TooLarge,
    RangeNotSatisfiable,
    RateLimited,
    Busy,
    Timeout,
    Internal,
}

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    pub code: ErrorCode,
    /// For people; clients act on `code`.
    pub message: String,
}

impl ApiError {
    /// The one table from error to HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            // Malformed is 400; well-formed but unanswerable (a box off the picture, a photo with
            // no face, an empty file) is 422.
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::BadQuery(_) | ApiError::BadImage(_) | ApiError::BadFeed(_) | ApiError::EmptyFile => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::Unauthorized(_) | ApiError::SessionExpired(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::UnknownMedia(_)
            | ApiError::UnknownSighting(_)
            | ApiError::UnknownJob(_)
            | ApiError::UnknownStore(_)
            | ApiError::UnknownProduct { .. }
            | ApiError::Missing(_)
            | ApiError::NoRoute(_) => StatusCode::NOT_FOUND,
            ApiError::WrongMethod(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::JobRunning(_) => StatusCode::CONFLICT,
            ApiError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RangeNotSatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::TimedOut { .. } => StatusCode::GATEWAY_TIMEOUT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable, machine-readable code of the error.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::BadRequest(_) => ErrorCode::BadRequest,
            ApiError::BadQuery(_) => ErrorCode::BadQuery,
            ApiError::BadImage(_) => ErrorCode::BadImage,
            ApiError::EmptyFile => ErrorCode::EmptyFile,
            ApiError::Unauthorized(_) => ErrorCode::Unauthorized,
            ApiError::SessionExpired(_) => ErrorCode::SessionExpired,
            ApiError::Forbidden(_) => ErrorCode::Forbidden,
            ApiError::UnknownMedia(_) => ErrorCode::UnknownMedia,
            ApiError::UnknownSighting(_) => ErrorCode::UnknownSighting,
            ApiError::UnknownJob(_) => ErrorCode::UnknownJob,
            ApiError::JobRunning(_) => ErrorCode::JobRunning,
            ApiError::UnknownStore(_) => ErrorCode::UnknownStore,
            ApiError::UnknownProduct { .. } => ErrorCode::UnknownProduct,
            ApiError::BadFeed(_) => ErrorCode::BadFeed,
            ApiError::Missing(_) => ErrorCode::Missing,
            ApiError::NoRoute(_) => ErrorCode::NoRoute,
            ApiError::WrongMethod(_) => ErrorCode::MethodNotAllowed,
            ApiError::TooLarge { .. } => ErrorCode::TooLarge,
            ApiError::RangeNotSatisfiable { .. } => ErrorCode::RangeNotSatisfiable,
            ApiError::RateLimited { .. } => ErrorCode::RateLimited,
            ApiError::Busy(_) => ErrorCode::Busy,
            ApiError::TimedOut { .. } => ErrorCode::Timeout,
            ApiError::Internal(_) => ErrorCode::Internal,
        }
    }

    pub(crate) fn internal(e: impl std::fmt::Display) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<SearchError> for ApiError {
    fn from(e: SearchError) -> Self {
        match e {
            SearchError::BadQuery(m) => ApiError::BadQuery(m),
            SearchError::UnknownMedia(id) => ApiError::UnknownMedia(id),
            SearchError::UnknownSighting(id) => ApiError::UnknownSighting(id),
            other => ApiError::internal(other),
        }
    }
}

impl From<glint_catalog::CatalogError> for ApiError {
    fn from(e: glint_catalog::CatalogError) -> Self {
        match e {
            glint_catalog::CatalogError::JobRunning(id) => ApiError::JobRunning(id),
            other => ApiError::internal(other),
        }
    }
}

impl From<glint_ingest::IngestError> for ApiError {
    fn from(e: glint_ingest::IngestError) -> Self {
        ApiError::internal(e)
    }
}

/// A blocking task that panicked or was cancelled.
impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> Self {
        ApiError::internal(format!("background task failed: {e}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            ApiError::Internal(detail) => {
                tracing::error!("{detail}");
                "internal server error".to_string()
            }
            other => other.to_string(),
        };
        let body = ErrorBody {
            code: self.code(),
            message,
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let ApiError::Unauthorized(_) | ApiError::SessionExpired(_) = self {
            // RFC 6750 §3: a 401 says which scheme would be accepted.
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"glint\""),
            );
        }
        if let ApiError::RangeNotSatisfiable { len } = self {
            // RFC 9110 §15.5.17: a 416 names the current length.
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, v);
            }
        }
        if let ApiError::RateLimited { retry_after_s } = self {
            // RFC 6585 §4: a 429 may say how long to wait.
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_s));
        }
        response
    }
}

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot create {path}: {source}")]
    Dir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read or make the session key {path}: {source}")]
    SessionKey {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot set up the admin key: {0}")]
    AdminKey(String),
    #[error(transparent)]
    Io(std::io::Error),
}
