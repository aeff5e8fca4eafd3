//! Video files: probing, sampled decoding with shot-change detection, through system FFmpeg.
//!
//! Why: Glint searches inside videos, so a video must become a modest number of RGB frames,
//! each with an exact timestamp (to jump to the hit) and with at least one frame per shot (so
//! short shots are searchable), without decoding costing more than the search models do.
//! FFmpeg (through `ffmpeg-next`) does the container and codec work; this module adds the
//! sampling policy, cheap cut detection on every frame, size capping and damage tolerance.
//!
//! * [`probe`]: duration, size, frame rate, codec, without decoding.
//! * [`VideoFrames`]: iterator of [`SampledFrame`]s; [`sample_video`]: the same as a callback.
//! * [`ShotDetector`]: the cut detector on its own, for callers with their own frames.
//! * [`frame_at`]: the one frame on screen at a given time, numbered, timed and scaled as
//!   [`VideoFrames`] gives it, decoded from the keyframe before it; [`frame_at_cached`] keeps
//!   the last few decoded for the next box on the same paused frame.
//! * seek proxies ([`frame_at_via_proxy`], [`ProxyMeta`]): a 640 px copy with frequent
//!   keyframes that [`VideoFrames`] writes while it decodes (`SampleOptions::proxy`), so that a
//!   frame of a file with keyframes far apart is found in a few small decodes.
//!   The proxy is encoded on a thread of its own; the cut detector's thumbnails are block
//!   means where the source allows (`blocks`).
//! * [`read_subtitles`]: the cues of the text subtitle streams, as plain text with their times.

mod blocks;
mod ffmpeg_log;
mod frame_cache;
mod probe;
mod proxy;
mod sampler;
mod seek;
mod shots;
mod subtitles;

pub use frame_cache::frame_at_cached;
pub use probe::{probe, VideoInfo};
pub use proxy::{frame_at_via_proxy, ProxyMeta, PROXY_GOP, PROXY_WORTH_PIXELS};
pub use sampler::{sample_video, DecodeReport, SampleOptions, SampledFrame, VideoFrames};
pub use seek::{frame_at, FrameAt};
pub use shots::{ShotDetector, ShotOptions, ShotStep};
pub use subtitles::{read_subtitles, SubtitleCue};
