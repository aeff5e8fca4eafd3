use std::path::PathBuf;

/// Why a media file could not be turned into pixels.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: empty file")]
    Empty { path: PathBuf },
    #[error("{path}: not a supported image (JPEG, PNG, WebP, GIF)")]
    UnknownFormat { path: PathBuf },
    #[error("{path}: image is {width}x{height} pixels, over the limit of {limit} pixels")]
    TooLarge {
        path: PathBuf,
        width: u32,
        height: u32,
        limit: u64,
    },
    #[error("{path}: corrupt or truncated image: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("{path}: path is not valid UTF-8 or contains a NUL byte, which FFmpeg cannot open")]
    UnsupportedPath { path: PathBuf },
    #[error("{path}: not a video: {reason}")]
    NotVideo { path: PathBuf, reason: String },
    #[error("{path}: the file has no video stream")]
    NoVideoStream { path: PathBuf },
    #[error("{path}: no decoder for video codec `{codec}` in this FFmpeg build")]
    UnsupportedCodec { path: PathBuf, codec: String },
    #[error("{path}: corrupt or truncated video: {reason}")]
    CorruptVideo { path: PathBuf, reason: String },
    #[error("{path}: no frame could be decoded ({errors} decode errors)")]
    NoFrames { path: PathBuf, errors: u64 },
    #[error("{path}: no frame at {t} s: a video time must be a finite number of seconds, 0 or more")]
    BadTime { path: PathBuf, t: f64 },
}
