//! Search: a box on an indexed video or image, a stored sighting, or an uploaded photo. Both
//! endpoints answer the JSON of `glint search --json`.

use std::collections::HashMap;
use std::path::Path;

use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Multipart, Query as UrlQuery, State};
use axum::Json;
use serde::Deserialize;

use glint_media::{decode_image_bytes, DecodeLimits};
use glint_search::{Query, SearchOptions, SearchResponse};
use glint_types::BBox;

use super::upload::{display_name, field_bytes, field_text, form, multipart_error, unknown_field};
use crate::limits::Peer;
use crate::{params, ApiError, AppState};

/// Most media per group a client may ask for.
const MAX_LIMIT: usize = 100;

/// `{"video": id, "at": s, "box": [x,y,w,h]}`, `{"media": id, "box": [...]}` or
/// `{"sighting": id}`, each with an optional `"limit"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchBody {
    video: Option<String>,
    at: Option<f64>,
    media: Option<String>,
    #[serde(default, deserialize_with = "params::whole_number")]
    sighting: Option<u64>,
    #[serde(rename = "box")]
    bbox: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "params::whole_number")]
    limit: Option<u64>,
}

/// The body is parsed here rather than by an extractor so that every mistake in it is a JSON
/// 400 with a message (and a body over `max_json_bytes` a JSON 413).
#[utoipa::path(post, path = "/api/search", operation_id = "search", tag = "search",
    summary = "Search with a box on an indexed video or image, or with a stored sighting",
    request_body = crate::openapi::forms::SearchRequest,
    responses(
        (status = 200, description = "Results (the JSON of `glint search --json`)", body = SearchResponse),
        (status = 400, description = "A malformed request", body = crate::ErrorBody),
        (status = 404, description = "No such media or sighting", body = crate::ErrorBody),
        (status = 413, description = "Body too large", body = crate::ErrorBody),
        (status = 422, description = "Well-formed but unanswerable (a box without area or off the picture)", body = crate::ErrorBody),
        (status = 429, description = "Too many searches from this client; see Retry-After", body = crate::ErrorBody),
        (status = 503, description = "Every search slot stayed busy", body = crate::ErrorBody),
        (status = 504, description = "The search took longer than the server's limit", body = crate::ErrorBody),
    ))]
pub async fn search(
    State(state): State<AppState>,
    peer: Peer,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<SearchResponse>, ApiError> {
    state.limits().check_rate(&peer)?;
    let body = body.map_err(|e| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge {
                limit: state.config().max_json_bytes as u64,
            }
        } else {
            ApiError::BadRequest(format!("cannot read the body: {}", e.body_text()))
        }
    })?;
    let body: SearchBody =
        serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest(format!("bad JSON body: {e}")))?;
    let bbox = body.bbox.as_ref().map(params::bbox_json).transpose()?;
    let query = match (body.video, body.media, body.sighting) {
        (Some(video), None, None) => {
            let at = body
                .at
                .ok_or_else(|| ApiError::BadRequest("a video search needs `at` (seconds)".into()))?;
            if !at.is_finite() || at < 0.0 {
                return Err(ApiError::BadRequest(format!(
                    "`at` must be a non-negative time, got {at}"
                )));
            }
            let bbox = bbox.ok_or_else(|| ApiError::BadRequest("a video search needs `box`".into()))?;
            Query::Media {
                id: params::media_id(&video)?,
                bbox,
                at: Some(at),
            }
        }
        (None, Some(media), None) => Query::Media {
            id: params::media_id(&media)?,
            bbox: bbox.ok_or_else(|| ApiError::BadRequest("a media search needs `box`".into()))?,
            at: None,
        },
        (None, None, Some(track)) => Query::Sighting { track },
        _ => {
            return Err(ApiError::BadRequest(
                "give exactly one of `video` (with `at` and `box`), `media` (with `box`) or `sighting`".into(),
            ))
        }
    };
    let options = options(
        state.config(),
        body.limit.map(|l| usize::try_from(l).unwrap_or(usize::MAX)),
    );
    let slot = state.limits().search_slot().await?;
    let searching = state.clone();
    state
        .limits()
        .bounded(slot, move || {
            let response = searching.searcher().search(&query, &options)?;
            Ok(Json(for_clients(&searching, response)))
        })
        .await
}

/// The longest text query accepted, in bytes (a query is a few words; longer is a mistake).
pub(crate) const MAX_TEXT_QUERY_BYTES: usize = 500;

/// `GET /api/search?q=words[&limit=N]`: videos (at their moments), photos and products that fit
/// the words.
#[utoipa::path(get, path = "/api/search", operation_id = "searchText", tag = "search",
    summary = "Search by words: what was seen (named objects, text read in frames, subtitles) and merchants' products",
    params(params::TextSearchQuery),
    responses(
        (status = 200, description = "Results, grouped like a region search (route `text`)", body = SearchResponse),
        (status = 400, description = "No `q`, a `q` over the length limit, or a malformed `limit`", body = crate::ErrorBody),
        (status = 422, description = "A `q` with no words in it", body = crate::ErrorBody),
        (status = 429, description = "Too many searches from this client; see Retry-After", body = crate::ErrorBody),
        (status = 503, description = "Every search slot stayed busy", body = crate::ErrorBody),
        (status = 504, description = "The search took longer than the server's limit", body = crate::ErrorBody),
    ))]
pub async fn text(
    State(state): State<AppState>,
    peer: Peer,
    UrlQuery(query): UrlQuery<HashMap<String, String>>,
) -> Result<Json<SearchResponse>, ApiError> {
    state.limits().check_rate(&peer)?;
    let q = query
        .get("q")
        .ok_or_else(|| ApiError::BadRequest("a text search needs `q` (the words to look for)".into()))?
        .clone();
    if q.len() > MAX_TEXT_QUERY_BYTES {
        return Err(ApiError::BadRequest(format!(
            "`q` is {} bytes; at most {MAX_TEXT_QUERY_BYTES}",
            q.len()
        )));
    }
    let limit = query
        .get("limit")
        .map(|l| params::number(l.trim(), "limit"))
        .transpose()?;
    let options = options(state.config(), limit);
    let slot = state.limits().search_slot().await?;
    let searching = state.clone();
    state
        .limits()
        .bounded(slot, move || {
            let response = searching.searcher().search_text(&q, &options)?;
            Ok(Json(for_clients(&searching, response)))
        })
        .await
}

/// `multipart/form-data` with an `image` file and an optional `box` (`x,y,w,h`) and `limit`.
#[utoipa::path(post, path = "/api/search/photo", operation_id = "searchPhoto", tag = "search",
    summary = "Search with an uploaded photo, optionally boxed",
    request_body(content = crate::openapi::forms::PhotoSearchForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "Results", body = SearchResponse),
        (status = 400, description = "A malformed form", body = crate::ErrorBody),
        (status = 413, description = "A photo over the size limit", body = crate::ErrorBody),
        (status = 422, description = "A photo that cannot be decoded, or a box without area or off the picture", body = crate::ErrorBody),
        (status = 429, description = "Too many searches from this client; see Retry-After", body = crate::ErrorBody),
        (status = 503, description = "Every search slot stayed busy", body = crate::ErrorBody),
        (status = 504, description = "The search took longer than the server's limit", body = crate::ErrorBody),
    ))]
pub async fn photo(
    State(state): State<AppState>,
    peer: Peer,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Json<SearchResponse>, ApiError> {
    state.limits().check_rate(&peer)?;
    let limit = state.config().max_photo_bytes;
    let mut multipart = form(multipart)?;
    let (mut image, mut bbox, mut count): (Option<Bytes>, Option<BBox>, Option<usize>) = (None, None, None);
    while let Some(field) = multipart.next_field().await.map_err(|e| multipart_error(&e, limit))? {
        match field.name() {
            Some("image") | Some("file") => {
                image = Some(field_bytes(field, limit).await?);
            }
            Some("box") => {
                let text = field_text(field, limit).await?;
                if !text.trim().is_empty() {
                    bbox = Some(params::bbox_text(&text)?);
                }
            }
            Some("limit") => {
                let text = field_text(field, limit).await?;
                count = Some(params::number(text.trim(), "limit")?);
            }
            other => return Err(unknown_field(other)),
        }
    }
    let bytes = image.ok_or_else(|| ApiError::BadRequest("the form has no `image` file".into()))?;
    let options = options(state.config(), count);
    // The slot is taken only now, so a slow upload of the photo does not hold one; decoding
    // counts as part of the search (a large photo is as costly as the model run).
    let slot = state.limits().search_slot().await?;
    let searching = state.clone();
    state
        .limits()
        .bounded(slot, move || {
            // The same pixel limit as ingest: a decompression bomb costs only its header.
            let limits: DecodeLimits = searching.config().ingest.image_limits;
            let image = decode_image_bytes(&bytes, Path::new("uploaded photo"), limits)
                .map_err(|e| ApiError::BadImage(e.to_string()))?;
            let response = searching.searcher().search(&Query::Image { image, bbox }, &options)?;
            Ok(Json(for_clients(&searching, response)))
        })
        .await
}

/// The answer without the server's file paths: each media is named as the library names it
/// (an upload by the name it was uploaded under).
fn for_clients(state: &AppState, mut response: SearchResponse) -> SearchResponse {
    let uploads = state.uploads_dir();
    for hit in response.groups.iter_mut().flat_map(|g| g.hits.iter_mut()) {
        rename_for_clients(&uploads, &mut hit.name, &mut hit.path);
    }
    for copy in &mut response.copies {
        rename_for_clients(&uploads, &mut copy.name, &mut copy.path);
    }
    response
}

/// Hits named as the library names them, without the server's file paths.
pub(crate) fn name_for_clients(state: &AppState, hits: &mut [glint_search::MediaHit]) {
    let uploads = state.uploads_dir();
    for hit in hits {
        rename_for_clients(&uploads, &mut hit.name, &mut hit.path);
    }
}

/// `name` as the library shows it (an upload by the name it was uploaded under, `uploads` being
/// the uploads folder), and `path` cleared.
fn rename_for_clients(uploads: &Path, name: &mut String, path: &mut String) {
    let file = Path::new(path.as_str());
    *name = display_name(file, file.starts_with(uploads));
    path.clear();
}

fn options(config: &crate::ServerConfig, limit: Option<usize>) -> SearchOptions {
    SearchOptions {
        limit: limit.unwrap_or(SearchOptions::default().limit).clamp(1, MAX_LIMIT),
        face_search: config.face_search,
        ..SearchOptions::default()
    }
}
