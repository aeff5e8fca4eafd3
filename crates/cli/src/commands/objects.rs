//! `glint objects FILE...`: the everyday objects the detector finds (class, score, box), in
//! photos or in a video frame (`--at S`), as a table or one JSON object per file.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use glint_media::{frame_at, load_image, DecodeLimits, RgbImage};
use glint_vision::{DetectedObject, Models, ObjectDetector};

use crate::config::GlobalArgs;

#[derive(Args)]
pub struct ObjectsArgs {
    /// Photos, or videos with `--at`.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// For videos: the time of the frame to look at, in seconds.
    #[arg(long, default_value_t = 0.0)]
    pub at: f64,
    /// Report objects down to this score instead of the calibrated threshold.
    #[arg(long)]
    pub min_score: Option<f32>,
    /// Print one JSON object per file (`path`, `width`, `height`, `objects`).
    #[arg(long)]
    pub json: bool,
}

/// Longest side a video frame is decoded at for detection (the network sees 512x512).
const FRAME_SIDE: u32 = 960;

pub fn run(global: &GlobalArgs, args: ObjectsArgs) -> anyhow::Result<()> {
    let models = global.load_models()?;
    let detector = detector(&models)?;
    let min_score = args.min_score.unwrap_or_else(|| detector.threshold());
    for path in &args.files {
        let (width, height, objects) = detect_in_file(detector, path, args.at, min_score)?;
        if args.json {
            let objects: Vec<_> = objects
                .iter()
                .map(|o| {
                    serde_json::json!({
                        "label": o.label,
                        "score": o.score,
                        "box": [o.bbox.x, o.bbox.y, o.bbox.w, o.bbox.h],
                    })
                })
                .collect();
            let line = serde_json::json!({ "path": path, "width": width, "height": height, "objects": objects });
            println!("{line}");
            continue;
        }
        println!("{} object(s) in {} ({width}x{height})", objects.len(), path.display());
        for o in &objects {
            println!(
                "  {:<14} score {:.3}  box {:>5.0},{:>5.0} {:>5.0}x{:<5.0}",
                o.label, o.score, o.bbox.x, o.bbox.y, o.bbox.w, o.bbox.h
            );
        }
    }
    Ok(())
}

/// The installed object detector, or why there is none.
pub fn detector(models: &Models) -> anyhow::Result<&dyn ObjectDetector> {
    models
        .object_detector
        .as_deref()
        .context("the models folder has no object detector: run `make setup` to install it")
}

/// Objects in a photo, or in a video's frame at `at` seconds, boxed in source pixels; with the
/// source's width and height.
pub fn detect_in_file(
    detector: &dyn ObjectDetector,
    path: &Path,
    at: f64,
    min_score: f32,
) -> anyhow::Result<(u32, u32, Vec<DetectedObject>)> {
    // Told apart by content, as ingest does: what starts like an image is a photo.
    let is_photo = glint_ingest::pipeline::looks_like_image(path)?;
    let (image, scale, (width, height)): (RgbImage, f32, (u32, u32)) = if !is_photo {
        let frame = frame_at(path, at, FRAME_SIDE).with_context(|| format!("{}", path.display()))?;
        (frame.image, frame.scale as f32, frame.source_size)
    } else {
        let image = load_image(path, DecodeLimits::default())?;
        let size = image.dimensions();
        (image, 1.0, size)
    };
    let objects = detector
        .detect_all(&image, min_score)?
        .into_iter()
        .map(|o| DetectedObject {
            bbox: o.bbox.scaled(1.0 / scale),
            ..o
        })
        .collect();
    Ok((width, height, objects))
}
