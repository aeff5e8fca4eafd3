//! Plain data shared by every Glint crate.
//!
//! Nothing here does work: these are the nouns (boxes, points, faces, embeddings) that the
//! `media` crate produces from files, the `vision` crate produces from pixels, and later crates
//! store and search. Keeping them dependency-free lets every layer speak the same types.

mod geometry;
mod pool;
mod time;

pub use geometry::{xywh_schema, BBox, Point};
pub use pool::Pool;
pub use time::{rfc3339, serialize_rfc3339};

use serde::{Deserialize, Serialize};

/// One face found by a detector, in source-image pixel coordinates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Face {
    pub bbox: BBox,
    /// Detector confidence in 0..=1.
    pub score: f32,
    /// Left eye, right eye, nose tip, left mouth corner, right mouth corner (as seen in the image).
    pub landmarks: [Point; 5],
}

impl Face {
    /// Distance between the eye centres: a size measure that, unlike the box, does not depend on
    /// how generously a detector draws its boxes.
    pub fn eye_distance(&self) -> f32 {
        self.landmarks[0].distance(self.landmarks[1])
    }
}

/// An L2-normalisable feature vector produced by an embedder or encoder.
pub type Embedding = Vec<f32>;

/// Scales `v` to unit length in place; a zero vector is left as it is.
pub fn l2_normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Euclidean distance between two vectors of the same length.
pub fn l2_distance(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f32>().sqrt()
}

/// Dot product; equals cosine similarity for unit vectors.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_gives_unit_length_and_keeps_zero() {
        let mut v = vec![3.0, 4.0];
        l2_normalize(&mut v);
        assert!((dot(&v, &v) - 1.0).abs() < 1e-6);
        let mut z = vec![0.0, 0.0];
        l2_normalize(&mut z);
        assert_eq!(z, vec![0.0, 0.0]);
    }

    #[test]
    fn distance_is_euclidean() {
        assert!((l2_distance(&[0.0, 0.0], &[3.0, 4.0]) - 5.0).abs() < 1e-6);
    }
}
