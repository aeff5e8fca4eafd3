//! Per-model inference time on one image: `cargo run --release -p glint-vision --example
//! model_speed -- IMAGE [RUNS]`. Used for docs/benchmarks.md.

use std::path::Path;
use std::time::Instant;

use glint_media::{load_image, DecodeLimits};
use glint_vision::{DetectOptions, Models};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let image_path = args.get(1).ok_or("usage: model_speed IMAGE [RUNS]")?;
    let runs: usize = args.get(2).map_or(Ok(10), |r| r.parse())?;
    let models_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
    let t = Instant::now();
    let models = Models::load(&models_dir, None)?;
    println!("load (checksums + sessions): {:.0} ms", t.elapsed().as_secs_f64() * 1e3);
    let image = load_image(Path::new(image_path), DecodeLimits::default())?;
    println!("image {}x{}", image.width(), image.height());
    let time = |name: &str, f: &mut dyn FnMut()| {
        f(); // warm-up
        let t = Instant::now();
        for _ in 0..runs {
            f();
        }
        println!("{name:<28} {:>8.1} ms", t.elapsed().as_secs_f64() * 1e3 / runs as f64);
    };
    let faces = models.face_detector.detect(&image)?;
    println!("{} face(s)", faces.len());
    for (name, opts) in [("photo", DetectOptions::PHOTO), ("video", DetectOptions::VIDEO)] {
        let n = models.face_detector.detect_with(&image, &opts)?.len();
        time(&format!("face detection, {name} ({n})"), &mut || {
            models.face_detector.detect_with(&image, &opts).map(drop).unwrap_or(());
        });
    }
    time("face embedding (all faces)", &mut || {
        models.face_embedder.embed(&image, &faces).map(drop).unwrap_or(());
    });
    time("image encoder", &mut || {
        models.image_encoder.encode(&[&image]).map(drop).unwrap_or(());
    });
    Ok(())
}
