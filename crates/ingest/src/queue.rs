//! The ingest queue worker: paths become jobs, jobs become media.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{mpsc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

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
const FLUSH_EVERY: Duration = Duration::from_secs(30);

/// How long a claimed job stays a worker's without a heartbeat, by default: a killed worker's
/// job is taken over by another this long after its last heartbeat.
pub const JOB_LEASE: Duration = Duration::from_secs(30);

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
    lease: Duration,
}

impl Ingestor {
    /// An ingestor that works one job at a time (a server keeps the other core for searches).
    pub fn new(store: Store, models: Models, config: IngestConfig) -> Self {
        Self {
            store,
            models,
            config,
            workers: 1,
            lease: JOB_LEASE,
        }
    }

    /// Works up to `workers` jobs at once. A photo keeps little more than one core busy (its
    /// models run one after the other), so bulk photo ingest gains most; a video already runs
    /// as a pipeline of threads ([`crate::video`]).
    pub fn with_workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// How long a claimed job stays this worker's between heartbeats (at least 2 s).
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_secs(2));
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
    ///
    /// On a library only this process writes (embedded), jobs left running by a killed run are
    /// queued again at once; on a shared database other workers' running jobs are theirs, and a
    /// dead worker's job comes back when its lease ends ([`JOB_LEASE`]).
    pub fn run(&self, progress: &dyn Progress) -> Result<RunSummary, IngestError> {
        if !self.store.is_shared() {
            let resumed = self.store.catalog.requeue_interrupted()?;
            if resumed > 0 {
                tracing::info!(resumed, "resuming interrupted jobs");
            }
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
        if !jobs.is_empty() {
            let retention = i64::try_from(self.config.job_retention.as_secs()).unwrap_or(i64::MAX);
            let before = glint_catalog::backend::now().saturating_sub(retention);
            let pruned = self.store.catalog.prune_jobs(before)?;
            if pruned > 0 {
                tracing::info!(pruned, "finished jobs past their retention removed");
            }
        }
        Ok(RunSummary { jobs })
    }

    /// One worker: claims and ingests jobs until none is left.
    fn work(
        &self,
        progress: &dyn Progress,
        done: &Mutex<Vec<JobReport>>,
        last_flush: &Mutex<Instant>,
    ) -> Result<(), IngestError> {
        let worker = worker_name();
        while let Some(job) = self.store.catalog.claim_next_job(&worker, self.lease)? {
            tracing::debug!(job = job.id, path = %job.path, worker = %worker, "claimed");
            let config = IngestConfig {
                fps: job.fps,
                ..self.config.clone()
            };
            let path = PathBuf::from(&job.path);
            let result = self.with_heartbeat(job.id, &worker, || {
                std::panic::catch_unwind(AssertUnwindSafe(|| {
                    ingest_file(&self.store, &self.models, &config, &path, progress)
                }))
            });
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

    /// Runs `work` while a thread renews this worker's lease on job `id`.
    fn with_heartbeat<T>(&self, id: i64, worker: &str, work: impl FnOnce() -> T) -> T {
        // Renewed six times per lease, so a slow machine or a busy database does not lose it.
        let every = self.lease / 6;
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::scope(|scope| {
            scope.spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                    match self.store.catalog.heartbeat(id, worker, self.lease) {
                        Ok(true) => {}
                        // Committing stays safe (one transaction keyed by the content hash);
                        // the other worker's copy ends as "already indexed".
                        Ok(false) => tracing::warn!(job = id, "lost the lease on a job; another worker took it"),
                        Err(e) => tracing::warn!(job = id, error = %e, "cannot renew a job lease"),
                    }
                }
            });
            let out = work();
            drop(stop);
            out
        })
    }

    /// Works the queue until `stop` is set: jobs as they come, from any process that queues
    /// them (what `glint worker` runs against a shared database). Polls every `poll` when idle.
    pub fn serve(&self, progress: &dyn Progress, poll: Duration, stop: &AtomicBool) -> Result<(), IngestError> {
        while !stop.load(Ordering::Relaxed) {
            let summary = self.run(progress)?;
            if !summary.jobs.is_empty() {
                tracing::info!(
                    ingested = summary.ingested(),
                    skipped = summary.skipped(),
                    failed = summary.failed().len(),
                    "jobs done"
                );
                continue;
            }
            let idle_until = Instant::now() + poll;
            while Instant::now() < idle_until && !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
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
    store.remove_media(uid)?;
    let thumbs = store.thumbs_dir(uid);
    if thumbs.exists() {
        std::fs::remove_dir_all(&thumbs).map_err(|e| IngestError::io(&thumbs, e))?;
    }
    Ok(())
}

/// This worker thread's name in job leases: host, process and thread, unique across machines.
fn worker_name() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into());
    format!("{host}:{}:{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
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
