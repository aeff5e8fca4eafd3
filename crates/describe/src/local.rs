//! Keypoints of every analysed frame, kept beside the media for geometric re-ranking.
//!
//! Item search finds candidates by vector; the search crate then verifies the best ones with
//! local features (glint-keypoints). Ingest computes them once, from the same frames the vectors
//! come from, and writes them to the media's file (`Store::local_features_path`) before the
//! catalog commit (like the thumbnails: a crash leaves a file that the retry overwrites). Points
//! are in source pixels.

use std::path::Path;

use glint_keypoints::{extract_within, LocalFeatures, MAX_WORKING_SIDE};
use glint_media::RgbImage;

use crate::DescribeError;

/// Keypoints kept per photo (product shots and photos are few and matter most) and per
/// sampled video frame (many, each a little less). A 200 px product shot enlarged for
/// detection yields 330–1000 keypoints (median 500): keeping up to 1000 instead of 500 raised
/// grocery train recall@1 0.851 → 0.858 (docs/benchmarks.md), for ~65 KB more per photo.
pub const PHOTO_KEYPOINTS: usize = 1000;
pub const FRAME_KEYPOINTS: usize = 300;
const MAGIC: &[u8; 4] = b"GLF1";

/// The keypoints of one analysed frame (`t` = None for photos).
#[derive(Debug, Clone, PartialEq)]
pub struct FrameFeatures {
    pub t: Option<f64>,
    pub features: LocalFeatures,
}

/// Keypoints of `image`, scaled to source pixels (`to_source` times the image's).
pub fn extract_frame(image: &RgbImage, to_source: f32, max: usize) -> Result<LocalFeatures, DescribeError> {
    Ok(extract_image_within(image, max, MAX_WORKING_SIDE)?.scaled(to_source))
}

/// Keypoints of `image` (in its own pixels), detected at most `max_side` pixels a side: a search
/// detects its query region's smaller than ingest detects what it stores.
pub fn extract_image_within(image: &RgbImage, max: usize, max_side: f32) -> Result<LocalFeatures, DescribeError> {
    let gray = image::imageops::grayscale(image);
    let (w, h) = gray.dimensions();
    Ok(extract_within(gray.as_raw(), w, h, max, max_side)?)
}

/// Keypoints of a sampled video frame: detected on a half-size copy (OpenCV's SIFT doubles its
/// input first, so this is about the frame's own resolution), which cuts the per-frame cost of
/// ingest about fourfold; frames are many and objects in them rarely need finer detail.
pub fn extract_video_frame(image: &RgbImage, to_source: f32, max: usize) -> Result<LocalFeatures, DescribeError> {
    let (w, h) = image.dimensions();
    if video_frame_factor(w, h) == 1.0 {
        return extract_frame(image, to_source, max);
    }
    let half = glint_media::triangle_resize(image, w / 2, h / 2);
    extract_frame(&half, to_source * w as f32 / (w / 2) as f32, max)
}

/// The factor by which [`extract_video_frame`] shrinks an analysed `width` x `height` frame
/// before detection: a query box on a video is detected at the same scale (glint-search).
pub fn video_frame_factor(width: u32, height: u32) -> f32 {
    if width.max(height) < 2 * MIN_HALVED_SIDE {
        1.0
    } else {
        0.5
    }
}

/// Frames smaller than twice this are not halved.
const MIN_HALVED_SIDE: u32 = 240;

pub fn save(path: &Path, frames: &[FrameFeatures]) -> Result<(), DescribeError> {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(frames.len() as u32).to_le_bytes());
    for f in frames {
        out.extend_from_slice(&f.t.unwrap_or(f64::NAN).to_le_bytes());
        out.extend_from_slice(&f.features.encode());
    }
    std::fs::write(path, out).map_err(|source| DescribeError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// The frames saved by [`save`]; a missing file (media indexed before local features existed)
/// is an empty list, so search simply does not re-rank that media.
pub fn load(path: &Path) -> Result<Vec<FrameFeatures>, DescribeError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(DescribeError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let corrupt = |what: &str| DescribeError::Corrupt {
        path: path.to_path_buf(),
        what: what.to_string(),
    };
    if bytes.len() < 8 || &bytes[..4] != MAGIC {
        return Err(corrupt("not a local-features file"));
    }
    let n = u32::from_le_bytes(bytes[4..8].try_into().expect("4 bytes")) as usize;
    let mut at = 8;
    let mut frames = Vec::with_capacity(n.min(1 << 16));
    for _ in 0..n {
        let t = bytes
            .get(at..at + 8)
            .ok_or_else(|| corrupt("truncated"))
            .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))?;
        let (features, used) = LocalFeatures::decode(&bytes[at + 8..])?;
        at += 8 + used;
        frames.push(FrameFeatures {
            t: (!t.is_nan()).then_some(t),
            features,
        });
    }
    Ok(frames)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_corruption_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("local.bin");
        let features = LocalFeatures {
            points: vec![[1.0, 2.0], [3.5, 4.5]],
            descriptors: (0..256).map(|i| i as u8).collect(),
        };
        let frames = vec![
            FrameFeatures {
                t: None,
                features: features.clone(),
            },
            FrameFeatures {
                t: Some(2.5),
                features: LocalFeatures::default(),
            },
        ];
        save(&p, &frames).unwrap();
        assert_eq!(load(&p).unwrap(), frames);
        assert!(load(&dir.path().join("missing.bin")).unwrap().is_empty());
        let bytes = std::fs::read(&p).unwrap();
        std::fs::write(&p, &bytes[..bytes.len() - 3]).unwrap();
        assert!(load(&p).is_err());
    }
}
