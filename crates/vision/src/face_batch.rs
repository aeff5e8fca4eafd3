//! What every face embedder does around its network: one aligned chip per face into a batch,
//! one embedding per face out of it.

use image::RgbImage;
use ndarray::{concatenate, s, Array4, ArrayD, Axis};

use glint_types::{Embedding, Face, Point};

use crate::align::{extract_chip, Similarity};
use crate::manifest::Layout;
use crate::runtime::OnnxModel;
use crate::VisionError;

/// Runs `model` on a chip batch and returns one `dim`-long row per chip. With `flip`, each
/// chip's mirror image goes through in the same run and a chip's row is the mean of its two
/// (test-time flip augmentation: a face and its mirror are the same person, and averaging the
/// two evens out what one view of a turned head over- or under-states).
pub(crate) fn embed_chips(
    model: &OnnxModel,
    input: &str,
    output: &str,
    batch: Array4<f32>,
    layout: Layout,
    dim: usize,
    flip: bool,
) -> Result<Vec<Embedding>, VisionError> {
    let faces = batch.shape()[0];
    if !flip {
        let out = model.run(input, batch.into_dyn().view(), &[output])?;
        return embedding_rows(model.name(), &out[0], faces, dim);
    }
    let mirrored = match layout {
        Layout::Nchw => batch.slice(s![.., .., .., ..;-1]).to_owned(),
        Layout::Nhwc => batch.slice(s![.., .., ..;-1, ..]).to_owned(),
    };
    let both = concatenate(Axis(0), &[batch.view(), mirrored.view()])
        .map_err(|e| VisionError::model(model.name(), e.to_string()))?;
    let out = model.run(input, both.into_dyn().view(), &[output])?;
    let rows = embedding_rows(model.name(), &out[0], 2 * faces, dim)?;
    let (plain, flipped) = rows.split_at(faces);
    Ok(plain
        .iter()
        .zip(flipped)
        .map(|(a, b)| a.iter().zip(b).map(|(x, y)| (x + y) / 2.0).collect())
        .collect())
}

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
