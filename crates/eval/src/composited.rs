//! `glint eval composited`: the composited-video protocol of ../shared/eval/README.md.
//!
//! A set (videos_composited_faces, videos_composited_products) is a folder with `videos/*.mp4`
//! and `scenes.csv` (`video,scene,t_start,t_end,group_id,photo,box_x,box_y,box_w,box_h`). Each
//! video is a sequence of scenes; a scene shows one photo of a group (a person, a product) at
//! the box given, in video pixels; each group appears in 2-3 videos through a different photo
//! each time. So the right answer to a box on a scene is "the same group, in another video".
//!
//! - Recall pass: every video is indexed. For every scene the query is the scene's box on its
//!   video at the scene's middle time, searched through the same [`Searcher`] as
//!   `glint search --video ID --at T --box B`, with only the route under test (`Person` for
//!   faces, `Item` for products).
//! - Each hit of the route is ranked by its best sighting *outside the query's own scene*: the
//!   own video is not excluded (its other scenes show other groups, so a hit there is a wrong
//!   answer the user would see), but a sighting of the own video inside `[t_start, t_end]` of
//!   the query scene (or past the end of a last scene: see [`scene_at`]) is the query itself
//!   (the boxed photo seen a moment earlier or later, often in a track of its own) and says
//!   nothing. A hit with no other sighting is dropped.
//! - A hit is right when that best sighting lies, by time, in a scene of the same `group_id` in
//!   *another* video (another photo of the group: a second scene of the group in the same video
//!   could be the very same photo, and is not counted).
//! - recall@1 / recall@5 with thresholds off (the whole ranking, as in `retrieval`); TPIR with
//!   the shipped options (thresholds on): the top hit, ranked the same way, is right and its
//!   best sighting outside the own scene clears the route's threshold.
//! - FPIR: a second index holds only the even-numbered videos (v000, v002, ...). The queries are
//!   the scenes of those videos whose group has no scene in another indexed video, so nothing
//!   right is there to find; FPIR is the share of them that still get a hit of the route with
//!   thresholds on (after the own-scene rule, at or above the threshold), i.e. that are not
//!   told "nothing comparable".
//!
//! Why the threshold is held to that sighting too: the item route keeps or drops a whole media
//! by its best score, so the query's own video is shown (at 1.4-1.6, geometry-verified) because
//! of the query scene itself, with its other moments listed at their own, far lower, scores
//! (0.5-0.6 on the products set). Counting it as "a hit" would call the query a false match of
//! itself. For faces it changes nothing: the person route drops every sighting under the
//! threshold.
//!
//! Latency percentiles are those of the shipped (thresholds-on) searches of the recall pass.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use glint_ingest::{Ingestor, Store};

use crate::file_name;
use glint_types::BBox;
use glint_vision::Models;

use glint_search::calibration::route_threshold;
use glint_search::{HitSighting, MediaHit, Query, Route, SearchError, SearchOptions, SearchResponse, Searcher};

use crate::retrieval::percentile;

/// One row of scenes.csv.
#[derive(Debug, Clone, PartialEq)]
pub struct Scene {
    /// The video's file name under `videos/` (e.g. `v000.mp4`).
    pub video: String,
    pub scene: u32,
    pub t_start: f64,
    pub t_end: f64,
    pub group: String,
    /// Where the photo sits on the frame, in video pixels.
    pub bbox: BBox,
}

impl Scene {
    /// The query moment: away from both cuts, where the photo is steady on screen.
    pub fn middle(&self) -> f64 {
        (self.t_start + self.t_end) / 2.0
    }

    /// Whether a sighting at `t` of `video` is the query itself: the query's video inside the
    /// closed range of its scene (a sample taken exactly at the cut is as likely the query's
    /// last frame as the next scene's first), or anywhere [`scene_at`] places in that scene (the
    /// tail of a last scene).
    fn is_own(&self, scenes: &[Scene], video: &str, t: Option<f64>) -> bool {
        video == self.video
            && t.is_some_and(|t| {
                (self.t_start..=self.t_end).contains(&t) || scene_at(scenes, video, t).is_some_and(|s| s == self)
            })
    }
}

/// The columns as written; checked and turned into a [`Scene`] by [`read_scenes`].
#[derive(Deserialize)]
struct RawScene {
    video: String,
    scene: u32,
    t_start: f64,
    t_end: f64,
    group_id: String,
    box_x: f32,
    box_y: f32,
    box_w: f32,
    box_h: f32,
}

#[derive(Debug, Clone, Serialize)]
pub struct CompositedReport {
    pub route: Route,
    /// Videos in the full index (recall pass) and in the even-numbered one (FPIR pass).
    pub videos: usize,
    pub videos_even: usize,
    /// Rows of scenes.csv.
    pub scenes: usize,
    /// Scenes whose group has a scene in another video (every scene, in the sets as made).
    pub queries: usize,
    #[serde(rename = "recall@1")]
    pub recall_at_1: f64,
    #[serde(rename = "recall@5")]
    pub recall_at_5: f64,
    /// Top hit right with the shipped thresholds on.
    pub tpir: f64,
    /// The route's shipped threshold.
    pub threshold: f32,
    /// Queries that got no group of the route at all (no face found in the box): misses.
    pub no_query_region: usize,
    /// Share of the FPIR queries that still got a hit with thresholds on.
    pub fpir: f64,
    /// Scenes of even videos whose group has no scene in another even video.
    pub fpir_queries: usize,
    /// How many of them got a hit.
    pub fpir_hits: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
}

/// Reads and checks `set/scenes.csv`; every row must name a video present under `videos/`.
pub fn read_scenes(set: &Path) -> Result<Vec<Scene>, SearchError> {
    let path = set.join("scenes.csv");
    let bad = |line: u64, what: String| SearchError::BadQuery(format!("{} line {line}: {what}", path.display()));
    let mut reader = csv::Reader::from_path(&path)
        .map_err(|e| SearchError::BadQuery(format!("cannot read {}: {e}", path.display())))?;
    let mut scenes = Vec::new();
    for row in reader.deserialize::<RawScene>() {
        let row = row.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            bad(line, e.to_string())
        })?;
        // The header is line 1, so row n (1-based) is line n + 1.
        let line = scenes.len() as u64 + 2;
        let bbox = BBox::new(row.box_x, row.box_y, row.box_w, row.box_h);
        if !(row.t_start.is_finite() && row.t_end.is_finite() && 0.0 <= row.t_start && row.t_start < row.t_end) {
            return Err(bad(
                line,
                format!("times {}..{} are not a time range", row.t_start, row.t_end),
            ));
        }
        if !bbox.is_valid() {
            return Err(bad(line, "the box needs finite coordinates and a positive size".into()));
        }
        if row.group_id.trim().is_empty() || row.video.trim().is_empty() {
            return Err(bad(line, "video and group_id must not be empty".into()));
        }
        if !set.join("videos").join(&row.video).is_file() {
            return Err(bad(line, format!("videos/{} does not exist", row.video)));
        }
        scenes.push(Scene {
            video: row.video,
            scene: row.scene,
            t_start: row.t_start,
            t_end: row.t_end,
            group: row.group_id,
            bbox,
        });
    }
    if scenes.is_empty() {
        return Err(SearchError::BadQuery(format!("{} has no scenes", path.display())));
    }
    Ok(scenes)
}

/// The number in a video's name (`v012.mp4` -> 12), which says whether it is even-numbered.
pub fn video_number(name: &str) -> Option<u64> {
    let stem = Path::new(name).file_stem()?.to_str()?;
    let digits = &stem[stem.trim_end_matches(|c: char| c.is_ascii_digit()).len()..];
    digits.parse().ok()
}

/// The scene of `video` showing at `t`. Scenes follow each other, so each owns its start and
/// the next one's start is not its own. The last scene runs to the end of the video, which can
/// be a frame past its `t_end`: the cut at 2.5 s falls between frames at 25 fps, and v025 of
/// the faces set, one scene `0.0,2.5`, has a sampled frame at 2.52 s showing that scene.
pub fn scene_at<'a>(scenes: &'a [Scene], video: &str, t: f64) -> Option<&'a Scene> {
    let of_video = || scenes.iter().filter(|s| s.video == video);
    of_video().find(|s| s.t_start <= t && t < s.t_end).or_else(|| {
        let last = of_video().max_by(|a, b| a.t_end.total_cmp(&b.t_end))?;
        (t >= last.t_end).then_some(last)
    })
}

/// The right-answer rule: a sighting of `video` at `t` lies in a scene of the query's group in
/// another video.
pub fn is_right(scenes: &[Scene], query: &Scene, video: &str, t: Option<f64>) -> bool {
    video != query.video
        && t.and_then(|t| scene_at(scenes, video, t))
            .is_some_and(|s| s.group == query.group)
}

/// The best sighting of a hit in `video` that is not the query itself; `None` when it has no
/// other. Every sighting of a track carries the track's score, so ties are the rule: the
/// earliest of the best wins, so that the answer does not hang on the order of equal floats.
pub fn best_outside<'a>(
    scenes: &[Scene],
    query: &Scene,
    video: &str,
    sightings: &'a [HitSighting],
) -> Option<&'a HitSighting> {
    sightings
        .iter()
        .filter(|s| !query.is_own(scenes, video, s.t))
        .reduce(|best, s| if s.score > best.score { s } else { best })
}

/// The FPIR queries: scenes of indexed videos whose group has no scene in another indexed video.
pub fn fpir_queries<'a>(scenes: &'a [Scene], indexed: &dyn Fn(&str) -> bool) -> Vec<&'a Scene> {
    scenes
        .iter()
        .filter(|q| indexed(&q.video))
        .filter(|q| {
            !scenes
                .iter()
                .any(|o| o.group == q.group && o.video != q.video && indexed(&o.video))
        })
        .collect()
}

/// One judged hit: whether it is right, the score it was ranked by, and what it was judged on.
#[derive(Debug, Clone, PartialEq)]
struct Judged {
    right: bool,
    score: f32,
    /// The best sighting's video, time and the group its scene shows, for the debug trace: what
    /// beat the right answer (a brand-mate in the right video, say).
    seen: String,
}

/// The route's hits (each as its video's name and its sightings), each at its best sighting
/// outside the query's own scene (hits with none dropped), best first.
fn judge<'a>(scenes: &[Scene], query: &Scene, hits: impl Iterator<Item = (&'a str, &'a [HitSighting])>) -> Vec<Judged> {
    let mut judged: Vec<Judged> = hits
        .filter_map(|(video, sightings)| {
            let best = best_outside(scenes, query, video, sightings)?;
            let t = best.t.unwrap_or(0.0);
            let shows = scene_at(scenes, video, t).map_or("?", |s| s.group.as_str());
            Some(Judged {
                right: is_right(scenes, query, video, best.t),
                score: best.score,
                seen: format!("{video} at {t:.2} s ({shows})"),
            })
        })
        .collect();
    // Stable: equal scores keep the search's order.
    judged.sort_by(|a, b| b.score.total_cmp(&a.score));
    judged
}

/// [`judge`] on a search's hits. A media the set does not name (impossible in an index that
/// [`index`] checked) would be judged wrong.
fn judge_hits(scenes: &[Scene], query: &Scene, names: &HashMap<String, String>, hits: &[MediaHit]) -> Vec<Judged> {
    let named = hits.iter().map(|h| {
        (
            names.get(&h.media_id).map_or("", String::as_str),
            h.sightings.as_slice(),
        )
    });
    judge(scenes, query, named)
}

/// The first hit a user is shown, of hits judged from a thresholds-on answer: the best one if
/// its best sighting outside the query's own scene clears the threshold (see the header: the
/// search itself only held the media's best score, own scene included, to it).
fn shown_top(judged: &[Judged], threshold: f32) -> Option<Judged> {
    judged.first().cloned().filter(|j| j.score >= threshold)
}

fn route_hits(response: &SearchResponse, route: Route) -> Option<&[MediaHit]> {
    response
        .groups
        .iter()
        .find(|g| g.route == route)
        .map(|g| g.hits.as_slice())
}

/// Runs the protocol on `set` for `route`, indexing every video into `all` and the
/// even-numbered ones into `even` (both reused when already indexed).
pub fn composited(
    models: &Models,
    set: &Path,
    route: Route,
    all: &Store,
    even: &Store,
) -> Result<CompositedReport, SearchError> {
    let scenes = read_scenes(set)?;
    let files = Ingestor::expand(&[set.join("videos")]).map_err(|e| crate::indexing("the videos", e))?;
    let mut even_files = Vec::new();
    for f in &files {
        let number = video_number(&file_name(f))
            .ok_or_else(|| SearchError::BadQuery(format!("{}: no number in the name (v000.mp4...)", f.display())))?;
        if number % 2 == 0 {
            even_files.push(f.clone());
        }
    }
    let names_all = index(models, all, &files)?;
    let names_even = index(models, even, &even_files)?;
    let threshold = route_threshold(models, route);

    // Recall pass.
    let searcher = Searcher::new(all.clone(), models.clone());
    let ids_all = ids_by_name(&names_all);
    let queries: Vec<&Scene> = scenes
        .iter()
        .filter(|q| scenes.iter().any(|o| o.group == q.group && o.video != q.video))
        .collect();
    let off = SearchOptions {
        limit: files.len(),
        apply_thresholds: false,
        only_route: Some(route),
        ..SearchOptions::default()
    };
    let shipped = SearchOptions {
        only_route: Some(route),
        ..SearchOptions::default()
    };
    let (mut hit1, mut hit5, mut tp, mut no_region) = (0usize, 0usize, 0usize, 0usize);
    let mut latencies = Vec::new();
    for q in &queries {
        let query = media_query(&ids_all, q)?;
        let ranked = searcher.search(&query, &off)?;
        let Some(hits) = route_hits(&ranked, route) else {
            no_region += 1; // Nothing to search with (no face in the box): a miss.
            continue;
        };
        let judged = judge_hits(&scenes, q, &names_all, hits);
        let first = judged.iter().position(|j| j.right);
        tracing::debug!(
            video = %q.video,
            scene = q.scene,
            group = %q.group,
            rank = first.map_or(-1, |r| r as i64),
            top = ?judged.iter().take(4).map(|j| (j.right, j.score, j.seen.as_str())).collect::<Vec<_>>(),
            "composited query judged"
        );
        hit1 += usize::from(first == Some(0));
        hit5 += usize::from(first.is_some_and(|r| r < 5));
        let answer = searcher.search(&query, &shipped)?;
        latencies.push(answer.latency_ms);
        let shown = route_hits(&answer, route).unwrap_or_default();
        let top = shown_top(
            &judge_hits(&scenes, q, &names_all, shown),
            crate::applied_threshold(&answer, threshold),
        );
        tp += usize::from(top.is_some_and(|j| j.right));
    }

    // FPIR pass: only even videos indexed; queries whose group is then absent.
    let searcher = Searcher::new(even.clone(), models.clone());
    let ids_even = ids_by_name(&names_even);
    let absent = fpir_queries(&scenes, &|v| ids_even.contains_key(v));
    let mut fpir_hits = 0usize;
    for q in &absent {
        let answer = searcher.search(&media_query(&ids_even, q)?, &shipped)?;
        let shown = route_hits(&answer, route).unwrap_or_default();
        let top = shown_top(
            &judge_hits(&scenes, q, &names_even, shown),
            crate::applied_threshold(&answer, threshold),
        );
        fpir_hits += usize::from(top.is_some());
    }

    let n = queries.len().max(1) as f64;
    Ok(CompositedReport {
        route,
        videos: names_all.len(),
        videos_even: names_even.len(),
        scenes: scenes.len(),
        queries: queries.len(),
        recall_at_1: hit1 as f64 / n,
        recall_at_5: hit5 as f64 / n,
        tpir: tp as f64 / n,
        threshold,
        no_query_region: no_region,
        fpir: fpir_hits as f64 / absent.len().max(1) as f64,
        fpir_queries: absent.len(),
        fpir_hits,
        p50_ms: percentile(&latencies, 0.5),
        p95_ms: percentile(&latencies, 0.95),
    })
}

/// A box on the scene's video at the scene's middle time, as `glint search --video` makes it.
fn media_query(ids: &HashMap<&str, &str>, scene: &Scene) -> Result<Query, SearchError> {
    let id = ids
        .get(scene.video.as_str())
        .ok_or_else(|| SearchError::BadQuery(format!("{} is not indexed", scene.video)))?;
    Ok(Query::Media {
        id: id.to_string(),
        bbox: scene.bbox,
        at: Some(scene.middle()),
    })
}

/// Indexes `files` into `store` (already indexed files are skipped) and returns each media id's
/// video name. The store must hold nothing else: a stray media would be a distractor the
/// protocol does not define, and an FPIR index with an odd video would have answers to find.
fn index(models: &Models, store: &Store, files: &[PathBuf]) -> Result<HashMap<String, String>, SearchError> {
    crate::index_files(models, store, files, "the videos")?;
    let mut names = HashMap::new();
    for f in files {
        let media = crate::video::indexed(store, f)?
            .ok_or_else(|| SearchError::BadQuery(format!("{} was not indexed", f.display())))?;
        names.insert(media.id, file_name(f));
    }
    let held = store.catalog.list_media()?.len();
    if held != names.len() {
        return Err(SearchError::BadQuery(format!(
            "the index holds {held} media, the set's {} videos expected: use an empty --index-dir",
            names.len()
        )));
    }
    Ok(names)
}

fn ids_by_name(names: &HashMap<String, String>) -> HashMap<&str, &str> {
    names.iter().map(|(id, name)| (name.as_str(), id.as_str())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scene(video: &str, t_start: f64, group: &str) -> Scene {
        Scene {
            video: video.into(),
            scene: (t_start / 2.5) as u32,
            t_start,
            t_end: t_start + 2.5,
            group: group.into(),
            bbox: BBox::new(10.0, 10.0, 100.0, 100.0),
        }
    }

    /// v000: a b c; v001: b a; v002: c d; v003: d.
    fn set() -> Vec<Scene> {
        vec![
            scene("v000.mp4", 0.0, "a"),
            scene("v000.mp4", 2.5, "b"),
            scene("v000.mp4", 5.0, "c"),
            scene("v001.mp4", 0.0, "b"),
            scene("v001.mp4", 2.5, "a"),
            scene("v002.mp4", 0.0, "c"),
            scene("v002.mp4", 2.5, "d"),
            scene("v003.mp4", 0.0, "d"),
        ]
    }

    fn sighting(t: f64, score: f32) -> HitSighting {
        HitSighting {
            t: Some(t),
            bbox: [0.0; 4],
            score,
            label: None,
            shot: 0,
            text: None,
        }
    }

    #[test]
    fn a_scene_owns_its_start_and_the_last_one_its_end() {
        let s = set();
        assert_eq!(scene_at(&s, "v000.mp4", 0.0).unwrap().group, "a");
        assert_eq!(scene_at(&s, "v000.mp4", 2.49).unwrap().group, "a");
        assert_eq!(scene_at(&s, "v000.mp4", 2.5).unwrap().group, "b");
        assert_eq!(scene_at(&s, "v000.mp4", 7.5).unwrap().group, "c");
        assert_eq!(
            scene_at(&s, "v000.mp4", 7.52).unwrap().group,
            "c",
            "the video's last frame"
        );
        assert!(scene_at(&s, "v009.mp4", 1.0).is_none());
    }

    #[test]
    fn right_means_the_same_group_in_another_video() {
        let s = set();
        let q = &s[0]; // "a" in v000
        assert!(is_right(&s, q, "v001.mp4", Some(3.0)));
        assert!(!is_right(&s, q, "v001.mp4", Some(1.0)), "another group");
        assert!(!is_right(&s, q, "v000.mp4", Some(1.0)), "the own video is never right");
        assert!(!is_right(&s, q, "v001.mp4", None));
        assert!(
            is_right(&s, q, "v001.mp4", Some(5.02)),
            "the last frame, past the last cut"
        );
        assert!(!is_right(&s, q, "v009.mp4", Some(3.0)), "a video the set does not name");
    }

    #[test]
    fn the_query_scene_is_left_out_of_the_own_video_only() {
        let s = set();
        let q = &s[1]; // "b" in v000, 2.5..5.0
        let own = [sighting(3.0, 0.99), sighting(5.0, 0.98), sighting(6.0, 0.5)];
        assert_eq!(best_outside(&s, q, "v000.mp4", &own).unwrap().t, Some(6.0));
        assert!(best_outside(&s, q, "v000.mp4", &own[..2]).is_none());
        assert_eq!(best_outside(&s, q, "v001.mp4", &own).unwrap().t, Some(3.0));
        // A last scene's query owns the frames past its end too.
        let tail = [sighting(7.52, 0.9), sighting(4.0, 0.3)];
        assert_eq!(best_outside(&s, &s[2], "v000.mp4", &tail).unwrap().t, Some(4.0));
        // Equal scores (one track): the earliest.
        let track = [sighting(0.0, 0.7), sighting(0.5, 0.7), sighting(1.0, 0.7)];
        assert_eq!(best_outside(&s, q, "v001.mp4", &track).unwrap().t, Some(0.0));
    }

    #[test]
    fn judging_ranks_hits_by_their_best_sighting_outside_the_own_scene() {
        let s = set();
        let q = &s[0]; // "a" in v000, 0..2.5
        let own = [sighting(1.0, 0.99), sighting(6.0, 0.4)]; // the query itself, then "c"
        let right = [sighting(3.0, 0.8)]; // "a" in v001
        let wrong = [sighting(1.0, 0.9)]; // "c" in v002
        let only_own = [sighting(2.0, 0.95)];
        let hits: Vec<(&str, &[HitSighting])> = vec![
            ("v000.mp4", &own),
            ("v001.mp4", &right),
            ("v002.mp4", &wrong),
            ("v000.mp4", &only_own),
        ];
        let judged = judge(&s, q, hits.into_iter());
        let ranked: Vec<(bool, f32)> = judged.iter().map(|j| (j.right, j.score)).collect();
        assert_eq!(ranked, [(false, 0.9), (true, 0.8), (false, 0.4)]);
        assert_eq!(judged[1].seen, "v001.mp4 at 3.00 s (a)", "what the trace names");
    }

    #[test]
    fn a_hit_is_shown_only_when_its_sighting_outside_the_own_scene_clears_the_threshold() {
        let s = set();
        let q = &s[0]; // "a" in v000, 0..2.5
                       // The own video, kept by the search for its own-scene score, then a wrong one below.
        let own = [sighting(1.0, 1.5), sighting(6.0, 0.55)];
        let low = [sighting(1.0, 0.6)];
        let hits: Vec<(&str, &[HitSighting])> = vec![("v000.mp4", &own), ("v002.mp4", &low)];
        assert_eq!(shown_top(&judge(&s, q, hits.into_iter()), 0.72), None);
        let right = [sighting(3.0, 0.75)];
        let hits: Vec<(&str, &[HitSighting])> = vec![("v000.mp4", &own), ("v001.mp4", &right)];
        let top = shown_top(&judge(&s, q, hits.into_iter()), 0.72);
        assert_eq!(top.map(|j| (j.right, j.score)), Some((true, 0.75)));
        assert_eq!(shown_top(&[], 0.72), None);
    }

    #[test]
    fn fpir_queries_are_the_scenes_whose_group_is_elsewhere_absent() {
        let s = set();
        let even = |v: &str| video_number(v).is_some_and(|n| n % 2 == 0);
        // Even videos v000 (a b c) and v002 (c d): c is in both, a b d only once.
        let q: Vec<(&str, &str)> = fpir_queries(&s, &even)
            .iter()
            .map(|q| (q.video.as_str(), q.group.as_str()))
            .collect();
        assert_eq!(q, [("v000.mp4", "a"), ("v000.mp4", "b"), ("v002.mp4", "d")]);
        // Everything indexed: every group is somewhere else.
        assert!(fpir_queries(&s, &|_| true).is_empty());
    }

    #[test]
    fn video_numbers_come_from_the_end_of_the_name() {
        assert_eq!(video_number("v000.mp4"), Some(0));
        assert_eq!(video_number("v013.mp4"), Some(13));
        assert_eq!(video_number("clip.mp4"), None);
    }

    #[test]
    fn scenes_csv_is_read_and_bad_rows_are_typed_errors() {
        let dir = std::env::temp_dir().join(format!("glint-composited-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("videos")).unwrap();
        std::fs::write(dir.join("videos/v000.mp4"), b"").unwrap();
        let header = "video,scene,t_start,t_end,group_id,photo,box_x,box_y,box_w,box_h\n";
        let write = |rows: &str| std::fs::write(dir.join("scenes.csv"), format!("{header}{rows}")).unwrap();

        write("v000.mp4,0,0.0,2.5,p1,images/1.jpg,706,65,389,590\n");
        let scenes = read_scenes(&dir).unwrap();
        assert_eq!(scenes.len(), 1);
        assert_eq!(scenes[0].group, "p1");
        assert_eq!(scenes[0].bbox, BBox::new(706.0, 65.0, 389.0, 590.0));
        assert_eq!(scenes[0].middle(), 1.25);

        for (rows, needle) in [
            ("v000.mp4,0,0.0,2.5,p1,x.jpg,1,2,three,4\n", "line 2"),
            ("v000.mp4,0,2.5,2.5,p1,x.jpg,1,2,3,4\n", "not a time range"),
            ("v000.mp4,0,0.0,2.5,p1,x.jpg,1,2,0,4\n", "positive size"),
            ("v000.mp4,0,0.0,2.5,,x.jpg,1,2,3,4\n", "must not be empty"),
            ("v001.mp4,0,0.0,2.5,p1,x.jpg,1,2,3,4\n", "does not exist"),
            ("v000.mp4,0,0.0,2.5,p1\n", "line 2"),
            ("", "no scenes"),
        ] {
            write(rows);
            match read_scenes(&dir) {
                Err(SearchError::BadQuery(m)) => assert!(m.contains(needle), "{m} lacks {needle}"),
                other => panic!("{rows:?}: {other:?}"),
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
