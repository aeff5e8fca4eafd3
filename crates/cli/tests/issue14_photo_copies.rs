//! Issue 14, region queries on indexed photos: a photo slow to decode is kept at its analysis
//! size beside its thumbnails (`glint_media::photo_copy`), a box on it is searched from that
//! copy, a library indexed before copies existed gets one at the first query, and `media rm`
//! removes it with the rest. Checked on real photos of faces_deepface_tests.

mod common;

use std::path::{Path, PathBuf};

use common::{eval, glint, hit_names, json, media_id};
use serde_json::Value;

/// img49.jpg is a 4352x2903 progressive JPEG (~155 ms to decode); img8, img9 and img48 show the
/// same person; img5 (330x512) is another person's small baseline JPEG, which gets no copy.
const PHOTOS: [&str; 5] = ["img49.jpg", "img8.jpg", "img9.jpg", "img48.jpg", "img5.jpg"];

fn library() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let photos: Vec<PathBuf> = PHOTOS
        .iter()
        .map(|p| eval(&format!("faces_deepface_tests/images/{p}")))
        .collect();
    let summary = json(glint(dir.path()).args(["ingest", "--json"]).args(&photos));
    assert_eq!(summary["failed"].as_array().map(Vec::len), Some(0), "{summary}");
    dir
}

fn copy_path(data: &Path, id: &str) -> PathBuf {
    data.join("thumbs").join(id).join("analysis.jpg")
}

/// The largest face of an indexed photo, as "x,y,w,h".
fn largest_face(data: &Path, id: &str) -> String {
    let shown = json(glint(data).args(["media", "show", id, "--json"]));
    let boxes = shown["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == "face")
        .flat_map(|t| t["sightings"].as_array().unwrap().iter().map(|s| s["bbox"].clone()));
    let area = |b: &Value| b["w"].as_f64().unwrap() * b["h"].as_f64().unwrap();
    let b = boxes.max_by(|a, b| area(a).total_cmp(&area(b))).expect("a face");
    format!("{},{},{},{}", b["x"], b["y"], b["w"], b["h"])
}

fn search_box(data: &Path, id: &str, bbox: &str) -> Value {
    json(glint(data).args(["search", "--media", id, "--box", bbox, "--json"]))
}

#[test]
fn issue14_a_box_on_a_large_photo_is_searched_from_its_analysis_copy() {
    let dir = library();
    let data = dir.path();
    let large = media_id(data, "img49.jpg");
    let small = media_id(data, "img5.jpg");

    // Ingest kept the large photo at the analysis size (1600 px a side), upright, and nothing
    // for the small baseline JPEG.
    let copy = copy_path(data, &large);
    let kept = glint_media::load_image(&copy, glint_media::DecodeLimits::default()).expect("a copy of img49.jpg");
    assert_eq!(kept.dimensions(), (1600, 1067));
    assert!(!copy_path(data, &small).exists(), "a small baseline JPEG needs no copy");

    // A face box on the large photo, searched from the copy, finds the same person's photos.
    let face = largest_face(data, &large);
    let from_copy = search_box(data, &large, &face);
    let names = hit_names(&from_copy);
    println!("{names:?}");
    let same_person = ["img8.jpg", "img9.jpg", "img48.jpg"];
    assert!(
        names
            .first()
            .is_some_and(|n| same_person.iter().any(|p| n.ends_with(p))),
        "the best hit is the same person: {names:?}"
    );
    assert!(
        !names.iter().any(|n| n.ends_with("img49.jpg")),
        "the queried photo itself is no hit: {names:?}"
    );

    // A library indexed before copies existed: the first query decodes the original, makes the
    // copy, and finds the same photos in the same order.
    std::fs::remove_file(&copy).unwrap();
    let from_original = search_box(data, &large, &face);
    assert_eq!(hit_names(&from_original), names);
    assert!(copy.is_file(), "the first query kept a copy");
    let left_over = std::fs::read_dir(copy.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .find(|n| n.ends_with(".tmp"));
    assert_eq!(left_over, None, "no temporary file is left");

    // An unreadable copy is not trusted: the original is searched instead.
    std::fs::write(&copy, b"not a jpeg").unwrap();
    assert_eq!(hit_names(&search_box(data, &large, &face)), names);

    // `media rm` takes the copy with the thumbnails.
    let removed = glint(data).args(["media", "rm", &large]).output().unwrap();
    assert!(removed.status.success(), "{}", String::from_utf8_lossy(&removed.stderr));
    assert!(!copy.exists() && !copy.parent().unwrap().exists());
}
