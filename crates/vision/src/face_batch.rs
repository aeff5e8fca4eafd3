//! What every face embedder does around its network: one aligned chip per face into a batch,
//! one embedding per face out of it.

use image::RgbImage;
use ndarray::{concatenate, s, Array4, ArrayD, Axis};

use glint_types::{Embedding, Face, Point};

use crate::align::{extract_chip, Similarity};
use crate::manifest::Layout;
use crate::runtime::OnnxModel;
use crate::VisionError;

/// One face network fed with aligned chips: where the five landmarks go, the chip's size and
/// layout, the tensors' names, and whether each chip's mirror is embedded too.
pub(crate) struct ChipNetwork {
    pub model: OnnxModel,
    pub template: [Point; 5],
    pub size: usize,
    pub layout: Layout,
    pub input: &'static str,
    pub output: &'static str,
    pub dim: usize,
    flip: bool,
    /// The network's name, `+flip` when flipping: flipped vectors live in a space of their own.
    name: String,
}

impl ChipNetwork {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        model: OnnxModel,
        name: &str,
        template: [Point; 5],
        size: usize,
        layout: Layout,
        input: &'static str,
        output: &'static str,
        dim: usize,
    ) -> Self {
        Self {
            model,
            template,
            size,
            layout,
            input,
            output,
            dim,
            flip: false,
            name: name.into(),
        }
    }

    /// Also embeds each chip's mirror image and keeps the mean of the two rows (test-time flip
    /// augmentation: a face and its mirror are the same person, and averaging the two evens
    /// out what one view of a turned head over- or under-states).
    pub fn with_flip(mut self, base_name: &str, flip: bool) -> Self {
        self.flip = flip;
        self.name = if flip {
            format!("{base_name}+flip")
        } else {
            base_name.into()
        };
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// One `dim`-long row per face, straight from the network.
    pub fn embed(&self, image: &RgbImage, faces: &[Face]) -> Result<Vec<Embedding>, VisionError> {
        if faces.is_empty() {
            return Ok(Vec::new());
        }
        let batch = chip_batch(image, faces, &self.template, self.size, self.layout)?;
        if !self.flip {
            let out = self.model.run(self.input, batch.into_dyn().view(), &[self.output])?;
            return embedding_rows(self.model.name(), &out[0], faces.len(), self.dim);
        }
        let mirrored = match self.layout {
            Layout::Nchw => batch.slice(s![.., .., .., ..;-1]).to_owned(),
            Layout::Nhwc => batch.slice(s![.., .., ..;-1, ..]).to_owned(),
        };
        let both = concatenate(Axis(0), &[batch.view(), mirrored.view()])
            .map_err(|e| VisionError::model(self.model.name(), e.to_string()))?;
        let out = self.model.run(self.input, both.into_dyn().view(), &[self.output])?;
        let rows = embedding_rows(self.model.name(), &out[0], 2 * faces.len(), self.dim)?;
        let (plain, flipped) = rows.split_at(faces.len());
        Ok(plain
            .iter()
            .zip(flipped)
            .map(|(a, b)| a.iter().zip(b).map(|(x, y)| (x + y) / 2.0).collect())
            .collect())
    }
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
