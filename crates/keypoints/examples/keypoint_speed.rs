//! `cargo run --release -p glint-keypoints --example keypoint_speed -- QUERY CANDIDATE [N] [KEYPOINTS]`:
//! time extraction, matching and verification on two images (500 keypoints each unless told).

use std::time::Instant;

use glint_keypoints::{extract, matches, verify};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(20);
    let keypoints: usize = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(500);
    let load = |p: &str| image::open(p).expect("an image").to_luma8();
    let (a, b) = (load(&args[1]), load(&args[2]));
    let t = Instant::now();
    let mut fa = Default::default();
    for _ in 0..n {
        fa = extract(a.as_raw(), a.width(), a.height(), keypoints).unwrap();
    }
    let extract_ms = t.elapsed().as_secs_f64() * 1e3 / n as f64;
    let fb = extract(b.as_raw(), b.width(), b.height(), keypoints).unwrap();
    let t = Instant::now();
    let mut pairs = Vec::new();
    for _ in 0..n {
        pairs = matches(&fa, &fb, 0.8);
    }
    let match_ms = t.elapsed().as_secs_f64() * 1e3 / n as f64;
    let t = Instant::now();
    let mut inliers = 0;
    for _ in 0..n {
        inliers = verify(&fa.points, &fb.points, &pairs, 8.0).map_or(0, |v| v.inliers);
    }
    let verify_ms = t.elapsed().as_secs_f64() * 1e3 / n as f64;
    println!(
        "keypoints {} / {}, extract {extract_ms:.1} ms, match {match_ms:.2} ms ({} pairs), verify {verify_ms:.2} ms ({inliers} inliers)",
        fa.len(),
        fb.len(),
        pairs.len()
    );
}
