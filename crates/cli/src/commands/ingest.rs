//! `glint ingest PATH...`: queue files and work the queue with a progress bar.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use glint_ingest::{IngestConfig, Ingestor, JobReport, Outcome, Progress};

use crate::config::GlobalArgs;

#[derive(Args)]
pub struct IngestArgs {
    /// Files or folders (walked recursively). With none, only unfinished jobs are resumed.
    pub paths: Vec<PathBuf>,
    /// Sampled frames per second of video (every shot start is sampled too).
    #[arg(long, default_value_t = 2.0)]
    pub fps: f64,
    /// Print a JSON summary instead of progress and a table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(global: &GlobalArgs, args: IngestArgs) -> anyhow::Result<()> {
    if !(args.fps.is_finite() && args.fps > 0.0 && args.fps <= 60.0) {
        anyhow::bail!("--fps must be a number between 0 and 60");
    }
    let store = global.open_store()?;
    let models = global.load_models()?;
    let config = IngestConfig {
        fps: args.fps,
        faces: global.faces.indexing(),
        seek_proxies: global.seek_proxies,
        ..IngestConfig::default()
    };
    let ingestor = Ingestor::new(store, models, config);
    let queued = ingestor.enqueue(&args.paths)?;
    let bar = BarProgress::new(!args.json);
    if !args.json {
        eprintln!("queued {queued} file(s); indexing into {}", global.data_dir.display());
    }
    let summary = ingestor.run(&bar)?;
    bar.bar.finish_and_clear();
    let failed: Vec<_> = summary
        .failed()
        .into_iter()
        .map(|(path, error)| json!({"path": path, "error": error}))
        .collect();
    if args.json {
        println!(
            "{}",
            json!({"ingested": summary.ingested(), "skipped": summary.skipped(), "failed": failed})
        );
    } else {
        println!(
            "ingested {}, skipped {} (already indexed), failed {}",
            summary.ingested(),
            summary.skipped(),
            failed.len()
        );
        for (path, error) in summary.failed() {
            println!("  failed  {path}: {error}");
        }
    }
    Ok(())
}

/// An indicatif bar over the seconds of video analysed, with frames/s and an ETA for the
/// current file.
struct BarProgress {
    bar: ProgressBar,
    state: Mutex<(Instant, u64)>,
}

impl BarProgress {
    fn new(visible: bool) -> Self {
        let bar = if visible {
            ProgressBar::new(0)
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template("{spinner} {wide_msg} [{bar:30}] {pos}/{len}s {prefix} ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Self {
            bar,
            state: Mutex::new((Instant::now(), 0)),
        }
    }
}

impl Progress for BarProgress {
    fn media_started(&self, path: &Path, duration_s: Option<f64>) {
        self.bar.reset();
        self.bar.set_length(duration_s.unwrap_or(0.0).ceil() as u64);
        self.bar.set_message(
            path.file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default(),
        );
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = (Instant::now(), 0);
    }

    fn frame_done(&self, t: f64) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.1 += 1;
        let fps = state.1 as f64 / state.0.elapsed().as_secs_f64().max(1e-3);
        self.bar.set_prefix(format!("{fps:.1} frames/s"));
        self.bar.set_position(t as u64);
    }

    fn job_done(&self, report: &JobReport) {
        let line = match &report.result {
            Ok(Outcome::Ingested(m)) => format!("indexed  {} ({}, {} tracks)", report.path, m.id, m.tracks),
            Ok(Outcome::Skipped(id)) => format!("skipped  {} (already indexed as {id})", report.path),
            Err(e) => format!("failed   {}: {e}", report.path),
        };
        self.bar.println(line);
    }
}
