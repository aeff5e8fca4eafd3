//! Pixels in, faces and vectors out.
//!
//! Three traits name what Glint needs from vision models: a [`FaceDetector`] finds faces with
//! five landmarks, a [`FaceEmbedder`] turns each face into an identity vector, and an
//! [`ImageEncoder`] turns an image (or a region of one) into an appearance vector and, when the
//! model has one, a feature map for regional pooling. The ONNX implementations ([`Mtcnn`];
//! [`DlibFaceEmbedder`] and [`FaceResEmbedder`], alone or fused into one space by
//! [`FusedFaceEmbedder`], as the manifest names;
//! [`OnnxImageEncoder`]) run through one process-wide ONNX Runtime ([`runtime`]);
//! [`Models::load`] reads the [`ModelManifest`], verifies every file's SHA-256 and builds each
//! session once, to be shared across threads. Each face embedder names itself and states the
//! distances face tracking uses ([`FaceDistances`]): their vectors differ in scale.
//!
//! An [`ObjectDetector`] ([`CenterNet`], optional in the manifest) finds everyday objects of
//! the 80 COCO classes ([`COCO_LABELS`]): the hotspots a viewer taps on a paused frame.
//!
//! A [`TextEncoder`] ([`OnnxTextEncoder`], when the image encoder's spec names a text tower)
//! embeds text queries into the image encoder's space (see [`TextTowerSpec`]).

pub mod align;
mod centernet;
mod checksum;
mod classes;
mod dlib_face;
mod encoder;
mod error;
mod face_batch;
mod faceres;
mod feature_map;
mod fused_face;
pub mod manifest;
mod mtcnn;
pub mod pixels;
pub mod runtime;
mod text_encoder;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use image::RgbImage;

use glint_types::{BBox, Embedding, Face};

pub use centernet::{CenterNet, CENTERNET_INPUT};
pub use checksum::{sha256_file, verify_file};
pub use classes::ClassNames;
pub use dlib_face::{DlibFaceEmbedder, CHIP_SIZE, CHIP_TEMPLATE};
pub use encoder::OnnxImageEncoder;
pub use error::{VisionError, SETUP_COMMAND};
pub use faceres::{faceres_template, FaceResEmbedder, FACERES_CHIP, FACERES_DIM};
pub use feature_map::FeatureMap;
pub use fused_face::FusedFaceEmbedder;
pub use manifest::{EncoderSpec, FaceEmbedderSpec, ModelManifest, ObjectDetectorEntry, TextTowerSpec};
pub use mtcnn::{Mtcnn, MtcnnConfig};
pub use runtime::{init_runtime, OnnxModel};
pub use text_encoder::{OnnxTextEncoder, TextEncoder};

/// Per-call detection settings: photos want every face, video frames want speed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetectOptions {
    /// Smallest face side, in pixels of the (possibly shrunk) working image, that is looked for.
    pub min_face: f32,
    /// Images whose longer side exceeds this are shrunk first: faces smaller than
    /// `min_face * longer_side / max_side` are then not found, in exchange for bounded time.
    pub max_side: usize,
    /// Grey border added on every side, as a fraction of the longer side, so that faces cut by
    /// the frame edge are proposed too (measured on the crowd selfie of ../shared: 5 of its 7
    /// faces without it, all 7 with 0.25); it costs (1 + 2 * edge_pad)^2 times the pixels.
    pub edge_pad: f32,
}

impl DetectOptions {
    /// Every face of a photo, including those cut by the frame edge.
    pub const PHOTO: DetectOptions = DetectOptions {
        min_face: 20.0,
        max_side: 1600,
        edge_pad: 0.25,
    };
    /// A search box: the face a user means is a good part of it (a face, a head and shoulders,
    /// at least a whole person), so the box (with its margin) is looked at at most 320 px wide:
    /// faces down to ~6% of its longer side, with the edge border. Measured: on
    /// faces_deepface_tests recall and FPIR are the same as at 640 px, at half the latency.
    pub const QUERY: DetectOptions = DetectOptions {
        min_face: 20.0,
        max_side: 320,
        edge_pad: 0.25,
    };
    /// Sampled video frames: faces of at least ~5% of the frame height, no edge border.
    pub const VIDEO: DetectOptions = DetectOptions {
        min_face: 32.0,
        max_side: 1600,
        edge_pad: 0.0,
    };
}

impl Default for DetectOptions {
    fn default() -> Self {
        Self::PHOTO
    }
}

/// Finds faces in an image.
pub trait FaceDetector: Send + Sync {
    fn detect_with(&self, image: &RgbImage, options: &DetectOptions) -> Result<Vec<Face>, VisionError>;

    /// Detection with the photo settings.
    fn detect(&self, image: &RgbImage) -> Result<Vec<Face>, VisionError> {
        self.detect_with(image, &DetectOptions::PHOTO)
    }
}

/// L2 distances between one embedder's vectors that face tracking relies on: they depend on how
/// the embedder spreads the views of one person, so each embedder states its own.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceDistances {
    /// Under this, a face of the next sampled frame continues a track (boxes must also be near).
    pub link: f32,
    /// Over this from the track's template (the mean of its views), a second view is kept.
    pub second_view: f32,
    /// Under this, two tracks of one shot that never overlap in time are one person.
    pub merge: f32,
}

/// Turns detected faces into identity embeddings, one per face, in one batch.
pub trait FaceEmbedder: Send + Sync {
    /// Identifies the embedder; vectors of different embedders must never be compared.
    fn name(&self) -> &str;
    fn dim(&self) -> usize;
    fn distances(&self) -> FaceDistances;
    fn embed(&self, image: &RgbImage, faces: &[Face]) -> Result<Vec<Embedding>, VisionError>;
}

/// What an image encoder makes of one image.
#[derive(Debug, Clone)]
pub struct EncodedImage {
    /// Unit-length appearance vector of the whole input.
    pub embedding: Embedding,
    /// The last convolutional feature map, for encoders that expose one.
    pub feature_map: Option<FeatureMap>,
    /// Class scores, for encoders that have a classifier head.
    pub logits: Option<Vec<f32>>,
}

/// Turns images into appearance vectors, in one batch.
pub trait ImageEncoder: Send + Sync {
    /// Identifies the encoder; vectors of different encoders must never be compared.
    fn name(&self) -> &str;
    fn dim(&self) -> usize;
    fn encode(&self, images: &[&RgbImage]) -> Result<Vec<EncodedImage>, VisionError>;
}

/// The 80 COCO object classes, in the order detectors trained on COCO number them.
pub const COCO_LABELS: [&str; 80] = [
    "person",
    "bicycle",
    "car",
    "motorcycle",
    "airplane",
    "bus",
    "train",
    "truck",
    "boat",
    "traffic light",
    "fire hydrant",
    "stop sign",
    "parking meter",
    "bench",
    "bird",
    "cat",
    "dog",
    "horse",
    "sheep",
    "cow",
    "elephant",
    "bear",
    "zebra",
    "giraffe",
    "backpack",
    "umbrella",
    "handbag",
    "tie",
    "suitcase",
    "frisbee",
    "skis",
    "snowboard",
    "sports ball",
    "kite",
    "baseball bat",
    "baseball glove",
    "skateboard",
    "surfboard",
    "tennis racket",
    "bottle",
    "wine glass",
    "cup",
    "fork",
    "knife",
    "spoon",
    "bowl",
    "banana",
    "apple",
    "sandwich",
    "orange",
    "broccoli",
    "carrot",
    "hot dog",
    "pizza",
    "donut",
    "cake",
    "chair",
    "couch",
    "potted plant",
    "bed",
    "dining table",
    "toilet",
    "tv",
    "laptop",
    "mouse",
    "remote",
    "keyboard",
    "cell phone",
    "microwave",
    "oven",
    "toaster",
    "sink",
    "refrigerator",
    "book",
    "clock",
    "vase",
    "scissors",
    "teddy bear",
    "hair drier",
    "toothbrush",
];

/// An object found in an image.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectedObject {
    /// In the pixels of the image given to the detector.
    pub bbox: BBox,
    /// Index into [`COCO_LABELS`].
    pub class: usize,
    pub label: &'static str,
    pub score: f32,
}

/// Finds everyday objects (the 80 COCO classes) in an image.
pub trait ObjectDetector: Send + Sync {
    fn name(&self) -> &str;
    /// The calibrated score an object needs to be reported by [`ObjectDetector::detect`].
    fn threshold(&self) -> f32;
    /// Every object scoring at least `min_score`, best first.
    fn detect_all(&self, image: &RgbImage, min_score: f32) -> Result<Vec<DetectedObject>, VisionError>;

    /// [`ObjectDetector::detect_all`] with the image seen at `input_side` pixels a side instead
    /// of the detector's own input size: a small crop around one object needs fewer pixels than a
    /// whole frame (issue 14). A detector whose input size is fixed sees its own size.
    fn detect_all_at(
        &self,
        image: &RgbImage,
        min_score: f32,
        input_side: usize,
    ) -> Result<Vec<DetectedObject>, VisionError> {
        let _ = input_side;
        self.detect_all(image, min_score)
    }

    /// The objects above the calibrated threshold, best first.
    fn detect(&self, image: &RgbImage) -> Result<Vec<DetectedObject>, VisionError> {
        self.detect_all(image, self.threshold())
    }
}

/// The installed models, loaded and verified, ready to share across threads.
#[derive(Clone)]
pub struct Models {
    pub face_detector: Arc<dyn FaceDetector>,
    pub face_embedder: Arc<dyn FaceEmbedder>,
    /// Cosine of two face vectors above which search calls them the same person (calibrated
    /// for this embedder, from the manifest).
    pub face_threshold: f32,
    /// The stricter threshold for faces the detector is less sure of (see
    /// [`manifest::LowQualityFaces`]); `None`: one threshold for every face.
    pub face_low_quality: Option<manifest::LowQualityFaces>,
    pub image_encoder: Arc<dyn ImageEncoder>,
    /// Everyday objects; `None` for a models folder installed before the detector existed.
    pub object_detector: Option<Arc<dyn ObjectDetector>>,
    /// Names of the image encoder's classes (its manifest's `labels`), so that what it is sure a
    /// frame shows becomes searchable words; `None` when the encoder names nothing.
    pub image_classes: Option<Arc<ClassNames>>,
    /// The image encoder's text tower (its spec's `text`), embedding text queries into the
    /// image vectors' space; `None` for image-only encoders.
    pub text_encoder: Option<Arc<dyn TextEncoder>>,
}

impl Models {
    /// The threshold a face found with `detector_score` is matched at.
    pub fn face_threshold_for(&self, detector_score: f32) -> f32 {
        match self.face_low_quality {
            Some(low) if detector_score < low.below_detector_score => low.threshold.max(self.face_threshold),
            _ => self.face_threshold,
        }
    }

    /// Loads every model of `models_dir/manifest.json` after checking its SHA-256. With
    /// `encoder_spec`, the image encoder comes from that stand-alone spec instead.
    pub fn load(models_dir: &Path, encoder_spec: Option<&Path>) -> Result<Self, VisionError> {
        let manifest = ModelManifest::load(models_dir)?;
        let path = |file: &str| manifest::resolve(models_dir, file);
        let runtime_lib = path(&manifest.runtime.file);
        verify_file(&runtime_lib, &manifest.runtime.sha256)?;
        let env = init_runtime(&runtime_lib)?;
        let load = |name: &str, entry: &manifest::FileEntry| {
            OnnxModel::load(env, name, &path(&entry.file), Some(&entry.sha256))
        };
        let det = &manifest.face_detector;
        let detector = Mtcnn::new(
            load("mtcnn-pnet", &det.pnet)?,
            load("mtcnn-rnet", &det.rnet)?,
            load("mtcnn-onet", &det.onet)?,
            MtcnnConfig::default(),
        );
        let face_part = |entry: &manifest::FaceEmbedderEntry| -> Result<Arc<dyn FaceEmbedder>, VisionError> {
            Ok(match entry.name.as_str() {
                FaceResEmbedder::NAME => {
                    Arc::new(FaceResEmbedder::new(load(&entry.name, &entry.model)?).with_flip(entry.flip))
                }
                DlibFaceEmbedder::NAME => {
                    Arc::new(DlibFaceEmbedder::new(load(&entry.name, &entry.model)?).with_flip(entry.flip))
                }
                other => {
                    return Err(VisionError::Manifest {
                        path: models_dir.join("manifest.json"),
                        reason: format!(
                            "unknown face embedder {other:?} (known: {}, {})",
                            FaceResEmbedder::NAME,
                            DlibFaceEmbedder::NAME
                        ),
                    })
                }
            })
        };
        let embedder: Arc<dyn FaceEmbedder> = match &manifest.face_embedder {
            FaceEmbedderSpec::Single(entry) => face_part(entry)?,
            FaceEmbedderSpec::Fused { parts, .. } => Arc::new(
                FusedFaceEmbedder::new(
                    parts
                        .iter()
                        .map(|p| Ok((face_part(p)?, p.weight)))
                        .collect::<Result<_, VisionError>>()?,
                )
                .map_err(|e| VisionError::Manifest {
                    path: models_dir.join("manifest.json"),
                    reason: e.to_string(),
                })?,
            ),
        };
        let face_threshold = manifest.face_embedder.threshold().ok_or_else(|| VisionError::Manifest {
            path: models_dir.join("manifest.json"),
            reason: format!(
                "face embedder {:?} has no calibrated `threshold` (measure it with `glint eval retrieval --route face`)",
                embedder.name()
            ),
        })?;
        let (spec, encoder_file): (EncoderSpec, PathBuf) = match encoder_spec {
            Some(spec_path) => EncoderSpec::from_file(spec_path)?,
            None => {
                let file = path(&manifest.image_encoder.file);
                (manifest.image_encoder.clone(), file)
            }
        };
        let spec_dir = match encoder_spec {
            Some(spec_path) => spec_path.parent().unwrap_or(Path::new(".")).to_path_buf(),
            None => models_dir.to_path_buf(),
        };
        let image_classes = match (&spec.labels, &spec.logits_output) {
            (Some(labels), Some(_)) => Some(Arc::new(ClassNames::load(
                &manifest::resolve(&spec_dir, &labels.file),
                labels.sha256.as_deref(),
            )?)),
            _ => None,
        };
        // The tower's files are named relative to the same folder as the image encoder's.
        let text_encoder = match &spec.text {
            Some(text) => {
                let tower = OnnxTextEncoder::load(env, &spec.name, spec.dim, text.clone(), &spec_dir)?;
                Some(Arc::new(tower) as Arc<dyn TextEncoder>)
            }
            None => None,
        };
        let encoder = load_encoder(env, spec, &encoder_file)?;
        let object_detector = match &manifest.object_detector {
            None => None,
            Some(entry) if entry.name == CenterNet::NAME => {
                let detector = CenterNet::new(load(&entry.name, &entry.model)?, entry.threshold);
                Some(Arc::new(detector) as Arc<dyn ObjectDetector>)
            }
            Some(entry) => {
                return Err(VisionError::Manifest {
                    path: models_dir.join("manifest.json"),
                    reason: format!("unknown object detector {:?} (known: {})", entry.name, CenterNet::NAME),
                })
            }
        };
        Ok(Self {
            face_detector: Arc::new(detector),
            face_embedder: embedder,
            face_threshold,
            face_low_quality: manifest.face_embedder.low_quality(),
            image_encoder: Arc::new(encoder),
            object_detector,
            image_classes,
            text_encoder,
        })
    }
}

/// Builds an encoder from a spec and its ONNX file (checked against the spec's sha256 if any).
pub fn load_encoder(
    env: &ort::environment::Environment,
    spec: EncoderSpec,
    file: &Path,
) -> Result<OnnxImageEncoder, VisionError> {
    let model = OnnxModel::load(env, &spec.name, file, spec.sha256.as_deref())?;
    OnnxImageEncoder::new(model, spec)
}
