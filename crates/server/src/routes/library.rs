//! The library: listing, showing and deleting indexed media.

use std::path::Path;

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;

use glint_catalog::{MediaRecord, TrackRecord};

use super::blocking;
use crate::routes::upload::display_name;
use crate::state::discard_upload;
use crate::{params, ApiError, AppState};

/// A media as the API shows it: the catalog record plus a name fit for people.
#[derive(Debug, Serialize)]
pub struct MediaView {
    #[serde(flatten)]
    pub media: MediaRecord,
    /// The file name (for uploads, the name it was uploaded under).
    pub name: String,
    /// Whether the file is an upload the server keeps (and deletes with the media).
    pub uploaded: bool,
}

impl MediaView {
    pub fn new(state: &AppState, media: MediaRecord) -> Self {
        let uploaded = Path::new(&media.path).starts_with(state.uploads_dir());
        Self {
            name: display_name(Path::new(&media.path), uploaded),
            uploaded,
            media,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct MediaDetail {
    pub media: MediaView,
    pub tracks: Vec<TrackRecord>,
}

pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<MediaView>>, ApiError> {
    blocking(move || {
        let media = state.store().catalog.list_media()?;
        Ok(Json(media.into_iter().map(|m| MediaView::new(&state, m)).collect()))
    })
    .await
}

/// The media record (404 for an unknown or malformed id).
pub fn lookup(state: &AppState, raw_id: &str) -> Result<MediaRecord, ApiError> {
    let id = params::media_id(raw_id)?;
    state.store().catalog.media(&id)?.ok_or(ApiError::UnknownMedia(id))
}

pub async fn show(State(state): State<AppState>, UrlPath(id): UrlPath<String>) -> Result<Json<MediaDetail>, ApiError> {
    blocking(move || {
        let media = lookup(&state, &id)?;
        let tracks = state.store().catalog.tracks(&media.id)?;
        Ok(Json(MediaDetail {
            media: MediaView::new(&state, media),
            tracks,
        }))
    })
    .await
}

/// Deletes a media with its vectors and thumbnails, and the file too when it was uploaded
/// (files indexed in place belong to their owner).
pub async fn remove(State(state): State<AppState>, UrlPath(id): UrlPath<String>) -> Result<StatusCode, ApiError> {
    blocking(move || {
        let media = lookup(&state, &id)?;
        glint_ingest::remove_media(state.store(), &media.id)?;
        discard_upload(&state.uploads_dir(), Path::new(&media.path));
        tracing::info!(id = %media.id, "media deleted");
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}
