//! Geometric verification on real photo pairs from ../shared/eval/objects_opencv_samples:
//! the same object in clutter verifies with many inliers, unrelated images with few.

use std::path::PathBuf;

use glint_keypoints::{extract, extract_within, matches, verify, working_scale, working_scale_within, LocalFeatures};

fn samples() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/eval/objects_opencv_samples");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: {} is missing", dir.display());
        None
    }
}

fn features(path: &std::path::Path) -> (LocalFeatures, u32, u32) {
    let img = image::open(path).unwrap().to_luma8();
    let (w, h) = img.dimensions();
    (extract(img.as_raw(), w, h, 500).unwrap(), w, h)
}

fn inliers(a: &std::path::Path, b: &std::path::Path) -> (usize, Option<[f32; 4]>) {
    let (fa, wa, ha) = features(a);
    let (fb, wb, hb) = features(b);
    let pairs = matches(&fa, &fb, 0.8);
    let threshold = 0.02 * wb.max(hb) as f32;
    match verify(&fa.points, &fb.points, &pairs, threshold) {
        Some(v) => (v.inliers, Some(v.affine.map_rect([0.0, 0.0, wa as f32, ha as f32]))),
        None => (0, None),
    }
}

#[test]
fn the_box_is_found_in_the_cluttered_scene_and_not_in_unrelated_images() {
    let Some(dir) = samples() else { return };
    let (same, refined) = inliers(&dir.join("box.png"), &dir.join("box_in_scene.png"));
    let (other, _) = inliers(&dir.join("box.png"), &dir.join("messi5.jpg"));
    let (other2, _) = inliers(&dir.join("box.png"), &dir.join("home.jpg"));
    eprintln!("box→scene {same} inliers (box {refined:?}), box→messi {other}, box→home {other2}");
    assert!(same >= 25, "{same}");
    assert!(other <= 8 && other2 <= 8, "{other} {other2}");
    // The box sits in the left-centre of the 512x384 scene, at roughly 0.6x its own size.
    let [x, y, w, h] = refined.unwrap();
    assert!(x > 60.0 && x < 160.0 && y > 80.0 && y < 220.0, "{refined:?}");
    assert!(w > 100.0 && w < 260.0 && h > 100.0 && h < 260.0, "{refined:?}");
}

#[test]
fn a_strong_viewpoint_change_still_verifies() {
    let Some(dir) = samples() else { return };
    let (n, _) = inliers(&dir.join("graf1.png"), &dir.join("graf3.png"));
    eprintln!("graf1→graf3 {n} inliers");
    assert!(n >= 15, "{n}");
}

#[test]
fn keypoints_are_in_source_pixels_and_survive_storage() {
    let Some(dir) = samples() else { return };
    let (f, w, h) = features(&dir.join("graf1.png"));
    assert!(
        working_scale(w, h) < 1.0,
        "graf1.png (800x640) is larger than the working size"
    );
    assert!(f.len() > 100);
    assert!(f
        .points
        .iter()
        .all(|p| p[0] >= 0.0 && p[0] < w as f32 && p[1] >= 0.0 && p[1] < h as f32));
    assert!(
        f.points.iter().any(|p| p[0] > w as f32 * 0.8),
        "points span the source width"
    );
    let bytes = f.encode();
    let (back, used) = LocalFeatures::decode(&bytes).unwrap();
    assert_eq!((back, used), (f, bytes.len()));
    assert!(LocalFeatures::decode(&bytes[..bytes.len() - 1]).is_err());
    assert!(LocalFeatures::decode(b"junk").is_err());
}

#[test]
fn bad_images_are_errors_not_crashes() {
    assert!(extract(&[0u8; 10], 4, 4, 10).is_err());
    assert!(extract(&[], 0, 0, 10).is_err());
    // A flat image has no keypoints.
    let flat = vec![128u8; 64 * 64];
    assert!(extract(&flat, 64, 64, 10).unwrap().is_empty());
}

#[test]
fn issue14_a_query_detected_at_a_smaller_working_size_still_verifies() {
    let Some(dir) = samples() else { return };
    // graf1.png is 800x640: a query detected at 480 px a side, the stored image at the default.
    let img = image::open(dir.join("graf1.png")).unwrap().to_luma8();
    let (w, h) = img.dimensions();
    assert_eq!(working_scale_within(w, h, 480.0), 480.0 / w.max(h) as f32);
    // Never under the smallest working side, whatever the caller asks.
    assert_eq!(working_scale_within(w, h, 100.0), working_scale_within(w, h, 300.0));
    let query = extract_within(img.as_raw(), w, h, 5000, 480.0).unwrap();
    let full = extract(img.as_raw(), w, h, 5000).unwrap();
    // Fewer pixels, fewer keypoints (neither reaches the cap).
    assert!(
        !query.is_empty() && query.len() < full.len() && full.len() < 5000,
        "{} vs {}",
        query.len(),
        full.len()
    );
    // Points come back in the source's pixels, spread over all of it.
    let max_x = query.points.iter().map(|p| p[0]).fold(0.0, f32::max);
    assert!(query
        .points
        .iter()
        .all(|p| p[0] >= 0.0 && p[0] < w as f32 && p[1] >= 0.0 && p[1] < h as f32));
    assert!(max_x > 0.75 * w as f32, "{max_x}");
    let (stored, ws, hs) = features(&dir.join("graf3.png"));
    let pairs = matches(&query, &stored, 0.8);
    let n = verify(&query.points, &stored.points, &pairs, 0.02 * ws.max(hs) as f32).map_or(0, |v| v.inliers);
    eprintln!("graf1 at 480 px → graf3: {n} inliers");
    assert!(n >= 15, "{n}");
}
