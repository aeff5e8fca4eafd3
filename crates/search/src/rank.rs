//! From nearest vectors to an answer: each media once, with its sightings in time order.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use glint_catalog::TrackRecord;
use glint_index::{Filter, Hit};
use glint_store::Store;

use crate::{HitSighting, MediaHit, SearchError};

/// Candidates asked of the index per space: enough for many sightings of many media.
const CANDIDATES: usize = 300;
/// Hits whose tracks are looked up first (see [`tracks_of`]).
const FIRST_LOOKUP: usize = 32;
/// Sightings listed per media at most (the best, in time order).
const MAX_SIGHTINGS: usize = 50;

#[derive(Clone, Copy)]
pub(crate) struct Context<'a> {
    pub store: &'a Store,
    pub allowed: Option<&'a HashSet<u64>>,
    /// Vectors never returned (tried only when `allowed` is `None`).
    pub except: Option<&'a HashSet<u64>>,
    pub own_tracks: &'a HashSet<u64>,
    pub exclude_media: &'a [String],
    pub limit: usize,
    pub apply_thresholds: bool,
    /// Face tracks of opted-out people: never returned.
    pub opted_out: &'a HashSet<u64>,
    /// The person route's calibrated threshold.
    pub face_threshold: f32,
}

/// Which vectors one ranking may return, owned: see [`Context::scoped`].
pub(crate) enum Scope {
    Only(Arc<HashSet<u64>>),
    Except(Arc<HashSet<u64>>),
}

impl Scope {
    pub fn filter(&self) -> Filter<'_> {
        match self {
            Scope::Only(ids) => Filter::Only(ids),
            Scope::Except(ids) => Filter::Except(ids),
        }
    }
}

impl<'a> Context<'a> {
    /// The vectors this context may return, as the index filters them.
    pub fn filter(&self) -> Option<Filter<'a>> {
        match (self.allowed, self.except) {
            (Some(ids), _) => Some(Filter::Only(ids)),
            (None, Some(ids)) => Some(Filter::Except(ids)),
            (None, None) => None,
        }
    }

    /// This context restricted to `scope` (in place of its own `allowed` / `except`).
    pub fn scoped<'b>(&self, scope: &'b Scope) -> Context<'b>
    where
        'a: 'b,
    {
        let (allowed, except) = match scope {
            Scope::Only(ids) => (Some(&**ids), None),
            Scope::Except(ids) => (None, Some(&**ids)),
        };
        Context {
            allowed,
            except,
            ..*self
        }
    }
}

/// Person hits, by identity similarity; opted-out people are left out whatever their score.
pub(crate) fn faces(ctx: &Context<'_>, space: &str, identity: &[f32]) -> Result<Vec<MediaHit>, SearchError> {
    let mut scored = candidates(ctx, space, &[identity.to_vec()], ctx.limit)?;
    scored.retain(|(track, _)| !ctx.opted_out.contains(&track.id));
    group(
        ctx,
        scored,
        ctx.apply_thresholds.then_some(ctx.face_threshold),
        ctx.limit,
    )
}

/// Item hits of a text query's vector (a plugged-in text tower's, in the image encoder's
/// space): each stored item scored by its similarity to the words, under `min_score` dropped
/// when thresholds apply.
pub(crate) fn text(
    ctx: &Context<'_>,
    space: &str,
    vector: &[f32],
    min_score: f32,
) -> Result<Vec<MediaHit>, SearchError> {
    let scored = candidates(ctx, space, &[vector.to_vec()], ctx.limit)?;
    group(ctx, scored, ctx.apply_thresholds.then_some(min_score), ctx.limit)
}

/// Item hits before geometric verification: each stored window scored by its best match among
/// the query's vectors; no threshold yet (it applies to the verified score), and at least as
/// many media as verification looks at. `hits` are [`search`]'s over all the query's vectors
/// (searched in one go or in parts: each stored vector keeps its best score either way).
pub(crate) fn items(ctx: &Context<'_>, hits: Vec<Hit>) -> Result<Vec<MediaHit>, SearchError> {
    let limit = ctx.limit.max(crate::verify::VERIFY_TOP);
    group(ctx, tracks_of(ctx, hits, limit)?, None, limit)
}

/// The nearest vectors in `space` to each of `queries` that `filter` admits.
pub(crate) fn search(
    store: &Store,
    space: &str,
    filter: Option<Filter<'_>>,
    queries: &[Vec<f32>],
) -> Result<Vec<Hit>, SearchError> {
    // An empty `Only` set admits nothing: no need to scan the space to find that out.
    if queries.is_empty() || store.index.is_empty(space) || matches!(filter, Some(Filter::Only(ids)) if ids.is_empty())
    {
        return Ok(Vec::new());
    }
    // A box's 14-15 vectors each walk a graph of up to millions of 1536-float vectors (~2-3 ms
    // each at 1M regions): split over the machine's two cores.
    let search_all = |queries: &[Vec<f32>]| -> Result<Vec<Hit>, SearchError> {
        let mut hits = Vec::new();
        for query in queries {
            hits.extend(store.index.search(space, query, CANDIDATES, filter)?);
        }
        Ok(hits)
    };
    if queries.len() == 1 {
        return search_all(queries);
    }
    let (first, second) = queries.split_at(queries.len() / 2);
    let (first, second) = std::thread::scope(|scope| {
        let other = scope.spawn(|| search_all(second));
        (search_all(first), other.join())
    });
    let second = second.map_err(|_| SearchError::Internal("vector search panicked".into()))?;
    let mut hits = first?;
    hits.extend(second?);
    Ok(hits)
}

/// The tracks of the vectors in `space` nearest to any of `queries` (each vector at its best
/// score over the queries), each track once at its best score, best first; see [`tracks_of`].
fn candidates(
    ctx: &Context<'_>,
    space: &str,
    queries: &[Vec<f32>],
    media_limit: usize,
) -> Result<Vec<(TrackRecord, f32)>, SearchError> {
    tracks_of(ctx, search(ctx.store, space, ctx.filter(), queries)?, media_limit)
}

/// Each vector of `hits` once, at its best score among them, best first (ties by id), at most
/// [`CANDIDATES`].
fn best_first(hits: Vec<Hit>) -> Vec<(u64, f32)> {
    let mut best: HashMap<u64, f32> = HashMap::new();
    for hit in hits {
        let s = best.entry(hit.id).or_insert(hit.score);
        *s = s.max(hit.score);
    }
    let mut hits: Vec<(u64, f32)> = best.into_iter().collect();
    hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    hits.truncate(CANDIDATES);
    hits
}

/// The tracks of `hits` (each vector at its best score among them), each track once at its best
/// score, best first; the query's own tracks, excluded media and media outside the allowed set
/// left out. Tracks are looked up in the catalog best first, and only until a media beyond the
/// first `media_limit` turns up: the rest could only add lower-scoring sightings to media
/// already found.
fn tracks_of(ctx: &Context<'_>, hits: Vec<Hit>, media_limit: usize) -> Result<Vec<(TrackRecord, f32)>, SearchError> {
    let hits = best_first(hits);
    let mut seen = HashSet::new();
    let mut media: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    // Looked up a chunk at a time, each twice the last: the media limit is often reached within
    // the first few dozen hits, and each lookup is a few queries of the catalog (at 1M regions
    // all 300 took ~8 ms of a query's time), or one round trip to a remote catalog.
    let mut next = 0;
    let mut chunk = FIRST_LOOKUP;
    while next < hits.len() {
        let part = &hits[next..(next + chunk).min(hits.len())];
        next += part.len();
        chunk *= 2;
        let ids: Vec<u64> = part.iter().map(|(id, _)| *id).collect();
        let tracks = ctx.store.catalog.tracks_of_vectors(&ids)?;
        for (&(_, score), track) in part.iter().zip(tracks) {
            let Some(track) = track else {
                continue; // Removed since the index was searched.
            };
            if ctx.own_tracks.contains(&track.id) || ctx.exclude_media.contains(&track.media_id) {
                continue;
            }
            if !media.contains(&track.media_id) {
                if media.len() >= media_limit {
                    return Ok(out);
                }
                media.insert(track.media_id.clone());
            }
            // A track with two vectors (two views of a face) counts once, at its better score.
            if seen.insert(track.id) {
                out.push((track, score));
            }
        }
    }
    Ok(out)
}

/// Groups scored tracks (best first) by media, at most `limit` media, dropping tracks under
/// `min_score`.
fn group(
    ctx: &Context<'_>,
    scored: Vec<(TrackRecord, f32)>,
    min_score: Option<f32>,
    limit: usize,
) -> Result<Vec<MediaHit>, SearchError> {
    let mut order: Vec<String> = Vec::new();
    let mut by_media: HashMap<String, MediaHit> = HashMap::new();
    for (track, score) in scored {
        if min_score.is_some_and(|m| score < m) {
            break; // Best first: the rest are lower.
        }
        let entry = match by_media.entry(track.media_id.clone()) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                if order.len() >= limit {
                    continue;
                }
                let Some(media) = ctx.store.catalog.media(&track.media_id)? else {
                    continue;
                };
                order.push(media.id.clone());
                e.insert(MediaHit {
                    media_id: media.id,
                    name: crate::file_name(&media.path),
                    path: media.path,
                    kind: media.kind,
                    score,
                    sightings: Vec::new(),
                    width: media.width,
                    height: media.height,
                })
            }
        };
        entry.sightings.extend(track.sightings.iter().map(|s| HitSighting {
            t: s.t,
            bbox: [s.bbox.x, s.bbox.y, s.bbox.w, s.bbox.h],
            score,
            label: track.label.clone(),
            shot: track.shot_idx,
            text: None,
        }));
    }
    Ok(order
        .into_iter()
        .filter_map(|id| by_media.remove(&id))
        .map(|mut m| {
            // The best sighting per moment, the best moments, then in time order.
            m.sightings.sort_by(|a, b| b.score.total_cmp(&a.score));
            let mut seen_t: Vec<Option<f64>> = Vec::new();
            m.sightings.retain(|s| {
                let fresh = !seen_t.contains(&s.t);
                seen_t.push(s.t);
                fresh
            });
            m.sightings.truncate(MAX_SIGHTINGS);
            m.sightings
                .sort_by(|a, b| a.t.unwrap_or(0.0).total_cmp(&b.t.unwrap_or(0.0)));
            m
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use glint_catalog::{NewMedia, NewTrack, TrackKind};

    use super::*;

    /// `media` videos of two item tracks each, the second track with two vectors; the stored
    /// vector ids in insertion order.
    fn library(media: usize) -> (tempfile::TempDir, Store, Vec<u64>) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut ids = Vec::new();
        for m in 0..media {
            let track = |vectors: usize| NewTrack {
                kind: TrackKind::Item,
                label: None,
                vectors: (0..vectors)
                    .map(|v| ("item:test".to_string(), vec![v as f32, 1.0]))
                    .collect(),
                ..glint_catalog::contract::sample("x").tracks[0].clone()
            };
            let new = NewMedia {
                tracks: vec![track(1), track(2)],
                ..glint_catalog::contract::sample(&format!("sha{m}"))
            };
            let (_, stored) = store.catalog.insert_media(&new).unwrap();
            ids.extend(stored.iter().map(|v| v.id));
        }
        (dir, store, ids)
    }

    /// What `tracks_of` gave when it looked every hit's track up at once.
    fn at_once(ctx: &Context<'_>, hits: &[Hit], media_limit: usize) -> Vec<(u64, f32)> {
        let hits = best_first(hits.to_vec());
        let ids: Vec<u64> = hits.iter().map(|h| h.0).collect();
        let tracks = ctx.store.catalog.tracks_of_vectors(&ids).unwrap();
        let (mut media, mut seen, mut out) = (HashSet::new(), HashSet::new(), Vec::new());
        for ((_, score), track) in hits.into_iter().zip(tracks) {
            let Some(track) = track else { continue };
            if ctx.own_tracks.contains(&track.id) || ctx.exclude_media.contains(&track.media_id) {
                continue;
            }
            if !media.contains(&track.media_id) {
                if media.len() >= media_limit {
                    break;
                }
                media.insert(track.media_id.clone());
            }
            if seen.insert(track.id) {
                out.push((track.id, score));
            }
        }
        out
    }

    #[test]
    fn issue14_tracks_looked_up_in_chunks_are_the_tracks_looked_up_at_once() {
        let (_dir, store, ids) = library(90);
        // Scores that interleave the media (a media's vectors are far apart in the ranking, so
        // media recur across chunk boundaries), one vector hit twice, one id that is no vector.
        let mut hits: Vec<Hit> = ids
            .iter()
            .enumerate()
            .map(|(i, &id)| Hit {
                id,
                score: 1.0 - ((i * 37) % ids.len()) as f32 / ids.len() as f32,
            })
            .collect();
        hits.push(Hit {
            id: ids[5],
            score: 0.01,
        });
        hits.push(Hit {
            id: u64::MAX,
            score: 0.999,
        });
        let first_media = store.catalog.track_of_vector(ids[0]).unwrap().unwrap().media_id;
        let own_track = store.catalog.track_of_vector(ids[40]).unwrap().unwrap().id;
        let own_tracks = HashSet::from([own_track]);
        let exclude_media = [first_media];
        let nothing = HashSet::new();
        let ctx = Context {
            store: &store,
            allowed: None,
            except: None,
            own_tracks: &own_tracks,
            exclude_media: &exclude_media,
            limit: 20,
            apply_thresholds: false,
            opted_out: &nothing,
            face_threshold: 0.0,
        };
        for media_limit in [0, 1, 5, 11, 12, 20, 21, 40, 89, 200] {
            let chunked: Vec<(u64, f32)> = tracks_of(&ctx, hits.clone(), media_limit)
                .unwrap()
                .into_iter()
                .map(|(track, score)| (track.id, score))
                .collect();
            let expected = at_once(&ctx, &hits, media_limit);
            assert_eq!(chunked, expected, "media limit {media_limit}");
            let media: HashSet<String> = chunked
                .iter()
                .map(|(t, _)| store.catalog.track(*t).unwrap().unwrap().media_id)
                .collect();
            assert_eq!(media.len(), media_limit.min(89), "media limit {media_limit}");
        }
    }
}
