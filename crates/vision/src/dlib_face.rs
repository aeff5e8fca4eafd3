//! dlib's ResNet face descriptor (converted to ONNX by `tools/convert/dlib_resnet_to_onnx.py`)
//! fed with chips aligned from the detector's five landmarks.

use image::RgbImage;

use glint_types::{Embedding, Face, Point};

use crate::face_batch::ChipNetwork;
use crate::manifest::Layout;
use crate::runtime::OnnxModel;
use crate::{FaceDistances, FaceEmbedder, VisionError};

/// Side of dlib's face chip.
pub const CHIP_SIZE: usize = 150;

/// Where MTCNN's five landmarks (left eye, right eye, nose, left and right mouth corner) fall,
/// on average, in dlib's 150x150 chip (`get_face_chip_details(shape, 150, 0.25)`). Fitted by
/// `tools/convert/fit_chip_template.py` over 92 faces in ../shared/eval (RMS spread 2 px at the eyes, 6 px at the mouth), so that chips cut
/// from MTCNN landmarks look like the chips the network was trained on.
pub const CHIP_TEMPLATE: [(f32, f32); 5] = [
    (46.4366, 44.7465),
    (100.9414, 44.8938),
    (73.5747, 77.1151),
    (48.3937, 101.4751),
    (99.5476, 101.26),
];

/// Embeds faces with dlib's 128-d ResNet; two photos of one person are typically closer than
/// 0.6 in L2 distance.
pub struct DlibFaceEmbedder {
    net: ChipNetwork,
}

impl DlibFaceEmbedder {
    pub const NAME: &'static str = "dlib-resnet-v1";

    pub fn new(model: OnnxModel) -> Self {
        let template = CHIP_TEMPLATE.map(|(x, y)| Point::new(x, y));
        let net = ChipNetwork::new(
            model,
            Self::NAME,
            template,
            CHIP_SIZE,
            Layout::Nchw,
            "input",
            "embedding",
            128,
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

impl FaceEmbedder for DlibFaceEmbedder {
    fn name(&self) -> &str {
        self.net.name()
    }

    fn dim(&self) -> usize {
        128
    }

    /// dlib's own same-person threshold is 0.6; tracking can afford to be stricter.
    fn distances(&self) -> FaceDistances {
        FaceDistances {
            link: 0.5,
            second_view: 0.3,
            merge: 0.5,
        }
    }

    fn embed(&self, image: &RgbImage, faces: &[Face]) -> Result<Vec<Embedding>, VisionError> {
        self.net.embed(image, faces)
    }
}
