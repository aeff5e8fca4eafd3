//! CPU time of each ingest stage over one video's sampled frames, one stage at a time:
//! `GLINT_THREADS=1 cargo run --release -p glint-ingest --example stage_times -- VIDEO`.
//! Used for docs/benchmarks.md (ingest throughput): tells which stage to make cheaper.

use std::path::Path;
use std::time::Instant;

use glint_ingest::analyze::{faces, items, shrink};
use glint_ingest::local::{extract_video_frame, FRAME_KEYPOINTS};
use glint_media::{SampleOptions, VideoFrames};
use glint_vision::{DetectOptions, Models};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: stage_times VIDEO | PHOTO...")?;
    let models = Models::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models"), None)?;
    if glint_media::load_image(Path::new(&path), glint_media::DecodeLimits::default()).is_ok() {
        return photos(&models, std::env::args().skip(1).collect());
    }
    let opts = SampleOptions {
        fps: 2.0,
        max_side: glint_ingest::DEFAULT_DECODE_SIDE,
        ..SampleOptions::default()
    };
    let t = Instant::now();
    let frames: Vec<_> = VideoFrames::open(Path::new(&path), opts.clone())?.collect();
    println!(
        "{} sampled frames, decode {:.0} ms",
        frames.len(),
        t.elapsed().as_secs_f64() * 1e3
    );
    let dir = std::env::temp_dir().join(format!("stage_times-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let with_proxy = SampleOptions {
        proxy: Some(dir.join("proxy.mp4")),
        ..opts.clone()
    };
    let t = Instant::now();
    let count = VideoFrames::open(Path::new(&path), with_proxy)?.count();
    println!(
        "{count} sampled frames, decode with a seek proxy {:.0} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    std::fs::remove_dir_all(&dir)?;
    let stage = |name: &str, f: &mut dyn FnMut(&glint_media::SampledFrame)| time(name, "frame", &frames, f);
    stage("face detection", &mut |f| {
        models
            .face_detector
            .detect_with(&f.image, &DetectOptions::VIDEO)
            .map(drop)
            .unwrap();
    });
    stage("faces (detect+embed)", &mut |f| {
        faces(&models, &f.image, 1.0, &DetectOptions::VIDEO).map(drop).unwrap();
    });
    stage("encoder only", &mut |f| {
        models.image_encoder.encode(&[&f.image]).map(drop).unwrap();
    });
    stage("items (encoder+colour)", &mut |f| {
        items(&models, &f.image, 1.0).map(drop).unwrap();
    });
    stage("keypoints", &mut |f| {
        extract_video_frame(&f.image, 1.0, FRAME_KEYPOINTS).map(drop).unwrap();
    });
    stage("media thumbnail", &mut |f| {
        drop(shrink(&f.image, 320));
    });
    Ok(())
}

/// The same for photos, as `analyse_image` treats them.
fn photos(models: &Models, paths: Vec<String>) -> Result<(), Box<dyn std::error::Error>> {
    let t = Instant::now();
    let images: Vec<_> = paths
        .iter()
        .map(|p| glint_media::load_image(Path::new(p), glint_media::DecodeLimits::default()))
        .collect::<Result<_, _>>()?;
    let n = images.len() as f64;
    println!(
        "{} photos, decode {:.1} ms per photo",
        images.len(),
        t.elapsed().as_secs_f64() * 1e3 / n
    );
    let stage = |name: &str, f: &mut dyn FnMut(&glint_media::RgbImage)| time(name, "photo", &images, f);
    stage("face detection", &mut |i| {
        models
            .face_detector
            .detect_with(i, &DetectOptions::PHOTO)
            .map(drop)
            .unwrap();
    });
    stage("faces (detect+embed)", &mut |i| {
        faces(models, i, 1.0, &DetectOptions::PHOTO).map(drop).unwrap();
    });
    stage("items (encoder+colour)", &mut |i| {
        items(models, i, 1.0).map(drop).unwrap();
    });
    stage("keypoints (photo)", &mut |i| {
        glint_ingest::local::extract_frame(i, 1.0, glint_ingest::local::PHOTO_KEYPOINTS)
            .map(drop)
            .unwrap();
    });
    stage("media thumbnail", &mut |i| {
        drop(shrink(i, 320));
    });
    // What a search of the whole photo runs (glint-search), one part at a time.
    stage("query: shrink to the analysis size", &mut |i| {
        drop(shrink(i, glint_describe::PHOTO_ITEM_SIDE));
    });
    let works: Vec<_> = images
        .iter()
        .map(|i| shrink(i, glint_describe::PHOTO_ITEM_SIDE))
        .collect();
    stage("query: face detection (whole photo)", &mut |i| {
        models
            .face_detector
            .detect_with(i, &DetectOptions::QUERY)
            .map(drop)
            .unwrap();
    });
    stage("query: face detection and embedding (whole photo)", &mut |i| {
        query_face(models, i);
    });
    let on_works = |name: &str, f: &mut dyn FnMut(&glint_media::RgbImage)| time(name, "photo", &works, f);
    on_works("query: face detection and embedding (analysis size)", &mut |i| {
        query_face(models, i);
    });
    on_works("query: item windows (analysis size)", &mut |i| {
        glint_describe::analyze::windows(models, i).map(drop).unwrap();
    });
    on_works("query: 1000 keypoints (analysis size, at 640 px)", &mut |i| {
        glint_ingest::local::extract_frame(i, 1.0, 1000).map(drop).unwrap();
    });
    on_works(
        "query: 1000 keypoints (analysis size, at 480 px as searched)",
        &mut |i| {
            glint_ingest::local::extract_image_within(i, 1000, 480.0)
                .map(drop)
                .unwrap();
        },
    );
    if let Some(detector) = &models.object_detector {
        on_works("query: objects (analysis size)", &mut |i| {
            detector.detect(i).map(drop).unwrap();
        });
    }
    Ok(())
}

/// What the person route of a whole-photo search runs: the face detector at query settings, then
/// the embedding of the largest face.
fn query_face(models: &Models, image: &glint_media::RgbImage) {
    let faces = models.face_detector.detect_with(image, &DetectOptions::QUERY).unwrap();
    if let Some(face) = faces.iter().max_by(|a, b| a.bbox.area().total_cmp(&b.bbox.area())) {
        models
            .face_embedder
            .embed(image, std::slice::from_ref(face))
            .map(drop)
            .unwrap();
    }
}

/// Runs `f` on every item and prints the mean time per `unit`.
fn time<T>(name: &str, unit: &str, items: &[T], f: &mut dyn FnMut(&T)) {
    let t = Instant::now();
    items.iter().for_each(&mut *f);
    let ms = t.elapsed().as_secs_f64() * 1e3 / items.len().max(1) as f64;
    println!("{name:<24} {ms:>7.1} ms per {unit}");
}
