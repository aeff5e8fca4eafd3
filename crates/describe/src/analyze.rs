//! What one frame (or photo) contains: faces with identity vectors, item regions with
//! appearance vectors, all boxed in source-pixel coordinates.

use glint_media::RgbImage;
use glint_types::BBox;
use glint_vision::{DetectOptions, Models, VisionError};

use crate::colour::{colour_signature, with_colour};
use crate::regions::regions;

/// Faces smaller than this (box side, in analysed pixels) are detected but not embedded: the
/// face network sees them upscaled several times and their vectors are unreliable.
const MIN_FACE_SIDE: f32 = 20.0;

#[derive(Debug, Clone)]
pub struct FaceObservation {
    pub bbox: BBox,
    pub score: f32,
    /// Detector score times eye distance in source pixels: prefers large, frontal, sure faces.
    pub quality: f32,
    pub embedding: Vec<f32>,
}

#[derive(Debug, Clone)]
pub struct ItemObservation {
    /// Index of the window in [`crate::regions::regions`]' order (0 = whole frame); unused for
    /// detected objects.
    pub region: usize,
    pub bbox: BBox,
    pub embedding: Vec<f32>,
    /// The COCO class (index into `glint_vision::COCO_LABELS`) when the region is an object the
    /// object detector found, `None` for a window.
    pub object: Option<usize>,
    /// The detector's score of the object; 1 for a window (nothing was uncertain about it).
    pub score: f32,
    /// The encoder's classes it is sure of (class, probability), best first: for the whole
    /// frame and for objects, whose crops the classifier saw whole; empty for other windows
    /// (the classifier never saw them alone) and when the encoder names nothing.
    pub classes: Vec<(usize, f32)>,
}

/// A class the encoder gives at least this probability names what it sees. On the eval media
/// (docs/benchmarks.md, "Words on what was seen") classes given less are mostly wrong guesses
/// among look-alikes ("carton" on a juice pack scores 0.1-0.3 beside "pop bottle").
pub const MIN_CLASS_PROBABILITY: f32 = 0.3;
/// At most this many classes name one region.
pub const MAX_CLASSES: usize = 3;

fn confident_classes(models: &Models, logits: Option<&[f32]>) -> Vec<(usize, f32)> {
    match (models.image_classes.as_deref(), logits) {
        (Some(names), Some(logits)) => names.confident(logits, MIN_CLASS_PROBABILITY, MAX_CLASSES),
        _ => Vec::new(),
    }
}

/// Objects whose box is smaller than this (shorter side, analysed pixels) are not stored: the
/// encoder would see them enlarged many times.
pub const MIN_OBJECT_SIDE: f32 = 32.0;
/// At most this many objects of one frame become item regions, best first.
pub const MAX_OBJECT_REGIONS: usize = 4;

#[derive(Debug, Clone, Default)]
pub struct Observations {
    pub faces: Vec<FaceObservation>,
    pub items: Vec<ItemObservation>,
}

/// Faces in `image` with identity vectors; `to_source` scales its pixels to the source's (1 when
/// the image is at source size, 2 when it was decoded at half size).
pub fn faces(
    models: &Models,
    image: &RgbImage,
    to_source: f32,
    options: &DetectOptions,
) -> Result<Vec<FaceObservation>, VisionError> {
    let found: Vec<_> = models
        .face_detector
        .detect_with(image, options)?
        .into_iter()
        .filter(|f| f.bbox.w.min(f.bbox.h) >= MIN_FACE_SIDE)
        .collect();
    let embeddings = models.face_embedder.embed(image, &found)?;
    Ok(found
        .into_iter()
        .zip(embeddings)
        .map(|(f, embedding)| FaceObservation {
            bbox: f.bbox.scaled(to_source),
            score: f.score,
            quality: f.score * f.eye_distance() * to_source,
            embedding,
        })
        .collect())
}

/// Item windows of `image` with appearance vectors (see [`crate::regions`]).
pub fn items(models: &Models, image: &RgbImage, to_source: f32) -> Result<Vec<ItemObservation>, VisionError> {
    let (windows, logits) = encode_windows(models, image)?;
    let mut whole_frame_classes = confident_classes(models, logits.as_deref());
    Ok(windows
        .into_iter()
        .enumerate()
        .map(|(region, (bbox, embedding))| ItemObservation {
            region,
            bbox: bbox.scaled(to_source),
            embedding,
            object: None,
            score: 1.0,
            classes: std::mem::take(&mut whole_frame_classes),
        })
        .collect())
}

/// The objects the object detector finds in `image` (none without a detector), each an item
/// region described the way a query box is: the object's crop encoded whole, joined with its
/// colour. A user's box around the object then meets this vector nearly unchanged.
pub fn objects(models: &Models, image: &RgbImage, to_source: f32) -> Result<Vec<ItemObservation>, VisionError> {
    let Some(detector) = models.object_detector.as_deref() else {
        return Ok(Vec::new());
    };
    let found: Vec<_> = detector
        .detect(image)?
        .into_iter()
        .filter(|o| o.bbox.w.min(o.bbox.h) >= MIN_OBJECT_SIDE)
        .take(MAX_OBJECT_REGIONS)
        .collect();
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let crops: Vec<RgbImage> = found.iter().map(|o| crop(image, &o.bbox)).collect();
    let encoded = models.image_encoder.encode(&crops.iter().collect::<Vec<_>>())?;
    Ok(found
        .into_iter()
        .zip(encoded)
        .zip(&crops)
        .map(|((o, e), crop)| {
            let appearance = match &e.feature_map {
                Some(map) => map.region_descriptor(0, 0, map.width, map.height),
                None => e.embedding,
            };
            let whole = BBox::new(0.0, 0.0, crop.width() as f32, crop.height() as f32);
            ItemObservation {
                region: usize::MAX,
                bbox: o.bbox.scaled(to_source),
                embedding: with_colour(appearance, &colour_signature(crop, &whole)),
                object: Some(o.class),
                score: o.score,
                classes: confident_classes(models, e.logits.as_deref()),
            }
        })
        .collect())
}

/// The part of `image` inside `bbox` (in its pixels; at least 1x1, cut at the image's edges).
pub fn crop(image: &RgbImage, bbox: &BBox) -> RgbImage {
    image::imageops::crop_imm(
        image,
        bbox.x as u32,
        bbox.y as u32,
        (bbox.w as u32).max(1),
        (bbox.h as u32).max(1),
    )
    .to_image()
}

/// The item windows of `image` (in its pixels, the whole image first) with their vectors:
/// appearance pooled from the encoder's feature map, joined with the window's colour
/// ([`crate::colour`]). Ingest stores these; a query box is described the same way.
pub fn windows(models: &Models, image: &RgbImage) -> Result<Vec<(BBox, Vec<f32>)>, VisionError> {
    Ok(encode_windows(models, image)?.0)
}

/// [`windows`], with the classifier's scores for the whole image when the encoder has them.
type EncodedWindows = (Vec<(BBox, Vec<f32>)>, Option<Vec<f32>>);

fn encode_windows(models: &Models, image: &RgbImage) -> Result<EncodedWindows, VisionError> {
    let mut encoded = models.image_encoder.encode(&[image])?.remove(0);
    let logits = encoded.logits.take();
    let (w, h) = (image.width() as f32, image.height() as f32);
    let appearance: Vec<(BBox, Vec<f32>)> = match &encoded.feature_map {
        Some(map) => regions(map.width, map.height, w, h)
            .into_iter()
            .map(|r| {
                let (x0, y0, x1, y1) = r.cells;
                (r.bbox, map.region_descriptor(x0, y0, x1, y1))
            })
            .collect(),
        // An encoder without a feature map describes the whole frame only.
        None => vec![(BBox::new(0.0, 0.0, w, h), encoded.embedding)],
    };
    let windows = appearance
        .into_iter()
        .map(|(bbox, v)| {
            let colour = colour_signature(image, &bbox);
            (bbox, with_colour(v, &colour))
        })
        .collect();
    Ok((windows, logits))
}

/// Longest side of a sighting thumbnail.
pub const THUMB_SIDE: u32 = 96;

/// The part of `image` inside `bbox` (in source pixels, `to_source` times the image's; clamped
/// to the frame), shrunk to at most [`THUMB_SIDE`].
pub fn thumbnail(image: &RgbImage, bbox: &BBox, to_source: f32) -> RgbImage {
    let (w, h) = (image.width() as f32, image.height() as f32);
    let b = bbox.scaled(1.0 / to_source);
    let b = b.clamp_to(w, h).unwrap_or(BBox::new(0.0, 0.0, w, h));
    let crop =
        image::imageops::crop_imm(image, b.x as u32, b.y as u32, (b.w as u32).max(1), (b.h as u32).max(1)).to_image();
    shrink(&crop, THUMB_SIDE)
}

/// `image` scaled down so that its longer side is at most `side` (never enlarged).
pub fn shrink(image: &RgbImage, side: u32) -> RgbImage {
    let (w, h) = image.dimensions();
    if w.max(h) <= side {
        return image.clone();
    }
    let f = side as f32 / w.max(h) as f32;
    let (nw, nh) = (
        ((w as f32 * f).round() as u32).max(1),
        ((h as f32 * f).round() as u32).max(1),
    );
    if (nw * 2, nh * 2) == (w, h) {
        return halve(image);
    }
    crate::area::area_average(image, nw, nh)
}

/// `image` at half its (even) width and height, each pixel the rounded mean of a 2x2 block: the
/// area average `thumbnail` computes for this factor, at a fraction of its cost (video frames
/// decoded at 1280 px for faces are halved to the 640-px analysis size on every sampled frame).
fn halve(image: &RgbImage) -> RgbImage {
    let (w, h) = (image.width() as usize / 2, image.height() as usize / 2);
    let src = image.as_raw();
    let stride = image.width() as usize * 3;
    let mut out = vec![0u8; w * h * 3];
    // Rows summed in pairs, then neighbouring pixels' sums, in a form the compiler vectorises
    // (0.3 instead of 1.5 ms for a 1280x720 frame); the same sums, rounded alike.
    let mut columns = vec![0u16; 2 * w * 3];
    for (y, out_row) in out.chunks_exact_mut(w * 3).enumerate() {
        let top = &src[2 * y * stride..][..6 * w];
        let bottom = &src[(2 * y + 1) * stride..][..6 * w];
        for ((c, &t), &b) in columns.iter_mut().zip(top).zip(bottom) {
            *c = u16::from(t) + u16::from(b);
        }
        for (px, pair) in out_row.chunks_exact_mut(3).zip(columns.chunks_exact(6)) {
            for c in 0..3 {
                px[c] = ((pair[c] + pair[c + 3] + 2) / 4) as u8;
            }
        }
    }
    RgbImage::from_raw(w as u32, h as u32, out).expect("w * h * 3 bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halving_is_the_area_average_of_each_2x2_block() {
        let image = RgbImage::from_fn(8, 6, |x, y| {
            image::Rgb([(x * 30) as u8, (y * 40) as u8, ((x + y) * 7) as u8])
        });
        let half = shrink(&image, 4);
        assert_eq!(half.dimensions(), (4, 3));
        // Block (1, 2): x 2..4, y 4..6.
        let p = half.get_pixel(1, 2).0;
        assert_eq!(p, [75, 180, 49]);
        let reference = image::imageops::thumbnail(&image, 4, 3);
        for (a, b) in half.pixels().zip(reference.pixels()) {
            for c in 0..3 {
                assert!((i16::from(a.0[c]) - i16::from(b.0[c])).abs() <= 1, "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn shrinking_by_another_factor_keeps_the_aspect() {
        let image = RgbImage::new(9, 5);
        assert_eq!(shrink(&image, 3).dimensions(), (3, 2));
        assert_eq!(shrink(&image, 20).dimensions(), (9, 5));
    }
}
