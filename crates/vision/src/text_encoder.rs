//! The text tower of a CLIP-class image encoder: text in, vectors in the image vectors' space.
//!
//! A contrastive image-text model (CLIP, SigLIP, ...) ships two networks trained so that an
//! image and a caption of it land near each other. Glint's image side is the pluggable
//! [`OnnxImageEncoder`](crate::OnnxImageEncoder); when its [`EncoderSpec`](crate::EncoderSpec)
//! also names a text tower (`text`, a [`TextTowerSpec`]), [`crate::Models::load`] loads it as an
//! [`OnnxTextEncoder`] and a typed query ("a red car") can be embedded and searched against the
//! very vectors ingest stored for frames and regions.
//!
//! The tower is an ONNX graph taking token ids (and, for most exports, an attention mask) of a
//! fixed length and returning one pooled vector per text. Its tokenizer is a Hugging Face
//! `tokenizer.json`, the format CLIP tokenizers ship in (byte-level BPE with CLIP's split
//! pattern, lower-casing normaliser and start/end tokens), read by the `tokenizers` crate; any
//! model type it supports (BPE, WordPiece, WordLevel, Unigram) works.
//!
//! At load the tower is run once on a probe so that a tower whose vectors would not meet the
//! image vectors (another width than the spec's `dim`) is refused with a clear error there,
//! instead of every later search failing.

use std::path::Path;

use ndarray::{Array2, ArrayD, Axis};
use ort::session::SessionInputValue;
use ort::value::TensorRef;
use tokenizers::{PostProcessor, Tokenizer, TruncationParams};

use glint_types::l2_normalize;

use crate::manifest::{resolve, IdsType, TextTowerSpec};
use crate::runtime::OnnxModel;
use crate::VisionError;

/// Turns texts into unit-length vectors, in one batch.
pub trait TextEncoder: Send + Sync {
    /// Names the vector space: the image encoder this tower belongs to. Its vectors are only
    /// comparable with image vectors stored under the same name.
    fn name(&self) -> &str;
    fn dim(&self) -> usize;
    /// One unit-length vector per text, in order.
    fn encode(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, VisionError>;
    /// The cosine of a text's and an image's vectors above which the text is said to fit the
    /// image (a search's "no match" below it).
    fn threshold(&self) -> f32;
}

/// A text tower run by ONNX Runtime, fed by a Hugging Face tokenizer.
pub struct OnnxTextEncoder {
    /// The image encoder's name: the space both towers embed into.
    space: String,
    dim: usize,
    model: OnnxModel,
    tokenizer: Tokenizer,
    spec: TextTowerSpec,
    /// Fills the ids after a text's last token (its mask is 0 there).
    pad_id: u32,
}

impl std::fmt::Debug for OnnxTextEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxTextEncoder")
            .field("space", &self.space)
            .field("dim", &self.dim)
            .field("model", &self.model)
            .field("spec", &self.spec)
            .field("pad_id", &self.pad_id)
            .finish()
    }
}

impl OnnxTextEncoder {
    /// Loads the text tower of the image encoder `space` (whose vectors are `dim` long): its
    /// ONNX file (checked against `sha256` when given) and tokenizer, both resolved against
    /// `dir`, the folder of the spec or manifest that names them. Fails when a file is missing,
    /// the graph lacks an input or output the spec names, or its output is not `dim` wide.
    pub fn load(
        env: &ort::environment::Environment,
        space: &str,
        dim: usize,
        spec: TextTowerSpec,
        dir: &Path,
    ) -> Result<Self, VisionError> {
        let model_name = format!("{space} text tower");
        let tokenizer = load_tokenizer(&model_name, &resolve(dir, &spec.tokenizer), spec.max_length)?;
        let pad_id = pad_id(&model_name, &tokenizer, spec.pad_token.as_deref())?;
        let model = OnnxModel::load(env, &model_name, &resolve(dir, &spec.file), spec.sha256.as_deref())?;
        let inputs = std::iter::once(&spec.input_ids).chain(spec.attention_mask.as_ref());
        for input in inputs {
            if !model.input_names().contains(input) {
                return Err(VisionError::model(
                    &model_name,
                    format!("has no input `{input}` (it has {:?})", model.input_names()),
                ));
            }
        }
        // A graph input left unfed fails every run with ONNX Runtime's terse "Missing Input".
        let fed = |name: &String| *name == spec.input_ids || spec.attention_mask.as_ref() == Some(name);
        if let Some(unfed) = model.input_names().iter().find(|n| !fed(n)) {
            return Err(VisionError::model(
                &model_name,
                format!(
                    "takes input `{unfed}`, which the spec does not feed (Glint feeds only the inputs \
                     named by `input_ids` and `attention_mask`; name the mask there if this is it)"
                ),
            ));
        }
        if !model.output_names().contains(&spec.output) {
            return Err(VisionError::model(
                &model_name,
                format!("has no output `{}` (it has {:?})", spec.output, model.output_names()),
            ));
        }
        let encoder = Self {
            space: space.to_string(),
            dim,
            model,
            tokenizer,
            spec,
            pad_id,
        };
        encoder.probe()?;
        tracing::info!(
            space,
            dim,
            max_length = encoder.spec.max_length,
            pad_id,
            "text tower loaded"
        );
        Ok(encoder)
    }

    /// Runs one all-padding sequence through the tower: the width of its output is only known
    /// once it runs (exports often leave it symbolic), and a tower of another width than the
    /// image encoder's would fail every search later.
    fn probe(&self) -> Result<(), VisionError> {
        let len = self.spec.max_length;
        let ids = Array2::from_elem((1, len), i64::from(self.pad_id));
        let mask = Array2::from_elem((1, len), 1_i64);
        let out = self.run(ids, mask)?;
        if out.shape().first() != Some(&1) || out.len() != self.dim {
            return Err(VisionError::model(
                self.model.name(),
                format!(
                    "output `{}` has shape {:?} for one text, but the image encoder `{}` has dim \
                     {}: a text tower must embed into its image encoder's space ([N, {}])",
                    self.spec.output,
                    out.shape(),
                    self.space,
                    self.dim,
                    self.dim
                ),
            ));
        }
        Ok(())
    }

    /// Feeds ids and mask [N, max_length] in the element type the spec names; returns the
    /// output the spec names.
    fn run(&self, ids: Array2<i64>, mask: Array2<i64>) -> Result<ArrayD<f32>, VisionError> {
        // The int32 copies must outlive the run: the tensors below only borrow them.
        let (ids32, mask32) = match self.spec.ids_type {
            IdsType::Int64 => (None, None),
            IdsType::Int32 => (Some(to_i32(&ids)?), Some(to_i32(&mask)?)),
        };
        let name = self.model.name();
        let mut inputs = vec![(self.spec.input_ids.as_str(), int_tensor(name, &ids, ids32.as_ref())?)];
        if let Some(input) = &self.spec.attention_mask {
            inputs.push((input.as_str(), int_tensor(name, &mask, mask32.as_ref())?));
        }
        let mut out = self.model.run_inputs(inputs, &[self.spec.output.as_str()])?;
        Ok(out.remove(0))
    }
}

/// Reads a `tokenizer.json` and sets it to truncate at `max_length` tokens. Its own padding is
/// switched off: the encoder pads every sequence to exactly `max_length` itself.
fn load_tokenizer(model: &str, path: &Path, max_length: usize) -> Result<Tokenizer, VisionError> {
    if !path.is_file() {
        return Err(VisionError::model(
            model,
            format!("tokenizer {} is missing (the spec's `text.tokenizer`)", path.display()),
        ));
    }
    let mut tokenizer = Tokenizer::from_file(path)
        .map_err(|e| VisionError::model(model, format!("cannot read tokenizer {}: {e}", path.display())))?;
    // Truncation keeps the start and end tokens the post-processor adds (CLIP pools at the end
    // token), so room for them must remain.
    let special = tokenizer.get_post_processor().map_or(0, |p| p.added_tokens(false));
    if max_length <= special {
        return Err(VisionError::model(
            model,
            format!("max_length {max_length} leaves no room for text: the tokenizer adds {special} special tokens"),
        ));
    }
    tokenizer
        .with_truncation(Some(TruncationParams {
            max_length,
            ..TruncationParams::default()
        }))
        .map_err(|e| VisionError::model(model, format!("tokenizer {}: {e}", path.display())))?;
    tokenizer.with_padding(None);
    Ok(tokenizer)
}

/// The id padding is filled with: the spec's `pad_token`, else the tokenizer's own padding
/// token, else 0. Towers that take a mask ignore it; the others see it.
fn pad_id(model: &str, tokenizer: &Tokenizer, pad_token: Option<&str>) -> Result<u32, VisionError> {
    match pad_token {
        Some(token) => tokenizer.token_to_id(token).ok_or_else(|| {
            VisionError::model(
                model,
                format!("pad_token {token:?} is not in the tokenizer's vocabulary"),
            )
        }),
        None => Ok(tokenizer.get_padding().map_or(0, |p| p.pad_id)),
    }
}

/// A borrowed tensor of `i32s` when given (an int32 tower), else of `i64s`.
fn int_tensor<'a>(
    model: &str,
    i64s: &'a Array2<i64>,
    i32s: Option<&'a Array2<i32>>,
) -> Result<SessionInputValue<'a>, VisionError> {
    let value = match i32s {
        Some(a) => TensorRef::from_array_view(a.view().into_dyn()).map(SessionInputValue::from),
        None => TensorRef::from_array_view(i64s.view().into_dyn()).map(SessionInputValue::from),
    };
    value.map_err(|e| VisionError::model(model, e))
}

fn to_i32(a: &Array2<i64>) -> Result<Array2<i32>, VisionError> {
    let mut out = Array2::zeros(a.dim());
    for (o, &v) in out.iter_mut().zip(a) {
        *o = i32::try_from(v).map_err(|_| VisionError::BadInput(format!("token id {v} does not fit in int32")))?;
    }
    Ok(out)
}

impl TextEncoder for OnnxTextEncoder {
    fn name(&self) -> &str {
        &self.space
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn threshold(&self) -> f32 {
        self.spec.threshold
    }

    fn encode(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, VisionError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| VisionError::BadInput(format!("cannot tokenize: {e}")))?;
        let len = self.spec.max_length;
        let mut ids = Array2::from_elem((texts.len(), len), i64::from(self.pad_id));
        let mut mask = Array2::<i64>::zeros((texts.len(), len));
        for (row, (text, encoding)) in texts.iter().zip(&encodings).enumerate() {
            // An empty query would be embedded as padding alone: a vector that means nothing.
            if encoding.is_empty() || text.trim().is_empty() {
                return Err(VisionError::BadInput(format!("text {text:?} has no words to embed")));
            }
            for (col, &id) in encoding.get_ids().iter().take(len).enumerate() {
                ids[[row, col]] = i64::from(id);
                mask[[row, col]] = 1;
            }
        }
        let out = self.run(ids, mask)?;
        // A badly exported model may ignore the batch size; indexing it would panic.
        if out.shape().first() != Some(&texts.len()) {
            return Err(VisionError::model(
                self.model.name(),
                format!("returned shape {:?} for a batch of {}", out.shape(), texts.len()),
            ));
        }
        (0..texts.len())
            .map(|n| {
                let sample = out.index_axis(Axis(0), n);
                if sample.len() != self.dim {
                    return Err(VisionError::model(
                        self.model.name(),
                        format!(
                            "output `{}` has shape {:?}, expected [N, {}]",
                            self.spec.output,
                            out.shape(),
                            self.dim
                        ),
                    ));
                }
                let mut v: Vec<f32> = sample.iter().copied().collect();
                l2_normalize(&mut v);
                Ok(v)
            })
            .collect()
    }
}
