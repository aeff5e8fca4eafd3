//! Bytes on disk: media files (with byte ranges, so players can seek) and thumbnails.

use std::path::PathBuf;

use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use super::blocking;
use super::library::lookup;
use crate::range::{self, RangeRequest};
use crate::sniff;
use crate::{params, ApiError, AppState};

/// Media and thumbnails never change under an id (ids derive from content).
const CACHE: &str = "private, max-age=86400";

pub async fn media_file(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let media = blocking(move || lookup(&state, &id)).await?;
    let path = PathBuf::from(&media.path);
    let missing = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => ApiError::Missing(format!("the file of media {} is gone", media.id)),
        _ => ApiError::internal(format!("cannot read {}: {e}", path.display())),
    };
    let mut file = tokio::fs::File::open(&path).await.map_err(missing)?;
    let len = file.metadata().await.map_err(missing)?.len();
    let mut head = vec![0u8; sniff::HEAD_LEN.min(len as usize)];
    file.read_exact(&mut head).await.map_err(missing)?;
    let content_type = sniff::content_type(&head);
    let requested = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let (status, start, end) = match range::parse(requested, len) {
        RangeRequest::Full => (StatusCode::OK, 0, len.saturating_sub(1)),
        RangeRequest::Partial { start, end } => (StatusCode::PARTIAL_CONTENT, start, end),
        RangeRequest::Unsatisfiable => return Err(ApiError::RangeNotSatisfiable { len }),
    };
    let count = if len == 0 { 0 } else { end - start + 1 };
    file.seek(std::io::SeekFrom::Start(start)).await.map_err(missing)?;
    let body = Body::from_stream(ReaderStream::new(file.take(count)));
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE));
    if status == StatusCode::PARTIAL_CONTENT {
        let range = format!("bytes {start}-{end}/{len}");
        h.insert(
            header::CONTENT_RANGE,
            HeaderValue::from_str(&range).map_err(ApiError::internal)?,
        );
    }
    Ok(response)
}

pub async fn media_thumb(State(state): State<AppState>, UrlPath(id): UrlPath<String>) -> Result<Response, ApiError> {
    blocking(move || {
        let media = lookup(&state, &id)?;
        jpeg_file(state.store().thumbs_dir(&media.id).join("media.jpg"))
    })
    .await
}

/// The thumbnail of a track (a sighting, in the API's words).
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
