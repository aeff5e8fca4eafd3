//! `glint bench ingest FILE...`: ingest throughput next to decode-only time, per file
//! (`glint bench search`, in bench_search.rs: region-query latency; `glint bench index`, in
//! bench_index.rs: the graph index on reference vectors).
//!
//! Both passes run in this process after the models are loaded, so start-up is not counted;
//! the ingest pass writes into a throw-away data directory.

use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, Subcommand};
use serde_json::json;

use glint_index::VectorWrite;
use glint_ingest::{pipeline::ingest_file, IngestConfig, NoProgress, Store};
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
}

#[derive(Args)]
pub struct BenchIngestArgs {
    pub files: Vec<PathBuf>,
    #[arg(long, default_value_t = 2.0)]
    pub fps: f64,
    /// Repetitions per file; the best is reported.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    #[arg(long)]
    pub json: bool,
}

pub fn run(global: &GlobalArgs, cmd: BenchCommand) -> anyhow::Result<()> {
    let args = match cmd {
        BenchCommand::Ingest(args) => args,
        BenchCommand::Search(args) => return super::bench_search::run(global, args),
        BenchCommand::Index(args) => return super::bench_index::run(args),
    };
    let models = global.load_models()?;
    let config = IngestConfig {
        fps: args.fps,
        ..IngestConfig::default()
    };
    let mut rows = Vec::new();
    for file in &args.files {
        let mut decode_s = f64::INFINITY;
        let mut ingest_s = f64::INFINITY;
        let mut duration = 0.0;
        let mut frames = 0;
        for _ in 0..args.runs.max(1) {
            let t = Instant::now();
            let opts = SampleOptions {
                fps: args.fps,
                max_side: config.max_decode_side,
                ..SampleOptions::default()
            };
            let mut decoder = VideoFrames::open(file, opts)?;
            frames = decoder.by_ref().count();
            duration = decoder.info().duration_s.max(decoder.report().last_t);
            decode_s = decode_s.min(t.elapsed().as_secs_f64());

            let data = tempfile::tempdir()?;
            let store = Store::open(data.path())?;
            let t = Instant::now();
            ingest_file(&store, &models, &config, file, &NoProgress)?;
            store.index.flush()?;
            ingest_s = ingest_s.min(t.elapsed().as_secs_f64());
        }
        let row = json!({
            "file": file.display().to_string(),
            "video_s": duration,
            "sampled_frames": frames,
            "decode_only_s": decode_s,
            "decode_realtime": duration / decode_s,
            "ingest_s": ingest_s,
            "ingest_realtime": duration / ingest_s,
            "ms_per_sampled_frame": ingest_s * 1e3 / frames.max(1) as f64,
        });
        if !args.json {
            println!(
                "{}: {duration:.1} s of video, {frames} sampled frames | decode only {decode_s:.2} s ({:.1}x) | \
                 ingest {ingest_s:.2} s ({:.1}x real time, {:.0} ms/frame)",
                file.display(),
                duration / decode_s,
                duration / ingest_s,
                ingest_s * 1e3 / frames.max(1) as f64
            );
        }
        rows.push(row);
    }
    if args.json {
        println!("{}", serde_json::Value::Array(rows));
    }
    Ok(())
}
