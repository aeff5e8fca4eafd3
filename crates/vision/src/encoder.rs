//! A generic ONNX image encoder driven by an [`EncoderSpec`]: EfficientNet-Lite0 by default,
//! any other exported encoder (CLIP, SigLIP, DINO...) by pointing Glint at another spec.

use image::RgbImage;
use ndarray::{Array4, ArrayD, Axis};

use glint_types::l2_normalize;

use crate::manifest::{ColorOrder, EncoderSpec, Layout, OutputKind};
use crate::pixels::resize_rgb;
use crate::runtime::OnnxModel;
use crate::{EncodedImage, FeatureMap, ImageEncoder, VisionError};

pub struct OnnxImageEncoder {
    model: OnnxModel,
    spec: EncoderSpec,
}

impl OnnxImageEncoder {
    /// Wraps a loaded model, checking that it has the input and outputs the spec names.
    pub fn new(model: OnnxModel, spec: EncoderSpec) -> Result<Self, VisionError> {
        if !model.input_names().contains(&spec.input) {
            return Err(VisionError::model(
                model.name(),
                format!("has no input `{}` (it has {:?})", spec.input, model.input_names()),
            ));
        }
        let wanted = std::iter::once(&spec.output).chain(spec.logits_output.as_ref());
        for output in wanted {
            if !model.output_names().iter().any(|n| n == output) {
                return Err(VisionError::model(
                    model.name(),
                    format!("has no output `{output}` (it has {:?})", model.output_names()),
                ));
            }
        }
        Ok(Self { model, spec })
    }

    /// Resizes and normalises the images into one batch tensor as the spec says.
    fn tensor(&self, images: &[&RgbImage]) -> Array4<f32> {
        let s = &self.spec;
        let (w, h) = (s.width as usize, s.height as usize);
        let shape = match s.layout {
            Layout::Nchw => (images.len(), 3, h, w),
            Layout::Nhwc => (images.len(), h, w, 3),
        };
        let mut t = Array4::<f32>::zeros(shape);
        for (n, img) in images.iter().enumerate() {
            let resized = resize_rgb(img, w, h);
            let mut slot = t.index_axis_mut(Axis(0), n);
            for y in 0..h {
                for x in 0..w {
                    let rgb = resized.pixel(x, y);
                    for c in 0..3 {
                        let src = match s.color {
                            ColorOrder::Rgb => rgb[c],
                            ColorOrder::Bgr => rgb[2 - c],
                        };
                        let v = (src / s.scale - s.mean[c]) / s.std[c];
                        match s.layout {
                            Layout::Nchw => slot[[c, y, x]] = v,
                            Layout::Nhwc => slot[[y, x, c]] = v,
                        }
                    }
                }
            }
        }
        t
    }

    fn unpack(&self, embedding: &ArrayD<f32>, n: usize) -> Result<(Vec<f32>, Option<FeatureMap>), VisionError> {
        let dim = self.spec.dim;
        let bad = |what: &str| {
            VisionError::model(
                self.model.name(),
                format!(
                    "output `{}` has shape {:?}, expected {what}",
                    self.spec.output,
                    embedding.shape()
                ),
            )
        };
        let sample = embedding.index_axis(Axis(0), n);
        match self.spec.output_kind {
            OutputKind::Vector => {
                if sample.len() != dim {
                    return Err(bad(&format!("[N, {dim}]")));
                }
                let mut v: Vec<f32> = sample.iter().copied().collect();
                l2_normalize(&mut v);
                Ok((v, None))
            }
            OutputKind::FeatureMap => {
                let shape = sample.shape();
                if shape.len() != 3 || shape[0] != dim {
                    return Err(bad(&format!("[N, {dim}, h, w]")));
                }
                let map = FeatureMap {
                    channels: dim,
                    height: shape[1],
                    width: shape[2],
                    data: sample.iter().copied().collect(),
                };
                Ok((map.global_descriptor(), Some(map)))
            }
        }
    }
}

impl ImageEncoder for OnnxImageEncoder {
    fn name(&self) -> &str {
        &self.spec.name
    }

    fn dim(&self) -> usize {
        self.spec.dim
    }

    fn encode(&self, images: &[&RgbImage]) -> Result<Vec<EncodedImage>, VisionError> {
        if images.is_empty() {
            return Ok(Vec::new());
        }
        if let Some(bad) = images.iter().find(|i| i.width() == 0 || i.height() == 0) {
            return Err(VisionError::BadInput(format!(
                "empty image {}x{}",
                bad.width(),
                bad.height()
            )));
        }
        let input = self.tensor(images);
        let mut names = vec![self.spec.output.as_str()];
        if let Some(l) = &self.spec.logits_output {
            names.push(l);
        }
        let out = self.model.run(&self.spec.input, input.into_dyn().view(), &names)?;
        // A badly exported model may ignore the batch size; indexing it would panic.
        if let Some(bad) = out.iter().find(|o| o.shape().first() != Some(&images.len())) {
            return Err(VisionError::model(
                self.model.name(),
                format!("returned shape {:?} for a batch of {}", bad.shape(), images.len()),
            ));
        }
        (0..images.len())
            .map(|n| {
                let (embedding, feature_map) = self.unpack(&out[0], n)?;
                let logits = out.get(1).map(|l| l.index_axis(Axis(0), n).iter().copied().collect());
                Ok(EncodedImage {
                    embedding,
                    feature_map,
                    logits,
                })
            })
            .collect()
    }
}
