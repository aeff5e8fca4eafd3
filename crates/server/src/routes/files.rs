//! Bytes on disk: media files (with byte ranges, so players can seek) and thumbnails.

use std::path::PathBuf;

use axum::body::Body;
use axum::extract::{Path as UrlPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::io::AsyncReadExt;
use tower::ServiceExt;
use tower_http::services::ServeFile;

use super::blocking;
use super::library::lookup;
use crate::sniff;
use crate::validators;
use crate::{params, ApiError, AppState};

/// Media and thumbnails never change under an id (ids derive from content).
const CACHE: &str = "private, max-age=86400";

/// The media's bytes through tower-http's `ServeFile`, which answers `Range` (206, 416),
/// `Last-Modified` and `If-Modified-Since` / `If-Unmodified-Since` (304, 412). Around it: a
/// strong `ETag` (the content hash: a media's bytes never change under its id) with
/// `If-None-Match` and `If-Range`, which it does not do, the type sniffed from the bytes
/// rather than guessed from a name, and JSON errors.
#[utoipa::path(get, path = "/api/media/{id}/file", operation_id = "getMediaFile", tag = "library",
    summary = "The media file, with byte ranges",
    description = "The media's bytes with the type read from them. A strong ETag (the content hash) and Last-Modified, with If-None-Match / If-Modified-Since (304) and If-Range.",
    params(params::MediaIdPath,
        ("Range" = Option<String>, Header, description = "Bytes to send, e.g. `bytes=0-1023`")),
    responses(
        (status = 200, description = "The whole file", content((crate::openapi::forms::FileBytes = "video/*"), (crate::openapi::forms::FileBytes = "image/*"), (crate::openapi::forms::FileBytes = "application/octet-stream"))),
        (status = 206, description = "The requested range",
            headers(("Content-Range" = String, description = "Which bytes of how many")),
            content((crate::openapi::forms::FileBytes = "video/*"), (crate::openapi::forms::FileBytes = "image/*"), (crate::openapi::forms::FileBytes = "application/octet-stream"))),
        (status = 304, description = "Not modified (If-None-Match or If-Modified-Since)"),
        (status = 404, description = "No such media, or its file is gone", body = crate::ErrorBody),
        (status = 412, description = "If-Unmodified-Since failed"),
        (status = 416, description = "The range lies past the end of the file", body = crate::ErrorBody),
    ))]
pub async fn media_file(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let media = blocking(move || lookup(&state, &id)).await?;
    let path = PathBuf::from(&media.path);
    let missing = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => ApiError::Missing(format!("the file of media {} is gone", media.id)),
        _ => ApiError::internal(format!("cannot read {}: {e}", path.display())),
    };
    let mut file = tokio::fs::File::open(&path).await.map_err(missing)?;
    let meta = file.metadata().await.map_err(missing)?;
    let len = meta.len();
    let mut head = vec![0u8; sniff::HEAD_LEN.min(len as usize)];
    file.read_exact(&mut head).await.map_err(missing)?;
    drop(file);
    let content_type = sniff::content_type(&head);
    let etag = format!("\"{}\"", media.sha256);
    let (mut parts, body) = request.into_parts();
    let validators = validators::Validators::new(&etag, meta.modified().ok());
    if validators.none_match_fails(&parts.headers) {
        return Ok(not_modified(&etag));
    }
    validators.apply_if_range(&mut parts.headers);
    // `If-None-Match` was answered above; it outranks `If-Modified-Since` (RFC 9110 §13.2.2).
    if parts.headers.contains_key(header::IF_NONE_MATCH) {
        parts.headers.remove(header::IF_MODIFIED_SINCE);
    }
    let served = ServeFile::new(&path)
        .oneshot(Request::from_parts(parts, body))
        .await
        .unwrap_or_else(|never| match never {});
    match served.status() {
        StatusCode::NOT_FOUND => return Err(missing(std::io::ErrorKind::NotFound.into())),
        StatusCode::RANGE_NOT_SATISFIABLE => return Err(ApiError::RangeNotSatisfiable { len }),
        _ => {}
    }
    let mut response = served.map(Body::new);
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE));
    h.insert(header::ETAG, HeaderValue::from_str(&etag).map_err(ApiError::internal)?);
    Ok(response)
}

fn not_modified(etag: &str) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE));
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    response
}

#[utoipa::path(get, path = "/api/media/{id}/thumb", operation_id = "getMediaThumb", tag = "library",
    summary = "The media's thumbnail",
    params(params::MediaIdPath),
    responses(
        (status = 200, description = "A JPEG image", body = crate::openapi::forms::FileBytes, content_type = "image/jpeg"),
        (status = 404, description = "No such media, or no thumbnail", body = crate::ErrorBody),
    ))]
pub async fn media_thumb(State(state): State<AppState>, UrlPath(id): UrlPath<String>) -> Result<Response, ApiError> {
    blocking(move || {
        let media = lookup(&state, &id)?;
        jpeg_file(state.store().thumbs_dir(&media.id).join("media.jpg"))
    })
    .await
}

/// The thumbnail of a track (a sighting, in the API's words).
#[utoipa::path(get, path = "/api/tracks/{id}/thumb", operation_id = "getTrackThumb", tag = "library",
    summary = "A track's thumbnail",
    params(params::TrackIdPath),
    responses(
        (status = 200, description = "A JPEG image", body = crate::openapi::forms::FileBytes, content_type = "image/jpeg"),
        (status = 400, description = "Not a track id", body = crate::ErrorBody),
        (status = 404, description = "No such track, or no thumbnail", body = crate::ErrorBody),
    ))]
pub async fn track_thumb(State(state): State<AppState>, UrlPath(id): UrlPath<String>) -> Result<Response, ApiError> {
    let id: u64 = params::number(&id, "track")?;
    blocking(move || {
        let track = state.store().catalog.track(id)?.ok_or(ApiError::UnknownSighting(id))?;
        let file = format!("t{}.jpg", track.ordinal);
        jpeg_file(state.store().thumbs_dir(&track.media_id).join(file))
    })
    .await
}

fn jpeg_file(path: PathBuf) -> Result<Response, ApiError> {
    let bytes = std::fs::read(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ApiError::Missing("no thumbnail".into()),
        _ => ApiError::internal(format!("cannot read {}: {e}", path.display())),
    })?;
    Ok(jpeg(bytes))
}

pub(crate) fn jpeg(bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg")),
            (header::CACHE_CONTROL, HeaderValue::from_static(CACHE)),
        ],
        bytes,
    )
        .into_response()
}
