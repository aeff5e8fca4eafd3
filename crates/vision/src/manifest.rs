//! The model manifest: which files make up the installed models, their SHA-256, and how an
//! image encoder wants its pixels.
//!
//! `models/manifest.json` in the repository describes the models that `make setup` installs.
//! An [`EncoderSpec`] can also stand alone in a file of its own, which is how a user plugs in
//! another ONNX image encoder (a CLIP or SigLIP export, say) without changing code.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::VisionError;

/// A file under the models directory and the SHA-256 it must have.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileEntry {
    pub file: String,
    pub sha256: String,
}

/// One face network: its file, which network it holds, and how it is used.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FaceEmbedderEntry {
    /// `hse-faceres` or `dlib-resnet-v1`; manifests from before the name was recorded held dlib.
    #[serde(default = "dlib_name")]
    pub name: String,
    #[serde(flatten)]
    pub model: FileEntry,
    /// Also embed each chip's mirror image and keep the mean of the two vectors (test-time
    /// flip augmentation: twice the network time, steadier vectors).
    #[serde(default)]
    pub flip: bool,
    /// Share of this network's cosine in a fused score (see [`FaceEmbedderSpec::Fused`]).
    #[serde(default = "one")]
    pub weight: f32,
    /// The calibrated "same person" cosine of this embedder used alone (see
    /// [`FaceEmbedderSpec::threshold`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f32>,
}

fn dlib_name() -> String {
    crate::DlibFaceEmbedder::NAME.into()
}

fn one() -> f32 {
    1.0
}

/// The face embedder: one network, or several whose cosines are averaged with weights.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FaceEmbedderSpec {
    /// Score fusion: a face's vector is each part's unit vector times sqrt(weight), joined, so
    /// that the cosine of two joined vectors is the weighted mean of the parts' cosines (with
    /// weights summing to 1) and one vector space still holds it.
    Fused {
        parts: Vec<FaceEmbedderEntry>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        threshold: Option<f32>,
        /// A stricter threshold for faces the detector is less sure of (issue 13, face quality).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        low_quality: Option<LowQualityFaces>,
    },
    Single(FaceEmbedderEntry),
}

/// Faces whose detector score is under `below_detector_score` are matched at `threshold`
/// instead of the embedder's: an occluded, blurred or half-turned face is found by the detector
/// with less certainty, and such faces let strangers through more often at one common threshold
/// (faces_celeba_dev, detector score under 0.995: their own 5%-FPIR point is 0.927 against
/// 0.912 for the others; docs/benchmarks.md). Each band's threshold is its own 5%-FPIR point on
/// the large set, so every band, not only the average, keeps strangers out 95% of the time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LowQualityFaces {
    pub below_detector_score: f32,
    pub threshold: f32,
}

impl FaceEmbedderSpec {
    /// The networks, one for a single embedder.
    pub fn parts(&self) -> &[FaceEmbedderEntry] {
        match self {
            FaceEmbedderSpec::Fused { parts, .. } => parts,
            FaceEmbedderSpec::Single(entry) => std::slice::from_ref(entry),
        }
    }

    /// The cosine above which two faces are shown as one person: a calibration of this exact
    /// configuration (networks, weights, flip), so it is recorded beside it. Measured as the
    /// 5%-FPIR point of `glint eval retrieval --route face` on a large labelled set
    /// (docs/benchmarks.md); a manifest without one falls back to the figure measured for
    /// FaceRes alone, and any other configuration must carry its own.
    pub fn threshold(&self) -> Option<f32> {
        match self {
            FaceEmbedderSpec::Fused { threshold, .. } => *threshold,
            FaceEmbedderSpec::Single(entry) => entry.threshold.or(match (entry.name.as_str(), entry.flip) {
                (crate::FaceResEmbedder::NAME, false) => Some(0.70),
                _ => None,
            }),
        }
    }

    /// The stricter band for less certain detections, when this configuration was calibrated
    /// with one.
    pub fn low_quality(&self) -> Option<LowQualityFaces> {
        match self {
            FaceEmbedderSpec::Fused { low_quality, .. } => *low_quality,
            FaceEmbedderSpec::Single(_) => None,
        }
    }
}

/// The three MTCNN stages.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MtcnnFiles {
    pub pnet: FileEntry,
    pub rnet: FileEntry,
    pub onet: FileEntry,
}

/// Everything `make setup` installs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelManifest {
    /// The ONNX Runtime shared library.
    pub runtime: FileEntry,
    pub face_detector: MtcnnFiles,
    /// The face descriptor: HSE-FaceRes (`hse-faceres`, `input_1` [N,224,224,3] RGB 0..255 ->
    /// `embedding` [N,1024]), dlib's ResNet (`dlib-resnet-v1`, `input` [N,3,150,150] RGB
    /// 0..255 -> `embedding` [N,128]), converted to ONNX, or a weighted fusion of them.
    pub face_embedder: FaceEmbedderSpec,
    pub image_encoder: EncoderSpec,
    /// The object detector (issue 18); absent in manifests from before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_detector: Option<ObjectDetectorEntry>,
}

/// The object detector: `centernet-mobilenetv3` (`tower_0/images` [1,512,512,3] RGB 0..255 ->
/// `heatmap` [1,128,128,80], `box_sides` [1,128,128,4]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectDetectorEntry {
    pub name: String,
    #[serde(flatten)]
    pub model: FileEntry,
    /// The heatmap score an object needs to be shown (measured on the sanity set,
    /// docs/benchmarks.md).
    pub threshold: f32,
}

/// Order of the colour channels the encoder expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColorOrder {
    Rgb,
    Bgr,
}

/// Memory layout of the encoder's input tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    Nchw,
    Nhwc,
}

/// What the encoder's embedding output holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    /// A pooled vector [N, dim].
    Vector,
    /// A convolutional feature map [N, dim, h, w] that Glint pools itself (globally and per
    /// region).
    FeatureMap,
}

/// How to feed an ONNX image encoder and read its output.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EncoderSpec {
    /// A short name, stored with every vector so that vectors of different encoders never mix.
    pub name: String,
    /// Path of the ONNX file, relative to the manifest's folder (or absolute).
    pub file: String,
    /// Checked when present; required in the installed manifest.
    #[serde(default)]
    pub sha256: Option<String>,
    /// Name of the image input.
    pub input: String,
    /// Input width and height in pixels.
    pub width: u32,
    pub height: u32,
    pub color: ColorOrder,
    pub layout: Layout,
    /// Pixel values are divided by `scale` (255 for 0..1 inputs, 1 for raw 0..255), then
    /// `(x - mean) / std` per channel in the order of `color`.
    pub scale: f32,
    pub mean: [f32; 3],
    pub std: [f32; 3],
    /// The output that holds the embedding, and what kind it is.
    pub output: String,
    pub output_kind: OutputKind,
    /// Length of the embedding (channels of a feature map).
    pub dim: usize,
    /// An optional class-score output, used by `glint models verify` and, with `labels`, to
    /// name what a frame or object shows (searchable words).
    #[serde(default)]
    pub logits_output: Option<String>,
    /// The names of the classes of `logits_output`, one per line in class order (relative to
    /// the manifest's or spec's folder). Without it nothing is named.
    #[serde(default)]
    pub labels: Option<LabelsFile>,
    /// The text tower of a CLIP-class encoder, which embeds text queries into this encoder's
    /// space; absent for image-only encoders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<TextTowerSpec>,
}

/// An image encoder's text tower: an ONNX graph from token ids (and mask) to a vector in the
/// image vectors' space, and the Hugging Face `tokenizer.json` that makes its ids.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TextTowerSpec {
    /// Path of the ONNX file, relative to the spec's (or manifest's) folder, or absolute.
    pub file: String,
    /// Checked when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Path of the tokenizer's `tokenizer.json`, resolved like `file`.
    pub tokenizer: String,
    /// Name of the token-id input [N, max_length].
    #[serde(default = "input_ids")]
    pub input_ids: String,
    /// Name of the attention-mask input [N, max_length] (1 on tokens, 0 on padding), for
    /// towers that take one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attention_mask: Option<String>,
    /// The output that holds the pooled text embedding [N, dim] (`dim` of the image encoder).
    pub output: String,
    /// Every text is truncated (keeping the tokenizer's start and end tokens) or padded to this
    /// many tokens: the length the tower was exported with, 77 for CLIP.
    #[serde(default = "clip_context")]
    pub max_length: usize,
    /// Element type of the id and mask inputs.
    #[serde(default)]
    pub ids_type: IdsType,
    /// The token padding is filled with; default: the tokenizer's own padding token, else id 0.
    /// Only towers without a mask input see it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pad_token: Option<String>,
    /// The cosine of a text's and an image's vectors above which the text fits the image;
    /// measure it for the model (CLIP ViT-B/32 pairs that fit mostly score above 0.25).
    #[serde(default = "text_threshold")]
    pub threshold: f32,
}

fn text_threshold() -> f32 {
    0.25
}

fn input_ids() -> String {
    "input_ids".into()
}

fn clip_context() -> usize {
    77
}

/// Element type of a text tower's integer inputs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdsType {
    /// Most exports (PyTorch's `LongTensor`).
    #[default]
    Int64,
    Int32,
}

/// A class-names file: one name per line (synonyms after the first comma), class order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LabelsFile {
    pub file: String,
    /// Checked when present; required in the installed manifest.
    #[serde(default)]
    pub sha256: Option<String>,
}

impl EncoderSpec {
    /// Reads a stand-alone encoder spec; its `file` is resolved against the spec's folder.
    pub fn from_file(path: &Path) -> Result<(Self, PathBuf), VisionError> {
        let spec: EncoderSpec = read_json(path)?;
        spec.validate(path)?;
        let model = resolve(path.parent().unwrap_or(Path::new(".")), &spec.file);
        Ok((spec, model))
    }

    pub(crate) fn validate(&self, origin: &Path) -> Result<(), VisionError> {
        let bad = |reason: &str| VisionError::Manifest {
            path: origin.to_path_buf(),
            reason: format!("encoder `{}`: {reason}", self.name),
        };
        if self.width < 8 || self.height < 8 || self.width > 4096 || self.height > 4096 {
            return Err(bad("width and height must be between 8 and 4096"));
        }
        if !(self.scale.is_finite() && self.scale > 0.0) {
            return Err(bad("scale must be a positive number"));
        }
        if self.std.iter().any(|s| !(s.is_finite() && *s > 0.0)) || self.mean.iter().any(|m| !m.is_finite()) {
            return Err(bad("mean must be finite and std positive"));
        }
        if self.dim == 0 {
            return Err(bad("dim must be positive"));
        }
        if let Some(text) = &self.text {
            if text.file.is_empty() || text.tokenizer.is_empty() {
                return Err(bad("text: file and tokenizer must name files"));
            }
            // Past a few thousand tokens no exported text tower exists; a typo would allocate
            // max_length ids per query.
            if !(1..=8192).contains(&text.max_length) {
                return Err(bad("text: max_length must be between 1 and 8192"));
            }
        }
        Ok(())
    }
}

impl ModelManifest {
    /// Reads `manifest.json` from the models directory.
    pub fn load(models_dir: &Path) -> Result<Self, VisionError> {
        let path = models_dir.join("manifest.json");
        let manifest: ModelManifest = read_json(&path)?;
        manifest.image_encoder.validate(&path)?;
        if manifest.image_encoder.sha256.is_none() {
            return Err(VisionError::Manifest {
                path,
                reason: "the installed image encoder must carry a sha256".into(),
            });
        }
        Ok(manifest)
    }

    /// Every file of the manifest with its expected checksum, for verification.
    pub fn files(&self) -> Vec<(&str, &str)> {
        let mut files = vec![
            (self.runtime.file.as_str(), self.runtime.sha256.as_str()),
            (
                self.face_detector.pnet.file.as_str(),
                self.face_detector.pnet.sha256.as_str(),
            ),
            (
                self.face_detector.rnet.file.as_str(),
                self.face_detector.rnet.sha256.as_str(),
            ),
            (
                self.face_detector.onet.file.as_str(),
                self.face_detector.onet.sha256.as_str(),
            ),
        ];
        for part in self.face_embedder.parts() {
            files.push((part.model.file.as_str(), part.model.sha256.as_str()));
        }
        if let Some(detector) = &self.object_detector {
            files.push((detector.model.file.as_str(), detector.model.sha256.as_str()));
        }
        if let Some(sha) = &self.image_encoder.sha256 {
            files.push((self.image_encoder.file.as_str(), sha.as_str()));
        }
        if let Some(LabelsFile {
            file,
            sha256: Some(sha),
        }) = &self.image_encoder.labels
        {
            files.push((file.as_str(), sha.as_str()));
        }
        if let Some(TextTowerSpec {
            file,
            sha256: Some(sha),
            ..
        }) = &self.image_encoder.text
        {
            files.push((file.as_str(), sha.as_str()));
        }
        files
    }
}

pub(crate) fn resolve(dir: &Path, file: &str) -> PathBuf {
    let p = Path::new(file);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        dir.join(p)
    }
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, VisionError> {
    let text = std::fs::read_to_string(path).map_err(|e| VisionError::Manifest {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    serde_json::from_str(&text).map_err(|e| VisionError::Manifest {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}
