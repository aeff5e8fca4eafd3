//! Search by words (issue 16): "apple juice", "handbag", "espresso".
//!
//! A text query is answered from three sources, merged into the groups a region search returns
//! (each media once, its moments with boxes, best first):
//! - the words stored with the media at ingest (`TextCatalog::search_words`): classes the
//!   encoder was sure an item track shows, text read in frames (OCR), subtitles;
//! - merchants' products whose title, brand, category or description fit the words
//!   (`TextCatalog::search_products`): they are listed under "where to buy", and where each was
//!   seen is found as its product page finds it ([`Searcher::seen_in`], confirmed), so a title
//!   finds the store photos and video moments of that product even where no word was read;
//! - with a CLIP-class encoder whose text tower is plugged in, the query's text vector searched
//!   against the image vectors (`text_vectors`).
//!
//! A media's score is its best moment's: how well the words fit (relative to the best fit of
//! this answer) times how sure the source was. Nothing found is "no match".

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use glint_catalog::{MediaRecord, TextQuery, WordHit};
use glint_describe::colour::{with_colour, COLOUR_DIM, COLOUR_WEIGHT};
use glint_types::BBox;

use crate::{products, Group, HitSighting, MediaHit, Route, SearchError, SearchOptions, SearchResponse, Searcher};

/// Stored words read per query at most (the best by relevance).
const MAX_WORD_HITS: usize = 400;
/// Matching products listed under "where to buy" at most.
const MAX_PRODUCTS: usize = 12;
/// Distinct products (by their images) whose sightings are looked up, best first: each lookup
/// is a product page's search, so a broad word ("juice") asks only for the best two.
const MAX_PRODUCTS_SEEN: usize = 2;
/// Candidates of each looked-up product confirmed with "where to buy" (a search each): the
/// first results are what a text query is judged by (docs/benchmarks.md, "Search by words").
const TEXT_CONFIRMATIONS: usize = 6;
/// Moments listed per media at most.
const MAX_MOMENTS: usize = 24;

impl Searcher {
    /// The media and products that fit `text` (see the module doc). [`SearchError::BadQuery`]
    /// when it holds no words.
    pub fn search_text(&self, text: &str, options: &SearchOptions) -> Result<SearchResponse, SearchError> {
        let start = Instant::now();
        let query = TextQuery::parse(text)
            .ok_or_else(|| SearchError::BadQuery("the text holds no words to search for".into()))?;
        let catalog = &self.store().catalog;
        let product_images = catalog.product_media_uids()?;
        let allowed = |uid: &str| {
            !options.exclude_media.iter().any(|m| m == uid)
                && options
                    .only_media
                    .as_ref()
                    .is_none_or(|only| only.iter().any(|m| m == uid))
        };

        let mut found = Found::default();
        let words = catalog.search_words(&query, MAX_WORD_HITS)?;
        let best_fit = words.iter().map(|w| w.relevance).fold(f32::MIN_POSITIVE, f32::max);
        // Product images carry words too (a label, a pack's print): they stand for their
        // products, found below, never for a photo of the library.
        let mut product_images_found: Vec<(String, f32)> = Vec::new();
        for word in &words {
            let fit = word.relevance / best_fit;
            if product_images.contains(&word.media_uid) {
                product_images_found.push((word.media_uid.clone(), fit * word.score));
            } else if allowed(&word.media_uid) {
                let moments = self.moments_of_word(word, fit)?;
                found.add(&word.media_uid, moments);
            }
        }

        let matches = catalog.search_products(&query, MAX_PRODUCTS)?;
        let best_product_fit = matches.iter().map(|p| p.relevance).fold(f32::MIN_POSITIVE, f32::max);
        let mut seen_images: HashSet<Vec<String>> = HashSet::new();
        for m in &matches {
            let fit = m.relevance / best_product_fit;
            let detail = catalog.product(&m.store_id, &m.product_id)?;
            let images: Vec<String> = detail.images.iter().filter_map(|i| i.media_uid.clone()).collect();
            if let Some(image) = images.first() {
                product_images_found.push((image.clone(), fit));
            }
            // Stores selling the same product show the same images: look each up once.
            if images.is_empty() || seen_images.len() >= MAX_PRODUCTS_SEEN || !seen_images.insert(images.clone()) {
                continue;
            }
            for hit in self.seen_in(&images, options, Some(TEXT_CONFIRMATIONS))? {
                let title = detail.product.title.clone();
                let moments = hit
                    .sightings
                    .into_iter()
                    .map(|s| HitSighting {
                        score: fit * s.score.min(1.0),
                        text: Some(title.clone()),
                        ..s
                    })
                    .collect();
                found.add(&hit.media_id, moments);
            }
        }

        for hit in self.text_vectors(text, options)? {
            found.add(&hit.media_id, hit.sightings);
        }

        let mut hits = Vec::new();
        for (uid, moments) in found.0 {
            let Some(media) = catalog.media(&uid)? else {
                continue;
            };
            hits.push(media_hit(&media, moments));
        }
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.media_id.cmp(&b.media_id)));
        hits.truncate(options.limit);

        let products = self.products_of_images(product_images_found)?;
        let no_match = hits.is_empty() && products.is_empty();
        Ok(SearchResponse {
            route: "text".into(),
            no_match,
            latency_ms: start.elapsed().as_secs_f64() * 1e3,
            groups: if hits.is_empty() {
                Vec::new()
            } else {
                vec![Group {
                    route: Route::Text,
                    hits,
                }]
            },
            products,
            copies: Vec::new(),
            query_face: None,
            query_object: None,
        })
    }

    /// With a plugged-in text tower: the library's items nearest the words' vector in the image
    /// encoder's space, at or above the tower's threshold (nothing without a tower). Item
    /// vectors join appearance and colour (`glint_describe::colour`); words say nothing of
    /// colour, so the query's colour part is zero and scores are scaled back to the appearance
    /// cosine the threshold is for.
    fn text_vectors(&self, text: &str, options: &SearchOptions) -> Result<Vec<MediaHit>, SearchError> {
        let Some(tower) = self.models().text_encoder.as_deref() else {
            return Ok(Vec::new());
        };
        let words = tower
            .encode(&[text])?
            .pop()
            .ok_or_else(|| SearchError::Internal("the text tower returned no vector".into()))?;
        let query = with_colour(words, &[0.0; COLOUR_DIM]);
        let to_cosine = (1.0 + COLOUR_WEIGHT).sqrt();
        let allowed = match &options.only_media {
            Some(media) => Some(self.store().catalog.vector_ids_of_media(media)?),
            None => None,
        };
        let product_vectors = self.product_vectors.get(self.store())?;
        let nothing = HashSet::new();
        let ctx = crate::rank::Context {
            store: self.store(),
            allowed: allowed.as_ref(),
            // Product images stand for their products, found by their words above.
            except: Some(&product_vectors),
            own_tracks: &nothing,
            exclude_media: &options.exclude_media,
            limit: options.limit,
            apply_thresholds: options.apply_thresholds,
            opted_out: &nothing,
            face_threshold: self.models().face_threshold,
        };
        let space = glint_describe::item_space(self.models());
        let mut hits = crate::rank::text(&ctx, &space, &query, tower.threshold() / to_cosine)?;
        for hit in &mut hits {
            for s in &mut hit.sightings {
                s.score *= to_cosine;
                s.text = Some(format!("image: {text}"));
            }
        }
        Ok(hits)
    }

    /// Where a stored word was seen: a label's track at each of its sightings, an OCR line or a
    /// subtitle at its time and box (the whole frame when it has none).
    fn moments_of_word(&self, word: &WordHit, fit: f32) -> Result<Vec<HitSighting>, SearchError> {
        let score = fit * word.score;
        let text = Some(format!("{}: {}", word.source.as_str(), word.text));
        let moment = |t: Option<f64>, bbox: [f32; 4]| HitSighting {
            t,
            bbox,
            score,
            label: None,
            shot: 0,
            text: text.clone(),
        };
        if let Some(track) = word.track_id {
            let Some(track) = self.store().catalog.track(track)? else {
                return Ok(Vec::new());
            };
            return Ok(track
                .sightings
                .iter()
                .take(MAX_MOMENTS)
                .map(|s| HitSighting {
                    shot: track.shot_idx,
                    label: track.label.clone(),
                    ..moment(s.t, xywh(&s.bbox))
                })
                .collect());
        }
        let bbox = match word.bbox {
            Some(b) => xywh(&b),
            None => {
                // A subtitle or a line read without a box stands for the whole frame.
                let Some(media) = self.store().catalog.media(&word.media_uid)? else {
                    return Ok(Vec::new());
                };
                [0.0, 0.0, media.width as f32, media.height as f32]
            }
        };
        Ok(vec![moment(word.start_s, bbox)])
    }

    /// The products to offer: those the catalog matched by their words and those whose image
    /// carried the words (best first), each store's product once.
    fn products_of_images(&self, mut images: Vec<(String, f32)>) -> Result<Vec<crate::ProductHit>, SearchError> {
        images.sort_by(|a, b| b.1.total_cmp(&a.1));
        let mut seen = HashSet::new();
        let hits: Vec<MediaHit> = images
            .into_iter()
            .filter(|(uid, _)| seen.insert(uid.clone()))
            .map(|(media_id, score)| MediaHit {
                media_id,
                name: String::new(),
                path: String::new(),
                kind: glint_catalog::MediaKind::Image,
                score,
                sightings: Vec::new(),
                width: 0,
                height: 0,
            })
            .collect();
        let mut offered = HashSet::new();
        let mut products = products::offers(self.store(), hits)?;
        products.retain(|p| offered.insert((p.product.store_id.clone(), p.product.product_id.clone())));
        products.truncate(MAX_PRODUCTS);
        Ok(products)
    }
}

fn xywh(b: &BBox) -> [f32; 4] {
    [b.x, b.y, b.w, b.h]
}

/// Moments found per media, merged across the sources.
#[derive(Default)]
struct Found(HashMap<String, Vec<HitSighting>>);

impl Found {
    fn add(&mut self, uid: &str, moments: Vec<HitSighting>) {
        let known = self.0.entry(uid.to_string()).or_default();
        for m in moments {
            match known.iter_mut().find(|k| k.t == m.t && k.bbox == m.bbox) {
                Some(k) if k.score >= m.score => {}
                Some(k) => *k = m,
                None => known.push(m),
            }
        }
    }
}

/// A media with its moments in time order, scored by its best.
fn media_hit(media: &MediaRecord, mut moments: Vec<HitSighting>) -> MediaHit {
    moments.sort_by(|a, b| b.score.total_cmp(&a.score));
    moments.truncate(MAX_MOMENTS);
    let score = moments.first().map_or(0.0, |m| m.score);
    moments.sort_by(|a, b| a.t.unwrap_or(0.0).total_cmp(&b.t.unwrap_or(0.0)));
    MediaHit {
        media_id: media.id.clone(),
        name: crate::file_name(&media.path),
        path: media.path.clone(),
        kind: media.kind,
        score,
        sightings: moments,
        width: media.width,
        height: media.height,
    }
}
