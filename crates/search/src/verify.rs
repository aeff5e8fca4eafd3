//! Geometric re-ranking of item hits: descriptors for recall, geometry for precision.
//!
//! Region vectors find candidates but cannot tell two cartons of one brand apart. For the best
//! [`VERIFY_TOP`] media, the query box's SIFT keypoints are matched against the keypoints that
//! ingest stored for the candidate's frame (its best moments, for a video) and an affine map is
//! fitted with RANSAC (glint-keypoints). Each agreeing match is evidence of the same object:
//! the score becomes `vector score + INLIER_WEIGHT * ln(1 + e)`, where `e` counts the agreeing
//! matches weighted by how central they are in the query box (the boxed object is in the
//! middle; a neighbour on the same shelf is at the edge), and the map carries the
//! query box onto the candidate, which refines the sighting's box. Scores above 1 therefore
//! mean "confirmed by geometry". The calibrated item threshold applies to this final score.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use glint_describe::local::{self, FrameFeatures};
use glint_keypoints::{matches, verify, LocalFeatures};
use glint_store::Store;

use crate::{MediaHit, SearchError};

/// Keypoints taken from the query box: more than ingest keeps per photo, since the query is
/// matched against every candidate and its keypoints are the ones that must find the object
/// (measured on the grocery set: 1000 instead of 500 adds about 0.05 to recall@1).
pub(crate) const QUERY_KEYPOINTS: usize = 1000;
/// Media re-ranked per query (the rest keep their vector order below them).
pub(crate) const VERIFY_TOP: usize = 20;
/// Weight of the log inlier count; chosen on the grocery *train* split (docs/benchmarks.md).
pub(crate) const INLIER_WEIGHT: f32 = 0.18;
/// Spread of the centre weighting of inliers, in half-box units (see [`centred`]).
const CENTRE_SIGMA: f32 = 1.0;
/// Moments of a video verified (its best-scoring sightings).
const MOMENTS_PER_VIDEO: usize = 2;
/// Lowe's ratio for descriptor matches.
pub(crate) const RATIO: f32 = 0.8;
/// RANSAC tolerance, as a share of the candidate's longer side.
pub(crate) const TOLERANCE: f32 = 0.027;
/// Media whose keypoints are kept in memory between queries.
const CACHE_MEDIA: usize = 512;

/// Local features of recently verified media, shared by all searches of one [`crate::Searcher`].
#[derive(Default)]
pub(crate) struct FeatureCache {
    media: Mutex<HashMap<String, Arc<Vec<FrameFeatures>>>>,
}

impl FeatureCache {
    pub(crate) fn get(&self, store: &Store, uid: &str) -> Result<Arc<Vec<FrameFeatures>>, SearchError> {
        let lock = |m: &Mutex<HashMap<String, Arc<Vec<FrameFeatures>>>>| {
            // A poisoned cache only holds decoded files: keep using it.
            m.lock().unwrap_or_else(|p| p.into_inner()).get(uid).cloned()
        };
        if let Some(hit) = lock(&self.media) {
            return Ok(hit);
        }
        let frames =
            Arc::new(local::load(&store.local_features_path(uid)).map_err(|e| SearchError::Internal(e.to_string()))?);
        let mut media = self.media.lock().unwrap_or_else(|p| p.into_inner());
        if media.len() >= CACHE_MEDIA {
            media.clear(); // Crude but bounded; refilling costs one small file read per media.
        }
        media.insert(uid.to_string(), frames.clone());
        Ok(frames)
    }
}

/// Re-ranks `hits` (best first) by geometric agreement with `query` (keypoints of the query box,
/// in box pixels, `query_size` = the box's width and height).
pub(crate) fn rerank(
    store: &Store,
    cache: &FeatureCache,
    query: &LocalFeatures,
    query_size: [f32; 2],
    hits: &mut [MediaHit],
) -> Result<(), SearchError> {
    if query.len() < 3 {
        return Ok(()); // A blank box: nothing to verify with.
    }
    let n = hits.len().min(VERIFY_TOP);
    // Candidates are independent: verify them on two threads (the machine's two cores).
    let verdicts: Vec<Result<Option<Verdict>, SearchError>> = std::thread::scope(|scope| {
        let odd = scope.spawn(|| {
            (1..n)
                .step_by(2)
                .map(|i| (i, check(store, cache, query, query_size, &hits[i])))
                .collect::<Vec<_>>()
        });
        let even: Vec<_> = (0..n)
            .step_by(2)
            .map(|i| (i, check(store, cache, query, query_size, &hits[i])))
            .collect();
        let odd = odd
            .join()
            .unwrap_or_else(|_| vec![(1, Err(SearchError::Internal("verification panicked".into())))]);
        let mut out: Vec<Result<Option<Verdict>, SearchError>> = (0..n).map(|_| Ok(None)).collect();
        for (i, v) in even.into_iter().chain(odd) {
            out[i] = v;
        }
        out
    });
    for (hit, verdict) in hits.iter_mut().zip(verdicts) {
        let Some(v) = verdict? else { continue };
        let bonus = INLIER_WEIGHT * (1.0 + v.evidence).ln();
        hit.score += bonus;
        let s = &mut hit.sightings[v.sighting];
        s.score += bonus;
        if v.rect[2] > 1.0 && v.rect[3] > 1.0 {
            s.bbox = v.rect;
        }
    }
    hits[..n].sort_by(|a, b| b.score.total_cmp(&a.score));
    Ok(())
}

/// The best geometric agreement found for one hit.
struct Verdict {
    /// Inliers, each weighted by how central it is in the query box.
    evidence: f32,
    /// Index of the verified sighting in the hit.
    sighting: usize,
    /// The query box carried onto that sighting's frame.
    rect: [f32; 4],
}

/// Verifies one hit at its best moments.
fn check(
    store: &Store,
    cache: &FeatureCache,
    query: &LocalFeatures,
    query_size: [f32; 2],
    hit: &MediaHit,
) -> Result<Option<Verdict>, SearchError> {
    let frames = cache.get(store, &hit.media_id)?;
    if frames.is_empty() {
        return Ok(None);
    }
    // The size came with the hit: no second catalog read per candidate.
    let (width, height) = hit.size;
    let tolerance = TOLERANCE * width.max(height) as f32;
    let mut order: Vec<usize> = (0..hit.sightings.len()).collect();
    order.sort_by(|&a, &b| hit.sightings[b].score.total_cmp(&hit.sightings[a].score));
    let mut best: Option<Verdict> = None;
    for &si in order.iter().take(MOMENTS_PER_VIDEO) {
        let t = hit.sightings[si].t;
        let Some(frame) = frames.iter().find(|f| same_moment(f.t, t)) else {
            continue;
        };
        let pairs = matches(query, &frame.features, RATIO);
        let Some(v) = verify(&query.points, &frame.features.points, &pairs, tolerance) else {
            continue;
        };
        let evidence = centred(&v.inlier_points, query_size);
        if best.as_ref().is_none_or(|b| evidence > b.evidence) {
            let rect = v.affine.map_rect([0.0, 0.0, query_size[0], query_size[1]]);
            best = Some(Verdict {
                evidence,
                sighting: si,
                rect: clamp(rect, width as f32, height as f32),
            });
        }
    }
    Ok(best)
}

/// Inliers weighted by a Gaussian of their distance from the box centre (in half-box units,
/// sigma [`CENTRE_SIGMA`]): the object a user boxes (or photographs) sits in the middle, while
/// neighbours on the same shelf, which geometry verifies just as well, sit at the edges.
fn centred(points: &[[f32; 2]], size: [f32; 2]) -> f32 {
    let (hw, hh) = ((size[0] / 2.0).max(1.0), (size[1] / 2.0).max(1.0));
    let k = 1.0 / (2.0 * CENTRE_SIGMA * CENTRE_SIGMA);
    points
        .iter()
        .map(|p| {
            let (dx, dy) = ((p[0] - hw) / hw, (p[1] - hh) / hh);
            (-(dx * dx + dy * dy) * k).exp()
        })
        .sum()
}

/// Whether two stored times are the same moment (photos have none).
pub(crate) fn same_moment(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => (a - b).abs() < 1e-3,
        _ => false,
    }
}

/// `rect` cut to a `w` x `h` frame.
pub(crate) fn clamp(rect: [f32; 4], w: f32, h: f32) -> [f32; 4] {
    let x0 = rect[0].clamp(0.0, w);
    let y0 = rect[1].clamp(0.0, h);
    let x1 = (rect[0] + rect[2]).clamp(0.0, w);
    let y1 = (rect[1] + rect[3]).clamp(0.0, h);
    [x0, y0, x1 - x0, y1 - y0]
}
