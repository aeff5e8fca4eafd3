//! The ingest queue: each job's state, and how far the running one got.

use std::collections::HashMap;
use std::path::Path;

use axum::extract::{Path as UrlPath, Query, State};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use glint_catalog::{Job, JobState};

use super::blocking;
use crate::params::{Page, Paged};
use crate::routes::upload::display_name;
use crate::state::discard_upload;
use crate::{params, ApiError, AppState};

/// A job as the API shows it: the file's name, not the server's path to it, and RFC 3339
/// times.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Job)]
pub struct JobView {
    pub id: i64,
    /// The file's name (for uploads, the name it was uploaded under).
    pub name: String,
    pub state: JobState,
    /// `ingested` or `skipped` (content already indexed) once done.
    pub outcome: Option<String>,
    pub error: Option<String>,
    pub media_id: Option<String>,
    /// Frames sampled per second of video.
    pub fps: f64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// 0..=1: known for a running video and for finished jobs; `null` while a photo runs.
    #[schema(minimum = 0, maximum = 1)]
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
#[utoipa::path(get, path = "/api/jobs", operation_id = "listJobs", tag = "jobs",
    summary = "The ingest queue, a page at a time",
    params(params::PageQuery),
    responses(
        (status = 200, description = "One page of jobs", body = Paged<JobView>),
        (status = 400, description = "A malformed parameter", body = crate::ErrorBody),
    ))]
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

#[utoipa::path(get, path = "/api/jobs/{id}", operation_id = "getJob", tag = "jobs",
    summary = "One job's state and progress",
    params(params::JobIdPath),
    responses(
        (status = 200, description = "The job", body = JobView),
        (status = 400, description = "Not a job id", body = crate::ErrorBody),
        (status = 404, description = "No such job", body = crate::ErrorBody),
    ))]
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
#[utoipa::path(delete, path = "/api/jobs/{id}", operation_id = "deleteJob", tag = "jobs",
    summary = "Cancel a queued job (its uploaded file is deleted) or remove a finished one from the list (its media stays); a running job cannot be removed. Finished jobs are also removed by themselves after the retention period (7 days by default).",
    params(params::JobIdPath),
    responses(
        (status = 200, description = "The job as it was before its removal", body = JobView),
        (status = 400, description = "Not a job id", body = crate::ErrorBody),
        (status = 404, description = "No such job", body = crate::ErrorBody),
        (status = 409, description = "The job is running (`job_running`); remove it once it has finished.", body = crate::ErrorBody),
    ))]
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
