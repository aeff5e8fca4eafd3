//! The one background thread that ingests uploads.
//!
//! Uploads become jobs in the catalog's durable queue; [`Worker::wake`] tells the thread to
//! work the queue ([`Ingestor::run`]) until it is empty, then it sleeps until the next wake.
//! Ingest is CPU-bound and already parallel inside, so one thread keeps the machine responsive
//! for searches. While a job runs the thread publishes how far it got, for `GET /api/jobs`.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use glint_ingest::{IngestConfig, Ingestor, JobReport, Outcome, Progress, Store};
use glint_vision::Models;

use crate::state::{discard_upload, uploads_dir};
use crate::ServerError;

/// How far the job being ingested got.
#[derive(Debug, Clone, Default)]
pub struct CurrentJob {
    pub path: String,
    pub duration_s: Option<f64>,
    /// Time of the last analysed frame.
    pub last_t: Option<f64>,
    pub frames_done: u64,
}

impl CurrentJob {
    /// Fraction done, for videos (whose length is known up front).
    pub fn fraction(&self) -> Option<f64> {
        match (self.last_t, self.duration_s) {
            (Some(t), Some(d)) if d > 0.0 => Some((t / d).clamp(0.0, 1.0)),
            (None, Some(_)) => Some(0.0),
            _ => None,
        }
    }
}

/// Handle of the ingest thread. Dropping it (with the last [`AppState`](crate::AppState))
/// lets the thread end once the job at hand is done.
pub struct Worker {
    wake: mpsc::Sender<()>,
    current: Arc<Mutex<Option<CurrentJob>>>,
}

impl Worker {
    pub(crate) fn start(store: Store, models: Models, config: IngestConfig) -> Result<Self, ServerError> {
        let (wake, woken) = mpsc::channel();
        let current = Arc::new(Mutex::new(None));
        let progress = WorkerProgress {
            current: current.clone(),
            uploads: uploads_dir(&store.data_dir),
        };
        let ingestor = Ingestor::new(store, models, config);
        std::thread::Builder::new()
            .name("glint-ingest".into())
            .spawn(move || work(&ingestor, &progress, &woken))
            .map_err(ServerError::Io)?;
        Ok(Self { wake, current })
    }

    /// No thread here: jobs are worked by `glint worker` processes sharing the database.
    pub(crate) fn elsewhere() -> Self {
        let (wake, _) = mpsc::channel();
        Self {
            wake,
            current: Arc::new(Mutex::new(None)),
        }
    }

    /// Tells the thread that the queue has new jobs.
    pub fn wake(&self) {
        // The thread only ends once every sender is gone, so this cannot fail while `self` lives;
        // without a thread (`elsewhere`) the workers poll the queue.
        let _ = self.wake.send(());
    }

    /// The job being ingested now, if any.
    pub fn current(&self) -> Option<CurrentJob> {
        lock(&self.current).clone()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Progress is plain data: whatever a panicking holder left is still worth showing.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Works the queue, then waits for a wake; the first pass resumes what an earlier run left.
fn work(ingestor: &Ingestor, progress: &WorkerProgress, woken: &mpsc::Receiver<()>) {
    loop {
        match ingestor.run(progress) {
            Ok(summary) if !summary.jobs.is_empty() => tracing::info!(
                ingested = summary.ingested(),
                skipped = summary.skipped(),
                failed = summary.failed().len(),
                "ingest queue worked"
            ),
            Ok(_) => {}
            Err(e) => tracing::error!("ingest queue stopped: {e}"),
        }
        *lock(&progress.current) = None;
        if woken.recv().is_err() {
            return;
        }
        // Several uploads may have woken us; one pass takes all their jobs.
        while woken.try_recv().is_ok() {}
    }
}

struct WorkerProgress {
    current: Arc<Mutex<Option<CurrentJob>>>,
    uploads: PathBuf,
}

impl Progress for WorkerProgress {
    fn media_started(&self, path: &Path, duration_s: Option<f64>) {
        *lock(&self.current) = Some(CurrentJob {
            path: path.display().to_string(),
            duration_s,
            ..CurrentJob::default()
        });
    }

    fn frame_done(&self, _path: &Path, t: f64) {
        if let Some(c) = lock(&self.current).as_mut() {
            c.last_t = Some(c.last_t.map_or(t, |l| l.max(t)));
            c.frames_done += 1;
        }
    }

    fn job_done(&self, report: &JobReport) {
        *lock(&self.current) = None;
        // An uploaded copy is kept only when it became a media of its own: a duplicate of
        // indexed content, or a file that cannot be ingested, would only fill the disk.
        if !matches!(report.result, Ok(Outcome::Ingested(_))) {
            discard_upload(&self.uploads, Path::new(&report.path));
        }
    }
}
