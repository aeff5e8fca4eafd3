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
/// Longer side (pixels) at most that a query region's keypoints are detected at. Stored
/// keypoints come from 300–640 px (shop images, photos) and 320-px copies of video frames;
/// detecting a large photo's query at 480 instead of 640 px costs SIFT half the pixels (a
/// whole-photo query's longest part: 40 → 25 ms) and moved no dev-set figure beyond one query
/// (docs/benchmarks.md, "A library of 1M regions", eleventh pass). Video boxes are detected at
/// ≤ 320 px anyway.
pub(crate) const QUERY_KEYPOINT_SIDE: f32 = 480.0;
/// Media re-ranked per query (the rest keep their vector order below them).
pub(crate) const VERIFY_TOP: usize = 20;
/// Weight of the log inlier count; chosen on the grocery *train* split (docs/benchmarks.md).
pub(crate) const INLIER_WEIGHT: f32 = 0.18;
/// Spread of the centre weighting of inliers, in half-box units (see [`centred`]).
const CENTRE_SIGMA: f32 = 1.0;
/// Shots of a video verified, each at its best-scoring moment. All sightings of one track share
/// its score, so the best moments overall lie in one shot; a product shown in another shot with
/// a weaker window score was never looked at (composited products: the right scene won for
/// 0.58 of queries with the two best moments, see docs/benchmarks.md).
const SHOTS_PER_VIDEO: usize = 4;
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
        let s = &mut hit.sightings[v.sighting];
        s.score = v.score;
        if v.rect[2] > 1.0 && v.rect[3] > 1.0 {
            s.bbox = v.rect;
        }
        hit.score = hit.score.max(s.score);
    }
    hits[..n].sort_by(|a, b| b.score.total_cmp(&a.score));
    Ok(())
}

/// The best geometric agreement found for one hit.
struct Verdict {
    /// The verified sighting's score: its vector score plus the bonus of its inliers, each
    /// weighted by how central it is in the query box.
    score: f32,
    /// Index of the verified sighting in the hit.
    sighting: usize,
    /// The query box carried onto that sighting's frame.
    rect: [f32; 4],
}

/// The best-scoring moment of each of the hit's best [`SHOTS_PER_VIDEO`] shots, best first.
fn moments(hit: &MediaHit) -> Vec<usize> {
    let mut order: Vec<usize> = (0..hit.sightings.len()).collect();
    order.sort_by(|&a, &b| hit.sightings[b].score.total_cmp(&hit.sightings[a].score));
    let mut shots: Vec<u32> = Vec::new();
    order.retain(|&i| {
        let shot = hit.sightings[i].shot;
        let fresh = !shots.contains(&shot);
        if fresh {
            shots.push(shot);
        }
        fresh
    });
    order.truncate(SHOTS_PER_VIDEO);
    order
}

/// Verifies one hit at the best moment of each of its best shots; the verdict is the moment
/// whose vector score plus geometric bonus is highest.
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
    let (width, height) = (hit.width, hit.height);
    let tolerance = TOLERANCE * width.max(height) as f32;
    let mut best: Option<Verdict> = None;
    for si in moments(hit) {
        let t = hit.sightings[si].t;
        let Some(frame) = frames.iter().find(|f| same_moment(f.t, t)) else {
            continue;
        };
        let pairs = matches(query, &frame.features, RATIO);
        let Some(v) = verify(&query.points, &frame.features.points, &pairs, tolerance) else {
            continue;
        };
        let evidence = centred(&v.inlier_points, query_size);
        // Per-moment evidence, for diagnosing rankings (`GLINT_LOG=glint_search::verify=trace`).
        tracing::trace!(
            media = %hit.media_id,
            t = ?t,
            vector = hit.sightings[si].score,
            pairs = pairs.len(),
            inliers = v.inliers,
            evidence,
            "moment verified"
        );
        let score = hit.sightings[si].score + INLIER_WEIGHT * (1.0 + evidence).ln();
        if best.as_ref().is_none_or(|b| score > b.score) {
            let rect = v.affine.map_rect([0.0, 0.0, query_size[0], query_size[1]]);
            best = Some(Verdict {
                score,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HitSighting;
    use glint_catalog::MediaKind;

    fn hit(sightings: &[(f64, f32, u32)]) -> MediaHit {
        MediaHit {
            media_id: "m".into(),
            name: "m.mp4".into(),
            path: "m.mp4".into(),
            kind: MediaKind::Video,
            score: 0.0,
            sightings: sightings
                .iter()
                .map(|&(t, score, shot)| HitSighting {
                    t: Some(t),
                    bbox: [0.0; 4],
                    score,
                    label: None,
                    shot,
                    text: None,
                })
                .collect(),
            width: 1280,
            height: 720,
        }
    }

    /// Issue 13: a product shown in a second shot was never verified, because every moment of
    /// the best track (one shot) outscored it.
    #[test]
    fn issue13_verification_looks_at_the_best_moment_of_each_shot() {
        let h = hit(&[
            (0.0, 0.6, 0),
            (0.5, 0.6, 0),
            (1.0, 0.6, 0),
            (2.5, 0.52, 1),
            (3.0, 0.55, 1),
            (5.0, 0.4, 2),
            (7.5, 0.3, 3),
            (10.0, 0.2, 4),
        ]);
        let picked: Vec<f64> = moments(&h).iter().map(|&i| h.sightings[i].t.unwrap()).collect();
        assert_eq!(picked.len(), SHOTS_PER_VIDEO);
        assert_eq!(picked[0], 0.0);
        assert_eq!(picked[1], 3.0, "shot 1 at its best moment");
        assert_eq!(&picked[2..], &[5.0, 7.5]);
    }

    #[test]
    fn a_photo_is_verified_once() {
        let mut h = hit(&[(0.0, 0.7, 0), (0.0, 0.6, 0)]);
        h.sightings.iter_mut().for_each(|s| s.t = None);
        assert_eq!(moments(&h), vec![0]);
    }
}
