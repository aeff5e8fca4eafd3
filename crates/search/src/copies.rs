//! Copies: other indexed videos that show the same footage as the queried moment (a re-encode,
//! a resized or heavily compressed copy, a repost), with the query box carried onto them.
//!
//! Neither vector finds these reliably: the identity vectors of small, blurred video faces do
//! not tell people apart, and a re-encode moves a frame's appearance vector as far as another
//! clip's. What a copy keeps is the frame itself. Ingest stored keypoints for every sampled
//! frame, so:
//! 1. the whole-frame vector that ingest stored for the query moment proposes candidate videos
//!    and moments ([`CANDIDATE_MEDIA`] videos, [`FRAMES_PER_CANDIDATE`] moments each, nearest
//!    in time first);
//! 2. the query moment's keypoints must agree with one candidate frame under one affine map, to
//!    within [`TOLERANCE`] of the frame's size, with at least [`MIN_INLIERS`] inliers; and the
//!    next sampled frame (the previous one at the candidate's end) must agree in the same way
//!    with the candidate frame one time step away (a copy repeats the footage in order);
//! 3. the first map carries the query box onto the copy.
//!
//! The numbers come from `glint eval video` over every clip of ../shared/eval (docs/benchmarks.md).
//! Known limits: a copy cut so that the queried footage sits more than ~6 s (12 samples) from
//! the query's time inside one long shot can be missed; mirrored copies are not found (the
//! affine fit rejects mirrored maps); footage of one fixed camera at another time would pass.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use glint_catalog::{TrackKind, TrackRecord};
use glint_describe::local::FrameFeatures;
use glint_index::Filter;
use glint_keypoints::{matches, verify, Affine, Verified};
use glint_store::Store;
use glint_types::BBox;

use crate::verify::{same_moment, FeatureCache};
use crate::SearchError;

/// Inliers each of the two frame pairs needs. Measured by `glint eval video` over the 15 clips
/// of ../shared/eval: copies 13–147, other clips at most 7 (the weaker pair at most 4).
pub const MIN_INLIERS: usize = 10;

/// Whether a candidate whose two frame pairs agree with `first` and `second` inliers is a copy:
/// both pairs must reach [`MIN_INLIERS`].
pub fn confirmed(first: usize, second: usize) -> bool {
    first.min(second) >= MIN_INLIERS
}
/// RANSAC tolerance, as a share of the copy's longer side: the one geometric verification of
/// items uses (a heavily compressed copy moves keypoints by a few pixels; tighter tolerances
/// lost true copies and gained nothing against other clips).
const TOLERANCE: f32 = crate::verify::TOLERANCE;
/// Lowe's ratio for descriptor matches, as for items.
const RATIO: f32 = crate::verify::RATIO;
/// Nearest whole-frame vectors asked of the index.
const NEIGHBOURS: usize = 64;
/// Videos checked, best vector first.
const CANDIDATE_MEDIA: usize = 4;
/// Frames of one candidate checked against the query moment.
const FRAMES_PER_CANDIDATE: usize = 12;
/// How far (seconds) the second frame of a copy may stray from where the first one puts it.
const STEP_SLACK: f64 = 0.6;

/// Another video showing the queried moment's footage.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CopyHit {
    pub media_id: String,
    /// The file's name, for people.
    pub name: String,
    /// Where the file lies on this machine (the CLI prints it; the HTTP API leaves it out).
    #[serde(skip_serializing_if = "String::is_empty")]
    #[schema(ignore)]
    pub path: String,
    /// The moment of the copy that shows the queried moment.
    pub t: f64,
    /// The query box carried onto the copy, `[x, y, w, h]` in its source pixels.
    #[serde(rename = "box")]
    #[schema(schema_with = glint_types::xywh_schema)]
    pub bbox: [f32; 4],
    /// Inliers of the first frame pair: how firmly the footage matched (keypoints of the
    /// queried frame that agree with the copy's frame under one affine map).
    pub inliers: usize,
}

/// The queried moment of a video.
pub struct Moment<'a> {
    pub media_id: &'a str,
    pub t: f64,
    pub bbox: BBox,
    /// See [`whole_frame_track`].
    pub whole_frame_track: Option<u64>,
}

/// The item track of the whole frame (ingest describes every sampled frame whole) nearest `t`
/// among `tracks` of a `size` video: its vector stands for the queried moment's footage.
pub fn whole_frame_track(tracks: &[TrackRecord], t: f64, size: (u32, u32)) -> Option<u64> {
    let (w, h) = (size.0 as f32, size.1 as f32);
    tracks
        .iter()
        .filter(|tr| tr.kind == TrackKind::Item)
        .flat_map(|tr| {
            tr.sightings
                .iter()
                .filter(|s| s.bbox.w >= 0.99 * w && s.bbox.h >= 0.99 * h)
                .filter_map(move |s| Some(((s.t? - t).abs(), tr.id)))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, id)| id)
}

/// Which media may be returned.
pub(crate) struct Scope<'a> {
    pub allowed: Option<&'a HashSet<u64>>,
    pub exclude_media: &'a [String],
}

/// Copies of `moment`'s footage among the other indexed videos, firmest first.
pub(crate) fn find(
    store: &Store,
    cache: &FeatureCache,
    item_space: &str,
    moment: &Moment<'_>,
    scope: &Scope<'_>,
) -> Result<Vec<CopyHit>, SearchError> {
    let mut copies: Vec<CopyHit> = probe(store, cache, item_space, moment, scope)?
        .into_iter()
        .filter(|c| confirmed(c.first, c.second))
        .map(|c| c.hit)
        .collect();
    copies.sort_by_key(|c| std::cmp::Reverse(c.inliers));
    Ok(copies)
}

/// What the check of one candidate video found, copy or not (for calibration).
#[derive(Debug, Clone, Serialize)]
pub struct Probe {
    pub hit: CopyHit,
    /// Inliers of the query moment's frame with the candidate's best frame, and of the next
    /// sampled frame with the candidate frame one step later.
    pub first: usize,
    pub second: usize,
}

/// Every candidate video checked for `moment`, with its evidence.
pub(crate) fn probe(
    store: &Store,
    cache: &FeatureCache,
    item_space: &str,
    moment: &Moment<'_>,
    scope: &Scope<'_>,
) -> Result<Vec<Probe>, SearchError> {
    let frames = cache.get(store, moment.media_id)?;
    let Some(ours) = query_frames(&frames, moment.t) else {
        return Ok(Vec::new());
    };
    let first_t = ours.nearest.t.unwrap_or(moment.t);
    let mut probes = Vec::new();
    for (media_id, times) in candidates(store, item_space, moment, first_t, scope)? {
        let Some(media) = store.catalog.media(&media_id)? else {
            continue; // Removed meanwhile.
        };
        let tolerance = TOLERANCE * media.width.max(media.height) as f32;
        let theirs = cache.get(store, &media_id)?;
        let Some(found) = compare(&ours, &theirs, &times, tolerance) else {
            continue;
        };
        let rect = [moment.bbox.x, moment.bbox.y, moment.bbox.w, moment.bbox.h];
        probes.push(Probe {
            hit: CopyHit {
                media_id: media.id,
                name: crate::file_name(&media.path),
                path: media.path,
                t: (found.t + (moment.t - first_t)).max(0.0),
                bbox: crate::verify::clamp(found.affine.map_rect(rect), media.width as f32, media.height as f32),
                inliers: found.first,
            },
            first: found.first,
            second: found.second,
        });
    }
    Ok(probes)
}

/// The stored frame nearest `t`, with the frames sampled just before and after it.
struct QueryFrames<'a> {
    nearest: &'a FrameFeatures,
    before: Option<&'a FrameFeatures>,
    after: Option<&'a FrameFeatures>,
}

fn query_frames(frames: &[FrameFeatures], t: f64) -> Option<QueryFrames<'_>> {
    let mut timed: Vec<&FrameFeatures> = frames.iter().filter(|f| f.t.is_some()).collect();
    timed.sort_by(|a, b| a.t.unwrap_or(0.0).total_cmp(&b.t.unwrap_or(0.0)));
    let nearest = (0..timed.len()).min_by(|&a, &b| {
        let d = |i: usize| (timed[i].t.unwrap_or(0.0) - t).abs();
        d(a).total_cmp(&d(b))
    })?;
    Some(QueryFrames {
        nearest: timed[nearest],
        before: nearest.checked_sub(1).map(|i| timed[i]),
        after: timed.get(nearest + 1).copied(),
    })
}

/// Candidate videos (best first) with the moments their matching whole-frame tracks cover.
fn candidates(
    store: &Store,
    item_space: &str,
    moment: &Moment<'_>,
    frame_t: f64,
    scope: &Scope<'_>,
) -> Result<Vec<(String, Vec<f64>)>, SearchError> {
    let Some(whole) = moment.whole_frame_track else {
        return Ok(Vec::new());
    };
    let filter = scope.allowed.map(Filter::Only);
    let mut hits = Vec::new();
    for vector in store.catalog.track_vectors(whole, item_space)? {
        hits.extend(store.index.search(item_space, &vector, NEIGHBOURS, filter)?);
    }
    hits.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut order: Vec<String> = Vec::new();
    let mut times: HashMap<String, Vec<f64>> = HashMap::new();
    let ids: Vec<u64> = hits.iter().map(|h| h.id).collect();
    for track in store.catalog.tracks_of_vectors(&ids)? {
        let Some(track) = track else {
            continue;
        };
        if track.media_id == moment.media_id || scope.exclude_media.contains(&track.media_id) {
            continue;
        }
        let moments: Vec<f64> = track.sightings.iter().filter_map(|s| s.t).collect();
        if moments.is_empty() {
            continue; // A photo: not footage.
        }
        if !times.contains_key(&track.media_id) {
            if order.len() >= CANDIDATE_MEDIA {
                continue;
            }
            order.push(track.media_id.clone());
        }
        times.entry(track.media_id).or_default().extend(moments);
    }
    Ok(order
        .into_iter()
        .map(|id| {
            let mut ts = times.remove(&id).unwrap_or_default();
            ts.sort_by(f64::total_cmp);
            ts.dedup_by(|a, b| same_moment(Some(*a), Some(*b)));
            ts.sort_by(|a, b| (a - frame_t).abs().total_cmp(&(b - frame_t).abs()));
            ts.truncate(FRAMES_PER_CANDIDATE);
            (id, ts)
        })
        .collect())
}

/// How a candidate video's frames agree with the query's two frames.
struct Agreement {
    /// The candidate frame that best matches the query moment.
    t: f64,
    first: usize,
    /// The best match of the query's next frame among the candidate's frames one step later.
    second: usize,
    affine: Affine,
}

/// The candidate frame (among those at `times`) that best matches the query's nearest frame
/// and whose step agrees too: the query's next frame with the candidate's frames one sampling
/// step later (or, at the candidate's end, its previous frame one step earlier). In a still shot
/// (a slideshow, a product held up to the camera) every moment matches about equally well, and
/// the single best frame may be the shot's last one, whose step lands in the next shot: then a
/// frame a little less alike but inside the shot is the copy's moment. Without any agreeing
/// step, the best single frame is returned with its (failed) step, for calibration.
fn compare(ours: &QueryFrames<'_>, theirs: &[FrameFeatures], times: &[f64], tolerance: f32) -> Option<Agreement> {
    let agree = |ours: &FrameFeatures, frame: &FrameFeatures| {
        let pairs = matches(&ours.features, &frame.features, RATIO);
        verify(&ours.features.points, &frame.features.points, &pairs, tolerance)
    };
    let mut firsts: Vec<(f64, Verified)> = theirs
        .iter()
        .filter(|f| f.t.is_some() && times.iter().any(|&m| same_moment(f.t, Some(m))))
        .filter_map(|f| Some((f.t?, agree(ours.nearest, f)?)))
        .collect();
    firsts.sort_by_key(|f| std::cmp::Reverse(f.1.inliers));
    // Candidate frames one step from `t` in the direction of the query's `neighbour`.
    let near = |t: f64, neighbour: &FrameFeatures| -> Vec<&FrameFeatures> {
        let (Some(nt), Some(qt)) = (neighbour.t, ours.nearest.t) else {
            return Vec::new();
        };
        let expected = t + (nt - qt);
        theirs
            .iter()
            .filter(|f| f.t.is_some_and(|ft| (ft - expected).abs() <= STEP_SLACK) && !same_moment(f.t, Some(t)))
            .collect()
    };
    // The query's step (the frame after it, or before it at the candidate's end) as matched
    // against the candidate frames one step from `t`.
    let second = |t: f64| -> usize {
        let step = [ours.after, ours.before]
            .into_iter()
            .flatten()
            .map(|q| (q, near(t, q)))
            .find(|(_, frames)| !frames.is_empty());
        step.map_or(0, |(q, frames)| {
            frames
                .iter()
                .filter_map(|f| agree(q, f))
                .map(|v| v.inliers)
                .max()
                .unwrap_or(0)
        })
    };
    // The best single frame answers unless its step disagrees; then the next best frames that
    // could still make a copy are tried, the first one confirmed by its step winning.
    let mut best: Option<Agreement> = None;
    for (t, first) in firsts {
        if best.is_some() && first.inliers < MIN_INLIERS {
            break;
        }
        let found = Agreement {
            t,
            first: first.inliers,
            second: second(t),
            affine: first.affine,
        };
        if confirmed(found.first, found.second) {
            return Some(found);
        }
        best.get_or_insert(found);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use glint_catalog::Sighting;
    use glint_keypoints::LocalFeatures;

    fn track(id: u64, kind: TrackKind, sightings: &[(f64, BBox)]) -> TrackRecord {
        TrackRecord {
            id,
            media_id: "m".into(),
            ordinal: id as u32,
            kind,
            shot_idx: 0,
            score: 1.0,
            label: None,
            sightings: sightings
                .iter()
                .map(|&(t, bbox)| Sighting { t: Some(t), bbox })
                .collect(),
        }
    }

    #[test]
    fn the_whole_frame_track_nearest_the_moment_stands_for_it() {
        let whole = BBox::new(0.0, 0.0, 640.0, 360.0);
        let window = BBox::new(0.0, 0.0, 320.0, 180.0);
        let tracks = [
            track(1, TrackKind::Item, &[(0.0, whole), (0.5, whole)]),
            track(2, TrackKind::Item, &[(1.0, whole), (1.5, whole)]),
            track(3, TrackKind::Item, &[(1.0, window)]),
            track(4, TrackKind::Face, &[(1.0, whole)]),
        ];
        assert_eq!(whole_frame_track(&tracks, 0.6, (640, 360)), Some(1));
        assert_eq!(whole_frame_track(&tracks, 1.2, (640, 360)), Some(2));
        assert_eq!(whole_frame_track(&tracks[2..], 1.0, (640, 360)), None);
    }

    #[test]
    fn the_query_frames_are_the_nearest_and_its_neighbours() {
        let frame = |t: f64| FrameFeatures {
            t: Some(t),
            features: LocalFeatures::default(),
        };
        let frames = [frame(1.0), frame(0.0), frame(0.5)];
        let q = query_frames(&frames, 0.6).unwrap();
        assert_eq!(q.nearest.t, Some(0.5));
        assert_eq!(q.before.and_then(|f| f.t), Some(0.0));
        assert_eq!(q.after.and_then(|f| f.t), Some(1.0));
        let last = query_frames(&frames, 9.0).unwrap();
        assert_eq!(last.nearest.t, Some(1.0));
        assert!(last.after.is_none());
        assert!(query_frames(&[], 1.0).is_none());
    }

    /// `n` keypoints of one scene (seed `scene`), each with its own descriptor, in frame pixels.
    fn scene(scene: u64, n: usize) -> LocalFeatures {
        let mut state = scene.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let points = (0..n).map(|_| [(next() % 640) as f32, (next() % 360) as f32]).collect();
        let descriptors = (0..n * glint_keypoints::DESCRIPTOR_LEN)
            .map(|_| (next() % 256) as u8)
            .collect();
        LocalFeatures { points, descriptors }
    }

    /// The first `k` keypoints of `f` (the same scene, less of it visible).
    fn part(f: &LocalFeatures, k: usize) -> LocalFeatures {
        LocalFeatures {
            points: f.points[..k].to_vec(),
            descriptors: f.descriptors[..k * glint_keypoints::DESCRIPTOR_LEN].to_vec(),
        }
    }

    /// Issue 7 (privacy tests over copies): in a still shot every moment matches about equally,
    /// and the copy's best single frame was the shot's last, whose next step lies in another shot;
    /// the copy was then missed. A frame whose step agrees now wins over it.
    #[test]
    fn issue7_a_still_shot_is_found_as_a_copy_even_when_its_last_frame_matches_best() {
        let still = scene(1, 60);
        let frame = |t: f64, features: LocalFeatures| FrameFeatures { t: Some(t), features };
        let ours = [frame(0.5, still.clone()), frame(1.0, still.clone())];
        let theirs = [
            frame(0.0, part(&still, 45)),
            frame(0.5, part(&still, 45)),
            frame(1.0, still.clone()), // the shot's last frame, the best single match
            frame(1.5, scene(2, 60)),  // the next shot
        ];
        let q = query_frames(&ours, 0.5).unwrap();
        let found = compare(&q, &theirs, &[0.0, 0.5, 1.0, 1.5], 5.0).unwrap();
        assert!(
            found.first.min(found.second) >= 45,
            "t {} first {} second {}",
            found.t,
            found.first,
            found.second
        );
        assert!(found.t < 1.0);
        // Footage that goes on in the candidate as in the query is still taken at its best frame.
        let moving = [
            frame(0.0, scene(3, 60)),
            frame(0.5, still.clone()),
            frame(1.0, still.clone()),
            frame(1.5, scene(2, 60)),
        ];
        let found = compare(&q, &moving, &[0.0, 0.5, 1.0, 1.5], 5.0).unwrap();
        assert_eq!((found.t, found.first, found.second), (0.5, 60, 60));
    }
}
