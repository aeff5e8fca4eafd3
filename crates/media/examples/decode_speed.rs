//! Decode-only speed check: how much faster than real time Glint's video sampler runs.
//!
//! Why: decoding is the floor under every video indexing job, so its speed decides whether
//! indexing can keep up with a library at all; this measures it alone, without any model, on
//! the same settings the indexer uses (2 fps plus shot starts, longer side capped at 640).
//!
//! ```text
//! cargo run --release -p glint-media --example decode_speed -- VIDEO... [--fps F] [--max-side N] [--threads N]
//! ```
//! Prints, per file: frames decoded and emitted, seconds of video, wall seconds, realtime
//! factor (video seconds per wall second), shot starts, and decode errors.
//! `RUST_LOG=debug` shows the decoder's own messages.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use glint_media::{sample_video, SampleOptions};

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();

    let mut opts = SampleOptions::default();
    let mut files: Vec<PathBuf> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> Option<String> {
            let v = args.next();
            if v.is_none() {
                eprintln!("{name} needs a value");
            }
            v
        };
        match arg.as_str() {
            "--fps" => match value("--fps").and_then(|v| v.parse().ok()) {
                Some(v) => opts.fps = v,
                None => return usage(),
            },
            "--max-side" => match value("--max-side").and_then(|v| v.parse().ok()) {
                Some(v) => opts.max_side = v,
                None => return usage(),
            },
            "--threads" => match value("--threads").and_then(|v| v.parse().ok()) {
                Some(v) => opts.threads = v,
                None => return usage(),
            },
            "-h" | "--help" => return usage(),
            _ => files.push(PathBuf::from(arg)),
        }
    }
    if files.is_empty() {
        return usage();
    }

    let mut failed = false;
    for path in &files {
        let start = Instant::now();
        let mut pixels = 0u64;
        let result = sample_video(path, opts.clone(), |frame| {
            pixels += u64::from(frame.image.width()) * u64::from(frame.image.height());
            ControlFlow::Continue(())
        });
        let wall = start.elapsed().as_secs_f64();
        match result {
            Ok((info, report)) => {
                // Seconds of video actually decoded: last frame time plus one frame.
                let frame_s = if info.fps > 0.0 { 1.0 / info.fps } else { 0.0 };
                let video_s = report.last_t + frame_s;
                println!("{}", path.display());
                println!(
                    "  source      {}x{} {} @ {:.3} fps, {:.2} s, ~{} frames",
                    info.width, info.height, info.codec, info.fps, info.duration_s, info.frame_count_estimate
                );
                println!(
                    "  frames      {} decoded, {} emitted ({:.1} Mpx), {} shot starts {:?}",
                    report.frames_decoded,
                    report.frames_emitted,
                    pixels as f64 / 1e6,
                    report.shot_starts.len(),
                    report.shot_starts
                );
                println!(
                    "  errors      {} decode errors, {} damaged frames{}",
                    report.decode_errors,
                    report.damaged_frames,
                    if report.gave_up { ", gave up" } else { "" }
                );
                println!("  video s     {video_s:.2}");
                println!("  wall s      {wall:.3}");
                println!(
                    "  realtime    {:.1}x ({:.0} decoded frames/s)",
                    video_s / wall.max(1e-9),
                    report.frames_decoded as f64 / wall.max(1e-9)
                );
            }
            Err(e) => {
                failed = true;
                println!("{}\n  error       {e}", path.display());
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: decode_speed VIDEO... [--fps F (default 2)] [--max-side N (default 640)] \
         [--threads N (default 0 = auto)]"
    );
    ExitCode::from(2)
}
