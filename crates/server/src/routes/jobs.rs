//! The ingest queue: each job's state, and how far the running one got.

use std::collections::HashMap;
use std::path::Path;

use axum::extract::{Path as UrlPath, Query, State};
use axum::Json;
use serde::Serialize;

use glint_catalog::{Job, JobState};

use super::blocking;
use crate::params::{Page, Paged};
use crate::routes::upload::display_name;
use crate::state::discard_upload;
use crate::{params, ApiError, AppState};

/// A job as the API shows it: the file's name, not the server's path to it, and RFC 3339
/// times.
#[derive(Debug, Serialize)]
pub struct JobView {
    pub id: i64,
    /// The file's name (for uploads, the name it was uploaded under).
    pub name: String,
    pub state: JobState,
    /// `ingested` or `skipped` (content already indexed) once done.
    pub outcome: Option<String>,
    pub error: Option<String>,
    pub media_id: Option<String>,
    pub fps: f64,
    pub created_at: String,
    pub updated_at: String,
    /// 0..=1: known for a running video and for finished jobs; `null` while a photo runs.
    pub progress: Option<f64>,
    /// Sampled frames analysed so far (running jobs).
    pub frames_done: Option<u64>,
}

impl JobView {
    pub fn new(state: &AppState, job: Job) -> Self {
        let (progress, frames_done) = match job.state {
            JobState::Done | JobState::Failed => (Some(1.0), None),
            JobState::Queued => (Some(0.0), None),
            JobState::Running => match state.worker().current() {
                Some(c) if c.path == job.path => (c.fraction(), Some(c.frames_done)),
                _ => (None, None),
            },
        };
        let path = Path::new(&job.path);
        let name = display_name(path, path.starts_with(state.uploads_dir()));
        // Errors name the file they are about; the client knows it by its name.
        let error = job.error.map(|e| e.replace(&job.path, &name));
        Self {
            id: job.id,
            state: job.state,
            outcome: job.outcome,
            error,
            media_id: job.media_id,
            fps: job.fps,
            created_at: glint_types::rfc3339(job.created_at),
            updated_at: glint_types::rfc3339(job.updated_at),
            name,
            progress,
            frames_done,
        }
    }
}

/// `GET /api/jobs?offset&limit`, in the catalog's order.
pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Paged<JobView>>, ApiError> {
    let page = Page::from_query(&query)?;
    blocking(move || {
        let jobs = page.of(state.store().catalog.jobs()?);
        Ok(Json(jobs.map(|j| JobView::new(&state, j))))
    })
    .await
}

pub async fn show(State(state): State<AppState>, UrlPath(id): UrlPath<String>) -> Result<Json<JobView>, ApiError> {
    let id: i64 = params::number(&id, "job")?;
    blocking(move || {
        let job = state.store().catalog.job(id)?.ok_or(ApiError::UnknownJob(id))?;
        Ok(Json(JobView::new(&state, job)))
    })
    .await
}

/// Cancels a queued job or removes a finished one (409 while it runs). A cancelled upload's
/// file goes too: it never became a media. A finished job's file is its media's, and stays.
pub async fn remove(State(state): State<AppState>, UrlPath(id): UrlPath<String>) -> Result<Json<JobView>, ApiError> {
    let id: i64 = params::number(&id, "job")?;
    blocking(move || {
        let job = state.store().catalog.remove_job(id)?.ok_or(ApiError::UnknownJob(id))?;
        if job.state == JobState::Queued {
            discard_upload(&state.uploads_dir(), Path::new(&job.path));
        }
        Ok(Json(JobView::new(&state, job)))
    })
    .await
}
