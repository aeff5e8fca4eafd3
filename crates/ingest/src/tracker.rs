//! Sightings, not frames: links what consecutive sampled frames of one shot show into tracks.
//!
//! A face in frame k+1 continues a face track of frame k when the boxes are near each other and
//! the identity vectors agree; an item window continues the track of the same window when its
//! appearance vector barely changed (a static shot keeps one track per window however long it
//! lasts). Tracks end at shot changes. Each track keeps its sightings (time + box) and one or a
//! few representative vectors, so storage grows with what is seen rather than with the frame rate.

use glint_catalog::{NewTrack, Sighting, TrackKind};
use glint_media::RgbImage;
use glint_types::{dot, l2_distance, l2_normalize, BBox};
use glint_vision::{FaceDistances, COCO_LABELS};

use crate::analyze::{thumbnail, Observations};

/// Cosine similarity above which an item window is considered unchanged.
const ITEM_LINK_SIMILARITY: f32 = 0.85;
/// A face track not seen for this long is closed (occlusion, a look away).
const MAX_FACE_GAP_S: f64 = 2.0;
/// An object track not seen for this long is closed (objects are detected on some sampled
/// frames only, so the gap spans a few of them).
const MAX_OBJECT_GAP_S: f64 = 2.5;
/// Cosine similarity above which an object of the same class where the last one was is the
/// same object (lower than a window's: the object's box and view change as it moves).
const OBJECT_LINK_SIMILARITY: f32 = 0.7;
/// Overlap with the track's last box an object needs to continue it.
const OBJECT_LINK_IOU: f32 = 0.3;

struct OpenTrack {
    kind: TrackKind,
    shot_idx: u32,
    /// Window index for items.
    region: usize,
    /// The COCO class of a detected object's track.
    object: Option<usize>,
    sightings: Vec<Sighting>,
    last_t: Option<f64>,
    last_embedding: Vec<f32>,
    best_quality: f32,
    best_embedding: Vec<f32>,
    /// Every face vector of the track (faces only), to pick a second view.
    views: Vec<Vec<f32>>,
    /// Running sum of unit vectors (items only), for the mean.
    sum: Vec<f32>,
    score: f32,
    thumb: RgbImage,
    /// The encoder's classes seen on the item (class, best probability over its sightings).
    classes: Vec<(usize, f32)>,
}

/// A finished track and a small picture of it (the best face, or the item's first sighting).
pub struct TrackOut {
    pub track: NewTrack,
    pub thumb: RgbImage,
    /// What the image encoder was sure the item shows: (class, best probability), best first.
    pub classes: Vec<(usize, f32)>,
}

/// `found` folded into `classes`, each class once at its best probability.
fn add_classes(classes: &mut Vec<(usize, f32)>, found: &[(usize, f32)]) {
    for &(class, p) in found {
        match classes.iter_mut().find(|(c, _)| *c == class) {
            Some(known) => known.1 = known.1.max(p),
            None => classes.push((class, p)),
        }
    }
}

/// Builds tracks from per-frame observations of one media.
pub struct Tracker {
    face_space: String,
    item_space: String,
    /// The face embedder's distances: linking neighbouring frames, keeping a second view, and
    /// merging tracks of one shot that never appear at the same time (a turned head, a missed
    /// detection).
    distances: FaceDistances,
    shot_idx: u32,
    open: Vec<OpenTrack>,
    /// Face tracks of the current shot that ended, held until the shot ends for merging.
    ended_faces: Vec<OpenTrack>,
    done: Vec<TrackOut>,
}

impl Tracker {
    pub fn new(face_space: &str, item_space: &str, distances: FaceDistances) -> Self {
        Self {
            face_space: face_space.to_string(),
            item_space: item_space.to_string(),
            distances,
            shot_idx: 0,
            open: Vec::new(),
            ended_faces: Vec::new(),
            done: Vec::new(),
        }
    }

    /// Starts shot `idx`: every open track ends.
    pub fn start_shot(&mut self, idx: u32) {
        self.end_shot();
        self.shot_idx = idx;
    }

    /// Ends every open track of the shot and merges its interrupted face tracks.
    fn end_shot(&mut self) {
        let open = std::mem::take(&mut self.open);
        open.into_iter().for_each(|t| self.close(t));
        // Agglomerative: repeatedly merge the closest pair of tracks that never co-occur.
        let mut merged = std::mem::take(&mut self.ended_faces);
        loop {
            let mut best: Option<(f32, usize, usize)> = None;
            for i in 0..merged.len() {
                for j in i + 1..merged.len() {
                    if shares_a_time(&merged[i], &merged[j]) {
                        continue;
                    }
                    let d = closest_views(&merged[i], &merged[j]);
                    if d < self.distances.merge && best.is_none_or(|(b, _, _)| d < b) {
                        best = Some((d, i, j));
                    }
                }
            }
            let Some((_, i, j)) = best else { break };
            let other = merged.swap_remove(j);
            absorb(&mut merged[i], other);
        }
        merged.into_iter().for_each(|t| self.finalize(t));
    }

    /// Adds one sampled frame's observations at time `t` (None for a still image). `frame` is the
    /// analysed image (`to_source` times smaller than the source): thumbnails are cut from it
    /// only when a track starts or finds a better view.
    pub fn push(&mut self, t: Option<f64>, obs: Observations, frame: &RgbImage, to_source: f32) {
        self.expire_unseen(t);
        self.push_faces(t, obs.faces, frame, to_source);
        self.push_items(t, obs.items, frame, to_source);
    }

    /// Ends every track and returns them all, in the order they started.
    pub fn finish(mut self) -> Vec<TrackOut> {
        self.end_shot();
        self.done
            .sort_by(|a, b| first_sighting(&a.track).total_cmp(&first_sighting(&b.track)));
        self.done
    }

    fn expire_unseen(&mut self, t: Option<f64>) {
        let Some(now) = t else { return };
        let gap = |tr: &OpenTrack| match (tr.kind, tr.object) {
            (TrackKind::Face, _) => Some(MAX_FACE_GAP_S),
            (TrackKind::Item, Some(_)) => Some(MAX_OBJECT_GAP_S),
            (TrackKind::Item, None) => None,
        };
        let (stale, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut self.open)
            .into_iter()
            .partition(|tr| gap(tr).is_some_and(|g| tr.last_t.is_some_and(|last| now - last > g)));
        self.open = keep;
        stale.into_iter().for_each(|t| self.close(t));
    }

    fn push_faces(
        &mut self,
        t: Option<f64>,
        faces: Vec<crate::analyze::FaceObservation>,
        frame: &RgbImage,
        to_source: f32,
    ) {
        // Candidate links, best first; each track and each face is used once.
        let mut pairs = Vec::new();
        for (fi, f) in faces.iter().enumerate() {
            for (ti, tr) in self.open.iter().enumerate() {
                if tr.kind != TrackKind::Face || tr.last_t == t {
                    continue;
                }
                let last = tr.sightings.last().map(|s| s.bbox).unwrap_or(f.bbox);
                if !near(&last, &f.bbox) {
                    continue;
                }
                let d = l2_distance(&tr.last_embedding, &f.embedding);
                if d < self.distances.link {
                    pairs.push((d, fi, ti));
                }
            }
        }
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut face_used = vec![false; faces.len()];
        let mut track_used = vec![false; self.open.len()];
        let mut links = Vec::new();
        for (_, fi, ti) in pairs {
            if !face_used[fi] && !track_used[ti] {
                face_used[fi] = true;
                track_used[ti] = true;
                links.push((fi, ti));
            }
        }
        let mut faces: Vec<Option<_>> = faces.into_iter().map(Some).collect();
        for (fi, ti) in links {
            let f = faces[fi].take().expect("each face is linked once");
            let tr = &mut self.open[ti];
            tr.sightings.push(Sighting { t, bbox: f.bbox });
            tr.last_t = t;
            tr.score = tr.score.max(f.score);
            if f.quality > tr.best_quality {
                tr.best_quality = f.quality;
                tr.best_embedding = f.embedding.clone();
                tr.thumb = thumbnail(frame, &f.bbox.expand(0.15), to_source);
            }
            tr.views.push(f.embedding.clone());
            tr.last_embedding = f.embedding;
        }
        for f in faces.into_iter().flatten() {
            self.open.push(OpenTrack {
                kind: TrackKind::Face,
                shot_idx: self.shot_idx,
                region: 0,
                object: None,
                sightings: vec![Sighting { t, bbox: f.bbox }],
                last_t: t,
                last_embedding: f.embedding.clone(),
                best_quality: f.quality,
                best_embedding: f.embedding.clone(),
                views: vec![f.embedding],
                sum: Vec::new(),
                score: f.score,
                thumb: thumbnail(frame, &f.bbox.expand(0.15), to_source),
                classes: Vec::new(),
            });
        }
    }

    fn push_items(
        &mut self,
        t: Option<f64>,
        items: Vec<crate::analyze::ItemObservation>,
        frame: &RgbImage,
        to_source: f32,
    ) {
        for item in items {
            // A window continues the track of its window; an object the track of its class
            // whose last box it overlaps.
            // An object track is continued once per frame (its last sighting is then at `t`);
            // of several where the object is, the most alike.
            let pos = self
                .open
                .iter()
                .enumerate()
                .filter(|(_, tr)| {
                    tr.kind == TrackKind::Item
                        && tr.object == item.object
                        && match item.object {
                            None => tr.region == item.region,
                            Some(_) => tr
                                .sightings
                                .last()
                                .is_some_and(|s| s.t != t && s.bbox.iou(&item.bbox) >= OBJECT_LINK_IOU),
                        }
                })
                .max_by(|a, b| {
                    dot(&a.1.last_embedding, &item.embedding).total_cmp(&dot(&b.1.last_embedding, &item.embedding))
                })
                .map(|(i, _)| i);
            let link = match item.object {
                None => ITEM_LINK_SIMILARITY,
                Some(_) => OBJECT_LINK_SIMILARITY,
            };
            if let Some(i) = pos {
                if dot(&self.open[i].last_embedding, &item.embedding) >= link {
                    let tr = &mut self.open[i];
                    tr.sightings.push(Sighting { t, bbox: item.bbox });
                    tr.last_t = t;
                    // An object track's score is the detector's best for it.
                    tr.score = tr.score.max(item.score);
                    tr.sum.iter_mut().zip(&item.embedding).for_each(|(s, v)| *s += v);
                    add_classes(&mut tr.classes, &item.classes);
                    tr.last_embedding = item.embedding;
                    continue;
                }
                // A changed window ends its track; another object where one was starts its own
                // beside it (the first may still be there, behind or beside).
                if item.object.is_none() {
                    let ended = self.open.swap_remove(i);
                    self.close(ended);
                }
            }
            self.open.push(OpenTrack {
                kind: TrackKind::Item,
                shot_idx: self.shot_idx,
                region: item.region,
                object: item.object,
                sightings: vec![Sighting { t, bbox: item.bbox }],
                last_t: t,
                sum: item.embedding.clone(),
                best_embedding: Vec::new(),
                views: Vec::new(),
                last_embedding: item.embedding,
                best_quality: 0.0,
                score: item.score,
                thumb: thumbnail(frame, &item.bbox, to_source),
                classes: item.classes,
            });
        }
    }

    /// A track stops growing: items are final, faces wait for the end of the shot.
    fn close(&mut self, tr: OpenTrack) {
        match tr.kind {
            TrackKind::Face => self.ended_faces.push(tr),
            TrackKind::Item => self.finalize(tr),
        }
    }

    fn finalize(&mut self, tr: OpenTrack) {
        let vectors = match tr.kind {
            TrackKind::Face => {
                // The track's template is the mean of its views (each at unit length), not its
                // sharpest view: over a few frames blinks, blur and compression average out (on
                // the hamilton clip the performer's two shots score 0.79 by template against 0.74
                // by best view pair, while other people stay at or under 0.53).
                let template = mean_view(&tr.views).unwrap_or_else(|| tr.best_embedding.clone());
                let mut v = vec![(self.face_space.clone(), template.clone())];
                let second = tr
                    .views
                    .iter()
                    .map(|e| (l2_distance(e, &template), e))
                    .max_by(|a, b| a.0.total_cmp(&b.0));
                if let Some((d, e)) = second {
                    if d > self.distances.second_view {
                        v.push((self.face_space.clone(), e.clone()));
                    }
                }
                v
            }
            TrackKind::Item => {
                let mut mean = tr.sum;
                l2_normalize(&mut mean);
                vec![(self.item_space.clone(), mean)]
            }
        };
        self.done.push(TrackOut {
            track: NewTrack {
                kind: tr.kind,
                shot_idx: tr.shot_idx,
                score: tr.score,
                label: tr.object.and_then(|c| COCO_LABELS.get(c)).map(|l| l.to_string()),
                sightings: tr.sightings,
                vectors,
            },
            thumb: tr.thumb,
            classes: {
                let mut classes = tr.classes;
                classes.sort_by(|a, b| b.1.total_cmp(&a.1));
                classes
            },
        });
    }
}

fn first_sighting(t: &NewTrack) -> f64 {
    t.sightings.first().and_then(|s| s.t).unwrap_or(0.0)
}

fn shares_a_time(a: &OpenTrack, b: &OpenTrack) -> bool {
    a.sightings.iter().any(|x| b.sightings.iter().any(|y| x.t == y.t))
}

/// Smallest distance between any view of `a` and any view of `b`.
/// The mean of `views` each scaled to unit length, at the views' mean length (so that distances
/// keep the embedder's scale); `None` for fewer than two views.
fn mean_view(views: &[Vec<f32>]) -> Option<Vec<f32>> {
    if views.len() < 2 {
        return None;
    }
    let mut sum = vec![0.0f32; views[0].len()];
    let mut length = 0.0f32;
    for view in views {
        let n = dot(view, view).sqrt();
        length += n;
        if n > 0.0 {
            sum.iter_mut().zip(view).for_each(|(s, x)| *s += x / n);
        }
    }
    l2_normalize(&mut sum);
    let scale = length / views.len() as f32;
    sum.iter_mut().for_each(|x| *x *= scale);
    Some(sum)
}

fn closest_views(a: &OpenTrack, b: &OpenTrack) -> f32 {
    a.views
        .iter()
        .flat_map(|x| b.views.iter().map(move |y| l2_distance(x, y)))
        .fold(f32::INFINITY, f32::min)
}

/// Moves `other`'s sightings and views into `into`, keeping the better best view.
fn absorb(into: &mut OpenTrack, other: OpenTrack) {
    into.sightings.extend(other.sightings);
    into.sightings
        .sort_by(|a, b| a.t.unwrap_or(0.0).total_cmp(&b.t.unwrap_or(0.0)));
    into.views.extend(other.views);
    into.score = into.score.max(other.score);
    if other.best_quality > into.best_quality {
        into.best_quality = other.best_quality;
        into.best_embedding = other.best_embedding;
        into.thumb = other.thumb;
    }
}

/// Whether a face box in the next sampled frame is plausibly the same face: overlapping, or
/// its centre within one face size of the previous centre.
fn near(a: &BBox, b: &BBox) -> bool {
    let (ca, cb) = (a.center(), b.center());
    a.iou(b) > 0.1 || ca.distance(cb) < a.w.max(a.h).max(b.w.max(b.h))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::{FaceObservation, ItemObservation};

    fn face(x: f32, emb: [f32; 2]) -> FaceObservation {
        FaceObservation {
            bbox: BBox::new(x, 10.0, 50.0, 50.0),
            score: 0.99,
            quality: 10.0,
            embedding: emb.to_vec(),
        }
    }

    fn item(region: usize, emb: [f32; 2]) -> ItemObservation {
        ItemObservation {
            region,
            bbox: BBox::new(0.0, 0.0, 10.0, 10.0),
            embedding: emb.to_vec(),
            object: None,
            score: 1.0,
            classes: Vec::new(),
        }
    }

    fn frame() -> RgbImage {
        RgbImage::new(400, 100)
    }

    /// dlib's distances, which the made-up vectors below are scaled for.
    const DLIB: FaceDistances = FaceDistances {
        link: 0.5,
        second_view: 0.3,
        merge: 0.5,
    };

    fn obs(faces: Vec<FaceObservation>, items: Vec<ItemObservation>) -> Observations {
        Observations { faces, items }
    }

    #[test]
    fn a_face_that_moves_a_little_stays_one_track_and_a_new_shot_splits_it() {
        let mut t = Tracker::new("f", "i", DLIB);
        t.push(Some(0.0), obs(vec![face(0.0, [1.0, 0.0])], vec![]), &frame(), 1.0);
        t.push(Some(0.5), obs(vec![face(10.0, [0.98, 0.05])], vec![]), &frame(), 1.0);
        t.push(
            Some(1.0),
            obs(vec![face(20.0, [0.97, 0.1]), face(300.0, [0.0, 1.0])], vec![]),
            &frame(),
            1.0,
        );
        t.start_shot(1);
        t.push(Some(1.5), obs(vec![face(20.0, [0.97, 0.1])], vec![]), &frame(), 1.0);
        let tracks: Vec<NewTrack> = t.finish().into_iter().map(|o| o.track).collect();
        let lens: Vec<usize> = tracks.iter().map(|t| t.sightings.len()).collect();
        assert_eq!(lens, vec![3, 1, 1]);
        assert_eq!(tracks[2].shot_idx, 1);
        assert!(tracks.iter().all(|t| t.vectors.len() == 1 && t.vectors[0].0 == "f"));
    }

    #[test]
    fn a_different_identity_in_the_same_place_starts_a_new_track() {
        let mut t = Tracker::new("f", "i", DLIB);
        t.push(Some(0.0), obs(vec![face(0.0, [1.0, 0.0])], vec![]), &frame(), 1.0);
        t.push(Some(0.5), obs(vec![face(0.0, [0.0, 1.0])], vec![]), &frame(), 1.0);
        assert_eq!(t.finish().len(), 2);
    }

    #[test]
    fn an_interrupted_face_is_merged_back_within_the_shot() {
        let mut t = Tracker::new("f", "i", DLIB);
        t.push(Some(0.0), obs(vec![face(0.0, [1.0, 0.0])], vec![]), &frame(), 1.0);
        // Another person at the same place: 0.89 from the first, neither linked nor merged.
        t.push(Some(0.5), obs(vec![face(0.0, [0.6, 0.8])], vec![]), &frame(), 1.0);
        // The first person back after a long miss: a new track, merged into the first at shot end.
        t.push(Some(4.0), obs(vec![face(0.0, [0.99, 0.05])], vec![]), &frame(), 1.0);
        let tracks: Vec<NewTrack> = t.finish().into_iter().map(|o| o.track).collect();
        let lens: Vec<usize> = tracks.iter().map(|t| t.sightings.len()).collect();
        assert_eq!(lens, vec![2, 1]);
    }

    #[test]
    fn a_face_gone_for_long_ends_its_track_but_the_shot_merges_it() {
        let mut t = Tracker::new("f", "i", DLIB);
        t.push(Some(0.0), obs(vec![face(0.0, [1.0, 0.0])], vec![]), &frame(), 1.0);
        t.push(Some(5.0), obs(vec![face(0.0, [1.0, 0.0])], vec![]), &frame(), 1.0);
        assert_eq!(t.finish().len(), 1);
        let mut t = Tracker::new("f", "i", DLIB);
        t.push(Some(0.0), obs(vec![face(0.0, [1.0, 0.0])], vec![]), &frame(), 1.0);
        t.start_shot(1);
        t.push(Some(5.0), obs(vec![face(0.0, [1.0, 0.0])], vec![]), &frame(), 1.0);
        assert_eq!(t.finish().len(), 2);
    }

    #[test]
    fn a_face_track_is_stored_as_the_mean_of_its_views() {
        assert_eq!(mean_view(&[vec![3.0, 4.0]]), None);
        // Directions average with equal weight whatever each view's length; the mean keeps
        // the views' mean length (2 here).
        let m = mean_view(&[vec![1.0, 0.0], vec![0.0, 3.0]]).unwrap();
        let r = std::f32::consts::SQRT_2;
        assert!((m[0] - r).abs() < 1e-5 && (m[1] - r).abs() < 1e-5, "{m:?}");
        let mut t = Tracker::new("f", "i", DLIB);
        for (k, v) in [[1.0, 0.0], [0.96, 0.28], [0.96, -0.28]].into_iter().enumerate() {
            t.push(Some(k as f64 * 0.5), obs(vec![face(0.0, v)], vec![]), &frame(), 1.0);
        }
        let tracks = t.finish();
        assert_eq!(tracks.len(), 1);
        let stored = &tracks[0].track.vectors[0].1;
        assert!(stored[1].abs() < 1e-5 && stored[0] > 0.9, "{stored:?}");
    }

    #[test]
    fn static_item_windows_keep_one_track_and_changes_split() {
        let mut t = Tracker::new("f", "i", DLIB);
        for k in 0..10 {
            t.push(
                Some(k as f64 * 0.5),
                obs(vec![], vec![item(0, [1.0, 0.0]), item(1, [0.0, 1.0])]),
                &frame(),
                1.0,
            );
        }
        t.push(
            Some(5.0),
            obs(vec![], vec![item(0, [0.0, 1.0]), item(1, [0.0, 1.0])]),
            &frame(),
            1.0,
        );
        let tracks: Vec<NewTrack> = t.finish().into_iter().map(|o| o.track).collect();
        let mut lens: Vec<usize> = tracks.iter().map(|t| t.sightings.len()).collect();
        lens.sort();
        assert_eq!(lens, vec![1, 10, 11]);
        assert!(tracks.iter().all(|t| t.vectors[0].0 == "i"));
    }

    fn object(class: usize, x: f32, emb: [f32; 2]) -> ItemObservation {
        ItemObservation {
            region: usize::MAX,
            bbox: BBox::new(x, 10.0, 40.0, 60.0),
            embedding: emb.to_vec(),
            object: Some(class),
            // The detector is surer of the object the further right it is (to tell max from last).
            score: 0.3 + (300.0 - x) / 1000.0,
            classes: Vec::new(),
        }
    }

    #[test]
    fn issue18_an_object_that_moves_a_little_is_one_track_beside_the_windows() {
        let mut t = Tracker::new("f", "i", DLIB);
        // A person (class 0) walking right, seen every other sampled frame, and a cup (41) that
        // stays; the whole-frame window all along.
        for k in 0..6 {
            let mut items = vec![item(0, [1.0, 0.0])];
            if k % 2 == 0 {
                items.push(object(0, 10.0 + 8.0 * k as f32, [0.0, 1.0]));
                items.push(object(41, 300.0, [0.6, 0.8]));
            }
            t.push(Some(k as f64 * 0.5), obs(vec![], items), &frame(), 1.0);
        }
        let tracks: Vec<NewTrack> = t.finish().into_iter().map(|o| o.track).collect();
        let mut lens: Vec<usize> = tracks.iter().map(|t| t.sightings.len()).collect();
        lens.sort();
        assert_eq!(lens, vec![3, 3, 6], "one person, one cup, one window");
        // Each track keeps the detector's best score of its object (the person was surest at
        // x = 10, first seen); the window's is 1.
        let mut scores: Vec<i32> = tracks.iter().map(|t| (t.score * 100.0).round() as i32).collect();
        scores.sort();
        assert_eq!(scores, vec![30, 59, 100], "{scores:?}");
    }

    #[test]
    fn issue18_objects_split_on_class_appearance_absence_and_crowding() {
        let mut t = Tracker::new("f", "i", DLIB);
        t.push(Some(0.0), obs(vec![], vec![object(0, 10.0, [0.0, 1.0])]), &frame(), 1.0);
        // Another class in the same place, and a different-looking person there: new tracks.
        t.push(
            Some(0.5),
            obs(vec![], vec![object(56, 10.0, [0.0, 1.0])]),
            &frame(),
            1.0,
        );
        t.push(Some(1.0), obs(vec![], vec![object(0, 10.0, [1.0, 0.0])]), &frame(), 1.0);
        // Two people overlapping in one frame: the first continues the 1.0 s track, the
        // second starts its own instead of ending the first.
        t.push(
            Some(1.5),
            obs(vec![], vec![object(0, 12.0, [1.0, 0.0]), object(0, 20.0, [1.0, 0.0])]),
            &frame(),
            1.0,
        );
        // Gone for 3 s: the person who comes back is a new track.
        t.push(Some(4.6), obs(vec![], vec![object(0, 20.0, [1.0, 0.0])]), &frame(), 1.0);
        let tracks: Vec<NewTrack> = t.finish().into_iter().map(|o| o.track).collect();
        let lens: Vec<usize> = tracks.iter().map(|t| t.sightings.len()).collect();
        assert_eq!(lens, vec![1, 1, 2, 1, 1], "{lens:?}");
        // Each object track names its class; the catalog stores it for results to show.
        let labels: Vec<Option<&str>> = tracks.iter().map(|t| t.label.as_deref()).collect();
        assert_eq!(
            labels,
            vec![
                Some("person"),
                Some("chair"),
                Some("person"),
                Some("person"),
                Some("person")
            ]
        );
    }
}
