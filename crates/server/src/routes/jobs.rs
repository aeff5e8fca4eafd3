//! The ingest queue: each job's state, and how far the running one got.

use axum::extract::{Path as UrlPath, State};
use axum::Json;
use serde::Serialize;

use glint_catalog::{Job, JobState};

use super::blocking;
use crate::state::discard_upload;
use crate::{params, ApiError, AppState};

#[derive(Debug, Serialize)]
pub struct JobView {
    #[serde(flatten)]
    pub job: Job,
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
        Self {
            job,
            progress,
            frames_done,
        }
    }
}

pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<JobView>>, ApiError> {
    blocking(move || {
        let jobs = state.store().catalog.jobs()?;
        Ok(Json(jobs.into_iter().map(|j| JobView::new(&state, j)).collect()))
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
            discard_upload(&state.uploads_dir(), std::path::Path::new(&job.path));
        }
        Ok(Json(JobView::new(&state, job)))
    })
    .await
}
