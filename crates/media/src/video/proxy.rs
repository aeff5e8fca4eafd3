//! Seek proxies: a small re-encoding of a video, written while ingest decodes it, from which any
//! frame can be decoded in a few milliseconds.
//!
//! Why: a search on a paused video needs the frame on screen, and [`super::frame_at`] has to
//! decode from the keyframe before it. Files with keyframes far apart (bigbuckbunny.mp4 has one
//! for its whole 5.5 s; screen recordings and many downloads have one every 5–10 s) cost a
//! whole group of pictures at full size per search, 250–450 ms at 720p, more than the search
//! itself. Ingest analyses frames at a capped size anyway (640 px), so the proxy holds every
//! frame at that size, MPEG-4 Part 2 (FFmpeg's own encoder, in every build) with a keyframe every
//! [`PROXY_GOP`] frames and no B-frames: the worst frame is then at most 15 small decodes.
//!
//! What makes a proxy frame stand for the source frame: the proxy gets every decoded frame, in
//! order, so the n-th proxy frame is the source's frame n; its timestamps are the sampler's
//! times (from the first frame, which [`ProxyMeta::first_t`] records), so [`super::frame_at`] on
//! the proxy at `t - first_t` finds the frame the sampler timed at `t`. Anything that breaks
//! this (timestamps not increasing, a frame the encoder refuses, a size change mid-stream)
//! abandons the proxy; the source is then decoded as before.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use ff::software::scaling;
use ffmpeg_next as ff;
use serde::{Deserialize, Serialize};

use super::frame_cache::frame_at_cached;
use super::sampler::output_size;
use super::seek::FrameAt;
use crate::MediaError;

/// Frames between proxy keyframes: the most a lookup decodes.
pub const PROXY_GOP: u32 = 15;
/// A proxy is kept only where it saves real work: when reaching the worst frame of the source
/// means decoding more than this many source pixels (about 25 ms of H.264 on this machine).
pub const PROXY_WORTH_PIXELS: u64 = 8_000_000;
/// Proxy timestamps per second.
const TICKS_PER_SECOND: f64 = 60_000.0;
/// MPEG-4 quantiser (2 = best, 31 = worst): at 5 the proxy stays within 4 grey levels of the
/// source on average (the proxy test's bound; PSNR ~38 dB on bigbuckbunny.mp4 with FFmpeg's
/// command line at the same settings), at about the size of a 720p source.
const QUANTISER: i32 = 5;

/// What a lookup needs besides the proxy file, kept in a sidecar JSON beside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProxyMeta {
    /// The sampler's time of the source's first frame (the proxy's starts at 0).
    pub first_t: f64,
    /// Width and height of the source frames.
    pub source_size: (u32, u32),
    /// Width and height of the proxy frames.
    pub proxy_size: (u32, u32),
    /// Frames written (every frame decoded from the source).
    pub frames: u64,
    /// The sampler's time of the last frame written.
    pub last_t: f64,
}

impl ProxyMeta {
    /// The sidecar of the proxy at `proxy`.
    pub fn path_for(proxy: &Path) -> PathBuf {
        proxy.with_extension("json")
    }

    /// Reads the sidecar of `proxy`; `None` when absent or unreadable (no proxy, then).
    pub fn load(proxy: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(Self::path_for(proxy)).ok()?;
        serde_json::from_str(&text).ok()
    }
}

/// Writes a proxy frame by frame; see the module notes.
///
/// The caller's thread checks each frame, times it and shrinks it; a thread of the writer's own
/// encodes and writes it ([`Encoding`]), so that the MPEG-4 encoder (about a third of the
/// proxy's cost) runs beside decoding instead of after each frame.
pub(super) struct ProxyWriter {
    final_path: PathBuf,
    tmp_path: PathBuf,
    scaler: scaling::Context,
    /// `None` once the encoder thread has been joined (finished or failed).
    encoding: Option<EncoderThread>,
    first_t: Option<f64>,
    last_t: f64,
    /// Duration of one frame, in ticks: the last step between frames (the nominal rate before).
    frame_ticks: i64,
    last_pts: Option<i64>,
    source_size: (u32, u32),
    proxy_size: (u32, u32),
    frames: u64,
    /// Most frames seen between two keyframes of the source, for the keep-or-drop decision.
    max_key_gap: u64,
    since_key: u64,
    /// Moved into place: nothing to clean up.
    finished: bool,
}

// SAFETY: the writer owns its FFmpeg contexts exclusively and is used through `&mut self` only,
// on whichever thread holds it (as `VideoFrames` is moved to an ingest worker).
unsafe impl Send for ProxyWriter {}

/// Frames on their way to the encoder thread: enough to ride out a slow frame; each is a small
/// 4:2:0 picture (340 KB at 640x360).
const ENCODER_DEPTH: usize = 8;

/// What the caller's thread sends the encoder thread.
enum ToEncoder {
    /// A shrunk frame with its timestamp set, and the duration its packet gets, in ticks.
    Frame(ff::frame::Video, i64),
    /// Flush the encoder and write the trailer: the proxy is to be kept.
    Finish,
}

/// The encoder thread and the way to it.
struct EncoderThread {
    tx: SyncSender<ToEncoder>,
    handle: JoinHandle<Result<(), Failed>>,
}

impl EncoderThread {
    /// Ends the thread (after `last`, when given) and returns its verdict.
    fn join(self, last: Option<ToEncoder>) -> Result<(), Failed> {
        if let Some(message) = last {
            // A thread that already stopped says why when joined.
            let _ = self.tx.send(message);
        }
        drop(self.tx);
        self.handle
            .join()
            .map_err(|_| Failed::from("the proxy encoder thread panicked"))?
    }
}

/// The encoder and the file it writes, owned by the encoder thread.
struct Encoding {
    output: ff::format::context::Output,
    encoder: ff::encoder::Video,
    time_base: ff::Rational,
    stream_time_base: ff::Rational,
}

impl Encoding {
    /// Encodes what arrives until [`ToEncoder::Finish`] (then the file is completed) or until the
    /// channel closes (then the proxy is being abandoned and the file is left as it is).
    fn run(mut self, input: Receiver<ToEncoder>) -> Result<(), Failed> {
        let mut frame_ticks = 1;
        for message in input {
            match message {
                ToEncoder::Frame(picture, ticks) => {
                    frame_ticks = ticks;
                    self.encoder.send_frame(&picture)?;
                    self.write_packets(frame_ticks)?;
                }
                ToEncoder::Finish => {
                    self.encoder.send_eof()?;
                    self.write_packets(frame_ticks)?;
                    self.output.write_trailer()?;
                    return Ok(());
                }
            }
        }
        Err("the proxy was abandoned".into())
    }

    fn write_packets(&mut self, frame_ticks: i64) -> Result<(), Failed> {
        let mut packet = ff::Packet::empty();
        while self.encoder.receive_packet(&mut packet).is_ok() {
            packet.set_stream(0);
            // Every sample needs its duration: MP4 cuts a last sample of none out of the edit
            // list, and the lookup would never find the last frame.
            packet.set_duration(frame_ticks);
            packet.rescale_ts(self.time_base, self.stream_time_base);
            packet.write_interleaved(&mut self.output)?;
        }
        Ok(())
    }
}

impl ProxyWriter {
    /// Starts a proxy of a `width` x `height` source with pixel format `format` and nominal
    /// frame rate `fps` (0 when unknown), at most
    /// `max_side` pixels on its longer side, to be renamed to `path` by [`Self::finish`].
    pub(super) fn create(
        path: &Path,
        width: u32,
        height: u32,
        format: ff::format::Pixel,
        fps: f64,
        max_side: u32,
    ) -> Result<Self, Failed> {
        let (w, h, _) = output_size(width, height, max_side);
        // 4:2:0 wants even sides.
        let (w, h) = ((w + 1) & !1, (h + 1) & !1);
        let tmp_path = path.with_extension("tmp.mp4");
        Self::open(path, tmp_path.clone(), width, height, format, fps, (w, h)).inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp_path);
        })
    }

    fn open(
        path: &Path,
        tmp_path: PathBuf,
        width: u32,
        height: u32,
        format: ff::format::Pixel,
        fps: f64,
        (w, h): (u32, u32),
    ) -> Result<Self, Failed> {
        let mut output = ff::format::output_as(&tmp_path, "mp4")?;
        let codec = ff::encoder::find(ff::codec::Id::MPEG4).ok_or("this FFmpeg has no MPEG-4 encoder")?;
        let global_header = output.format().flags().contains(ff::format::Flags::GLOBAL_HEADER);
        let mut stream = output.add_stream(codec)?;
        let mut enc = ff::codec::context::Context::new_with_codec(codec).encoder().video()?;
        // The finest MPEG-4 allows (16-bit): exact for 24, 25, 30, 50, 60 and 29.97 fps, within
        // 10 µs for the rest, far under the half frame that lookups tolerate.
        let time_base = ff::Rational::new(1, TICKS_PER_SECOND as i32);
        enc.set_width(w);
        enc.set_height(h);
        enc.set_format(ff::format::Pixel::YUV420P);
        enc.set_time_base(time_base);
        enc.set_gop(PROXY_GOP);
        enc.set_max_b_frames(0);
        enc.set_flags(if global_header {
            ff::codec::Flags::QSCALE | ff::codec::Flags::GLOBAL_HEADER
        } else {
            ff::codec::Flags::QSCALE
        });
        enc.set_global_quality(QUANTISER * ff::ffi::FF_QP2LAMBDA);
        stream.set_time_base(time_base);
        let encoder = enc.open()?;
        stream.set_parameters(&encoder);
        output.write_header()?;
        let stream_time_base = output.stream(0).map_or(time_base, |s| s.time_base());
        // swscale's bilinear shrink. (2x2-block means, at a third of the cost, were tried: the
        // paused frames they give moved item queries on video, one product of
        // videos_composited_products from rank 5 to 6 and a product's video moment out of its
        // "where to buy"; docs/benchmarks.md, "Ingest", point 7.)
        let scaler = scaling::Context::get(
            format,
            width,
            height,
            ff::format::Pixel::YUV420P,
            w,
            h,
            scaling::Flags::BILINEAR,
        )?;
        let encoding = Encoding {
            output,
            encoder,
            time_base,
            stream_time_base,
        };
        let (tx, rx) = sync_channel(ENCODER_DEPTH);
        let handle = std::thread::Builder::new()
            .name("glint-proxy".into())
            .spawn(move || encoding.run(rx))
            .map_err(|e| format!("no proxy encoder thread: {e}"))?;
        Ok(Self {
            final_path: path.to_path_buf(),
            tmp_path,
            scaler,
            encoding: Some(EncoderThread { tx, handle }),
            first_t: None,
            last_t: 0.0,
            frame_ticks: if fps > 0.0 {
                (TICKS_PER_SECOND / fps).round() as i64
            } else {
                1
            },
            last_pts: None,
            source_size: (width, height),
            proxy_size: (w, h),
            frames: 0,
            max_key_gap: 0,
            since_key: 0,
            finished: false,
        })
    }

    /// Adds the next decoded source frame, which the sampler timed at `t` seconds.
    pub(super) fn push(&mut self, frame: &ff::frame::Video, t: f64) -> Result<(), Failed> {
        if (frame.width(), frame.height()) != self.source_size {
            return Err("the frame size changed mid-stream".into());
        }
        if frame.is_key() {
            self.since_key = 0;
        }
        self.since_key += 1;
        self.max_key_gap = self.max_key_gap.max(self.since_key);
        let first = *self.first_t.get_or_insert(t);
        let pts = ((t - first) * TICKS_PER_SECOND).round() as i64;
        if self.last_pts.is_some_and(|last| pts <= last) {
            return Err(format!("frame times do not increase at {t:.3} s").into());
        }
        if let Some(last) = self.last_pts {
            self.frame_ticks = pts - last;
        }
        self.last_pts = Some(pts);
        self.last_t = t;
        // A fresh frame each time: the encoder thread owns what it was sent.
        let mut scaled = ff::frame::Video::empty();
        self.scaler.run(frame, &mut scaled)?;
        scaled.set_pts(Some(pts));
        scaled.set_kind(ff::picture::Type::None);
        // With a fixed quantiser the MPEG-4 encoder reads it from each frame, as FFmpeg's own
        // command line sets it (ffmpeg-next has no setter).
        // SAFETY: `scaled` owns a valid AVFrame; `quality` is a plain int field.
        unsafe { (*scaled.as_mut_ptr()).quality = QUANTISER * ff::ffi::FF_QP2LAMBDA };
        let thread = self.encoding.as_ref().ok_or("the proxy encoder has stopped")?;
        if thread.tx.send(ToEncoder::Frame(scaled, self.frame_ticks)).is_err() {
            // The thread stopped on an error: joining it says which.
            let stopped = self.encoding.take().map(|t| t.join(None));
            return Err(match stopped {
                Some(Err(e)) => e,
                _ => "the proxy encoder has stopped".into(),
            });
        }
        self.frames += 1;
        Ok(())
    }

    /// Whether the source is costly enough to reach any frame of that a proxy is worth keeping.
    fn worth_keeping(&self) -> bool {
        let (w, h) = self.source_size;
        self.max_key_gap * u64::from(w) * u64::from(h) > PROXY_WORTH_PIXELS
    }

    /// Flushes and closes the proxy and moves it into place with its sidecar; `Ok(false)` when
    /// it was not worth keeping (dropping it then leaves nothing on disk).
    pub(super) fn finish(mut self) -> Result<bool, Failed> {
        if self.frames == 0 || !self.worth_keeping() {
            return Ok(false);
        }
        self.encoding
            .take()
            .ok_or("the proxy encoder has stopped")?
            .join(Some(ToEncoder::Finish))?;
        let meta = ProxyMeta {
            first_t: self.first_t.unwrap_or(0.0),
            source_size: self.source_size,
            proxy_size: self.proxy_size,
            frames: self.frames,
            last_t: self.last_t,
        };
        let json = serde_json::to_string(&meta).map_err(|e| e.to_string())?;
        std::fs::write(ProxyMeta::path_for(&self.final_path), json).map_err(|e| e.to_string())?;
        std::fs::rename(&self.tmp_path, &self.final_path).map_err(|e| e.to_string())?;
        self.finished = true;
        Ok(true)
    }
}

impl Drop for ProxyWriter {
    /// A proxy not moved into place (decoding stopped early, an error, not worth keeping)
    /// covers part of the video at best or is not wanted: it is removed, once the encoder
    /// thread has stopped writing to it.
    fn drop(&mut self) {
        if let Some(thread) = self.encoding.take() {
            let _ = thread.join(None);
        }
        if !self.finished {
            let _ = std::fs::remove_file(&self.tmp_path);
        }
    }
}

/// Why a proxy was abandoned (logged; the source is decoded instead).
#[derive(Debug)]
pub(super) struct Failed(String);

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<ff::Error> for Failed {
    fn from(e: ff::Error) -> Self {
        Self(e.to_string())
    }
}

impl From<String> for Failed {
    fn from(reason: String) -> Self {
        Self(reason)
    }
}

impl From<&str> for Failed {
    fn from(reason: &str) -> Self {
        Self(reason.to_string())
    }
}

/// The frame of `source` on screen at `t`, as [`super::frame_at_cached`] finds it, looked up in
/// the seek proxy at `proxy` when there is one covering `t`: then the image is the proxy's (at
/// most `max_side`, 0 for no cap; its `scale` says how much smaller it is than the source) and
/// the index and time are the source frame's.
pub fn frame_at_via_proxy(source: &Path, proxy: &Path, t: f64, max_side: u32) -> Result<FrameAt, MediaError> {
    let usable = ProxyMeta::load(proxy)
        .filter(|m| proxy.is_file() && t.is_finite() && t >= m.first_t && t <= m.last_t + 1.0 && m.source_size.0 > 0);
    let Some(meta) = usable else {
        return frame_at_cached(source, t, max_side);
    };
    match frame_at_cached(proxy, t - meta.first_t, max_side) {
        Ok(found) => Ok(FrameAt {
            t: found.t + meta.first_t,
            scale: found.scale * f64::from(meta.proxy_size.0) / f64::from(meta.source_size.0),
            source_size: meta.source_size,
            ..found
        }),
        Err(e) => {
            tracing::warn!(proxy = %proxy.display(), "seek proxy unreadable ({e}); decoding the source");
            frame_at_cached(source, t, max_side)
        }
    }
}
