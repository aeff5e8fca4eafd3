//! Uploads: a multipart file streams to `data_dir/uploads` under a generated name, becomes a
//! job in the durable queue, and the ingest worker is woken.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{Multipart, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use serde::Serialize;
use tokio::io::AsyncWriteExt;

use super::blocking;
use super::jobs::JobView;
use crate::{ApiError, AppState};

/// Separates the generated, unique part of an upload's file name from the client's name.
const NAME_SEPARATOR: &str = "--";

/// A queued upload: poll its job.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UploadResponse {
    pub job_id: i64,
    pub job: JobView,
}

#[utoipa::path(post, path = "/api/media", operation_id = "uploadMedia", tag = "library",
    summary = "Upload a video or photo and queue it for indexing",
    description = "The file streams to the server's uploads folder under a generated name and becomes a job of the durable ingest queue; poll /api/jobs/{id}. One file per request.",
    request_body(content = crate::openapi::forms::UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 202, description = "Queued", body = UploadResponse),
        (status = 400, description = "A malformed form, or not one file", body = crate::ErrorBody),
        (status = 413, description = "A file over the size limit", body = crate::ErrorBody),
        (status = 422, description = "An empty file", body = crate::ErrorBody),
    ))]
pub async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<UploadResponse>), ApiError> {
    let limit = state.config().max_upload_bytes;
    // Refuse what announces itself as too large before reading any of it.
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit.saturating_add(64 << 10)) {
        return Err(ApiError::TooLarge { limit });
    }
    let mut multipart = multipart.map_err(|e| ApiError::BadRequest(format!("expected a multipart upload: {e}")))?;
    let mut saved: Option<PathBuf> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(|e| multipart_error(&e, limit))? {
        if field.name() != Some("file") {
            remove_quietly(saved.as_deref());
            return Err(unknown_field(field.name()));
        }
        if saved.is_some() {
            remove_quietly(saved.as_deref());
            return Err(ApiError::BadRequest("one file per request".into()));
        }
        let name = generated_name(field.file_name());
        saved = Some(save(&mut field, &state.uploads_dir().join(name), limit).await?);
    }
    let path = saved.ok_or_else(|| ApiError::BadRequest("the form has no `file` field".into()))?;
    let fps = state.config().ingest.fps;
    let queued = state.clone();
    let job = blocking(move || {
        let catalog = &queued.store().catalog;
        let ids = catalog.enqueue(&[path.display().to_string()], fps)?;
        let id = ids[0];
        let job = catalog.job(id)?.ok_or(ApiError::UnknownJob(id))?;
        Ok(job)
    })
    .await?;
    state.worker().wake();
    tracing::info!(job = job.id, path = %job.path, "upload queued");
    Ok((
        StatusCode::ACCEPTED,
        Json(UploadResponse {
            job_id: job.id,
            job: JobView::new(&state, job),
        }),
    ))
}

/// Streams a field to `path` (created new), refusing more than `limit` bytes; a failed upload
/// leaves no file behind.
async fn save(field: &mut Field<'_>, path: &Path, limit: u64) -> Result<PathBuf, ApiError> {
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .await
        .map_err(|e| ApiError::internal(format!("cannot create {}: {e}", path.display())))?;
    let mut written = 0u64;
    let result = async {
        while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(&e, limit))? {
            written += chunk.len() as u64;
            if written > limit {
                return Err(ApiError::TooLarge { limit });
            }
            file.write_all(&chunk)
                .await
                .map_err(|e| ApiError::internal(format!("cannot write {}: {e}", path.display())))?;
        }
        if written == 0 {
            return Err(ApiError::EmptyFile);
        }
        file.flush()
            .await
            .map_err(|e| ApiError::internal(format!("cannot write {}: {e}", path.display())))
    }
    .await;
    drop(file);
    match result {
        Ok(()) => Ok(path.to_path_buf()),
        Err(e) => {
            remove_quietly(Some(path));
            Err(e)
        }
    }
}

fn remove_quietly(path: Option<&Path>) {
    if let Some(p) = path {
        if let Err(e) = std::fs::remove_file(p) {
            tracing::warn!(path = %p.display(), "cannot remove partial upload: {e}");
        }
    }
}

/// The body limit shows up as a multipart error; it is the client's 413, not a 400.
/// The whole of a small in-memory file field (a search or opt-out photo), at most `limit` bytes.
pub(crate) async fn field_bytes(field: Field<'_>, limit: u64) -> Result<axum::body::Bytes, ApiError> {
    let bytes = field.bytes().await.map_err(|e| multipart_error(&e, limit))?;
    if bytes.len() as u64 > limit {
        return Err(ApiError::TooLarge { limit });
    }
    Ok(bytes)
}

/// A text field of a form whose parts are bounded by `limit` bytes.
pub(crate) async fn field_text(field: Field<'_>, limit: u64) -> Result<String, ApiError> {
    field.text().await.map_err(|e| multipart_error(&e, limit))
}

/// The form itself, or the 400 that says it is not one.
pub(crate) fn form(multipart: Result<Multipart, MultipartRejection>) -> Result<Multipart, ApiError> {
    multipart.map_err(|e| ApiError::BadRequest(format!("expected a multipart form: {e}")))
}

pub(crate) fn multipart_error(e: &MultipartError, limit: u64) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge { limit }
    } else {
        ApiError::BadRequest(format!("malformed upload: {}", e.body_text()))
    }
}

/// A fresh file name: a unique prefix, then the client's name reduced to safe characters (the
/// client's path and anything outside `[A-Za-z0-9._-]` never reach the file system).
pub fn generated_name(client_name: Option<&str>) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let base = client_name
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n))
        .unwrap_or("");
    let (stem, ext) = match base.rsplit_once('.') {
        Some((s, e)) => (s, e.to_ascii_lowercase()),
        None => (base, String::new()),
    };
    let stem: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(60)
        .collect::<String>()
        .replace(NAME_SEPARATOR, "_");
    let stem = stem.trim_matches('_');
    let stem = if stem.is_empty() { "upload" } else { stem };
    // The format is sniffed from the content at ingest; the extension is only kept when it is
    // one of the known media extensions, for people looking at the folder.
    let ext = if glint_ingest::MEDIA_EXTENSIONS.contains(&ext.as_str()) {
        ext
    } else {
        "bin".to_string()
    };
    format!("{millis:x}{n:04x}{NAME_SEPARATOR}{stem}.{ext}")
}

/// A form field the endpoint does not take: refused like an unknown JSON key, so a typo
/// (`fiel`) is not silently ignored.
pub(crate) fn unknown_field(name: Option<&str>) -> ApiError {
    let name: String = name.unwrap_or("").chars().take(80).collect();
    ApiError::BadRequest(format!("unknown form field `{name}`"))
}

/// The name to show for a media file: uploads lose their generated prefix.
pub fn display_name(path: &Path, uploaded: bool) -> String {
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    if uploaded {
        if let Some((_, rest)) = name.split_once(NAME_SEPARATOR) {
            return rest.to_string();
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_names_are_safe_and_unique() {
        let a = generated_name(Some("../../etc/passwd"));
        assert!(a.ends_with("--passwd.bin"), "{a}");
        let b = generated_name(Some("C:\\Users\\me\\My Holiday (1).MP4"));
        assert!(b.ends_with("--My_Holiday__1.mp4"), "{b}");
        assert!(generated_name(None).ends_with("--upload.bin"));
        assert!(generated_name(Some("a--b.jpg")).ends_with("--a_b.jpg"));
        assert_ne!(generated_name(Some("x.jpg")), generated_name(Some("x.jpg")));
        for n in [a, b] {
            assert!(n.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)), "{n}");
        }
        assert_eq!(display_name(Path::new("/d/uploads/19a0001--cat.jpg"), true), "cat.jpg");
        assert_eq!(display_name(Path::new("/videos/a--b.mp4"), false), "a--b.mp4");
    }
}
