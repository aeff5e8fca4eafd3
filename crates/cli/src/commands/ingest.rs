//! `glint ingest PATH...`: queue files and work the queue with a progress bar.

use std::collections::HashMap;
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
    /// Fast mode for bulk back-catalogues: videos are sampled at their keyframes only (no
    /// frame between them is decoded) and get no seek proxy.
    #[arg(long, env = "GLINT_INGEST_FAST")]
    pub fast: bool,
    /// Also store the objects the object detector finds (person, bag, bottle, ...) as item
    /// regions, on photos, shot starts and every N-th sampled frame; 0: windows only (the
    /// default: on grocery products it measured no better, docs/benchmarks.md).
    #[arg(long, env = "GLINT_OBJECT_REGIONS_EVERY", default_value_t = glint_ingest::OBJECT_REGIONS_EVERY)]
    pub object_regions_every: u32,
    /// Also read the text in photos and on the first frame of each video shot (OCR, Debian's
    /// Tesseract) and make it searchable (`glint search --text`). Off by default: it costs more
    /// than the rest of a photo's analysis (docs/benchmarks.md). Subtitles are always indexed.
    #[arg(long, env = "GLINT_INGEST_OCR")]
    pub ocr: bool,
    /// Files ingested at once (default: one per core).
    #[arg(long, env = "GLINT_INGEST_WORKERS")]
    pub workers: Option<usize>,
    /// Only queue the files and exit: `glint worker` processes (or a later `glint ingest`)
    /// ingest them.
    #[arg(long)]
    pub queue_only: bool,
}

pub fn run(global: &GlobalArgs, args: IngestArgs) -> anyhow::Result<()> {
    if !(args.fps.is_finite() && args.fps > 0.0 && args.fps <= 60.0) {
        anyhow::bail!("--fps must be a number between 0 and 60");
    }
    if args.ocr {
        // A missing Tesseract is said once, before any file is queued.
        glint_ingest::text_reader()?;
    }
    let store = global.open_store()?;
    let models = global.load_models()?;
    let config = IngestConfig {
        fps: args.fps,
        faces: global.faces.indexing(),
        seek_proxies: global.seek_proxies,
        keyframes_only: args.fast,
        object_regions_every: args.object_regions_every,
        ocr: args.ocr,
        job_retention: global.job_retention()?,
        ..IngestConfig::default()
    };
    let ingestor =
        Ingestor::new(store, models, config).with_workers(args.workers.unwrap_or_else(glint_ingest::default_workers));
    let queued = ingestor.enqueue(&args.paths)?;
    if args.queue_only {
        if args.json {
            println!("{}", json!({"queued": queued}));
        } else {
            println!("queued {queued} file(s) in {}", global.library_location());
        }
        return Ok(());
    }
    let bar = BarProgress::new(!args.json, queued);
    if !args.json {
        eprintln!("queued {queued} file(s); indexing into {}", global.library_location());
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
    match failed.len() {
        0 => Ok(()),
        n => Err(super::SomeFailed(format!("{n} file(s) could not be indexed (listed above)")).into()),
    }
}

/// An indicatif bar over the whole queue: each file counts as one unit, a video in progress by
/// the share of its duration analysed, so the ETA holds for one long video and for many photos
/// alike, with several files in progress at once.
struct BarProgress {
    bar: ProgressBar,
    state: Mutex<BarState>,
}

struct BarState {
    started: Instant,
    frames: u64,
    files_done: u64,
    /// Files in progress: their duration (videos) and the last time analysed.
    in_flight: HashMap<PathBuf, (Option<f64>, f64)>,
}

/// Bar units per file: fine enough for a smooth bar over one long video.
const UNITS_PER_FILE: u64 = 1000;

impl BarProgress {
    fn new(visible: bool, files: usize) -> Self {
        let bar = if visible {
            ProgressBar::new(files as u64 * UNITS_PER_FILE)
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template("{spinner} {wide_msg} [{bar:30}] {prefix} ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Self {
            bar,
            state: Mutex::new(BarState {
                started: Instant::now(),
                frames: 0,
                files_done: 0,
                in_flight: HashMap::new(),
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, BarState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Redraws from `state`: position, files in progress, rates.
    fn show(&self, state: &BarState) {
        let partial: f64 = state
            .in_flight
            .values()
            .map(|(duration, t)| duration.filter(|d| *d > 0.0).map_or(0.0, |d| (t / d).clamp(0.0, 1.0)))
            .sum();
        let files = state.files_done + state.in_flight.len() as u64;
        if self.bar.length().unwrap_or(0) < files * UNITS_PER_FILE {
            self.bar.set_length(files * UNITS_PER_FILE);
        }
        self.bar
            .set_position(state.files_done * UNITS_PER_FILE + (partial * UNITS_PER_FILE as f64) as u64);
        let names: Vec<String> = state
            .in_flight
            .keys()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().to_string()))
            .collect();
        self.bar.set_message(names.join(", "));
        let secs = state.started.elapsed().as_secs_f64().max(1e-3);
        self.bar.set_prefix(format!(
            "{}/{} files, {:.1} files/s, {:.1} frames/s",
            state.files_done,
            self.bar.length().unwrap_or(0) / UNITS_PER_FILE,
            state.files_done as f64 / secs,
            state.frames as f64 / secs
        ));
    }
}

impl Progress for BarProgress {
    fn media_started(&self, path: &Path, duration_s: Option<f64>) {
        let mut state = self.state();
        state.in_flight.insert(path.to_path_buf(), (duration_s, 0.0));
        self.show(&state);
    }

    fn frame_done(&self, path: &Path, t: f64) {
        let mut state = self.state();
        state.frames += 1;
        if let Some(entry) = state.in_flight.get_mut(path) {
            entry.1 = t;
        }
        self.show(&state);
    }

    fn job_done(&self, report: &JobReport) {
        let line = match &report.result {
            Ok(Outcome::Ingested(m)) => format!("indexed  {} ({}, {} tracks)", report.path, m.id, m.tracks),
            Ok(Outcome::Skipped(id)) => format!("skipped  {} (already indexed as {id})", report.path),
            Err(e) => format!("failed   {}: {e}", report.path),
        };
        self.bar.println(line);
        let mut state = self.state();
        state.in_flight.remove(Path::new(&report.path));
        state.files_done += 1;
        self.show(&state);
    }
}
