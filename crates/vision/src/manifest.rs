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

/// The face embedder's file and which network it holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FaceEmbedderEntry {
    /// `hse-faceres` or `dlib-resnet-v1`; manifests from before the name was recorded held dlib.
    #[serde(default = "dlib_name")]
    pub name: String,
    #[serde(flatten)]
    pub model: FileEntry,
}

fn dlib_name() -> String {
    crate::DlibFaceEmbedder::NAME.into()
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
    /// `embedding` [N,1024]) or dlib's ResNet (`dlib-resnet-v1`, `input` [N,3,150,150] RGB
    /// 0..255 -> `embedding` [N,128]), converted to ONNX.
    pub face_embedder: FaceEmbedderEntry,
    pub image_encoder: EncoderSpec,
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
    /// An optional class-score output, used by `glint models verify`.
    #[serde(default)]
    pub logits_output: Option<String>,
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
            (
                self.face_embedder.model.file.as_str(),
                self.face_embedder.model.sha256.as_str(),
            ),
        ];
        if let Some(sha) = &self.image_encoder.sha256 {
            files.push((self.image_encoder.file.as_str(), sha.as_str()));
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
