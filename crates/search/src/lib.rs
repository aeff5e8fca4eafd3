//! Search: box a region, find the same person or item elsewhere — or say there is none.
//!
//! A [`Query`] names the pixels (an uploaded photo, an indexed image, a moment of an indexed
//! video, or a stored sighting) and the box. [`Searcher::search`] prepares the query image
//! (`query`), decides the routes (`route`: a face inside the box goes to identity search over
//! face vectors; otherwise, or when the box holds much more than the face, item search over
//! region vectors), asks the vector index for candidates and groups them by media, each media
//! once with its sightings in time order (`rank`). Hits below the route's calibrated threshold
//! ([`calibration`]) are dropped, so an empty answer means "nothing comparable is indexed".
//! The search describes a box as ingest describes frames (`glint-describe`), reads the library
//! through `glint-store`, and needs nothing of ingest; the evaluation harness that indexes
//! evaluation sets and measures all of this is the `glint-eval` crate.
//!
//! Face privacy ([`privacy`]): with [`SearchOptions::face_search`] off the person route is never
//! used; people in the catalog's opt-out registry are never returned by it (and a query showing
//! one of them gets no person hits at all); every search that used it is written to the audit log.
//!
//! A merchant's product page asks the other way round ([`Searcher::seen_in`], `seen_in`): its
//! shop images searched as item queries, the media found listed newest first.

pub mod calibration;
pub mod copies;
mod error;
mod expansion;
mod item_scopes;
mod objects;
mod person;
pub mod privacy;
mod products;
mod query;
mod rank;
mod route;
mod seen_in;
mod text;
mod verify;

use std::borrow::Cow;
use std::collections::HashSet;
use std::time::Instant;

use serde::Serialize;

use glint_catalog::MediaKind;
use glint_media::RgbImage;
use glint_store::Store;
use glint_types::BBox;
use glint_vision::Models;

pub use copies::CopyHit;
pub use error::SearchError;
pub use objects::QueryObject;
pub use products::ProductHit;
pub use query::Query;
pub use seen_in::{ProductPage, PAGE_CONFIRMATIONS};

/// Which kind of sameness a group of results is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Route {
    Person,
    Item,
    /// Found by words (`Searcher::search_text`).
    Text,
}

/// One moment (or, for images, the place) where a hit was seen.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HitSighting {
    /// Seconds into the video; `None` for images.
    pub t: Option<f64>,
    /// `[x, y, w, h]` in source pixels.
    #[serde(rename = "box")]
    #[schema(schema_with = glint_types::xywh_schema)]
    pub bbox: [f32; 4],
    pub score: f32,
    /// What the sighting shows, when it is an object the detector named at ingest ("handbag").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// For a text search: the words that matched here and where they came from ("ocr: Bravo
    /// Apple Juice", or the title of the product seen here).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The shot of the video it lies in (0 for images): verification looks at several shots.
    #[serde(skip)]
    pub shot: u32,
}

/// The last component of a stored path: what a person calls the file.
pub(crate) fn file_name(path: &str) -> String {
    std::path::Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}

/// A media that contains the queried person or item.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MediaHit {
    pub media_id: String,
    /// The file's name, for people.
    pub name: String,
    /// Where the file lies on this machine (the CLI prints it; the HTTP API leaves it out).
    #[serde(skip_serializing_if = "String::is_empty")]
    #[schema(ignore)]
    pub path: String,
    pub kind: MediaKind,
    pub score: f32,
    pub sightings: Vec<HitSighting>,
    /// Width and height in source pixels: the frame the sightings' boxes are drawn on.
    pub width: u32,
    pub height: u32,
}

/// The media found by one route, best first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Group {
    pub route: Route,
    pub hits: Vec<MediaHit>,
}

/// The answer to one query, as the CLI and the HTTP API print it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchResponse {
    /// "person", "item" or "person+item".
    pub route: String,
    /// True when nothing comparable is indexed (false whenever `products` or `copies` is
    /// non-empty).
    pub no_match: bool,
    pub latency_ms: f64,
    pub groups: Vec<Group>,
    /// Merchants' products that match the item in the box, with their offers ("where to
    /// buy"), best first. Product images appear only here, never in `groups`. Empty when
    /// nothing in the merchant catalog matches, and for person-only searches.
    pub products: Vec<ProductHit>,
    /// For a box on a video: other videos that show the same footage (a re-encode, a repost),
    /// each at the matching moment with the box carried onto it.
    pub copies: Vec<CopyHit>,
    /// The face the person route searched with, when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_face: Option<QueryFace>,
    /// The detected object the box was on, when the item route ran and found one: what was
    /// searched for ("handbag").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_object: Option<QueryObject>,
}

/// What the person route knew of the query's face: how sure the detector was of it, and so the
/// threshold its matches had to clear (stricter for less certain faces, issue 13).
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct QueryFace {
    pub detector_score: f32,
    pub threshold: f32,
}

/// Knobs of one search.
#[derive(Debug, Clone)]
pub struct SearchOptions {
    /// Media per group.
    pub limit: usize,
    /// Drop hits below the calibrated thresholds (off only for evaluation).
    pub apply_thresholds: bool,
    /// Only these media may be returned (evaluation galleries).
    pub only_media: Option<Vec<String>>,
    /// These media are never returned (leave-one-out evaluation).
    pub exclude_media: Vec<String>,
    /// Run only this route (evaluation of one route); `None` routes by content.
    pub only_route: Option<Route>,
    /// Whether the person route may run (privacy switch); when off, a face is searched as an
    /// item only.
    pub face_search: bool,
}

impl Default for SearchOptions {
    fn default() -> Self {
        Self {
            limit: 20,
            apply_thresholds: true,
            only_media: None,
            exclude_media: Vec::new(),
            only_route: None,
            face_search: true,
        }
    }
}

/// A box covering at least this share of the picture has its item description started before
/// face detection decides the routes (see [`Searcher::search_among`]).
pub(crate) const EARLY_DESCRIPTION_SHARE: f32 = 0.5;

/// Answers queries against one data directory.
pub struct Searcher {
    store: Store,
    models: Models,
    features: verify::FeatureCache,
    product_vectors: products::ProductVectors,
}

pub(crate) struct VideoMoment {
    pub media_id: String,
    pub t: f64,
    /// The whole-frame item track nearest `t` (see `copies`).
    pub whole_frame_track: Option<u64>,
}

/// A prepared query: pixels, box, and what of the source must not come back.
pub(crate) struct Prepared<'q> {
    /// The query's pixels: the photo, or the video frame (from its seek proxy, smaller than the
    /// source, when ingest kept one).
    pub image: Cow<'q, RgbImage>,
    /// `image` pixels per source pixel.
    pub scale: f32,
    /// Width and height of the source the box is in (the photo, the video's frames).
    pub source_size: (u32, u32),
    /// Which moment of which indexed video `image` is, for a video query.
    pub video: Option<VideoMoment>,
    /// The box, in source pixels.
    pub bbox: BBox,
    /// Tracks the box itself belongs to: their sightings are the query, not results.
    pub own_tracks: HashSet<u64>,
    /// A source that must not come back at all (an indexed image queried by a box).
    pub own_media: Option<String>,
    /// The detected objects ingest followed through the video that are in view at the queried
    /// moment (none for photos, and for videos ingested without object regions).
    pub objects_here: Vec<StoredObject>,
}

/// An object track's sighting at the queried moment.
pub(crate) struct StoredObject {
    pub track: u64,
    pub label: String,
    /// In source pixels.
    pub bbox: BBox,
}

impl Prepared<'_> {
    /// The box in `image` pixels.
    pub fn image_box(&self) -> BBox {
        let s = self.scale;
        let b = self.bbox.scaled(s);
        b.clamp_to(self.image.width() as f32, self.image.height() as f32)
            .unwrap_or(b)
    }

    /// Whether the box covers at least `share` of the picture.
    pub fn box_covers(&self, share: f32) -> bool {
        let picture = self.image.width() as f32 * self.image.height() as f32;
        self.image_box().area() >= share * picture
    }
}

impl Searcher {
    pub fn new(store: Store, models: Models) -> Self {
        Self {
            store,
            models,
            features: verify::FeatureCache::default(),
            product_vectors: products::ProductVectors::default(),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn models(&self) -> &Models {
        &self.models
    }

    pub fn search(&self, query: &Query, options: &SearchOptions) -> Result<SearchResponse, SearchError> {
        let allowed = match &options.only_media {
            Some(media) => Some(self.store.catalog.vector_ids_of_media(media)?),
            None => None,
        };
        self.search_among(query, options, allowed.as_ref())
    }

    /// [`Searcher::search`] with `options.only_media` already turned into the vector ids it
    /// allows (a caller searching many times among the same media looks them up once).
    pub(crate) fn search_among(
        &self,
        query: &Query,
        options: &SearchOptions,
        allowed: Option<&HashSet<u64>>,
    ) -> Result<SearchResponse, SearchError> {
        let start = Instant::now();
        let prepared = query::prepare(&self.store, query)?;
        tracing::debug!(ms = start.elapsed().as_secs_f64() * 1e3, "query prepared");
        // With face search off the planner is told "item only", so it never even detects a face.
        let only_route = if options.face_search {
            options.only_route
        } else {
            Some(Route::Item)
        };
        let mut exclude_media = options.exclude_media.clone();
        exclude_media.extend(prepared.own_media.clone());
        // A box on most of the picture (a whole frame, a whole photo) nearly always runs the
        // item route, so its description starts at once, beside face detection. Any other box
        // waits for the face detector's verdict (10-30 ms): a face box then never pays for the
        // item description, whose models would slow its face embedding on two cores (face boxes
        // p95 128 -> 95 ms at 1M regions, docs/benchmarks.md). Once the item route is known to
        // run, its description, the face's embedding and the object detector run side by side.
        // The order changes only when each part runs, never what it finds.
        let early = only_route != Some(Route::Person)
            && (only_route == Some(Route::Item) || prepared.box_covers(EARLY_DESCRIPTION_SHARE));
        let (routes, item_query, copies, object) = std::thread::scope(|scope| {
            let copies = prepared.video.as_ref().map(|video| {
                scope.spawn(|| {
                    let found = self.copies(video, &prepared.bbox, allowed, &exclude_media);
                    tracing::debug!(ms = start.elapsed().as_secs_f64() * 1e3, "copies found");
                    found
                })
            });
            let early_query = early.then(|| scope.spawn(|| self.describe_item(&prepared, allowed)));
            let planned = route::Plan::detect(&self.models, &prepared.image, &prepared.image_box(), only_route);
            tracing::debug!(ms = start.elapsed().as_secs_f64() * 1e3, "routes planned");
            let item = planned.as_ref().is_ok_and(|p| p.item);
            let item_query =
                early_query.or_else(|| item.then(|| scope.spawn(|| self.describe_item(&prepared, allowed))));
            // The detector on a thread of its own: after the face's embedding on this one, it
            // was the longest path of a box holding a face and an item (docs/benchmarks.md).
            let object = item.then(|| {
                scope.spawn(|| {
                    let found = self.find_object(&prepared);
                    tracing::debug!(ms = start.elapsed().as_secs_f64() * 1e3, "object found");
                    found
                })
            });
            let routes = planned.and_then(|p| p.embed(&self.models));
            tracing::debug!(ms = start.elapsed().as_secs_f64() * 1e3, "face embedded");
            // The person route ranks now, beside the item route's models: its own tracks are the
            // box's (the detected object's track, which joins them later, is never a face's).
            let person = routes.and_then(|mut routes| {
                let person_scope = person::PersonScope {
                    store: &self.store,
                    models: &self.models,
                    allowed,
                    own_tracks: &prepared.own_tracks,
                    exclude_media: &exclude_media,
                };
                let answer = person::answer(&person_scope, routes.face.as_mut(), options)?;
                tracing::debug!(ms = start.elapsed().as_secs_f64() * 1e3, "person ranked");
                Ok((routes, answer))
            });
            let object = object.map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(SearchError::Internal("object detection panicked".into())))
            });
            let joined = (person, item_query.map(|h| h.join()), copies.map(|h| h.join()), object);
            tracing::debug!(ms = start.elapsed().as_secs_f64() * 1e3, "query described");
            joined
        });
        let (routes, person) = routes?;
        let mut item_query = match item_query {
            Some(Ok(described)) => Some(described?),
            Some(Err(_)) => return Err(SearchError::Internal("item description panicked".into())),
            None => None,
        };
        if let (Some(item_query), Some(object)) = (
            item_query.as_mut().filter(|_| routes.item),
            object.transpose()?.flatten(),
        ) {
            item_query.vectors.push(object.vector.clone());
            item_query.object = Some(object);
        }
        // The object's own track shows the query itself, as the box's own tracks do.
        let mut own_tracks = prepared.own_tracks.clone();
        let query_object = match item_query.as_ref().and_then(|q| q.object.as_ref()) {
            Some(o) if routes.item => {
                own_tracks.extend(o.track);
                Some(o.object.clone())
            }
            _ => None,
        };
        let ctx = rank::Context {
            store: &self.store,
            allowed,
            except: None,
            own_tracks: &own_tracks,
            exclude_media: &exclude_media,
            limit: options.limit,
            apply_thresholds: options.apply_thresholds,
            opted_out: &person.opted_out.tracks,
            face_threshold: person.query_face.map_or(self.models.face_threshold, |f| f.threshold),
        };
        let mut groups = Vec::new();
        let mut products = Vec::new();
        let mut names = Vec::new();
        if let Some(hits) = person.hits {
            names.push("person");
            groups.push(Group {
                route: Route::Person,
                hits,
            });
        }
        if let Some(item_query) = item_query.filter(|_| routes.item) {
            names.push("item");
            let (hits, found) = self.items(&ctx, item_query, options)?;
            products = found;
            groups.push(Group {
                route: Route::Item,
                hits,
            });
            tracing::debug!(ms = start.elapsed().as_secs_f64() * 1e3, "items ranked");
        }
        // A copy shows whatever the box holds, a face included: none for an opted-out person.
        let copies = match copies {
            Some(_) if person.shows_opted_out => Vec::new(),
            Some(Ok(found)) => found?,
            Some(Err(_)) => return Err(SearchError::Internal("copy search panicked".into())),
            None => Vec::new(),
        };
        let no_match = groups.iter().all(|g| g.hits.is_empty()) && products.is_empty() && copies.is_empty();
        let route = names.join("+");
        if let Some(person) = groups.iter().find(|g| g.route == Route::Person) {
            // Audit before answering: a face search that cannot be logged is not answered.
            self.store
                .catalog
                .log_face_search(&route, query.kind(), person.hits.len() as u32)?;
        }
        tracing::debug!(ms = start.elapsed().as_secs_f64() * 1e3, route, "search answered");
        Ok(SearchResponse {
            route,
            no_match,
            latency_ms: start.elapsed().as_secs_f64() * 1e3,
            groups,
            products,
            copies,
            query_face: person.query_face,
            query_object,
        })
    }

    /// Copies of the queried video moment's footage (see [`copies`]).
    fn copies(
        &self,
        video: &VideoMoment,
        bbox: &BBox,
        allowed: Option<&HashSet<u64>>,
        exclude_media: &[String],
    ) -> Result<Vec<CopyHit>, SearchError> {
        let moment = copies::Moment {
            media_id: &video.media_id,
            t: video.t,
            bbox: *bbox,
            whole_frame_track: video.whole_frame_track,
        };
        let scope = copies::Scope { allowed, exclude_media };
        copies::find(
            &self.store,
            &self.features,
            &glint_describe::item_space(&self.models),
            &moment,
            &scope,
        )
    }

    /// Every video checked as a copy of `moment`, with its evidence (calibration).
    pub fn copy_probes(&self, moment: &copies::Moment<'_>) -> Result<Vec<copies::Probe>, SearchError> {
        let scope = copies::Scope {
            allowed: None,
            exclude_media: &[],
        };
        copies::probe(
            &self.store,
            &self.features,
            &glint_describe::item_space(&self.models),
            moment,
            &scope,
        )
    }

    /// What the item route searches with: the box's region vectors and its keypoints, found side
    /// by side, and the region vectors' hits among `allowed` ([`item_scopes::search_windows`]),
    /// searched while the keypoints are still being found. The detected object the box is on
    /// joins later ([`Searcher::find_object`]).
    fn describe_item(&self, prepared: &Prepared, allowed: Option<&HashSet<u64>>) -> Result<ItemQuery, SearchError> {
        let (analysis, keypoint_factor) = analysis_scales(prepared);
        let region = to_analysis(prepared, analysis)(route::view(&prepared.image, &prepared.image_box()));
        let keypoint_region = route::shrunk(&region, keypoint_factor);
        let keypoint_region = keypoint_region.as_ref().unwrap_or(&region);
        let (searched, keypoints) = std::thread::scope(|scope| {
            let keypoints = scope.spawn(|| {
                let start = Instant::now();
                let found = glint_describe::local::extract_image_within(
                    keypoint_region,
                    verify::QUERY_KEYPOINTS,
                    verify::QUERY_KEYPOINT_SIDE,
                );
                tracing::debug!(ms = start.elapsed().as_secs_f64() * 1e3, "query keypoints found");
                found
            });
            let start = Instant::now();
            let searched = route::item_vectors(&self.models, &region).and_then(|vectors| {
                tracing::debug!(ms = start.elapsed().as_secs_f64() * 1e3, "item windows described");
                let scopes = item_scopes::ItemScopes::new(self.product_vectors.get(&self.store)?, allowed);
                let space = glint_describe::item_space(&self.models);
                let searched = item_scopes::search_windows(&self.store, &space, scopes, allowed, &vectors)?;
                tracing::debug!(ms = start.elapsed().as_secs_f64() * 1e3, "item windows searched");
                Ok((vectors, searched))
            });
            (searched, keypoints.join())
        });
        let keypoints = keypoints
            .map_err(|_| SearchError::Internal("keypoint extraction panicked".into()))?
            .map_err(|e| SearchError::Internal(e.to_string()))?;
        let (vectors, searched) = searched?;
        Ok(ItemQuery {
            vectors,
            searched,
            keypoints,
            size: [keypoint_region.width() as f32, keypoint_region.height() as f32],
            object: None,
        })
    }

    /// The detected object the box is on ([`objects`]), for the item query. The detector is
    /// the costliest model of a query (about 45 ms of one core, whatever the box), so it runs
    /// only once the planner knows the item route runs (a face box never pays for it), and not
    /// for a box on the whole picture ([`objects::on_whole_picture`]).
    fn find_object(&self, prepared: &Prepared) -> Result<Option<objects::ObjectQuery>, SearchError> {
        if objects::on_whole_picture(prepared) {
            return Ok(None);
        }
        let (analysis, _) = analysis_scales(prepared);
        let shrink = to_analysis(prepared, analysis);
        objects::describe(&self.models, &self.store, prepared, &|region| {
            shrink(Cow::Owned(region)).into_owned()
        })
    }

    /// Item hits and products: vector candidates, verified by geometry ([`verify`]), then the
    /// calibrated threshold on the verified score, in each of the query's scopes
    /// ([`item_scopes`]). The window vectors were searched already; only the rest (the detected
    /// object's) walks the index here.
    fn items(
        &self,
        ctx: &rank::Context<'_>,
        query: ItemQuery,
        options: &SearchOptions,
    ) -> Result<(Vec<MediaHit>, Vec<ProductHit>), SearchError> {
        let space = glint_describe::item_space(&self.models);
        let searched = query.searched;
        let rest = &query.vectors[searched.vectors..];
        let ranked =
            |ctx: &rank::Context<'_>, mut found: Vec<glint_index::Hit>| -> Result<Vec<MediaHit>, SearchError> {
                let start = Instant::now();
                found.extend(rank::search(&self.store, &space, ctx.filter(), rest)?);
                let mut hits = rank::items(ctx, found)?;
                tracing::debug!(ms = start.elapsed().as_secs_f64() * 1e3, "item candidates found");
                verify::rerank(&self.store, &self.features, &query.keypoints, query.size, &mut hits)?;
                tracing::debug!(ms = start.elapsed().as_secs_f64() * 1e3, "item candidates verified");
                if options.apply_thresholds {
                    hits.retain(|h| h.score >= calibration::ITEM_MIN_SCORE);
                }
                hits.truncate(options.limit);
                Ok(hits)
            };
        match &searched.scopes {
            item_scopes::ItemScopes::MediaOnly => Ok((ranked(ctx, searched.media)?, Vec::new())),
            item_scopes::ItemScopes::WithProducts { media, products } => {
                let hits = ranked(&ctx.scoped(media), searched.media)?;
                let found = ranked(&ctx.scoped(products), searched.products)?;
                Ok((hits, products::offers(&self.store, found)?))
            }
        }
    }
}

/// The scales a box is described at: its pixels to the analysis size, and the analysis size to
/// the keypoints' copy. A box on a video frame is described at the scales ingest described the
/// video's frames (vectors on the frame shrunk for analysis, keypoints on the copy shrunk again
/// for detection): query and stored features are then alike, and a whole-frame box on a 720p
/// video costs what one sampled frame cost, not four times that. Photos alike: a 12-megapixel
/// phone photo is described from the copy ingest would keep of it, not from every pixel.
fn analysis_scales(prepared: &Prepared) -> (f32, f32) {
    let (w, h) = prepared.source_size;
    match prepared.video {
        Some(_) => {
            let analysis = glint_describe::video_analysis_scale(w, h);
            let factor =
                glint_describe::local::video_frame_factor((w as f32 * analysis) as u32, (h as f32 * analysis) as u32);
            (analysis / prepared.scale, factor)
        }
        None => (glint_describe::photo_analysis_scale(w, h) / prepared.scale, 1.0),
    }
}

/// Brings a crop of `prepared.image` to the analysis scale: a photo by the area average ingest
/// shrinks photos with (`glint_describe::analyze::shrink`; over a 12-megapixel photo a triangle
/// filter would cost more than the shrinking saves), a video frame by a triangle filter.
fn to_analysis<'a>(prepared: &Prepared, analysis: f32) -> impl Fn(Cow<'a, RgbImage>) -> Cow<'a, RgbImage> + Sync {
    let photo = prepared.video.is_none();
    move |region: Cow<'a, RgbImage>| match photo {
        true if analysis < 1.0 => {
            let side = (region.width().max(region.height()) as f32 * analysis).round() as u32;
            Cow::Owned(glint_describe::analyze::shrink(&region, side.max(1)))
        }
        _ => route::shrunk(&region, analysis).map_or(region, Cow::Owned),
    }
}

/// The item route's description of a query box.
struct ItemQuery {
    vectors: Vec<Vec<f32>>,
    /// The hits of `vectors` searched as soon as they were known (the box's windows; the
    /// detected object's vector joins `vectors` after them).
    searched: item_scopes::Searched,
    keypoints: glint_keypoints::LocalFeatures,
    /// Width and height of the box, in the pixels its keypoints are in.
    size: [f32; 2],
    /// The detected object the box is on.
    object: Option<objects::ObjectQuery>,
}
