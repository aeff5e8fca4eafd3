//! Hard-cut (shot change) detection on tiny per-frame thumbnails.
//!
//! Why: a search index wants at least one sample from every shot, however short, while sampling
//! the rest of the video sparsely. Cuts must therefore be found on every decoded frame, so the
//! test has to cost next to nothing next to decoding: it looks at a ~64-pixel-wide RGB thumbnail
//! (made by swscale while the frame is in memory anyway) and compares it with the previous one.
//!
//! Two measures must both jump for a cut:
//! * the colour histogram difference (16 hue x 4 saturation x 4 value bins, half the L1
//!   distance, 0..=1), which ignores motion but not a change of scene;
//! * the mean absolute luma difference (0..=1), which rejects fades and exposure changes, where
//!   the histogram of a dark picture churns while the picture hardly changes.
//!
//! Each must exceed an absolute floor and a multiple of its median over the last few frames,
//! so that fast motion (whose differences are high all along) does not read as a string of
//! cuts, and no cut is accepted within `min_shot_s` of the previous shot start. A candidate is
//! confirmed by the next frame: if that frame looks like the one before the candidate again,
//! the candidate was a one-frame flash or glitch (photo flashes; the damaged frames of
//! Megamind_bugy.avi) and is dropped, so it neither counts as a cut nor, through the minimum
//! shot length, hides a real cut just after it. Verdicts thus lag one frame, which the sampler
//! absorbs by holding that one frame back. Gradual transitions (dissolves, wipes) are not
//! detected.

use std::collections::VecDeque;

/// Tuning for [`ShotDetector`]; the defaults were set on the evaluation clips (bikes.mp4's five
/// cuts found, none on chaplin.mp4, vtest.avi or the fast-motion fire2.mp4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShotOptions {
    /// Width of the thumbnail compared between frames (height follows the aspect ratio).
    pub thumb_width: u32,
    /// Frames of recent history whose median difference sets the adaptive thresholds.
    pub window: usize,
    /// The histogram difference must be at least this (0..=1) ...
    pub min_hist_diff: f32,
    /// ... and at least this many times its recent median.
    pub hist_ratio: f32,
    /// The mean luma difference must be at least this (0..=1) ...
    pub min_luma_diff: f32,
    /// ... and at least this many times its recent median.
    pub luma_ratio: f32,
    /// No new shot is started within this many seconds of the previous shot start.
    pub min_shot_s: f64,
}

impl Default for ShotOptions {
    fn default() -> Self {
        Self {
            thumb_width: 64,
            window: 12,
            min_hist_diff: 0.12,
            hist_ratio: 3.0,
            min_luma_diff: 0.06,
            luma_ratio: 1.5,
            min_shot_s: 0.5,
        }
    }
}

/// The per-frame signature the detector compares: a colour histogram and a luma thumbnail.
#[derive(Debug, Clone, Default)]
struct Signature {
    hist: Vec<f32>,
    luma: Vec<u8>,
}

const HUE_BINS: usize = 16;
const SAT_BINS: usize = 4;
const VAL_BINS: usize = 4;

impl Signature {
    /// Fills the signature from packed RGB rows (`stride` bytes apart, `width` pixels each).
    fn fill(&mut self, rgb: &[u8], width: usize, height: usize, stride: usize) {
        self.hist.clear();
        self.hist.resize(HUE_BINS * SAT_BINS * VAL_BINS, 0.0);
        self.luma.clear();
        let mut counted = 0u32;
        for row in rgb.chunks(stride).take(height) {
            for px in row[..(width * 3).min(row.len())].chunks_exact(3) {
                let (r, g, b) = (px[0], px[1], px[2]);
                self.hist[hsv_bin(r, g, b)] += 1.0;
                counted += 1;
                let y = (77 * u32::from(r) + 150 * u32::from(g) + 29 * u32::from(b)) >> 8;
                self.luma.push(y as u8);
            }
        }
        if counted > 0 {
            let n = counted as f32;
            self.hist.iter_mut().for_each(|h| *h /= n);
        }
    }

    /// (histogram difference, mean luma difference), both in 0..=1; `None` when the two
    /// thumbnails are not comparable (the frame size changed).
    fn diff(&self, other: &Signature) -> Option<(f32, f32)> {
        if self.luma.len() != other.luma.len() || self.luma.is_empty() {
            return None;
        }
        let hist = 0.5
            * self
                .hist
                .iter()
                .zip(&other.hist)
                .map(|(a, b)| (a - b).abs())
                .sum::<f32>();
        let luma = self
            .luma
            .iter()
            .zip(&other.luma)
            .map(|(&a, &b)| u32::from(a.abs_diff(b)))
            .sum::<u32>() as f32
            / (255.0 * self.luma.len() as f32);
        Some((hist, luma))
    }
}

/// Joint HSV bin of one pixel (hue 16 x saturation 4 x value 4), in integer arithmetic.
fn hsv_bin(r: u8, g: u8, b: u8) -> usize {
    let (r, g, b) = (i32::from(r), i32::from(g), i32::from(b));
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let delta = max - min;
    let v_bin = (max as usize * VAL_BINS) / 256;
    let s_bin = if max == 0 {
        0
    } else {
        ((delta * 255 / max) as usize * SAT_BINS) / 256
    };
    let h_bin = if delta == 0 {
        0
    } else {
        // Hue in sixths of the circle scaled to 0..6*delta, then to 0..HUE_BINS.
        let h6 = if max == r {
            (g - b).rem_euclid(6 * delta)
        } else if max == g {
            (b - r) + 2 * delta
        } else {
            (r - g) + 4 * delta
        };
        ((h6 as usize * HUE_BINS) / (6 * delta as usize)).min(HUE_BINS - 1)
    };
    (h_bin * SAT_BINS + s_bin) * VAL_BINS + v_bin
}

/// What [`ShotDetector::push`] says about the frame just pushed and the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ShotStep {
    /// The verdict on the previous frame if it was left pending: `Some(true)` if it starts a
    /// shot, `Some(false)` if it was a one-frame flash or glitch. `None` if nothing was pending.
    pub previous: Option<bool>,
    /// The frame just pushed may start a shot; the verdict comes with the next `push` (or with
    /// [`ShotDetector::flush`] at the end of the stream). Frames not pending are not shot starts.
    pub pending: bool,
}

/// Streaming cut detector; feed it every decoded frame's thumbnail in order.
///
/// A frame that differs sharply from its predecessor is held as a candidate for one frame: if
/// the next frame looks like the one before the candidate again, the candidate was a flash (a
/// photographer's flash, a damaged frame) and is rejected. Verdicts therefore lag one frame.
#[derive(Debug, Clone)]
pub struct ShotDetector {
    opts: ShotOptions,
    /// Signatures of the frames before the current one: `prev` is i-1, `prev2` is i-2.
    prev: Option<Signature>,
    prev2: Option<Signature>,
    cur: Signature,
    /// Time of the candidate frame awaiting its verdict.
    pending: Option<f64>,
    hist_history: VecDeque<f32>,
    luma_history: VecDeque<f32>,
    last_shot_start: Option<f64>,
}

impl ShotDetector {
    pub fn new(opts: ShotOptions) -> Self {
        Self {
            opts,
            prev: None,
            prev2: None,
            cur: Signature::default(),
            pending: None,
            hist_history: VecDeque::with_capacity(opts.window + 1),
            luma_history: VecDeque::with_capacity(opts.window + 1),
            last_shot_start: None,
        }
    }

    /// Takes the next frame's RGB thumbnail (rows `stride` bytes apart) and its time in seconds.
    /// The first frame is always a candidate and is always confirmed.
    pub fn push(&mut self, rgb: &[u8], width: usize, height: usize, stride: usize, t: f64) -> ShotStep {
        self.cur.fill(rgb, width, height, stride);
        let mut step = ShotStep::default();
        // Compare with the frame before, or with the one before that if the previous frame
        // turns out to have been a flash.
        let mut reference = self.prev.as_ref();
        if let Some(candidate_t) = self.pending.take() {
            let back_to_before = self
                .prev2
                .as_ref()
                .and_then(|p2| self.cur.diff(p2))
                .is_some_and(|(hist, luma)| !self.over_floors(hist, luma));
            if back_to_before {
                tracing::trace!(t = candidate_t, "one-frame flash, not a cut");
                step.previous = Some(false);
                reference = self.prev2.as_ref();
            } else {
                step.previous = Some(true);
                self.last_shot_start = Some(candidate_t);
            }
        }
        step.pending = match reference.and_then(|r| self.cur.diff(r)) {
            None => {
                // First frame, or a frame-size change: both start a new shot by definition.
                self.hist_history.clear();
                self.luma_history.clear();
                true
            }
            Some((hist, luma)) => {
                let cut = self.over_floors(hist, luma)
                    && hist >= self.opts.hist_ratio * median(&self.hist_history)
                    && luma >= self.opts.luma_ratio * median(&self.luma_history)
                    && self
                        .last_shot_start
                        .is_none_or(|s| t - s >= self.opts.min_shot_s || t < s);
                tracing::trace!(t, hist, luma, cut, "shot difference");
                push_bounded(&mut self.hist_history, hist, self.opts.window);
                push_bounded(&mut self.luma_history, luma, self.opts.window);
                cut
            }
        };
        if step.pending {
            self.pending = Some(t);
        }
        // Shift the signatures along (i-1 -> i-2, i -> i-1), reusing their buffers.
        let mut recycled = self.prev2.take().unwrap_or_default();
        std::mem::swap(&mut recycled, &mut self.cur);
        self.prev2 = self.prev.take();
        self.prev = Some(recycled);
        step
    }

    /// Ends the stream (or a stretch where frames could not be looked at): a candidate still
    /// pending is confirmed, since nothing follows to show it was a flash.
    pub fn flush(&mut self) -> Option<bool> {
        let t = self.pending.take()?;
        self.last_shot_start = Some(t);
        Some(true)
    }

    fn over_floors(&self, hist: f32, luma: f32) -> bool {
        hist >= self.opts.min_hist_diff && luma >= self.opts.min_luma_diff
    }
}

fn push_bounded(q: &mut VecDeque<f32>, v: f32, cap: usize) {
    if cap == 0 {
        return;
    }
    if q.len() == cap {
        q.pop_front();
    }
    q.push_back(v);
}

/// Median of the recent differences; 0.0 with no history (so only the floors apply).
fn median(q: &VecDeque<f32>) -> f32 {
    if q.is_empty() {
        return 0.0;
    }
    let mut v: Vec<f32> = q.iter().copied().collect();
    v.sort_by(f32::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        0.5 * (v[mid - 1] + v[mid])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: usize = 16;
    const H: usize = 9;

    fn solid(r: u8, g: u8, b: u8) -> Vec<u8> {
        [r, g, b].repeat(W * H)
    }

    /// A gradient that drifts by `shift` pixels, standing in for camera motion.
    fn moving(shift: usize, base: [u8; 3]) -> Vec<u8> {
        let mut v = Vec::with_capacity(W * H * 3);
        for y in 0..H {
            for x in 0..W {
                let k = ((x + y + shift) * 12 % 256) as u8;
                v.extend_from_slice(&[base[0].wrapping_add(k), base[1], base[2].wrapping_add(k / 2)]);
            }
        }
        v
    }

    /// Shot starts found in `frames`, checking that verdicts lag exactly one frame.
    fn run(frames: &[Vec<u8>], fps: f64, opts: ShotOptions) -> Vec<usize> {
        let mut d = ShotDetector::new(opts);
        let mut cuts = Vec::new();
        let mut pending = None;
        for (i, f) in frames.iter().enumerate() {
            let step = d.push(f, W, H, W * 3, i as f64 / fps);
            assert_eq!(step.previous.is_some(), pending.is_some(), "frame {i}");
            if let (Some(true), Some(p)) = (step.previous, pending) {
                cuts.push(p);
            }
            pending = step.pending.then_some(i);
        }
        if let (Some(true), Some(p)) = (d.flush(), pending) {
            cuts.push(p);
        }
        cuts
    }

    #[test]
    fn hsv_bins_cover_primaries_and_greys() {
        assert_eq!(hsv_bin(0, 0, 0), 0);
        // Pure red, green and blue land in distinct hue bins with full saturation and value.
        let bins: Vec<usize> = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
            .iter()
            .map(|&(r, g, b)| hsv_bin(r, g, b))
            .collect();
        assert!(bins[0] != bins[1] && bins[1] != bins[2] && bins[0] != bins[2]);
        assert!(bins.iter().all(|&b| b < HUE_BINS * SAT_BINS * VAL_BINS));
        // A grey has no saturation whatever its value.
        assert_eq!(hsv_bin(200, 200, 200) / VAL_BINS % SAT_BINS, 0);
    }

    #[test]
    fn finds_a_hard_cut_and_nothing_in_steady_motion() {
        let mut frames: Vec<Vec<u8>> = (0..40).map(|i| moving(i, [10, 60, 20])).collect();
        frames.extend((0..40).map(|_| solid(230, 40, 200)));
        assert_eq!(run(&frames, 25.0, ShotOptions::default()), vec![0, 40]);
    }

    #[test]
    fn minimum_shot_length_suppresses_flicker() {
        // Alternating pictures every 3 frames at 25 fps: at most one cut per 0.5 s.
        let frames: Vec<Vec<u8>> = (0..50)
            .map(|i| {
                if (i / 3) % 2 == 0 {
                    solid(0, 0, 255)
                } else {
                    solid(255, 255, 0)
                }
            })
            .collect();
        let cuts = run(&frames, 25.0, ShotOptions::default());
        assert!(cuts.windows(2).all(|w| w[1] - w[0] >= 12), "{cuts:?}");
    }

    #[test]
    fn a_slow_fade_is_not_a_cut() {
        let frames: Vec<Vec<u8>> = (0..60)
            .map(|i| {
                let v = (i * 4) as u8;
                solid(v, v / 2, v / 3)
            })
            .collect();
        assert_eq!(run(&frames, 25.0, ShotOptions::default()), vec![0]);
    }

    #[test]
    fn a_one_frame_flash_is_not_a_cut_and_does_not_hide_a_real_one() {
        let a = |i| moving(i, [10, 60, 20]);
        let mut frames: Vec<Vec<u8>> = (0..17).map(a).collect();
        frames[15] = solid(255, 255, 255);
        // A real cut two frames after the flash, well inside the minimum shot length.
        frames.extend((0..20).map(|_| solid(230, 40, 200)));
        assert_eq!(run(&frames, 25.0, ShotOptions::default()), vec![0, 17]);
    }

    #[test]
    fn a_cut_on_the_last_frame_is_confirmed_by_flush() {
        let mut frames: Vec<Vec<u8>> = (0..20).map(|i| moving(i, [10, 60, 20])).collect();
        frames.push(solid(230, 40, 200));
        assert_eq!(run(&frames, 25.0, ShotOptions::default()), vec![0, 20]);
    }
}
