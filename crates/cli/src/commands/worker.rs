//! `glint worker`: an ingest worker for a library shared by many processes.
//!
//! It claims jobs from the library's queue (a lease renewed by heartbeats; a job whose worker
//! died is taken over once its lease ends) and works them until stopped, polling when idle.
//! Start as many as the machines have cores to spare, on any machine that sees the data
//! directory; jobs come from any server's uploads or any `glint ingest --database … PATH`.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use clap::Args;

use glint_ingest::{IngestConfig, Ingestor, JobReport, Outcome, Progress};

use crate::config::GlobalArgs;

#[derive(Args)]
pub struct WorkerArgs {
    /// Files ingested at once by this process (default: one per core).
    #[arg(long, env = "GLINT_INGEST_WORKERS")]
    pub workers: Option<usize>,
    /// How often an idle worker looks for new jobs, in seconds.
    #[arg(long, default_value_t = 1.0)]
    pub poll_s: f64,
    /// Seconds a job stays this worker's without a heartbeat; a killed worker's job is taken
    /// over by another this long after its last heartbeat.
    #[arg(long, default_value_t = glint_ingest::JOB_LEASE.as_secs())]
    pub lease_s: u64,
    /// Sample videos at their keyframes only, without seek proxies (see `glint ingest --fast`).
    #[arg(long, env = "GLINT_INGEST_FAST")]
    pub fast: bool,
    /// Read the text in photos and at shot starts (see `glint ingest --ocr`).
    #[arg(long, env = "GLINT_INGEST_OCR")]
    pub ocr: bool,
}

pub fn run(global: &GlobalArgs, args: WorkerArgs) -> anyhow::Result<()> {
    if !(args.poll_s.is_finite() && args.poll_s > 0.0 && args.poll_s <= 3600.0) {
        anyhow::bail!("--poll-s must be a number of seconds between 0 and 3600");
    }
    if global.database.is_none() {
        eprintln!(
            "note: no --database: working the embedded library's queue in {}",
            global.data_dir.display()
        );
    }
    if args.ocr {
        // A missing Tesseract is said at start, not as every job's failure.
        glint_ingest::text_reader()?;
    }
    let store = global.open_store()?;
    let models = global.load_models()?;
    let config = IngestConfig {
        faces: global.faces.indexing(),
        seek_proxies: global.seek_proxies,
        keyframes_only: args.fast,
        ocr: args.ocr,
        job_retention: global.job_retention()?,
        ..IngestConfig::default()
    };
    let workers = args.workers.unwrap_or_else(glint_ingest::default_workers);
    let ingestor = Ingestor::new(store, models, config)
        .with_workers(workers)
        .with_lease(Duration::from_secs(args.lease_s));
    println!(
        "glint worker (pid {}, {workers} at once) working the queue of {}",
        std::process::id(),
        global.library_location()
    );
    // Stopped by a signal: the job at hand is then taken over by another worker when its lease
    // ends, and committing is one transaction, so nothing is lost or duplicated.
    let never = AtomicBool::new(false);
    ingestor.serve(&LogProgress, Duration::from_secs_f64(args.poll_s), &never)?;
    Ok(())
}

/// One line per finished job on stdout (workers run unattended; a bar would only fill logs).
struct LogProgress;

impl Progress for LogProgress {
    fn media_started(&self, path: &Path, _duration_s: Option<f64>) {
        println!("started  {}", path.display());
    }

    fn job_done(&self, report: &JobReport) {
        match &report.result {
            Ok(Outcome::Ingested(m)) => println!("ingested {} -> {}", report.path, m.id),
            Ok(Outcome::Skipped(uid)) => println!("skipped  {} (already indexed as {uid})", report.path),
            Err(e) => println!("failed   {}: {e}", report.path),
        }
    }
}
