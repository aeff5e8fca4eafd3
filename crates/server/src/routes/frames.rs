//! One moment of a media: its decoded frame as JPEG, and the hotspots on it.

use std::collections::HashMap;
use std::path::Path;

use axum::extract::{Path as UrlPath, Query, State};
use axum::response::Response;
use axum::Json;
use image::codecs::jpeg::JpegEncoder;

use glint_catalog::MediaKind;
use glint_media::{load_image, DecodeLimits, RgbImage};

use super::blocking;
use super::files::jpeg;
use super::library::lookup;
use crate::hotspots::{self, Hotspots};
use crate::{params, ApiError, AppState};

/// Default longest side of a served frame; `max=0` asks for the source size.
const DEFAULT_FRAME_SIDE: u32 = 1280;
/// The largest `max` a client may ask for (the schema's bound; no image Glint reads is larger).
const MAX_FRAME_SIDE: u32 = 65_535;

/// `GET /api/media/{id}/frame?t=S[&max=PX]`: the frame on screen at `t` (the image itself for
/// photos, upright), at most `max` pixels on its longer side.
#[utoipa::path(get, path = "/api/media/{id}/frame", operation_id = "getFrame", tag = "library",
    summary = "The decoded frame at a time (the upright image itself for photos), as JPEG",
    params(params::MediaIdPath, params::FrameQuery),
    responses(
        (status = 200, description = "A JPEG image", body = crate::openapi::forms::FileBytes, content_type = "image/jpeg"),
        (status = 400, description = "A malformed parameter", body = crate::ErrorBody),
        (status = 404, description = "No such media, or its file is gone", body = crate::ErrorBody),
    ))]
pub async fn frame(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let t = params::time(&query, "t")?;
    let max_side = match query.get("max") {
        None => DEFAULT_FRAME_SIDE,
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|m| *m <= MAX_FRAME_SIDE)
            .ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "`max` must be a number of pixels up to {MAX_FRAME_SIDE}, got `{raw}`"
                ))
            })?,
    };
    blocking(move || {
        let media = lookup(&state, &id)?;
        let path = Path::new(&media.path);
        let image = match media.kind {
            MediaKind::Image => shrink(
                load_image(path, DecodeLimits::default()).map_err(ApiError::internal)?,
                max_side,
            ),
            MediaKind::Video => {
                // Without `t`, the first frame: what a poster or a preview shows.
                let t = t.unwrap_or(0.0);
                glint_media::frame_at(path, t, max_side)
                    .map_err(ApiError::internal)?
                    .image
            }
        };
        let mut bytes = Vec::new();
        JpegEncoder::new_with_quality(&mut bytes, 85)
            .encode_image(&image)
            .map_err(ApiError::internal)?;
        Ok(jpeg(bytes))
    })
    .await
}

fn shrink(image: RgbImage, max_side: u32) -> RgbImage {
    let (w, h) = image.dimensions();
    if max_side == 0 || w.max(h) <= max_side {
        return image;
    }
    let scale = f64::from(max_side) / f64::from(w.max(h));
    let (nw, nh) = (
        ((f64::from(w) * scale).round() as u32).max(1),
        ((f64::from(h) * scale).round() as u32).max(1),
    );
    image::imageops::resize(&image, nw, nh, image::imageops::FilterType::Triangle)
}

/// `GET /api/media/{id}/hotspots?t=S`: boxes worth searching on that frame.
#[utoipa::path(get, path = "/api/media/{id}/hotspots", operation_id = "getHotspots", tag = "library",
    summary = "Boxes worth searching on the frame at a time: detected faces and the best indexed items",
    params(params::MediaIdPath, params::TimeQuery),
    responses(
        (status = 200, description = "Hotspots", body = Hotspots),
        (status = 400, description = "A malformed parameter", body = crate::ErrorBody),
        (status = 404, description = "No such media, or its file is gone", body = crate::ErrorBody),
    ))]
pub async fn hotspots(
    State(state): State<AppState>,
    UrlPath(id): UrlPath<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Hotspots>, ApiError> {
    let t = params::time(&query, "t")?;
    blocking(move || {
        let media = lookup(&state, &id)?;
        Ok(Json(hotspots::find(state.store(), state.models(), &media, t)?))
    })
    .await
}
