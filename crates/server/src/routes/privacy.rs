//! `POST /api/optout`: a person opts out of face search with one or more photos of their face.
//! From then on no search returns that person (enforced at search time, see glint-search's
//! `privacy` module), in media already indexed and in media added later.

use std::path::Path;

use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::Json;

use glint_media::decode_image_bytes;
use glint_search::privacy::opt_out_embedding;

use super::blocking;
use super::upload::{field_bytes, field_text, form, multipart_error, unknown_field};
use crate::{ApiError, AppState};

/// A registered opt-out.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct OptOutCreated {
    /// The opt-out's id (`glint optout list`).
    pub id: i64,
}

/// Photos accepted in one opt-out request.
const MAX_PHOTOS: usize = 10;

/// `multipart/form-data` with one or more `image` files and an optional `note`.
#[utoipa::path(post, path = "/api/optout", operation_id = "optOut", tag = "privacy",
    summary = "Opt a person out of face search",
    description = "One or more photos of the person's face (the largest face of each photo is used). From then on no search returns that person, in media indexed before or after; a query with their face finds no person. Needs the write scope.",
    request_body(content = crate::openapi::forms::OptOutForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Registered", body = OptOutCreated),
        (status = 400, description = "No photo in the form, too many photos, or a malformed form", body = crate::ErrorBody),
        (status = 413, description = "A photo over the size limit", body = crate::ErrorBody),
        (status = 422, description = "A photo that cannot be decoded or that shows no face", body = crate::ErrorBody),
    ))]
pub async fn opt_out(
    State(state): State<AppState>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<OptOutCreated>), ApiError> {
    let limit = state.config().max_photo_bytes;
    let mut multipart = form(multipart)?;
    let (mut photos, mut note): (Vec<Bytes>, Option<String>) = (Vec::new(), None);
    while let Some(field) = multipart.next_field().await.map_err(|e| multipart_error(&e, limit))? {
        match field.name() {
            Some("image") | Some("file") => {
                let bytes = field_bytes(field, limit).await?;
                if photos.len() == MAX_PHOTOS {
                    return Err(ApiError::BadRequest(format!("at most {MAX_PHOTOS} photos per request")));
                }
                photos.push(bytes);
            }
            Some("note") => {
                let text = field_text(field, limit).await?;
                note = Some(text.chars().take(500).collect());
            }
            other => return Err(unknown_field(other)),
        }
    }
    if photos.is_empty() {
        return Err(ApiError::BadRequest("the form has no `image` file".into()));
    }
    let id = blocking(move || {
        let limits = state.config().ingest.image_limits;
        let mut faces = Vec::with_capacity(photos.len());
        for (i, bytes) in photos.iter().enumerate() {
            let label = format!("photo {}", i + 1);
            let image =
                decode_image_bytes(bytes, Path::new(&label), limits).map_err(|e| ApiError::BadImage(e.to_string()))?;
            let face = opt_out_embedding(state.models(), &image).map_err(|e| match e {
                glint_search::SearchError::NoFace => ApiError::BadImage(format!("{label}: no face found")),
                other => ApiError::from(other),
            })?;
            faces.push(face);
        }
        Ok(state.store().catalog.add_opt_out(&faces, note.as_deref())?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(OptOutCreated { id })))
}
