//! Query expansion for a face (or a detected object, `crate::objects`) boxed in an indexed
//! video: the boxed face is one view of a track that ingest followed over the neighbouring
//! sampled frames of its shot; searching with the mean of the query's vector and that track's
//! stored views is steadier than one frame's view (a blink, motion blur, a half-turned head).
//!
//! Measured with `glint eval video` and `glint eval retrieval --route face` (docs/benchmarks.md):
//! kept because it measures better with FaceRes (hamilton_face 0.699 → 0.717 while tracks still
//! stored their sharpest view; 0.795 now, with track templates); the same idea was dropped with
//! dlib, whose vectors of other people rose with it.

use std::collections::HashSet;

use glint_store::Store;
use glint_types::{dot, l2_normalize};

use crate::SearchError;

/// `query` averaged with the stored views of the query's own face tracks that show the same
/// person (by the person route's threshold); `query` itself when there are none.
pub(crate) fn expand_face(
    store: &Store,
    space: &str,
    own_tracks: &HashSet<u64>,
    query: &[f32],
    threshold: f32,
) -> Result<Vec<f32>, SearchError> {
    let mut tracks: Vec<u64> = own_tracks.iter().copied().collect();
    tracks.sort_unstable(); // the same sum whatever the set's order
    expand(store, space, &tracks, query, threshold)
}

/// `query` averaged (at unit length) with the stored views in `space` of `tracks` whose cosine
/// with it reaches `min_similarity`; `query` at unit length when there are none.
pub(crate) fn expand(
    store: &Store,
    space: &str,
    tracks: &[u64],
    query: &[f32],
    min_similarity: f32,
) -> Result<Vec<f32>, SearchError> {
    let mut unit = query.to_vec();
    l2_normalize(&mut unit);
    let mut sum = unit.clone();
    for &track in tracks {
        for mut view in store.catalog.track_vectors(track, space)? {
            if view.len() != unit.len() {
                continue;
            }
            l2_normalize(&mut view);
            if dot(&view, &unit) >= min_similarity {
                sum.iter_mut().zip(&view).for_each(|(s, v)| *s += v);
            }
        }
    }
    l2_normalize(&mut sum);
    Ok(sum)
}
