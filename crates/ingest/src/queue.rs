//! The ingest queue worker: paths become jobs, jobs become media.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use glint_index::VectorWrite;
use glint_vision::Models;

use crate::pipeline::{ingest_file, Outcome};
use crate::{IngestConfig, IngestError, Progress, Store};

/// File extensions picked up when walking a folder (files named explicitly are always tried,
/// and every file's format is sniffed from its content, never trusted from its name).
pub const MEDIA_EXTENSIONS: &[&str] = &[
    "mp4", "m4v", "mov", "mkv", "webm", "avi", "wmv", "flv", "mpg", "mpeg", "ts", "3gp", "ogv", "jpg", "jpeg", "png",
    "webp", "gif",
];

/// How often the vector index is made durable while a queue is worked.
const FLUSH_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// How one job ended.
#[derive(Debug, Clone)]
pub struct JobReport {
    pub job_id: i64,
    pub path: String,
    pub result: Result<Outcome, String>,
}

/// What a run of the queue did.
#[derive(Debug, Clone, Default)]
pub struct RunSummary {
    pub jobs: Vec<JobReport>,
}

impl RunSummary {
    pub fn ingested(&self) -> usize {
        self.jobs
            .iter()
            .filter(|j| matches!(j.result, Ok(Outcome::Ingested(_))))
            .count()
    }
    pub fn skipped(&self) -> usize {
        self.jobs
            .iter()
            .filter(|j| matches!(j.result, Ok(Outcome::Skipped(_))))
            .count()
    }
    pub fn failed(&self) -> Vec<(&str, &str)> {
        self.jobs
            .iter()
            .filter_map(|j| j.result.as_ref().err().map(|e| (j.path.as_str(), e.as_str())))
            .collect()
    }
}

/// One worker per core: what bulk ingest (the CLI, evaluations) uses.
pub fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Works the durable job queue of one data directory.
pub struct Ingestor {
    store: Store,
    models: Models,
    config: IngestConfig,
    workers: usize,
}

impl Ingestor {
    /// An ingestor that works one job at a time (a server keeps the other core for searches).
    pub fn new(store: Store, models: Models, config: IngestConfig) -> Self {
        Self {
            store,
            models,
            config,
            workers: 1,
        }
    }

    /// Works up to `workers` jobs at once. A photo keeps little more than one core busy (its
    /// models run one after the other), so bulk photo ingest gains most; a video already runs
    /// as a pipeline of threads ([`crate::video`]).
    pub fn with_workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Files to ingest from the given paths: files as given, folders walked recursively (in
    /// name order, hidden entries skipped) for files with a media extension.
    pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, IngestError> {
        let mut out = Vec::new();
        for p in paths {
            let meta = std::fs::metadata(p).map_err(|e| IngestError::io(p, e))?;
            if meta.is_dir() {
                walk(p, &mut out)?;
            } else {
                out.push(p.clone());
            }
        }
        Ok(out)
    }

    /// Queues one job per file under `paths`; returns how many.
    pub fn enqueue(&self, paths: &[PathBuf]) -> Result<usize, IngestError> {
        let files: Vec<String> = Self::expand(paths)?
            .iter()
            .map(|p| {
                std::path::absolute(p)
                    .unwrap_or_else(|_| p.clone())
                    .display()
                    .to_string()
            })
            .collect();
        self.store.catalog.enqueue(&files, self.config.fps)?;
        Ok(files.len())
    }

    /// Works the queue until it is empty, resuming jobs a previous run left unfinished. A file
    /// that fails (or even panics inside a decoder) fails its own job; the batch goes on. The
    /// summary lists jobs in queue order.
    pub fn run(&self, progress: &dyn Progress) -> Result<RunSummary, IngestError> {
        let resumed = self.store.catalog.requeue_interrupted()?;
        if resumed > 0 {
            tracing::info!(resumed, "resuming interrupted jobs");
        }
        let done = Mutex::new(Vec::new());
        let last_flush = Mutex::new(Instant::now());
        let outcomes: Vec<Result<(), IngestError>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..self.workers)
                .map(|_| scope.spawn(|| self.work(progress, &done, &last_flush)))
                .collect();
            workers
                .into_iter()
                .map(|w| {
                    w.join()
                        .unwrap_or_else(|p| Err(IngestError::Internal(panic_message(&p))))
                })
                .collect()
        });
        // What every worker committed is flushed even when one of them stopped on an error.
        self.store.index.flush()?;
        outcomes.into_iter().collect::<Result<Vec<()>, _>>()?;
        let mut jobs = done.into_inner().unwrap_or_else(|p| p.into_inner());
        jobs.sort_by_key(|j: &JobReport| j.job_id);
        Ok(RunSummary { jobs })
    }

    /// One worker: claims and ingests jobs until none is left.
    fn work(
        &self,
        progress: &dyn Progress,
        done: &Mutex<Vec<JobReport>>,
        last_flush: &Mutex<Instant>,
    ) -> Result<(), IngestError> {
        while let Some(job) = self.store.catalog.claim_next_job()? {
            let config = IngestConfig {
                fps: job.fps,
                ..self.config.clone()
            };
            let path = PathBuf::from(&job.path);
            let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
                ingest_file(&self.store, &self.models, &config, &path, progress)
            }));
            let result = match result {
                Ok(Ok(outcome)) => Ok(outcome),
                Ok(Err(e)) => Err(e.to_string()),
                Err(panic) => Err(format!("internal error while ingesting: {}", panic_message(&panic))),
            };
            match &result {
                Ok(Outcome::Ingested(m)) => self.store.catalog.finish_job(job.id, "ingested", &m.id)?,
                Ok(Outcome::Skipped(uid)) => self.store.catalog.finish_job(job.id, "skipped", uid)?,
                Err(e) => {
                    tracing::warn!(path = %job.path, error = %e, "ingest failed");
                    self.store.catalog.fail_job(job.id, e)?
                }
            }
            let report = JobReport {
                job_id: job.id,
                path: job.path,
                result,
            };
            progress.job_done(&report);
            lock(done).push(report);
            let flush_due = {
                let mut last = lock(last_flush);
                let due = last.elapsed() >= FLUSH_EVERY;
                if due {
                    *last = Instant::now();
                }
                due
            };
            if flush_due {
                self.store.index.flush()?;
            }
        }
        Ok(())
    }

    /// Deletes a media, its vectors and its thumbnails.
    pub fn remove_media(&self, uid: &str) -> Result<(), IngestError> {
        remove_media(&self.store, uid)
    }
}

/// Deletes a media from the catalog, then its vectors from the index and its thumbnails.
pub fn remove_media(store: &Store, uid: &str) -> Result<(), IngestError> {
    let vectors = store.catalog.remove_media(uid)?;
    let mut by_space: std::collections::BTreeMap<String, Vec<u64>> = Default::default();
    for (space, id) in vectors {
        by_space.entry(space).or_default().push(id);
    }
    for (space, ids) in by_space {
        store.index.remove(&space, &ids)?;
    }
    store.index.flush()?;
    let thumbs = store.thumbs_dir(uid);
    if thumbs.exists() {
        std::fs::remove_dir_all(&thumbs).map_err(|e| IngestError::io(&thumbs, e))?;
    }
    Ok(())
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), IngestError> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| IngestError::io(dir, e))?
        .filter_map(Result::ok)
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if has_media_extension(&path) {
            out.push(path);
        }
    }
    Ok(())
}

fn has_media_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| MEDIA_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Reports and a timestamp: whatever a panicking holder left is still valid.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_string())
}
