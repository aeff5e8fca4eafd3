//! Turning files into pixels.
//!
//! `image_file` decodes still images (JPEG, PNG, WebP, GIF first frame) into upright RGB
//! pixels with EXIF orientation applied, refusing decompression bombs through [`DecodeLimits`].
//! `video` probes and decodes video files through FFmpeg into sampled RGB frames (a fixed rate
//! plus the first frame of every shot), tolerating damaged files, and finds the single frame on
//! screen at a given time ([`frame_at`]) without decoding the video from its start.
//! `photo_copy` keeps a photo slow to decode at its analysis size, the counterpart of a video's
//! seek proxy, so that a box on it is searched without decoding the original.
//! [`triangle_resize`] is `image`'s bilinear resize, the same pixels at a fraction of the cost.
//! Every failure is a [`MediaError`] that names the file and says what is wrong with it.

mod error;
mod image_file;
pub mod photo_copy;
mod triangle;
pub mod video;

pub use error::MediaError;
pub use image::RgbImage;
pub use image_file::{decode_image_bytes, load_image, DecodeLimits};
pub use triangle::triangle_resize;
pub use video::{
    frame_at, frame_at_cached, frame_at_via_proxy, probe, read_subtitles, sample_video, DecodeReport, FrameAt,
    ProxyMeta, SampleOptions, SampledFrame, ShotDetector, ShotOptions, ShotStep, SubtitleCue, VideoFrames, VideoInfo,
};
