//! `glint bench ingest FILE...`: ingest throughput next to decode-only time, per video, and
//! photos per second through the queue
//! (`glint bench search`, in bench_search.rs: region-query latency; `glint bench index`, in
//! bench_index.rs: the graph index on reference vectors).
//!
//! Both passes run in this process after the models are loaded, so start-up is not counted;
//! the ingest pass writes into a throw-away data directory.

use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, Subcommand};
use serde_json::json;

use glint_ingest::{pipeline::ingest_file, IngestConfig, Ingestor, NoProgress, Store};
use glint_media::{SampleOptions, VideoFrames};

use crate::config::GlobalArgs;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Seconds of video indexed per wall-clock second, next to decoding alone.
    Ingest(BenchIngestArgs),
    /// Latency of region queries on the indexed videos (cold and warm frame).
    Search(super::bench_search::BenchSearchArgs),
    /// The graph index on reference vectors: build time, memory, open time, recall and speed.
    Index(super::bench_index::BenchIndexArgs),
    /// Region queries, models included, on a library grown to N regions from real ones.
    Scale(super::bench_scale::BenchScaleArgs),
}

#[derive(Args)]
pub struct BenchIngestArgs {
    /// Videos (timed one by one) and photos or folders of photos (ingested together through
    /// the queue, for photos per second).
    pub files: Vec<PathBuf>,
    #[arg(long, default_value_t = 2.0)]
    pub fps: f64,
    /// Repetitions per video; the best is reported. Photos are ingested once.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// The fast mode of `glint ingest --fast` (keyframes only, no seek proxy).
    #[arg(long)]
    pub fast: bool,
    /// Files ingested at once for photos (default: one per core), as `glint ingest --workers`.
    #[arg(long)]
    pub workers: Option<usize>,
    /// As `glint ingest --object-regions-every`: objects stored as item regions.
    #[arg(long, default_value_t = glint_ingest::OBJECT_REGIONS_EVERY)]
    pub object_regions_every: u32,
    /// As `glint ingest --ocr`: text read in photos and on shot starts.
    #[arg(long)]
    pub ocr: bool,
    #[arg(long)]
    pub json: bool,
}

pub fn run(global: &GlobalArgs, cmd: BenchCommand) -> anyhow::Result<()> {
    let args = match cmd {
        BenchCommand::Ingest(args) => args,
        BenchCommand::Search(args) => return super::bench_search::run(global, args),
        BenchCommand::Index(args) => return super::bench_index::run(args),
        BenchCommand::Scale(args) => return super::bench_scale::run(global, args),
    };
    let models = global.load_models()?;
    let config = IngestConfig {
        fps: args.fps,
        faces: global.faces.indexing(),
        seek_proxies: global.seek_proxies,
        keyframes_only: args.fast,
        object_regions_every: args.object_regions_every,
        ocr: args.ocr,
        ..IngestConfig::default()
    };
    if args.ocr {
        // Started before the clock runs (and a missing Tesseract said at once).
        glint_ingest::text_reader()?;
    }
    let (videos, photos) = split_videos_and_photos(&args.files)?;
    let mut rows = Vec::new();
    for file in &videos {
        let row = bench_video(&models, &config, file, args.runs)?;
        if !args.json {
            println!(
                "{}: {:.1} s of video, {} sampled frames | decode only {:.2} s ({:.1}x) | ingest {:.2} s ({:.1}x real time, {:.0} ms/frame, {:.2} CPU s)",
                file.display(),
                row["video_s"].as_f64().unwrap_or(0.0),
                row["sampled_frames"],
                row["decode_only_s"].as_f64().unwrap_or(0.0),
                row["decode_realtime"].as_f64().unwrap_or(0.0),
                row["ingest_s"].as_f64().unwrap_or(0.0),
                row["realtime_x"].as_f64().unwrap_or(0.0),
                row["ms_per_sampled_frame"].as_f64().unwrap_or(0.0),
                row["ingest_cpu_s"].as_f64().unwrap_or(f64::NAN),
            );
        }
        rows.push(row);
    }
    let mut out = json!({"files": rows, "fast": args.fast});
    if !photos.is_empty() {
        let workers = args.workers.unwrap_or_else(glint_ingest::default_workers);
        let (ingested, secs) = bench_photos(&models, &config, &photos, workers)?;
        let rate = ingested as f64 / secs;
        if !args.json {
            println!("{ingested} photos in {secs:.1} s with {workers} workers: {rate:.2} photos/s");
        }
        out["photos"] = json!(ingested);
        out["photos_s"] = json!(secs);
        out["photos_per_s"] = json!(rate);
        out["workers"] = json!(workers);
    }
    if args.json {
        println!("{out}");
    }
    Ok(())
}

/// Videos (by content) apart from photos; folders are walked for photos.
fn split_videos_and_photos(paths: &[PathBuf]) -> anyhow::Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    let (mut videos, mut photos) = (Vec::new(), Vec::new());
    for path in Ingestor::expand(paths)? {
        if glint_ingest::pipeline::looks_like_image(&path)? {
            photos.push(path);
        } else {
            videos.push(path);
        }
    }
    Ok((videos, photos))
}

/// One video: decoding alone, then ingest into a throw-away store; the best of `runs` each.
fn bench_video(
    models: &glint_vision::Models,
    config: &IngestConfig,
    file: &std::path::Path,
    runs: usize,
) -> anyhow::Result<serde_json::Value> {
    let mut decode_s = f64::INFINITY;
    let mut ingest_s = f64::INFINITY;
    let mut ingest_cpu_s = None;
    let mut duration = 0.0;
    let mut frames = 0;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let opts = SampleOptions {
            fps: config.fps,
            max_side: config.max_decode_side,
            keyframes_only: config.keyframes_only,
            ..SampleOptions::default()
        };
        let mut decoder = VideoFrames::open(file, opts)?;
        frames = decoder.by_ref().count();
        duration = decoder.info().duration_s.max(decoder.report().last_t);
        decode_s = decode_s.min(t.elapsed().as_secs_f64());

        let data = tempfile::tempdir()?;
        let store = Store::open(data.path())?;
        let (t, cpu) = (Instant::now(), process_cpu_s());
        ingest_file(&store, models, config, file, &NoProgress)?;
        store.index.flush()?;
        let secs = t.elapsed().as_secs_f64();
        if secs < ingest_s {
            ingest_s = secs;
            ingest_cpu_s = process_cpu_s().zip(cpu).map(|(after, before)| after - before);
        }
    }
    Ok(json!({
        "path": file.display().to_string(),
        "realtime_x": duration / ingest_s,
        "video_s": duration,
        "sampled_frames": frames,
        "decode_only_s": decode_s,
        "decode_realtime": duration / decode_s,
        "ingest_s": ingest_s,
        "ingest_cpu_s": ingest_cpu_s,
        "ms_per_sampled_frame": ingest_s * 1e3 / frames.max(1) as f64,
    }))
}

/// CPU seconds (user + system, every thread) this process has used, where /proc says so.
fn process_cpu_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start at field 3, the state;
    // utime and stime are fields 14 and 15, in clock ticks of 1/100 s on Linux.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<f64>().ok();
    Some((ticks(11)? + ticks(12)?) / 100.0)
}

/// Photos through the queue into a throw-away store, as `glint ingest` runs them: how many
/// were ingested and the seconds it took.
fn bench_photos(
    models: &glint_vision::Models,
    config: &IngestConfig,
    photos: &[PathBuf],
    workers: usize,
) -> anyhow::Result<(usize, f64)> {
    let data = tempfile::tempdir()?;
    let ingestor = Ingestor::new(Store::open(data.path())?, models.clone(), config.clone()).with_workers(workers);
    let t = Instant::now();
    ingestor.enqueue(photos)?;
    let summary = ingestor.run(&NoProgress)?;
    let secs = t.elapsed().as_secs_f64();
    if let Some((path, error)) = summary.failed().first() {
        anyhow::bail!("{path} failed: {error}");
    }
    Ok((summary.ingested(), secs))
}

/// This binary, to be started again so that a bench measures in a fresh process (open time and
/// memory as a new server would see them). A bench runs for minutes: where the binary was
/// rebuilt or deleted meanwhile, Linux names it "… (deleted)" and starting it fails with a bare
/// "No such file or directory", so the error says what happened.
pub(super) fn fresh_process() -> anyhow::Result<std::process::Command> {
    use anyhow::Context;
    let exe = std::env::current_exe().context("finding this binary to measure in a fresh process")?;
    if !exe.is_file() {
        anyhow::bail!(
            "cannot start {} again to measure in a fresh process: the binary was replaced or deleted \
             while the bench ran (a rebuild?); run the bench again",
            exe.display()
        );
    }
    Ok(std::process::Command::new(exe))
}
