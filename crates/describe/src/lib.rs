//! How Glint describes a picture, the same way when it indexes and when it searches.
//!
//! Ingest describes every sampled frame and photo; search describes the box a user drew. Both
//! must produce comparable features, so the description lives here, used by both (`glint-ingest`
//! and `glint-search` depend on this crate, not on each other):
//! - [`analyze`]: faces with identity vectors, and item windows ([`regions`]) with appearance
//!   vectors plus a colour signature ([`colour`]);
//! - `area`: the area-average shrink both use on large pictures;
//! - [`local`]: keypoints for geometric verification, and their per-media file;
//! - the vector spaces the vectors are filed under ([`face_space`], [`item_space`]) and the scale
//!   videos are analysed at ([`video_analysis_scale`]).

pub mod analyze;
mod area;
pub mod colour;
pub mod local;
pub mod regions;

use std::path::PathBuf;

use glint_vision::Models;

/// Why local features could not be computed, read or written.
#[derive(Debug, thiserror::Error)]
pub enum DescribeError {
    #[error(transparent)]
    Keypoints(#[from] glint_keypoints::KeypointError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {what}")]
    Corrupt { path: PathBuf, what: String },
}

/// The space of a face embedder's vectors.
pub fn face_space(models: &Models) -> String {
    format!("face:{}", models.face_embedder.name())
}

/// The space of an encoder's item vectors: named after the encoder, so that switching encoders
/// never mixes incomparable vectors.
pub fn item_space(models: &Models) -> String {
    format!("item:{}+{}", models.image_encoder.name(), colour::COLOUR_SPACE_TAG)
}

/// The longest side videos are analysed at by default (ingest's `max_decode_side`).
pub const DEFAULT_DECODE_SIDE: u32 = 640;

/// The longest side photos are described at for items (windows, colour, keypoints): larger
/// photos are shrunk first, since items gain nothing from more pixels than the encoder and the
/// keypoint detector see. Faces are still detected and embedded from the full photo.
pub const PHOTO_ITEM_SIDE: u32 = 1600;

/// The scale at which ingest describes the items of a `width` x `height` photo: shrunk to
/// [`PHOTO_ITEM_SIDE`], never enlarged.
pub fn photo_analysis_scale(width: u32, height: u32) -> f32 {
    (PHOTO_ITEM_SIDE as f32 / width.max(height).max(1) as f32).min(1.0)
}

/// The scale at which ingest (default configuration) analyses the frames of a `width` x
/// `height` video: shrunk to [`DEFAULT_DECODE_SIDE`], never enlarged.
pub fn video_analysis_scale(width: u32, height: u32) -> f32 {
    (DEFAULT_DECODE_SIDE as f32 / width.max(height).max(1) as f32).min(1.0)
}
