//! A video's sampled frames analysed in a pipeline of threads, so that both cores stay busy.
//!
//! Three stages run at once on different frames, joined by short bounded channels:
//! decoding (with the cut detector and the seek proxy) → faces → items, keypoints and the
//! tracker (this thread, which keeps frame order). A frame waits only for the stage ahead of it,
//! never for a sibling task of its own frame, so a stage that is slow on one frame is absorbed by
//! the others working ahead. (Splitting each frame in two and joining left a core idle whenever
//! the halves differed: a 30 s clip took 3.5 s that way, 2.7 s as a pipeline; docs/benchmarks.md.)
//!
//! Errors travel down the pipeline in frame order; a stage that stops drops its channel, which
//! unblocks the stage before it.
//!
//! Beside the pipeline, two threads gather a video's words (issue 16): one reads its subtitle
//! cues (a pass over the file's packets, no decoding of pictures), and with
//! [`IngestConfig::ocr`] one reads the text on the first sampled frame of each shot, handed over
//! by the face stage at the size it was decoded (sharper than the analysis size when faces are
//! on), so that reading overlaps the analysis of the frames after it.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender};
use std::time::{Duration, Instant};

use glint_catalog::{MediaKind, NewMedia, Shot};
use glint_media::{read_subtitles, RgbImage, SampleOptions, SampledFrame, VideoFrames};
use glint_ocr::{TextLine, TextReader};
use glint_vision::{DetectOptions, Models};

use crate::analyze::{faces, items, objects, shrink, FaceObservation, Observations};
use crate::local::{self, FrameFeatures};
use crate::pipeline::{Analysed, MEDIA_THUMB_SIDE};
use crate::tracker::Tracker;
use crate::{face_space, item_space};
use crate::{IngestConfig, IngestError, Progress};

/// Frames each channel holds: enough to ride out one slow frame, few enough that frames in
/// flight (640 px RGB, ~1 MB each) stay small.
const DEPTH: usize = 4;

/// Frames up to 1080p are decoded on one thread (`SampleOptions::single_thread_pixels`): on
/// bigbuckbunny.mp4 (720p) ingest took 0.631 s on average instead of 0.652 (docs/benchmarks.md).
/// Larger frames (4K) keep FFmpeg's frame threads, where one thread could fall behind.
const SINGLE_THREAD_DECODE_PIXELS: u64 = 1920 * 1088;

/// A frame with its faces, on its way to the last stage.
type WithFaces = Result<(SampledFrame, Vec<FaceObservation>), IngestError>;

/// A shot's first sampled frame on its way to OCR: its time, the picture, source pixels per
/// pixel of it.
type ShotStart = (f64, RgbImage, f32);

/// Shot starts waiting for OCR: when reading falls this far behind, the face stage waits for it.
const OCR_DEPTH: usize = 16;

pub(crate) fn analyse_video(
    models: &Models,
    config: &IngestConfig,
    path: &Path,
    sha256: &str,
    proxy: Option<PathBuf>,
    progress: &dyn Progress,
) -> Result<Analysed, IngestError> {
    let opts = SampleOptions {
        fps: config.fps,
        max_side: match config.faces {
            true => config.face_decode_side.max(config.max_decode_side),
            false => config.max_decode_side,
        },
        proxy_side: config.max_decode_side,
        // Written beside decoding (on the decode thread) and kept only for files that are
        // slow to seek in: searches on a paused frame then decode a few small frames.
        proxy,
        keyframes_only: config.keyframes_only,
        // The other stages keep both cores busy; up to 1080p one thread decodes a frame in a
        // few milliseconds, well ahead of them, without the frame threads' overhead.
        single_thread_pixels: SINGLE_THREAD_DECODE_PIXELS,
        ..SampleOptions::default()
    };
    let mut frames = VideoFrames::open(path, opts)?;
    let info = frames.info().clone();
    if info.duration_s > config.max_video_s {
        return Err(IngestError::TooLong {
            path: path.to_path_buf(),
            duration_s: info.duration_s,
            limit_s: config.max_video_s,
        });
    }
    progress.media_started(path, Some(info.duration_s));
    let reader = match config.ocr {
        true => Some(crate::text_reader()?),
        false => None,
    };
    let mut last = LastStage::new(models, info.duration_s / 3.0, config.object_regions_every);
    let (report, faces_stage, analysed, subtitles, read) = std::thread::scope(|scope| {
        let subtitles = scope.spawn(|| read_subtitles(path));
        let (ocr_tx, ocr_rx) = sync_channel::<ShotStart>(OCR_DEPTH);
        let ocr_tx = reader.is_some().then_some(ocr_tx);
        let ocr_stage = reader.map(|reader| scope.spawn(move || read_shot_starts(reader, ocr_rx, path)));
        let (frame_tx, frame_rx) = sync_channel::<SampledFrame>(DEPTH);
        let decoder = scope.spawn(move || {
            for frame in frames.by_ref() {
                if frame_tx.send(frame).is_err() {
                    break; // A later stage stopped on an error.
                }
            }
            frames.into_report()
        });
        let (faces_tx, faces_rx) = sync_channel::<WithFaces>(DEPTH);
        let faces_stage = scope.spawn(move || {
            for mut frame in frame_rx {
                // The frame comes decoded up to `face_decode_side`: faces are detected and
                // embedded on it, with the detector's smallest face scaled alike so that it does
                // the work it did at the analysis size (its pyramid starts at the same pixel
                // count); everything after sees the frame shrunk to the analysis size. Detecting
                // on the sharper frame, not only cutting the chips from it, is what measured:
                // the landmarks that align each chip are then found on the pixels it is cut from.
                let ratio = frame.image.width().max(frame.image.height()) as f32 / config.max_decode_side.max(1) as f32;
                let options = DetectOptions {
                    min_face: DetectOptions::VIDEO.min_face * ratio.max(1.0),
                    ..DetectOptions::VIDEO
                };
                let found = match config.faces {
                    true => faces(models, &frame.image, to_source(&frame), &options),
                    false => Ok(Vec::new()),
                };
                send_shot_start(ocr_tx.as_ref(), &frame);
                if ratio > 1.0 {
                    frame.image = shrink(&frame.image, config.max_decode_side);
                    frame.scale = f64::from(frame.image.width()) / f64::from(frame.source_size.0.max(1));
                }
                let failed = found.is_err();
                if faces_tx.send(found.map(|f| (frame, f)).map_err(Into::into)).is_err() || failed {
                    break;
                }
            }
        });
        let analysed = last.run(path, config, faces_rx, progress);
        let read = ocr_stage.map(|stage| stage.join());
        (decoder.join(), faces_stage.join(), analysed, subtitles.join(), read)
    });
    // A stage that panicked ends its channel like a finished video: its join says which it was.
    let panicked = |stage: &str| IngestError::Internal(format!("the video {stage} thread panicked"));
    let report = report.map_err(|_| panicked("decoder"))?;
    faces_stage.map_err(|_| panicked("face analysis"))?;
    analysed?;
    let read = read.transpose().map_err(|_| panicked("OCR"))?.unwrap_or_default();
    let Some((_, thumb)) = last.thumb else {
        return Err(glint_media::MediaError::NoFrames {
            path: path.to_path_buf(),
            errors: report.decode_errors,
        }
        .into());
    };
    let duration_s = info.duration_s.max(report.last_t);
    // Subtitles are a bonus: a stream that cannot be read leaves the video without them.
    let mut words = match subtitles {
        Ok(Ok(cues)) => crate::words::subtitle_words(&cues),
        Ok(Err(e)) => {
            tracing::warn!(path = %path.display(), "subtitles not read: {e}");
            Vec::new()
        }
        Err(_) => {
            tracing::warn!(path = %path.display(), "subtitles not read: the subtitle thread panicked");
            Vec::new()
        }
    };
    for (t, lines, to_source) in read {
        // The text stands for the shot: from its first frame until the next shot starts.
        let end = last
            .shots
            .iter()
            .map(|s| s.start_s)
            .find(|&s| s > t)
            .unwrap_or(duration_s);
        words.extend(crate::words::ocr_words(
            &lines,
            to_source,
            (info.width, info.height),
            Some((t, end.max(t))),
        ));
    }
    Ok(Analysed {
        media: NewMedia {
            sha256: sha256.to_string(),
            path: path.display().to_string(),
            kind: MediaKind::Video,
            width: info.width,
            height: info.height,
            duration_s: Some(duration_s),
            fps: Some(info.fps),
            frames_sampled: last.local.len() as u64,
            decode_errors: report.decode_errors,
            shots: last.shots,
            tracks: Vec::new(),
            words,
        },
        tracks: last.tracker.finish(),
        thumb: shrink(&thumb, MEDIA_THUMB_SIDE),
        local: last.local,
        photo_copy: None,
    })
}

/// Hands a shot's first frame to the OCR thread, when there is one (it waits while the thread
/// is [`OCR_DEPTH`] frames behind; a thread that stopped is not waited for).
fn send_shot_start(ocr: Option<&SyncSender<ShotStart>>, frame: &SampledFrame) {
    if let Some(tx) = ocr.filter(|_| frame.shot_change) {
        let _ = tx.send((frame.t, frame.image.clone(), to_source(frame)));
    }
}

/// The OCR thread: the lines read on each shot start, in order. A frame that cannot be read
/// is skipped (its shot has no text words), logged.
fn read_shot_starts(
    reader: &dyn TextReader,
    input: Receiver<ShotStart>,
    path: &Path,
) -> Vec<(f64, Vec<TextLine>, f32)> {
    let mut read = Vec::new();
    for (t, image, to_source) in input {
        match reader.read(&image) {
            Ok(lines) if !lines.is_empty() => read.push((t, lines, to_source)),
            Ok(_) => {}
            Err(e) => tracing::warn!(path = %path.display(), t, "no text read on the shot at {t:.2} s: {e}"),
        }
    }
    read
}

/// Source pixels per pixel of the sampled frame.
fn to_source(frame: &SampledFrame) -> f32 {
    (1.0 / frame.scale) as f32
}

/// The last stage's state: items, keypoints, shots, tracks and the media thumbnail, in frame order.
struct LastStage<'m> {
    models: &'m Models,
    tracker: Tracker,
    shots: Vec<Shot>,
    local: Vec<FrameFeatures>,
    /// The sampled frame nearest a third of the way in (past titles), shrunk once at the end.
    thumb: Option<(f64, RgbImage)>,
    thumb_at: f64,
    /// See [`IngestConfig::object_regions_every`].
    object_regions_every: u32,
}

impl<'m> LastStage<'m> {
    fn new(models: &'m Models, thumb_at: f64, object_regions_every: u32) -> Self {
        Self {
            models,
            tracker: Tracker::new(
                &face_space(models),
                &item_space(models),
                models.face_embedder.distances(),
            ),
            shots: Vec::new(),
            local: Vec::new(),
            thumb: None,
            thumb_at,
            object_regions_every,
        }
    }

    /// Consumes the frames coming out of the face stage until the video ends, an error arrives
    /// or the analysis time limit passes.
    fn run(
        &mut self,
        path: &Path,
        config: &IngestConfig,
        input: Receiver<WithFaces>,
        progress: &dyn Progress,
    ) -> Result<(), IngestError> {
        // No deadline when the limit is not a representable duration (infinite: no limit).
        let deadline = Duration::try_from_secs_f64(config.max_analysis_s)
            .ok()
            .and_then(|d| Instant::now().checked_add(d));
        let timed_out = || IngestError::TimedOut {
            path: path.to_path_buf(),
            limit_s: config.max_analysis_s,
        };
        loop {
            // Waiting is bounded too: a decoder stuck on one packet trips the same limit.
            let left = deadline.map_or(Duration::MAX, |d| d.saturating_duration_since(Instant::now()));
            let (frame, found) = match input.recv_timeout(left) {
                Ok(next) => next?,
                Err(RecvTimeoutError::Disconnected) => return Ok(()),
                Err(RecvTimeoutError::Timeout) => return Err(timed_out()),
            };
            if left.is_zero() {
                return Err(timed_out());
            }
            let t = frame.t;
            self.push(frame, found)?;
            progress.frame_done(path, t);
        }
    }

    fn push(&mut self, frame: SampledFrame, faces: Vec<FaceObservation>) -> Result<(), IngestError> {
        if frame.shot_change || self.shots.is_empty() {
            self.shots.push(Shot {
                start_s: frame.t,
                start_frame: frame.index,
            });
            self.tracker.start_shot(self.shots.len() as u32 - 1);
        }
        let to_source = to_source(&frame);
        let mut items = items(self.models, &frame.image, to_source)?;
        // Objects on each shot's first frame and every n-th sampled frame (detection costs
        // about a third of a sampled frame's analysis).
        let every = self.object_regions_every as usize;
        if every > 0 && (frame.shot_change || self.local.len().is_multiple_of(every)) {
            items.extend(objects(self.models, &frame.image, to_source)?);
        }
        let obs = Observations { faces, items };
        self.local.push(FrameFeatures {
            t: Some(frame.t),
            features: local::extract_video_frame(&frame.image, to_source, local::FRAME_KEYPOINTS)?,
        });
        self.tracker.push(Some(frame.t), obs, &frame.image, to_source);
        let closer = self
            .thumb
            .as_ref()
            .is_none_or(|(t, _)| (frame.t - self.thumb_at).abs() < (t - self.thumb_at).abs());
        if closer {
            self.thumb = Some((frame.t, frame.image));
        }
        Ok(())
    }
}
