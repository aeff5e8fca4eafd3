//! Ingest: files become durable, searchable sightings.
//!
//! Ingest writes into a [`Store`] (crate `glint-store`: the catalog, the vector index and the
//! files of a library, embedded or on PostgreSQL). [`Ingestor`] walks the paths it is given into durable jobs, then
//! works the queue: [`pipeline::ingest_file`] hashes a file (its content is its identity),
//! decodes it (a photo, or a video sampled at a fixed rate plus every shot start), runs the
//! [`analyze`] step on each sampled frame (faces with identity vectors, item windows with
//! appearance vectors), links observations across frames into tracks ([`tracker`]) and commits
//! the media in one transaction with [`Store::add_media`]. A file that fails fails its own job
//! only; a killed run resumes where it stopped, and a killed worker's job is taken over by
//! another once its lease runs out. A video's frames go through a
//! pipeline of threads (`video`), and the queue can work several files at once
//! ([`Ingestor::with_workers`]). Searchable words are stored with each media (`words`, issue 16):
//! what the encoder named, a video's subtitle cues, and with [`IngestConfig::ocr`] the text read
//! in photos and on each shot's first frame ([`text_reader`], crate `glint-ocr`).

mod error;
pub mod pipeline;
mod queue;
pub mod tracker;
mod video;
mod words;

pub use error::IngestError;
pub use glint_store::{Store, StoreError};
// The description of frames and boxes lives in glint-describe (search uses it too); these
// re-exports keep ingest's own paths (`crate::analyze`, ...) and its callers' unchanged.
pub use glint_describe::{
    analyze, colour, face_space, item_space, local, regions, video_analysis_scale, DEFAULT_DECODE_SIDE,
};
pub use pipeline::{content_hash, Outcome};
pub use queue::{default_workers, remove_media, Ingestor, JobReport, RunSummary, JOB_LEASE, MEDIA_EXTENSIONS};
pub use words::text_reader;

use std::path::Path;

use glint_media::DecodeLimits;

/// How files are ingested.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// Sampled frames per second (plus every shot start).
    pub fps: f64,
    /// Videos are analysed so that the longer side is at most this (boxes stay in source pixels).
    pub max_decode_side: u32,
    /// Faces are looked for and embedded on frames up to this size (at least
    /// `max_decode_side`): detection runs at the same cost (its smallest face scales with the
    /// frame), but the face chips are cut from the sharper frame (issue 13: a 130 px face of a
    /// 720p video reaches the embedders at 65 px when analysed at 640).
    pub face_decode_side: u32,
    /// Whether faces are detected and indexed (privacy switch).
    pub faces: bool,
    /// Whether videos slow to seek in get a seek proxy (`glint_media`'s proxy module).
    pub seek_proxies: bool,
    pub image_limits: DecodeLimits,
    /// Longest video accepted, in seconds (a public server must not be tied up for days).
    pub max_video_s: f64,
    /// Wall-clock seconds one video may take to decode and analyse: a file that decodes
    /// pathologically slowly (or a decoder that stalls) fails instead of holding the worker.
    pub max_analysis_s: f64,
    /// The fast mode for bulk back-catalogues: videos are sampled at their keyframes only
    /// (`glint_media::SampleOptions::keyframes_only`), with no seek proxy. Several times faster
    /// (docs/benchmarks.md); a video with keyframes far apart is then seen only that often.
    pub keyframes_only: bool,
    /// Objects found by the object detector become item regions (issue 18) on photos, on the
    /// first sampled frame of each shot, and on every `object_regions_every`-th sampled frame
    /// of a video; 0 stores none (windows only).
    pub object_regions_every: u32,
    /// Whether text is read (OCR, crate `glint-ocr`) in photos and on the first sampled frame of
    /// each shot of a video, and stored as searchable words with their boxes (issue 16). Off by
    /// default ([`OCR`]): it measured far over a fifth of ingest time (docs/benchmarks.md).
    /// Subtitle cues are stored either way.
    pub ocr: bool,
    /// How long finished (done or failed) jobs stay listed; older ones are removed after each
    /// pass over the queue, so the job list does not grow with every file ever ingested.
    pub job_retention: std::time::Duration,
}

/// The default of [`IngestConfig::object_regions_every`] (docs/benchmarks.md, issue 18).
pub const OBJECT_REGIONS_EVERY: u32 = 0;

/// The default of [`IngestConfig::ocr`] (docs/benchmarks.md, "Words on what was seen").
pub const OCR: bool = false;

impl Default for IngestConfig {
    fn default() -> Self {
        Self {
            fps: 2.0,
            max_decode_side: DEFAULT_DECODE_SIDE,
            face_decode_side: 2 * DEFAULT_DECODE_SIDE,
            faces: true,
            seek_proxies: true,
            image_limits: DecodeLimits::default(),
            max_video_s: 4.0 * 3600.0,
            max_analysis_s: 4.0 * 3600.0,
            keyframes_only: false,
            object_regions_every: OBJECT_REGIONS_EVERY,
            ocr: OCR,
            job_retention: std::time::Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// Receives progress while the queue is worked (a CLI progress bar, a server's job status).
pub trait Progress: Sync {
    /// A job starts; `duration_s` is known for videos.
    fn media_started(&self, _path: &Path, _duration_s: Option<f64>) {}
    /// A sampled frame at `t` seconds of the video at `path` was analysed (several files may
    /// be in progress at once, see [`Ingestor::with_workers`]).
    fn frame_done(&self, _path: &Path, _t: f64) {}
    /// A job ended.
    fn job_done(&self, _report: &JobReport) {}
}

/// Progress that goes nowhere.
pub struct NoProgress;
impl Progress for NoProgress {}
