//! What every face embedder does around its network: one aligned chip per face into a batch,
//! one embedding per face out of it.

use image::RgbImage;
use ndarray::{Array4, ArrayD};

use glint_types::{Embedding, Face, Point};

use crate::align::{extract_chip, Similarity};
use crate::manifest::Layout;
use crate::VisionError;

/// The chips of `faces` (each cut by the similarity that puts its five landmarks on `template`,
/// `size` pixels square) as one RGB 0..255 batch in `layout`.
pub(crate) fn chip_batch(
    image: &RgbImage,
    faces: &[Face],
    template: &[Point; 5],
    size: usize,
    layout: Layout,
) -> Result<Array4<f32>, VisionError> {
    let shape = match layout {
        Layout::Nchw => (faces.len(), 3, size, size),
        Layout::Nhwc => (faces.len(), size, size, 3),
    };
    let mut batch = Array4::<f32>::zeros(shape);
    for (n, face) in faces.iter().enumerate() {
        let to_chip = Similarity::fit(&face.landmarks, template)
            .ok_or_else(|| VisionError::BadInput("face landmarks coincide".into()))?;
        let chip = extract_chip(image, &to_chip, size);
        for y in 0..size {
            for x in 0..size {
                let p = chip.pixel(x, y);
                for (c, v) in p.into_iter().enumerate() {
                    match layout {
                        Layout::Nchw => batch[[n, c, y, x]] = v,
                        Layout::Nhwc => batch[[n, y, x, c]] = v,
                    }
                }
            }
        }
    }
    Ok(batch)
}

/// The rows of a network's `[faces, dim]` output, or an error naming `model` when its shape is
/// anything else.
pub(crate) fn embedding_rows(
    model: &str,
    out: &ArrayD<f32>,
    faces: usize,
    dim: usize,
) -> Result<Vec<Embedding>, VisionError> {
    if out.shape() != [faces, dim] {
        return Err(VisionError::model(
            model,
            format!("unexpected output shape {:?}", out.shape()),
        ));
    }
    Ok(out.outer_iter().map(|row| row.iter().copied().collect()).collect())
}
