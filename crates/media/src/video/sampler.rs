//! Decoding a video into a sparse stream of RGB frames: a fixed rate plus every shot start.
//!
//! Why: indexing every frame of a video would cost 12-60x more embedding work than a few frames
//! a second while adding little (neighbouring frames are near-duplicates), but a sparse fixed
//! rate misses short shots. So every frame is decoded and checked for a cut on a tiny thumbnail
//! ([`super::shots`]), and only the frames that are due by the sampling rate or that start a shot
//! are converted to full (capped) size RGB. Damaged files are decoded as far as FFmpeg can take
//! them: a bad packet or frame is logged, counted and skipped, never fatal.
//!
//! [`VideoFrames`] is the pull interface (an `Iterator` of [`SampledFrame`]); [`sample_video`]
//! wraps it for callers that prefer a callback returning [`ControlFlow`].

use std::collections::VecDeque;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use ff::format::context::Input;
use ff::software::scaling;
use ffmpeg_next as ff;
use image::RgbImage;

use super::probe::{best_video_stream, describe, open_input, rational, VideoInfo};
use super::proxy::ProxyWriter;
use super::shots::{ShotDetector, ShotOptions, ShotStep};
use crate::MediaError;

/// How to sample a video.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleOptions {
    /// Frames per second to emit, on a fixed grid: the first frame at or after each multiple of
    /// `1 / fps` seconds. `f64::INFINITY` emits every frame; 0.0 (or NaN, or negative) emits only
    /// shot starts. Default 2.0.
    pub fps: f64,
    /// Emitted frames are scaled down (never up) so that their longer side is at most this many
    /// pixels; 0 keeps the source size. Default 640.
    pub max_side: u32,
    /// Also emit every frame that starts a new shot (the first frame always does). Default true.
    pub include_shot_changes: bool,
    /// Cut-detector tuning.
    pub shots: ShotOptions,
    /// Decoder threads; 0 lets FFmpeg choose (one per core). Default 0.
    pub threads: usize,
    /// Decode on one thread whatever `threads` says when a frame has at most this many pixels
    /// (0: never). Frame threads cost about a sixth more CPU (bigbuckbunny.mp4: 293 against 249
    /// ms), which a caller that keeps both cores busy with other work (ingest) pays for nothing
    /// where one thread decodes far faster than the frames are analysed. Default 0.
    pub single_thread_pixels: u64,
    /// Give up after this many decode errors in a row without a good frame in between (a file
    /// of garbage would otherwise be ground through to its end). Default 500.
    pub max_consecutive_errors: u64,
    /// Also write a seek proxy of every frame (at `max_side`) to this path, kept when the source
    /// is costly to seek in ([`super::proxy`]). Default none.
    pub proxy: Option<PathBuf>,
    /// The seek proxy's longer side when it should be smaller than the emitted frames (0: at
    /// `max_side`): searches describe a paused frame at the analysis size, and encoding every
    /// frame at 1280 px instead of 640 costs about four times as much. Default 0.
    pub proxy_side: u32,
    /// Decode keyframes only (the fast mode for bulk back-catalogues): the frames between them
    /// are read but never decoded, so sampling and cut detection see keyframes only, frame
    /// numbers are estimated from time, and no proxy is written. A stream whose packets carry
    /// no keyframe flag within its first [`KEYFRAME_PROBE_PACKETS`] is decoded whole. Default
    /// false.
    pub keyframes_only: bool,
}

/// Packets of the video stream read, in keyframes-only mode, before a stream that flags no
/// keyframe is decoded whole instead.
pub const KEYFRAME_PROBE_PACKETS: u64 = 300;

impl Default for SampleOptions {
    fn default() -> Self {
        Self {
            fps: 2.0,
            max_side: 640,
            include_shot_changes: true,
            shots: ShotOptions::default(),
            threads: 0,
            single_thread_pixels: 0,
            max_consecutive_errors: 500,
            proxy: None,
            proxy_side: 0,
            keyframes_only: false,
        }
    }
}

/// One emitted frame.
#[derive(Debug, Clone)]
pub struct SampledFrame {
    /// Number of the frame among all frames decoded from the stream, from 0.
    pub index: u64,
    /// Presentation time in seconds from the stream's start, from the frame's timestamp and
    /// the stream's time base (so exact to the frame, also for variable frame rates). Frames
    /// without a timestamp get the previous frame's time plus one frame duration.
    pub t: f64,
    /// The picture, scaled by `scale`.
    pub image: RgbImage,
    /// Output pixels per source pixel (1.0 when not reduced): a box in `image` maps back to the
    /// source frame by dividing its coordinates by `scale`.
    pub scale: f64,
    /// Width and height of the decoded source frame.
    pub source_size: (u32, u32),
    /// This frame starts a new shot (always true for the first frame).
    pub shot_change: bool,
}

/// Counters for one decode, available from [`VideoFrames::report`] at any time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DecodeReport {
    /// Frames the decoder produced (every one was checked for a cut).
    pub frames_decoded: u64,
    /// Frames handed to the caller.
    pub frames_emitted: u64,
    /// Indexes of the frames that start a shot, the first frame included.
    pub shot_starts: Vec<u64>,
    /// Packets the demuxer could not read, packets the decoder rejected, and frames it failed to
    /// return. Each was logged and skipped.
    pub decode_errors: u64,
    /// Frames the decoder returned but flagged as damaged (concealed errors); they are used.
    pub damaged_frames: u64,
    /// Time of the last decoded frame, in seconds from the stream start.
    pub last_t: f64,
    /// Decoding stopped at `max_consecutive_errors` instead of reaching the end of the file.
    pub gave_up: bool,
    /// A seek proxy was written (asked for, worth keeping, and the whole file decoded).
    pub proxy_written: bool,
}

/// The video decoder as an iterator of sampled frames. Opening does all the checks [`super::probe`]
/// does; after that, iteration never fails: damage ends or thins out the stream and is counted
/// in [`VideoFrames::report`].
pub struct VideoFrames {
    path: PathBuf,
    info: VideoInfo,
    opts: SampleOptions,
    input: Input,
    stream_index: usize,
    decoder: ff::decoder::Video,
    time_base: f64,
    origin_ts: Option<i64>,
    frame: ff::frame::Video,
    thumb: Scaler,
    out: Scaler,
    shots: ShotDetector,
    /// A possible shot start awaiting the detector's verdict (which comes with the next frame).
    pending: Option<Pending>,
    /// Frames decided on and not yet handed out, in decode order.
    ready: VecDeque<SampledFrame>,
    next_sample_t: f64,
    prev_t: Option<f64>,
    state: State,
    consecutive_errors: u64,
    report: DecodeReport,
    /// The seek proxy being written; `None` when not asked for or abandoned.
    proxy: Option<ProxyWriter>,
    proxy_abandoned: bool,
    /// Packets of the video stream read so far, and whether one was flagged a keyframe.
    packets: u64,
    keyframe_seen: bool,
}

/// A decoded frame held back for one frame while the cut detector decides about it.
struct Pending {
    /// The frame as it would be emitted, `shot_change` still unset; `None` when it would be
    /// emitted only as a shot start and those are not wanted, or when conversion failed.
    frame: Option<SampledFrame>,
    index: u64,
    /// Due by the sampling rate: emitted whatever the verdict.
    due: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading packets and feeding them to the decoder.
    Reading,
    /// End of input sent to the decoder; collecting the frames it still holds.
    Draining,
    Done,
}

impl VideoFrames {
    /// Opens `path` for sampling. Errors are those of [`super::probe`] plus a decoder that fails
    /// to open.
    pub fn open(path: &Path, mut opts: SampleOptions) -> Result<Self, MediaError> {
        if opts.keyframes_only {
            opts.proxy = None; // A proxy holds every frame.
        }
        let input = open_input(path)?;
        let stream = best_video_stream(&input, path)?;
        let info = describe(&input, &stream);
        let stream_index = stream.index();
        let time_base = rational(stream.time_base());
        let start = stream.start_time();
        let origin_ts = (start != ff::ffi::AV_NOPTS_VALUE).then_some(start);

        let pixels = u64::from(info.width) * u64::from(info.height);
        let threads = match pixels <= opts.single_thread_pixels {
            true => 1,
            false => opts.threads,
        };
        let decoder = open_decoder(path, &stream, &info, threads)?;
        tracing::debug!(
            path = %path.display(),
            codec = %info.codec,
            width = info.width,
            height = info.height,
            fps = info.fps,
            "decoding video"
        );
        Ok(Self {
            path: path.to_path_buf(),
            shots: ShotDetector::new(opts.shots),
            info,
            opts,
            input,
            stream_index,
            decoder,
            time_base,
            origin_ts,
            frame: ff::frame::Video::empty(),
            thumb: Scaler::new(ff::format::Pixel::RGB24),
            out: Scaler::output(),
            pending: None,
            ready: VecDeque::new(),
            next_sample_t: 0.0,
            prev_t: None,
            state: State::Reading,
            consecutive_errors: 0,
            report: DecodeReport::default(),
            proxy: None,
            proxy_abandoned: false,
            packets: 0,
            keyframe_seen: false,
        })
    }

    /// What the container says about the stream (see [`super::probe`]).
    pub fn info(&self) -> &VideoInfo {
        &self.info
    }

    /// Counters so far; final once the iterator has returned `None`.
    pub fn report(&self) -> &DecodeReport {
        &self.report
    }

    /// Consumes the iterator, returning its counters.
    pub fn into_report(self) -> DecodeReport {
        self.report
    }

    fn note_error(&mut self, what: &str, e: ff::Error) {
        self.report.decode_errors += 1;
        self.consecutive_errors += 1;
        // Each error at debug level (a damaged file can have hundreds); `finish` warns once.
        tracing::debug!(path = %self.path.display(), "{what}: {e}");
        if self.consecutive_errors >= self.opts.max_consecutive_errors.max(1) {
            tracing::warn!(
                path = %self.path.display(),
                errors = self.report.decode_errors,
                "giving up after {} consecutive decode errors",
                self.consecutive_errors
            );
            self.report.gave_up = true;
            self.finish();
        }
    }

    /// Reads packets until one of our stream is accepted by the decoder, or input ends.
    fn feed(&mut self) {
        loop {
            // A fresh packet per read: `av_read_frame` does not release what a reused one holds.
            let mut packet = ff::Packet::empty();
            match packet.read(&mut self.input) {
                Ok(()) => {
                    if packet.stream() != self.stream_index || self.skip(&packet) {
                        continue;
                    }
                    match self.decoder.send_packet(&packet) {
                        Ok(()) => return,
                        Err(e) => {
                            self.note_error("decoder rejected a packet", e);
                            if self.state == State::Done {
                                return;
                            }
                        }
                    }
                }
                Err(ff::Error::Eof) => break,
                // A damaged stretch of the container: the demuxer can resync after it.
                Err(e @ ff::Error::InvalidData) => {
                    self.note_error("unreadable packet", e);
                    if self.state == State::Done {
                        return;
                    }
                }
                // I/O and other errors are sticky in FFmpeg (every later read repeats them):
                // end the input here and keep what was decoded.
                Err(e) => {
                    self.report.decode_errors += 1;
                    tracing::warn!(path = %self.path.display(), "reading stopped: {e}");
                    break;
                }
            }
        }
        if let Err(e) = self.decoder.send_eof() {
            tracing::debug!(path = %self.path.display(), "sending end of stream: {e}");
        }
        self.state = State::Draining;
    }

    /// Whether `packet` (of the video stream) is left undecoded: in keyframes-only mode, every
    /// packet that is not a keyframe, unless the stream has flagged none so far.
    fn skip(&mut self, packet: &ff::Packet) -> bool {
        if !self.opts.keyframes_only {
            return false;
        }
        self.packets += 1;
        self.keyframe_seen |= packet.is_key();
        if !self.keyframe_seen && self.packets > KEYFRAME_PROBE_PACKETS {
            tracing::debug!(path = %self.path.display(), "no keyframe flags: decoding every frame");
            self.opts.keyframes_only = false;
            return false;
        }
        !packet.is_key()
    }

    /// Handles the frame in `self.frame`: runs the cut detector on it and queues whatever
    /// becomes ready to emit (this frame, or the previous one once its verdict is in).
    fn process_frame(&mut self) {
        let decoded = self.report.frames_decoded;
        self.report.frames_decoded += 1;
        self.consecutive_errors = 0;
        if self.frame.is_corrupt() || self.frame.has_decode_errors() {
            self.report.damaged_frames += 1;
        }
        let t = self.frame_time();
        // Skipped frames are not counted: a keyframe's number comes from its time.
        let index = match self.opts.keyframes_only && self.info.fps > 0.0 {
            true => (t * self.info.fps).round() as u64,
            false => decoded,
        };
        self.prev_t = Some(t);
        self.report.last_t = t;
        let (w, h) = (self.frame.width(), self.frame.height());
        // Every decoded frame goes to the proxy, so that its numbering stays the sampler's (an
        // empty frame abandons the proxy).
        self.write_proxy(t);
        if w == 0 || h == 0 {
            return;
        }

        // The cut detector sees every frame, through a tiny thumbnail.
        let tw = self.opts.shots.thumb_width.clamp(8, 256).min(w);
        let th = ((f64::from(h) * f64::from(tw) / f64::from(w)).round() as u32).clamp(1, 256);
        let shots = &mut self.shots;
        let detected = match super::blocks::thumbnail(&self.frame, (tw, th)) {
            Some(rgb) => Ok(shots.push(&rgb, tw as usize, th as usize, 3 * tw as usize, t)),
            None => self
                .thumb
                .run(&self.frame, tw, th, scaling::Flags::AREA)
                .map(|out| shots.push(out.data(0), tw as usize, th as usize, out.stride(0), t)),
        };
        let step = match detected {
            Ok(step) => step,
            Err(e) => {
                self.note_error("thumbnail conversion failed", e);
                ShotStep {
                    previous: self.shots.flush(),
                    pending: false,
                }
            }
        };
        if let Some(is_cut) = step.previous {
            self.resolve_pending(is_cut);
        }

        let due = self.opts.fps > 0.0 && t >= self.next_sample_t - 1e-9;
        if due && self.opts.fps.is_finite() {
            // Next grid point strictly after t: frames after a gap do not pile up.
            self.next_sample_t = ((t * self.opts.fps + 1e-9).floor() + 1.0) / self.opts.fps;
        }
        let wanted = due || (step.pending && self.opts.include_shot_changes);
        let frame = if wanted { self.convert(index, t) } else { None };
        if step.pending {
            self.pending = Some(Pending { frame, index, due });
        } else if let Some(frame) = frame {
            self.emit(frame, false);
        }
    }

    /// Adds the current frame to the seek proxy, starting it at the first frame; any failure
    /// abandons the proxy (the file is still sampled; lookups decode the source).
    fn write_proxy(&mut self, t: f64) {
        let Some(path) = &self.opts.proxy else {
            return;
        };
        if self.proxy_abandoned {
            return;
        }
        let result = match self.proxy.as_mut() {
            Some(proxy) => proxy.push(&self.frame, t),
            None => ProxyWriter::create(
                path,
                self.frame.width(),
                self.frame.height(),
                self.frame.format(),
                self.info.fps,
                match self.opts.proxy_side {
                    0 => self.opts.max_side,
                    side => side,
                },
            )
            .and_then(|mut proxy| proxy.push(&self.frame, t).map(|()| proxy))
            .map(|proxy| self.proxy = Some(proxy)),
        };
        if let Err(e) = result {
            tracing::debug!(path = %self.path.display(), "seek proxy abandoned: {e}");
            self.proxy = None; // dropping it removes the partial file
            self.proxy_abandoned = true;
        }
    }

    /// Applies the cut detector's verdict to the frame held back for it.
    fn resolve_pending(&mut self, is_cut: bool) {
        let Some(p) = self.pending.take() else {
            return;
        };
        if is_cut {
            self.report.shot_starts.push(p.index);
        }
        if p.due || (is_cut && self.opts.include_shot_changes) {
            if let Some(frame) = p.frame {
                self.emit(frame, is_cut);
            }
        }
    }

    fn emit(&mut self, mut frame: SampledFrame, shot_change: bool) {
        frame.shot_change = shot_change;
        self.report.frames_emitted += 1;
        self.ready.push_back(frame);
    }

    /// The current frame scaled to the output size as RGB; `None` (counted) if swscale fails.
    fn convert(&mut self, index: u64, t: f64) -> Option<SampledFrame> {
        let (w, h) = (self.frame.width(), self.frame.height());
        match to_rgb(&mut self.out, &self.frame, self.opts.max_side) {
            Ok(Some((image, scale))) => Some(SampledFrame {
                index,
                t,
                image,
                scale,
                source_size: (w, h),
                shot_change: false,
            }),
            Ok(None) => {
                self.note_error("colour conversion gave a short frame", ff::Error::Bug);
                None
            }
            Err(e) => {
                self.note_error("colour conversion failed", e);
                None
            }
        }
    }

    /// The frame's time from its best-effort timestamp, relative to the stream start.
    fn frame_time(&mut self) -> f64 {
        let frame_step = if self.info.fps > 0.0 { 1.0 / self.info.fps } else { 0.0 };
        match self.frame.timestamp() {
            Some(ts) if self.time_base > 0.0 => {
                let origin = *self.origin_ts.get_or_insert(ts);
                (ts - origin) as f64 * self.time_base
            }
            _ => self.prev_t.map_or(0.0, |p| p + frame_step),
        }
    }
}

impl Iterator for VideoFrames {
    type Item = SampledFrame;

    fn next(&mut self) -> Option<SampledFrame> {
        loop {
            if let Some(frame) = self.ready.pop_front() {
                return Some(frame);
            }
            if self.state == State::Done {
                return None;
            }
            match self.decoder.receive_frame(&mut self.frame) {
                Ok(()) => self.process_frame(),
                Err(ff::Error::Other { errno }) if errno == ff::error::EAGAIN => {
                    if self.state == State::Draining {
                        // A decoder should not ask for input after EOF; treat it as the end.
                        self.finish();
                    } else {
                        self.feed();
                    }
                }
                Err(ff::Error::Eof) => self.finish(),
                Err(e) => self.note_error("decoder failed on a frame", e),
            }
        }
    }
}

impl VideoFrames {
    /// Ends decoding: settles the frame held for a verdict and logs a summary of any damage.
    fn finish(&mut self) {
        if self.state == State::Done {
            return;
        }
        self.state = State::Done;
        if let Some(is_cut) = self.shots.flush() {
            self.resolve_pending(is_cut);
        }
        // A proxy of a file decoded only in part (given up on) would answer for frames it lacks.
        if let Some(proxy) = self.proxy.take().filter(|_| !self.report.gave_up) {
            match proxy.finish() {
                Ok(kept) => self.report.proxy_written = kept,
                Err(e) => tracing::debug!(path = %self.path.display(), "seek proxy abandoned: {e}"),
            }
        }
        let r = &self.report;
        if r.decode_errors > 0 || r.damaged_frames > 0 {
            tracing::warn!(
                path = %self.path.display(),
                frames = r.frames_decoded,
                errors = r.decode_errors,
                damaged_frames = r.damaged_frames,
                "video decoded with errors"
            );
        }
    }
}

/// Decodes `path` and calls `on_frame` for every sampled frame until the video ends or the
/// callback returns [`ControlFlow::Break`]. Returns the stream description and the counters.
/// A video from which not a single frame could be decoded is a [`MediaError::NoFrames`].
pub fn sample_video<F>(
    path: &Path,
    opts: SampleOptions,
    mut on_frame: F,
) -> Result<(VideoInfo, DecodeReport), MediaError>
where
    F: FnMut(SampledFrame) -> ControlFlow<()>,
{
    let mut frames = VideoFrames::open(path, opts)?;
    let mut stopped = false;
    for frame in frames.by_ref() {
        if on_frame(frame).is_break() {
            stopped = true;
            break;
        }
    }
    let info = frames.info().clone();
    let report = frames.into_report();
    if report.frames_decoded == 0 && !stopped {
        return Err(MediaError::NoFrames {
            path: path.to_path_buf(),
            errors: report.decode_errors,
        });
    }
    Ok((info, report))
}

/// Opens the decoder for `stream` (described by `info`) with `threads` frame threads (0: FFmpeg
/// chooses). Fails as [`VideoFrames::open`] does for a codec this FFmpeg lacks or cannot open.
pub(super) fn open_decoder(
    path: &Path,
    stream: &ff::format::stream::Stream,
    info: &VideoInfo,
    threads: usize,
) -> Result<ff::decoder::Video, MediaError> {
    let mut ctx = ff::codec::context::Context::from_parameters(stream.parameters())
        .map_err(|e| corrupt(path, format!("codec parameters: {e}")))?;
    ctx.set_threading(ff::codec::threading::Config {
        kind: ff::codec::threading::Type::Frame,
        count: threads,
        ..Default::default()
    });
    let mut decoder = ctx.decoder();
    decoder.set_packet_time_base(stream.time_base());
    decoder.video().map_err(|e| match e {
        ff::Error::DecoderNotFound => MediaError::UnsupportedCodec {
            path: path.to_path_buf(),
            codec: info.codec.clone(),
        },
        other => corrupt(path, format!("cannot open the {} decoder: {other}", info.codec)),
    })
}

/// Output size for a `w` x `h` frame whose longer side is capped at `max_side` (0: no cap),
/// and the scale factor applied.
pub(crate) fn output_size(w: u32, h: u32, max_side: u32) -> (u32, u32, f64) {
    let longer = w.max(h);
    if max_side == 0 || longer <= max_side {
        return (w, h, 1.0);
    }
    let scale = f64::from(max_side) / f64::from(longer);
    let ow = ((f64::from(w) * scale).round() as u32).max(1);
    let oh = ((f64::from(h) * scale).round() as u32).max(1);
    (ow, oh, scale)
}

/// `frame` scaled down to fit `max_side` (see [`output_size`]) as RGB, and the scale applied: the
/// one conversion every emitted frame goes through, so that [`super::frame_at`] gives the same
/// pixels. `None` if swscale returned fewer bytes than the frame size says. `out` comes from
/// [`Scaler::output`].
pub(super) fn to_rgb(
    out: &mut Scaler,
    frame: &ff::frame::Video,
    max_side: u32,
) -> Result<Option<(RgbImage, f64)>, ff::Error> {
    let (ow, oh, scale) = output_size(frame.width(), frame.height(), max_side);
    let converted = out.run(frame, ow, oh, scaling::Flags::BILINEAR)?;
    Ok(bgr_to_rgb(converted).map(|image| (image, scale)))
}

/// An swscale context to a packed 24-bit format, rebuilt when the source format or size changes
/// (which damaged streams and some codecs do mid-stream).
pub(super) struct Scaler {
    format: ff::format::Pixel,
    ctx: Option<scaling::Context>,
    out: ff::frame::Video,
}

// SAFETY: an SwsContext is plain heap state with no tie to the thread that made it; FFmpeg only
// forbids using one from two threads at once, which `&mut self` on every use already rules out.
// (ffmpeg-next leaves `scaling::Context` !Send only because it holds a raw pointer.) This is
// what lets a `VideoFrames` move to a worker thread.
unsafe impl Send for Scaler {}

impl Scaler {
    /// The scaler for [`to_rgb`]. FFmpeg 5.1's swscale has a SIMD output path for BGR24 but not
    /// RGB24 (measured here: 1280x720 YUV to 640x360 in ~0.7 ms vs ~1.6 ms); the channels are
    /// swapped in `bgr_to_rgb`.
    pub(super) fn output() -> Self {
        Self::new(ff::format::Pixel::BGR24)
    }

    fn new(format: ff::format::Pixel) -> Self {
        Self {
            format,
            ctx: None,
            out: ff::frame::Video::empty(),
        }
    }

    fn run(
        &mut self,
        src: &ff::frame::Video,
        w: u32,
        h: u32,
        flags: scaling::Flags,
    ) -> Result<&ff::frame::Video, ff::Error> {
        let fits = self.ctx.as_ref().is_some_and(|c| {
            let (i, o) = (c.input(), c.output());
            i.format == src.format()
                && i.width == src.width()
                && i.height == src.height()
                && o.width == w
                && o.height == h
        });
        if !fits {
            self.ctx = Some(scaling::Context::get(
                src.format(),
                src.width(),
                src.height(),
                self.format,
                w,
                h,
                flags,
            )?);
            self.out = ff::frame::Video::empty();
        }
        match self.ctx.as_mut() {
            Some(ctx) => ctx.run(src, &mut self.out)?,
            None => return Err(ff::Error::Bug),
        }
        Ok(&self.out)
    }
}

/// Copies a packed BGR24 frame (rows padded to its stride) into an `RgbImage`; `None` if the
/// frame holds fewer bytes than its size says.
fn bgr_to_rgb(frame: &ff::frame::Video) -> Option<RgbImage> {
    let (w, h) = (frame.width() as usize, frame.height() as usize);
    let stride = frame.stride(0);
    let data = frame.data(0);
    if stride < w * 3 || data.len() < stride * h.saturating_sub(1) + w * 3 {
        return None;
    }
    let mut buf = Vec::with_capacity(w * h * 3);
    for row in data.chunks(stride).take(h) {
        buf.extend(row[..w * 3].chunks_exact(3).flat_map(|p| [p[2], p[1], p[0]]));
    }
    RgbImage::from_raw(w as u32, h as u32, buf)
}

pub(super) fn corrupt(path: &Path, reason: String) -> MediaError {
    MediaError::CorruptVideo {
        path: path.to_path_buf(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decoder_can_move_to_another_thread() {
        fn assert_send<T: Send>() {}
        assert_send::<VideoFrames>();
        assert_send::<SampledFrame>();
    }

    #[test]
    fn output_size_caps_the_longer_side_and_never_enlarges() {
        assert_eq!(output_size(1280, 720, 640), (640, 360, 0.5));
        assert_eq!(output_size(720, 1280, 640), (360, 640, 0.5));
        assert_eq!(output_size(320, 240, 640), (320, 240, 1.0));
        assert_eq!(output_size(1920, 1080, 0), (1920, 1080, 1.0));
        let (w, h, s) = output_size(640, 272, 100);
        assert_eq!((w, h), (100, 43));
        assert!((s - 100.0 / 640.0).abs() < 1e-12);
    }
}
