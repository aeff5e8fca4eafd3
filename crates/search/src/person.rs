//! The person route's answer: the boxed face's vector, expanded over the query's own face
//! tracks (`expansion`), checked against the opt-out registry (`privacy`) and ranked (`rank`).
//!
//! [`crate::Searcher::search`] ranks it on the thread that embedded the face, as soon as the face
//! is embedded, while the item route's models may still run on the others: at 1M regions that
//! thread used to wait ~10 ms for the object detector and only then rank for ~10 ms.

use std::collections::HashSet;

use glint_store::Store;
use glint_vision::Models;

use crate::route::BoxedFace;
use crate::{expansion, privacy, rank, MediaHit, QueryFace, SearchError, SearchOptions};

/// What the person route found, and what the rest of the search must know of it.
pub(crate) struct PersonAnswer {
    /// Opted-out people's faces and tracks (empty when no face was searched).
    pub opted_out: privacy::OptedOut,
    pub query_face: Option<QueryFace>,
    /// Whether the boxed face is an opted-out person's: then the search shows nothing of it,
    /// not even copies of the box.
    pub shows_opted_out: bool,
    /// `None` when the route did not run (no face in the box).
    pub hits: Option<Vec<MediaHit>>,
}

/// Where the person route looks.
pub(crate) struct PersonScope<'a> {
    pub store: &'a Store,
    pub models: &'a Models,
    pub allowed: Option<&'a HashSet<u64>>,
    /// The query's own tracks: their sightings are the query, not results.
    pub own_tracks: &'a HashSet<u64>,
    pub exclude_media: &'a [String],
}

/// Expands `face`'s vector in place (a copy of it decides whether the query shows an opted-out
/// person) and ranks the media showing the same person. No face: nothing is read or ranked.
pub(crate) fn answer(
    scope: &PersonScope<'_>,
    face: Option<&mut BoxedFace>,
    options: &SearchOptions,
) -> Result<PersonAnswer, SearchError> {
    let Some(face) = face else {
        return Ok(PersonAnswer {
            opted_out: privacy::OptedOut::default(),
            query_face: None,
            shows_opted_out: false,
            hits: None,
        });
    };
    let models = scope.models;
    let space = glint_describe::face_space(models);
    face.vector = expansion::expand_face(
        scope.store,
        &space,
        scope.own_tracks,
        &face.vector,
        models.face_threshold,
    )?;
    // Read on every search so that an opt-out takes effect at the next query, on any process.
    let opted_out = privacy::OptedOut::load(scope.store, &space, models.face_threshold)?;
    let query_face = QueryFace {
        detector_score: face.detector_score,
        threshold: models.face_threshold_for(face.detector_score),
    };
    // A query showing an opted-out person gets no person hits at all: not even other people's
    // faces, which would otherwise reveal where the opted-out person was.
    let shows_opted_out = opted_out.matches(&face.vector);
    let hits = if shows_opted_out {
        Vec::new()
    } else {
        let ctx = rank::Context {
            store: scope.store,
            allowed: scope.allowed,
            except: None,
            own_tracks: scope.own_tracks,
            exclude_media: scope.exclude_media,
            limit: options.limit,
            apply_thresholds: options.apply_thresholds,
            opted_out: &opted_out.tracks,
            face_threshold: query_face.threshold,
        };
        rank::faces(&ctx, &space, &face.vector)?
    };
    Ok(PersonAnswer {
        opted_out,
        query_face: Some(query_face),
        shows_opted_out,
        hits: Some(hits),
    })
}
