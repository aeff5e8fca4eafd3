//! Face privacy at search time: opted-out people never come back from the person route.
//!
//! Enforcement happens here rather than at ingest so that one opt-out covers what is already
//! indexed and what is indexed later alike, with no re-index. The comparison uses the person
//! route's own operating threshold (`Models::face_threshold`): a face that search would call "the same
//! person" as an opted-out face is treated as that person.

use std::collections::HashSet;

use glint_media::RgbImage;
use glint_store::Store;
use glint_vision::{DetectOptions, Models};

use crate::SearchError;

/// The identity vector of the largest face in a submitted photo, detected and embedded as ingest
/// does for photos, so that it is comparable with the stored face vectors.
pub fn opt_out_embedding(models: &Models, image: &RgbImage) -> Result<Vec<f32>, SearchError> {
    let faces = models.face_detector.detect_with(image, &DetectOptions::PHOTO)?;
    let face = faces
        .into_iter()
        .max_by(|a, b| a.bbox.area().total_cmp(&b.bbox.area()))
        .ok_or(SearchError::NoFace)?;
    Ok(models
        .face_embedder
        .embed(image, std::slice::from_ref(&face))?
        .remove(0))
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let (mut dot, mut na, mut nb) = (0.0f32, 0.0f32, 0.0f32);
    for (x, y) in a.iter().zip(b) {
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        return f32::NEG_INFINITY;
    }
    dot / (na.sqrt() * nb.sqrt())
}

/// Indexed faces looked at per opted-out face while growing the set.
const NEIGHBOURS: usize = 300;
/// At most this many indexed face vectors join the set (bounds the cost of one search).
const MAX_GROWN: usize = 20_000;

/// The opted-out people as seen in the index: their vectors (submitted and grown) and the
/// face tracks they cover.
#[derive(Default)]
pub(crate) struct OptedOut {
    pub vectors: Vec<Vec<f32>>,
    pub tracks: HashSet<u64>,
    threshold: f32,
}

impl OptedOut {
    /// Reads the registry and grows it over the indexed faces (see the module notes).
    pub(crate) fn load(store: &Store, face_space: &str, threshold: f32) -> Result<Self, SearchError> {
        let mut vectors = store.catalog.opt_out_faces()?;
        let mut tracks = HashSet::new();
        if vectors.is_empty() || store.index.is_empty(face_space) {
            return Ok(Self {
                vectors,
                tracks,
                threshold,
            });
        }
        let mut seen_vectors: HashSet<u64> = HashSet::new();
        let mut next = 0;
        while next < vectors.len() && seen_vectors.len() < MAX_GROWN {
            let hits = store.index.search(face_space, &vectors[next], NEIGHBOURS, None)?;
            next += 1;
            for hit in hits {
                if hit.score < threshold || !seen_vectors.insert(hit.id) {
                    continue;
                }
                let Some(track) = store.catalog.track_of_vector(hit.id)? else {
                    continue; // Removed since the index was searched.
                };
                if tracks.insert(track.id) {
                    vectors.extend(store.catalog.track_vectors(track.id, face_space)?);
                }
            }
        }
        Ok(Self {
            vectors,
            tracks,
            threshold,
        })
    }

    /// Whether `face` is, by the person route's threshold, an opted-out person.
    pub(crate) fn matches(&self, face: &[f32]) -> bool {
        is_opted_out(&self.vectors, face, self.threshold)
    }
}

/// Whether `face` is, by the person route's threshold, one of the opted-out faces. An opt-out
/// recorded with another face model (another dimension) cannot be compared, so it fails closed:
/// every face counts as opted out until the person's photo is submitted again.
pub(crate) fn is_opted_out(opted_out: &[Vec<f32>], face: &[f32], threshold: f32) -> bool {
    opted_out.iter().any(|o| {
        if o.len() != face.len() {
            tracing::warn!(
                "an opt-out was recorded with another face model ({}-d, faces are now {}-d): person search withholds every face until it is submitted again",
                o.len(),
                face.len()
            );
            return true;
        }
        cosine(o, face) >= threshold
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_at_the_person_threshold_only() {
        const T: f32 = 0.70;
        let opted = vec![vec![1.0, 0.0, 0.0]];
        assert!(is_opted_out(&opted, &[2.0, 0.0, 0.0], T));
        assert!(is_opted_out(&opted, &[1.0, 0.1, 0.0], T)); // cosine 0.995
        assert!(is_opted_out(&opted, &[1.0, 0.9, 0.0], T)); // cosine 0.743
        assert!(!is_opted_out(&opted, &[1.0, 1.1, 0.0], T)); // cosine 0.673
        assert!(is_opted_out(&opted, &[1.0, 0.0], T)); // another face model's opt-out: fails closed
        assert!(!is_opted_out(&[], &[1.0, 0.0, 0.0], T));
    }
}
