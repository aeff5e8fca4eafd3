//! Opening a video file with FFmpeg and describing its main video stream.
//!
//! Why: everything downstream (sampling, progress bars, the index's notion of a video's length)
//! needs the duration, size, frame rate and codec before decoding a single frame, and every way a
//! file can be unusable (missing, empty, not a video, no video stream, unknown codec) must surface
//! here as a [`MediaError`] that names the file. The container is sniffed by FFmpeg from the
//! bytes; the file name is never used to pick a format.

use std::path::Path;

use ff::format::context::Input;
use ff::{media, Rational};
use ffmpeg_next as ff;

use super::ffmpeg_log::{clear_last_error, ensure_init, take_last_error};
use crate::MediaError;

/// What [`probe`] learns about a video without decoding it.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoInfo {
    /// Length in seconds: the video stream's own duration where the container records it,
    /// otherwise the container's. 0.0 when neither is known.
    pub duration_s: f64,
    /// Coded frame size in pixels, as stored (see `pixel_aspect` for non-square pixels).
    pub width: u32,
    pub height: u32,
    /// Average frame rate; falls back to the nominal rate, then 0.0 when unknown.
    pub fps: f64,
    /// Frame count from the container header, or `duration_s * fps` rounded when the header has
    /// none (WebM, for one). An estimate: damaged or variable-rate files decode more or fewer.
    pub frame_count_estimate: u64,
    /// FFmpeg's short codec name: "h264", "vp8", "msmpeg4v3", "cinepak"...
    pub codec: String,
    /// Width of one pixel relative to its height (sample aspect ratio); 1.0 when unknown.
    /// Frames are delivered on the stored pixel grid, not stretched to display shape.
    pub pixel_aspect: f64,
}

/// Opens `path` and describes its best video stream. Fails with a clear [`MediaError`] for a
/// missing, empty, non-video or unreadable file, or a codec this FFmpeg cannot decode.
pub fn probe(path: &Path) -> Result<VideoInfo, MediaError> {
    let input = open_input(path)?;
    let stream = best_video_stream(&input, path)?;
    let info = describe(&input, &stream);
    if ff::codec::decoder::find(stream.parameters().id()).is_none() {
        return Err(MediaError::UnsupportedCodec {
            path: path.to_path_buf(),
            codec: info.codec,
        });
    }
    Ok(info)
}

/// Opens a container for reading, checking what FFmpeg would report badly (missing file, empty
/// file, a path it cannot represent) beforehand, and lets FFmpeg probe its streams
/// (`avformat_find_stream_info`: frame rates, durations and codec details that only packets tell).
pub(crate) fn open_input(path: &Path) -> Result<Input, MediaError> {
    let mut input = open_header(path)?;
    find_stream_info(&mut input, path)?;
    Ok(input)
}

/// [`open_input`] without the stream probe: the container's header only, enough to list the
/// streams where the format has a header that names them all ([`header_lists_every_stream`]).
/// The probe decodes frames of the video stream (seven of an H.264 stream without reordering
/// information, ~10 ms of 720p); a reader that only asks which streams there are skips it.
pub(crate) fn open_header(path: &Path) -> Result<Input, MediaError> {
    ensure_init();
    let meta = std::fs::metadata(path).map_err(|source| MediaError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.is_dir() {
        return Err(MediaError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::IsADirectory, "is a directory"),
        });
    }
    if meta.len() == 0 {
        return Err(MediaError::Empty {
            path: path.to_path_buf(),
        });
    }
    let url = match path.to_str() {
        // The `file:` prefix keeps FFmpeg from reading a name such as `http:x.mp4` or
        // `concat:a|b` as a protocol; the whitelist keeps playlist-like formats (HLS, concat)
        // inside a hostile file from reaching out to the network or other protocols.
        Some(s) if !s.contains('\0') => format!("file:{s}"),
        _ => {
            return Err(MediaError::UnsupportedPath {
                path: path.to_path_buf(),
            })
        }
    };
    // FFmpeg falls back on the file name when the bytes match nothing (it opens a text file
    // named .mp4 as MP4, then fails on it); identify the container from the bytes alone first.
    let Some(container) = sniff_container(path) else {
        return Err(MediaError::NotVideo {
            path: path.to_path_buf(),
            reason: "FFmpeg recognises no container format in its bytes".to_string(),
        });
    };
    let mut options = ff::Dictionary::new();
    options.set("protocol_whitelist", "file");
    clear_last_error();
    let input = open_without_probe(&url, options).map_err(|e| open_error(path, &container, e))?;
    let format = input.format().name().to_string();
    if let Some(what) = not_a_video(&format) {
        return Err(MediaError::NotVideo {
            path: path.to_path_buf(),
            reason: format!("{what}, which FFmpeg's `{format}` format would show as video"),
        });
    }
    Ok(input)
}

/// `avformat_open_input` alone: ffmpeg-next's `input_with_dictionary` always runs the stream
/// probe after it.
fn open_without_probe(url: &str, options: ff::Dictionary) -> Result<Input, ff::Error> {
    let url = std::ffi::CString::new(url).map_err(|_| ff::Error::InvalidData)?;
    let mut ctx = std::ptr::null_mut();
    // SAFETY: `url` is a NUL-terminated string that outlives the call; the options dictionary is
    // handed over and taken back (`disown` / `own`) as ffmpeg-next's own opener does; on success
    // `ctx` is a fully opened context, which `Input::wrap` owns and closes when dropped.
    unsafe {
        let mut opts = options.disown();
        let res = ff::ffi::avformat_open_input(&mut ctx, url.as_ptr(), std::ptr::null_mut(), &mut opts);
        ff::Dictionary::own(opts);
        match res {
            0 => Ok(Input::wrap(ctx)),
            e => Err(ff::Error::from(e)),
        }
    }
}

/// Probes the streams of a container opened by [`open_header`] (`avformat_find_stream_info`).
pub(crate) fn find_stream_info(input: &mut Input, path: &Path) -> Result<(), MediaError> {
    clear_last_error();
    // SAFETY: `input` owns a context opened by `avformat_open_input` and not yet probed or read.
    let res = unsafe { ff::ffi::avformat_find_stream_info(input.as_mut_ptr(), std::ptr::null_mut()) };
    match res {
        r if r >= 0 => Ok(()),
        e => {
            let container = input.format().name().to_string();
            Err(open_error(path, &container, ff::Error::from(e)))
        }
    }
}

/// Whether the header of a container opened by [`open_header`] lists all its streams; formats
/// without one (MPEG-TS, raw streams) add streams as packets arrive, found only by the probe.
pub(crate) fn header_lists_every_stream(input: &Input) -> bool {
    // SAFETY: `input` wraps a live, opened context.
    let flags = unsafe { (*input.as_ptr()).ctx_flags };
    flags & ff::ffi::AVFMTCTX_NOHEADER == 0
}

/// Formats FFmpeg opens as "video" that are not videos to Glint: text rendered as ANSI art
/// (FFmpeg's `tty` demuxer claims any `.txt` file, by its name alone) and single still images,
/// which go through [`crate::load_image`] instead.
fn not_a_video(format: &str) -> Option<&'static str> {
    if format == "tty" {
        Some("a text file")
    } else if format == "image2" || format.ends_with("_pipe") {
        Some("a still image")
    } else {
        None
    }
}

fn open_error(path: &Path, container: &str, e: ff::Error) -> MediaError {
    let reason = match take_last_error() {
        Some(ffmpeg_says) => format!("{ffmpeg_says}; {e}"),
        None => e.to_string(),
    };
    match e {
        ff::Error::Other { errno } => MediaError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::from_raw_os_error(errno),
        },
        // The bytes looked like `container`, but FFmpeg could not read it as one: damaged or
        // truncated (an MP4 cut short loses the index at its end: "moov atom not found").
        _ => MediaError::CorruptVideo {
            path: path.to_path_buf(),
            reason: format!("a `{container}` file FFmpeg cannot read: {reason}"),
        },
    }
}

/// The container format FFmpeg recognises from the file's first bytes alone, as its own probing
/// would but without the file name (so the extension plays no part), or `None`.
///
/// Like FFmpeg's `av_probe_input_buffer`, the probes look at 2 KiB first and at twice as much
/// each time until one is sure (a score over `AVPROBE_SCORE_RETRY`), taking any match only at
/// the last size, 1 MiB: running every demuxer's probe over a whole MiB costs ~25 ms, paid on
/// every frame lookup, while an MP4 or WebM header settles it in the first 2 KiB.
fn sniff_container(path: &Path) -> Option<String> {
    use std::io::Read;
    // FFmpeg's own limit for format probing (`formatprobesize`).
    const PROBE_BYTES: usize = 1 << 20;
    const FIRST_PROBE: usize = 2048;
    // FFmpeg's AVPROBE_SCORE_RETRY (a macro the bindings lack): AVPROBE_SCORE_MAX / 4.
    const SURE: std::ffi::c_int = ff::ffi::AVPROBE_SCORE_MAX / 4;
    let padding = ff::ffi::AVPROBE_PADDING_SIZE as usize;
    let mut buf = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(PROBE_BYTES as u64)
        .read_to_end(&mut buf)
        .ok()?;
    let len = buf.len();
    // FFmpeg's probes may read up to AVPROBE_PADDING_SIZE bytes past the end; zero them.
    buf.resize(len + padding, 0);
    let mut size = FIRST_PROBE.min(len);
    loop {
        let last = size >= len;
        // Probes may read past `size` into real bytes rather than zeroes; they only score what
        // they were given, as with FFmpeg's growing probe buffer, which holds later bytes too.
        let probe = ff::ffi::AVProbeData {
            filename: c"".as_ptr(),
            buf: buf.as_mut_ptr(),
            buf_size: std::ffi::c_int::try_from(size).ok()?,
            mime_type: std::ptr::null(),
        };
        let mut score: std::ffi::c_int = 0;
        // SAFETY: `probe` points into `buf`, which outlives the call and holds at least
        // AVPROBE_PADDING_SIZE bytes past `size` (file bytes or the zeroed padding), and has a
        // NUL-terminated (empty) file name; a returned format is a static FFmpeg table entry
        // whose `name` is a static C string.
        let found = unsafe {
            let format = ff::ffi::av_probe_input_format2(&probe, 1, &mut score);
            (!format.is_null() && !(*format).name.is_null())
                .then(|| std::ffi::CStr::from_ptr((*format).name).to_string_lossy().into_owned())
        };
        if found.is_some() && (last || score > SURE) {
            return found;
        }
        if last {
            return None;
        }
        size = (size * 2).min(len);
    }
}

/// The stream FFmpeg ranks best among the video streams, skipping cover art (an attached
/// picture is a single still that some containers, like MP3 or M4A, mark as a video stream).
pub(crate) fn best_video_stream<'a>(
    input: &'a Input,
    path: &Path,
) -> Result<ff::format::stream::Stream<'a>, MediaError> {
    let is_moving_video = |s: &ff::format::stream::Stream| {
        s.parameters().medium() == media::Type::Video
            && !s.disposition().contains(ff::format::stream::Disposition::ATTACHED_PIC)
    };
    input
        .streams()
        .best(media::Type::Video)
        .filter(is_moving_video)
        .or_else(|| input.streams().find(is_moving_video))
        .ok_or_else(|| MediaError::NoVideoStream {
            path: path.to_path_buf(),
        })
}

pub(crate) fn describe(input: &Input, stream: &ff::format::stream::Stream) -> VideoInfo {
    let params = stream.parameters();
    // SAFETY: `params` wraps the stream's live AVCodecParameters, valid while `input` is.
    let (width, height, sar) = unsafe {
        let p = &*params.as_ptr();
        (
            u32::try_from(p.width).unwrap_or(0),
            u32::try_from(p.height).unwrap_or(0),
            p.sample_aspect_ratio,
        )
    };
    let fps = frame_rate(stream);
    let tb = rational(stream.time_base());
    let stream_duration = match stream.duration() {
        d if d > 0 && tb > 0.0 => d as f64 * tb,
        _ => 0.0,
    };
    let duration_s = if stream_duration > 0.0 {
        stream_duration
    } else if input.duration() > 0 {
        input.duration() as f64 / f64::from(ff::ffi::AV_TIME_BASE)
    } else {
        0.0
    };
    let frame_count_estimate = match stream.frames() {
        n if n > 0 => n as u64,
        _ => (duration_s * fps).round().max(0.0) as u64,
    };
    let pixel_aspect = match rational(Rational::new(sar.num, sar.den)) {
        a if a > 0.0 => a,
        _ => 1.0,
    };
    VideoInfo {
        duration_s,
        width,
        height,
        fps,
        frame_count_estimate,
        codec: params.id().name().to_string(),
        pixel_aspect,
    }
}

/// Average frame rate when plausible, else the nominal ("real base") rate, else 0.0. Some muxers
/// write a timebase-sized nominal rate (fire2.mp4: 90000/1), hence the sanity bound.
fn frame_rate(stream: &ff::format::stream::Stream) -> f64 {
    [stream.avg_frame_rate(), stream.rate()]
        .into_iter()
        .map(rational)
        .find(|r| *r > 0.0 && *r <= 1000.0)
        .unwrap_or(0.0)
}

/// A rational as f64, 0.0 for an unset or invalid one.
pub(crate) fn rational(r: Rational) -> f64 {
    if r.numerator() > 0 && r.denominator() > 0 {
        f64::from(r.numerator()) / f64::from(r.denominator())
    } else {
        0.0
    }
}
