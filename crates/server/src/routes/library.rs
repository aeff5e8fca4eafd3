//! The library: listing, showing and deleting indexed media.

use std::collections::HashMap;
use std::path::Path;

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use glint_catalog::{MediaKind, MediaRecord, TrackRecord};

use super::blocking;
use crate::params::{Page, Paged};
use crate::routes::upload::display_name;
use crate::state::discard_upload;
use crate::{params, ApiError, AppState};

/// A media as the API shows it: what the catalog knows of it, with a name fit for people in
/// place of the server's file path (which is nobody else's business) and times in RFC 3339.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Media)]
pub struct MediaView {
    pub id: String,
    /// The file name (for uploads, the name it was uploaded under).
    pub name: String,
    pub kind: MediaKind,
    pub sha256: String,
    pub width: u32,
    pub height: u32,
    pub duration_s: Option<f64>,
    pub fps: Option<f64>,
    pub frames_sampled: u64,
    pub decode_errors: u64,
    /// Shot start times in seconds.
    pub shots: Vec<f64>,
    pub tracks: u64,
    pub face_tracks: u64,
    pub vectors: u64,
    /// When it was indexed.
    #[schema(format = DateTime)]
    pub added_at: String,
    /// Whether the file is an upload the server keeps (and deletes with the media).
    pub uploaded: bool,
    /// Whether it is a merchant's product image (the catalog's, not the user's library).
    pub catalog: bool,
    /// For a product image, the title of its product (what to call it rather than its file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
}

impl MediaView {
    pub fn new(state: &AppState, media: MediaRecord, catalog: bool) -> Result<Self, ApiError> {
        let uploaded = Path::new(&media.path).starts_with(state.uploads_dir());
        let product = match catalog {
            true => state
                .store()
                .catalog
                .products_for_media(&media.id)?
                .into_iter()
                .next()
                .map(|p| p.title),
            false => None,
        };
        Ok(Self {
            name: display_name(Path::new(&media.path), uploaded),
            added_at: glint_types::rfc3339(media.added_at),
            uploaded,
            catalog,
            id: media.id,
            kind: media.kind,
            sha256: media.sha256,
            width: media.width,
            height: media.height,
            duration_s: media.duration_s,
            fps: media.fps,
            frames_sampled: media.frames_sampled,
            decode_errors: media.decode_errors,
            shots: media.shots,
            tracks: media.tracks,
            face_tracks: media.face_tracks,
            vectors: media.vectors,
            product,
        })
    }
}

/// A media with its tracks (sightings).
#[derive(Debug, Serialize, ToSchema)]
pub struct MediaDetail {
    pub media: MediaView,
    pub tracks: Vec<TrackRecord>,
}

/// `GET /api/media?offset&limit&kind=video|image&scope=library|catalog|all`: newest first.
/// The library (the default scope) is the user's own media; `catalog` is the merchants'
/// product images, which are indexed like photos but are not the user's.
#[utoipa::path(get, path = "/api/media", operation_id = "listMedia", tag = "library",
    summary = "List indexed media, a page at a time",
    description = "Newest first. The library (scope=library, the default) is the user's own media; scope=catalog lists merchants' product images; scope=all both.",
    params(params::PageQuery, params::MediaFilter),
    responses(
        (status = 200, description = "One page of media", body = Paged<MediaView>),
        (status = 400, description = "A malformed parameter", body = crate::ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Paged<MediaView>>, ApiError> {
    let page = Page::from_query(&query)?;
    let kind = params::choice(&query, "kind", &["video", "image"])?;
    let scope = params::choice(&query, "scope", &["library", "catalog", "all"])?.unwrap_or("library");
    blocking(move || {
        let catalog = &state.store().catalog;
        let products = catalog.product_media_uids()?;
        let mut media = catalog.list_media()?;
        media.retain(|m| {
            let in_catalog = products.contains(&m.id);
            let in_scope = match scope {
                "library" => !in_catalog,
                "catalog" => in_catalog,
                _ => true,
            };
            in_scope && kind.is_none_or(|k| m.kind.as_str() == k)
        });
        media.sort_by(|a, b| b.added_at.cmp(&a.added_at).then_with(|| a.id.cmp(&b.id)));
        let page = page.of(media).try_map(|m| {
            let in_catalog = products.contains(&m.id);
            MediaView::new(&state, m, in_catalog)
        })?;
        Ok(Json(page))
    })
    .await
}

/// The media record (404 for an unknown or malformed id).
pub fn lookup(state: &AppState, raw_id: &str) -> Result<MediaRecord, ApiError> {
    let id = params::media_id(raw_id)?;
    state.store().catalog.media(&id)?.ok_or(ApiError::UnknownMedia(id))
}

#[utoipa::path(get, path = "/api/media/{id}", operation_id = "getMedia", tag = "library",
    summary = "One media with its tracks (sightings)",
    params(params::MediaIdPath),
    responses(
        (status = 200, description = "The media", body = MediaDetail),
        (status = 404, description = "No such media", body = crate::ErrorBody),
    ))]
pub async fn show(State(state): State<AppState>, UrlPath(id): UrlPath<String>) -> Result<Json<MediaDetail>, ApiError> {
    blocking(move || {
        let media = lookup(&state, &id)?;
        let tracks = state.store().catalog.tracks(&media.id)?;
        let in_catalog = state.store().catalog.is_product_media(&media.id)?;
        Ok(Json(MediaDetail {
            media: MediaView::new(&state, media, in_catalog)?,
            tracks,
        }))
    })
    .await
}

/// Deletes a media with its vectors and thumbnails, and the file too when it was uploaded
/// (files indexed in place belong to their owner).
#[utoipa::path(delete, path = "/api/media/{id}", operation_id = "deleteMedia", tag = "library",
    summary = "Delete a media, its vectors and thumbnails (and the file, when it was uploaded)",
    params(params::MediaIdPath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such media", body = crate::ErrorBody),
    ))]
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
