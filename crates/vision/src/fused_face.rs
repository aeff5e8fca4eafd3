//! Score fusion of face embedders: one vector per face whose cosine is the weighted mean of the
//! parts' cosines.
//!
//! Why: on in-the-wild photos dlib's ResNet separates people far better than HSE-FaceRes
//! (faces_celeba_dev recall@1 0.962 vs 0.893), while FaceRes keeps the 35–80 px faces of video
//! frames apart where dlib crowds them together (docs/benchmarks.md, issue 13). Each part's
//! unit vector is scaled by sqrt(weight) and the parts are joined: for weights summing to 1 the
//! joined vector has unit length and the dot product of two of them is Σ wᵢ·cosᵢ, so the
//! vector index, thresholds and tracking see one ordinary cosine space.

use std::sync::Arc;

use image::RgbImage;

use glint_types::{l2_normalize, Embedding, Face};

use crate::{FaceDistances, FaceEmbedder, VisionError};

/// Several face embedders fused into one vector space.
pub struct FusedFaceEmbedder {
    parts: Vec<(Arc<dyn FaceEmbedder>, f32)>,
    name: String,
    dim: usize,
}

impl FusedFaceEmbedder {
    /// `parts` with their weights; weights must be positive and are scaled to sum to 1.
    pub fn new(parts: Vec<(Arc<dyn FaceEmbedder>, f32)>) -> Result<Self, VisionError> {
        if parts.len() < 2 {
            return Err(VisionError::BadInput(
                "a fused face embedder needs at least two parts".into(),
            ));
        }
        if parts.iter().any(|(_, w)| !(w.is_finite() && *w > 0.0)) {
            return Err(VisionError::BadInput(
                "fused face embedder weights must be positive".into(),
            ));
        }
        let total: f32 = parts.iter().map(|(_, w)| w).sum();
        let parts: Vec<_> = parts.into_iter().map(|(e, w)| (e, w / total)).collect();
        // The weights are part of the name: vectors fused differently must never be compared.
        let name = parts
            .iter()
            .map(|(e, w)| format!("{}*{:.2}", e.name(), w))
            .collect::<Vec<_>>()
            .join("&");
        let dim = parts.iter().map(|(e, _)| e.dim()).sum();
        Ok(Self { parts, name, dim })
    }
}

/// Cosine similarity of two unit vectors at L2 distance `d`, and back.
fn cos_of(d: f32) -> f32 {
    1.0 - d * d / 2.0
}

fn dist_of(cos: f32) -> f32 {
    (2.0 * (1.0 - cos)).max(0.0).sqrt()
}

impl FaceEmbedder for FusedFaceEmbedder {
    fn name(&self) -> &str {
        &self.name
    }

    fn dim(&self) -> usize {
        self.dim
    }

    /// Each tracking distance is the one whose cosine is the weighted mean of the parts'
    /// cosines at their own distances: where every part would just link two views, the fused
    /// score just links them too.
    fn distances(&self) -> FaceDistances {
        let mean = |pick: fn(&FaceDistances) -> f32| {
            dist_of(self.parts.iter().map(|(e, w)| w * cos_of(pick(&e.distances()))).sum())
        };
        FaceDistances {
            link: mean(|d| d.link),
            second_view: mean(|d| d.second_view),
            merge: mean(|d| d.merge),
        }
    }

    fn embed(&self, image: &RgbImage, faces: &[Face]) -> Result<Vec<Embedding>, VisionError> {
        let mut joined: Vec<Embedding> = vec![Vec::with_capacity(self.dim); faces.len()];
        for (embedder, weight) in &self.parts {
            let scale = weight.sqrt();
            for (out, mut v) in joined.iter_mut().zip(embedder.embed(image, faces)?) {
                l2_normalize(&mut v);
                out.extend(v.iter().map(|x| x * scale));
            }
        }
        Ok(joined)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glint_types::{dot, BBox, Point};

    /// A stand-in network: a fixed vector per face, by the face's x position.
    struct Fixed {
        name: &'static str,
        vectors: Vec<Vec<f32>>,
    }

    impl FaceEmbedder for Fixed {
        fn name(&self) -> &str {
            self.name
        }
        fn dim(&self) -> usize {
            self.vectors[0].len()
        }
        fn distances(&self) -> FaceDistances {
            FaceDistances {
                link: 0.5,
                second_view: 0.3,
                merge: 0.5,
            }
        }
        fn embed(&self, _: &RgbImage, faces: &[Face]) -> Result<Vec<Embedding>, VisionError> {
            Ok(faces.iter().map(|f| self.vectors[f.bbox.x as usize].clone()).collect())
        }
    }

    fn face(i: usize) -> Face {
        Face {
            bbox: BBox::new(i as f32, 0.0, 10.0, 10.0),
            score: 1.0,
            landmarks: [Point::new(0.0, 0.0); 5],
        }
    }

    #[test]
    fn the_fused_cosine_is_the_weighted_mean_of_the_parts_cosines() {
        let a = Fixed {
            name: "a",
            vectors: vec![vec![1.0, 0.0], vec![0.6, 0.8]],
        };
        let b = Fixed {
            name: "b",
            vectors: vec![vec![0.0, 0.0, 2.0], vec![0.0, 2.0, 0.0]],
        };
        let fused = FusedFaceEmbedder::new(vec![(Arc::new(a), 3.0), (Arc::new(b), 1.0)]).unwrap();
        assert_eq!(fused.dim(), 5);
        assert_eq!(fused.name(), "a*0.75&b*0.25");
        let v = fused.embed(&RgbImage::new(1, 1), &[face(0), face(1)]).unwrap();
        // Part a: cos 0.6; part b (normalised first): cos 0.
        assert!((dot(&v[0], &v[1]) - 0.75 * 0.6).abs() < 1e-6);
        assert!(
            (dot(&v[0], &v[0]) - 1.0).abs() < 1e-6,
            "joined vectors have unit length"
        );
        // Every part links at d 0.5 (cos 0.875), so the fused link is at the same cosine.
        assert!((fused.distances().link - 0.5).abs() < 1e-5);
    }

    #[test]
    fn one_part_or_a_bad_weight_is_refused() {
        let part = || {
            Arc::new(Fixed {
                name: "a",
                vectors: vec![vec![1.0]],
            }) as Arc<dyn FaceEmbedder>
        };
        assert!(FusedFaceEmbedder::new(vec![(part(), 1.0)]).is_err());
        assert!(FusedFaceEmbedder::new(vec![(part(), 1.0), (part(), 0.0)]).is_err());
        assert!(FusedFaceEmbedder::new(vec![(part(), 1.0), (part(), f32::NAN)]).is_err());
    }
}
