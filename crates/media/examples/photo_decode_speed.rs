//! Decoding a photo against decoding its analysis copy (`glint_media::photo_copy`), and what
//! writing the copy costs:
//! `cargo run --release -p glint-media --example photo_decode_speed -- PHOTO...`.
use std::path::Path;
use std::time::Instant;

use glint_media::{load_image, photo_copy, DecodeLimits};

/// The best of three runs of `f`, in ms.
fn best_ms(mut f: impl FnMut()) -> f64 {
    (0..3)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .fold(f64::MAX, f64::min)
}

fn main() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let copy = dir.path().join("analysis.jpg");
    for path in std::env::args().skip(1) {
        let path = Path::new(&path);
        let image = load_image(path, DecodeLimits::default()).expect("decodes");
        let original_ms = best_ms(|| drop(load_image(path, DecodeLimits::default())));
        let (w, h) = image.dimensions();
        let f = (1600.0 / w.max(h) as f32).min(1.0);
        let small = image::imageops::thumbnail(&image, (w as f32 * f).round() as u32, (h as f32 * f).round() as u32);
        let write_ms = best_ms(|| photo_copy::write_copy(&small, &copy).expect("writes"));
        let copy_ms = best_ms(|| drop(photo_copy::load_copy(&copy)));
        let kb = std::fs::metadata(&copy).map_or(0, |m| m.len() / 1024);
        println!(
            "{w}x{h}: original {original_ms:.1} ms; copy {}x{} {kb} KB, written in {write_ms:.1} ms, decoded in {copy_ms:.1} ms  {}",
            small.width(),
            small.height(),
            path.display()
        );
    }
}
