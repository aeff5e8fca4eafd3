//! Issue 18, objects as item regions: with `object_regions_every` set, the objects the detector
//! finds become stored item tracks of their own, boxed where they are, on photos and on video
//! frames; with it off (the default, docs/benchmarks.md) only the windows are stored.

use std::path::{Path, PathBuf};

use glint_catalog::TrackKind;
use glint_ingest::{IngestConfig, Ingestor, NoProgress, Store};
use glint_types::BBox;
use glint_vision::Models;

fn repo(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel);
    assert!(p.exists(), "{} is missing", p.display());
    p
}

/// The stored item boxes of the one media ingested from `path` with `config`, each with its
/// track's label.
fn item_boxes(path: &Path, config: IngestConfig) -> Vec<(BBox, Option<String>)> {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let models = Models::load(&repo("models"), None).unwrap();
    let ingestor = Ingestor::new(store.clone(), models, config).with_workers(1);
    ingestor.enqueue(&[path.to_path_buf()]).unwrap();
    let summary = ingestor.run(&NoProgress).unwrap();
    assert_eq!(summary.ingested(), 1, "{:?}", summary.failed());
    let media = store.catalog.list_media().unwrap().remove(0);
    store
        .catalog
        .tracks(&media.id)
        .unwrap()
        .into_iter()
        .filter(|t| t.kind == TrackKind::Item)
        .flat_map(|t| {
            let label = t.label;
            t.sightings.into_iter().map(move |s| (s.bbox, label.clone()))
        })
        .collect()
}

#[test]
fn issue18_the_cup_becomes_an_item_region_of_its_own() {
    let coffee = repo("models/samples/coffee.png");
    let cup = BBox::new(165.0, 20.0, 245.0, 240.0);
    let fits = |boxes: &[(BBox, Option<String>)]| boxes.iter().map(|(b, _)| b.iou(&cup)).fold(0.0f32, f32::max);
    let windows = item_boxes(&coffee, IngestConfig::default());
    let with_objects = item_boxes(
        &coffee,
        IngestConfig {
            object_regions_every: 1,
            ..IngestConfig::default()
        },
    );
    // The windows frame the cup loosely; the object region is the cup.
    assert!(fits(&windows) < 0.7, "{windows:?}");
    assert!(fits(&with_objects) > 0.8, "{with_objects:?}");
    assert!(with_objects.len() > windows.len());
    // The cup's track is named; the windows' are not.
    let cup_track = with_objects
        .iter()
        .max_by(|a, b| a.0.iou(&cup).total_cmp(&b.0.iou(&cup)))
        .unwrap();
    assert_eq!(cup_track.1.as_deref(), Some("cup"), "{with_objects:?}");
    assert!(windows.iter().all(|(_, label)| label.is_none()), "{windows:?}");
}

#[test]
fn issue18_people_in_a_video_become_tracks_that_follow_them() {
    let chaplin = repo("../shared/eval/videos_moviepy/media/chaplin.mp4");
    let config = IngestConfig {
        object_regions_every: 2,
        ..IngestConfig::default()
    };
    let windows = item_boxes(&chaplin, IngestConfig::default()).len();
    let boxes = item_boxes(&chaplin, config);
    // Detected people: tall boxes, a few per detected frame, unlike the square windows.
    let tall = boxes.iter().filter(|(b, _)| b.h > 1.8 * b.w).count();
    assert!(tall >= 5, "{boxes:?}");
    let people = boxes
        .iter()
        .filter(|(b, label)| b.h > 1.8 * b.w && label.as_deref() == Some("person"))
        .count();
    assert!(people >= 5, "{boxes:?}");
    assert!(boxes.len() > windows);
}
