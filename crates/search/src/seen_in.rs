//! Where a merchant's product was seen (its product page, issue 16): "where to buy" run the
//! other way. Each indexed shop image of the product is searched against the library as a
//! whole-photo item query, with the same calibrated threshold and geometric verification that
//! let a viewer's box find the product; the media found are merged (each once, at its best
//! score, with the moments of every image's hits) and listed newest first, as a merchant
//! checking where the product turned up expects. Nothing is stored: a product imported after
//! the videos were indexed is found in them at once, with no re-ingest.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use glint_catalog::ProductDetail;
use glint_types::BBox;
use serde::Serialize;

use crate::{HitSighting, MediaHit, Query, Route, SearchError, SearchOptions, Searcher};

/// Candidates (best first) a product page confirms with "where to buy" at most.
pub const PAGE_CONFIRMATIONS: usize = 12;

/// A merchant's product with its offers and images, and where it was seen.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProductPage {
    #[serde(flatten)]
    pub product: ProductDetail,
    /// Videos (each moment with its box) and photos that show the product, newest first; empty
    /// when nothing indexed shows it (or none of its images could be indexed).
    pub seen_in: Vec<MediaHit>,
    pub latency_ms: f64,
}

impl Searcher {
    /// `product`'s page: where its indexed images were seen ([`Searcher::seen_in`]).
    pub fn product_page(&self, product: ProductDetail, options: &SearchOptions) -> Result<ProductPage, SearchError> {
        let start = Instant::now();
        let images: Vec<String> = product.images.iter().filter_map(|i| i.media_uid.clone()).collect();
        let seen_in = self.seen_in(&images, options, Some(PAGE_CONFIRMATIONS))?;
        Ok(ProductPage {
            product,
            seen_in,
            latency_ms: start.elapsed().as_secs_f64() * 1e3,
        })
    }

    /// The media (other than product images) that show what the indexed images `image_uids`
    /// show, newest first, at most `options.limit`. Unknown or removed images are skipped. With
    /// `confirm: Some(n)`, only the best `n` candidates are considered, and each is kept only if
    /// "where to buy" for its best sighting ranks one of `image_uids` first: the product page
    /// then lists exactly the moments whose viewer would be offered this product. Each
    /// confirmation is a search, so `n` bounds the cost.
    pub fn seen_in(
        &self,
        image_uids: &[String],
        options: &SearchOptions,
        confirm: Option<usize>,
    ) -> Result<Vec<MediaHit>, SearchError> {
        // Product images are ranked apart from the library's media by every search, so the
        // item hits below are never product images.
        let product_vectors = self.product_vectors.get(self.store())?;
        let item_only = SearchOptions {
            only_route: Some(Route::Item),
            ..options.clone()
        };
        let mut found: HashMap<String, MediaHit> = HashMap::new();
        for uid in image_uids {
            let Some(image) = self.store().catalog.media(uid)? else {
                continue;
            };
            let whole = BBox::new(0.0, 0.0, image.width as f32, image.height as f32);
            let query = Query::Media {
                id: image.id,
                bbox: whole,
                at: None,
            };
            let response = self.search(&query, &item_only)?;
            for hit in response.groups.into_iter().flat_map(|g| g.hits) {
                match found.get_mut(&hit.media_id) {
                    Some(known) => merge(known, hit),
                    None => {
                        found.insert(hit.media_id.clone(), hit);
                    }
                }
            }
        }
        let mut found: Vec<MediaHit> = found.into_values().collect();
        if options.apply_thresholds {
            // A video found through one verified moment also carries the weaker moments of its
            // other windows (other scenes, other products): a merchant is shown only the moments
            // that clear the threshold themselves.
            for hit in &mut found {
                keep_confident_moments(hit);
            }
        }
        if let Some(most) = confirm {
            // Each confirmation is a search: the best candidates only, so a page stays quick.
            found.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.media_id.cmp(&b.media_id)));
            found.truncate(most);
        }
        let mut hits: Vec<(i64, MediaHit)> = found
            .into_iter()
            .filter_map(|hit| match confirm {
                None => Some(Ok(hit)),
                Some(_) => match self.offers_first(&hit, image_uids, &product_vectors) {
                    Ok(true) => Some(Ok(hit)),
                    Ok(false) => None,
                    Err(e) => Some(Err(e)),
                },
            })
            .map(|hit| {
                let hit = hit?;
                let added = self.store().catalog.media(&hit.media_id)?.map_or(0, |m| m.added_at);
                Ok((added, hit))
            })
            .collect::<Result<_, SearchError>>()?;
        hits.sort_by(|(a_added, a), (b_added, b)| {
            b_added
                .cmp(a_added)
                .then(b.score.total_cmp(&a.score))
                .then(a.media_id.cmp(&b.media_id))
        });
        Ok(hits.into_iter().map(|(_, hit)| hit).take(options.limit).collect())
    }

    /// Whether "where to buy" for `hit`'s best sighting (its box, at its moment) puts one of
    /// `image_uids` first. A shelf photo that merely shows a brand-mate of the product, found
    /// because the two packages share a layout, offers the brand-mate first and is dropped.
    fn offers_first(
        &self,
        hit: &MediaHit,
        image_uids: &[String],
        products: &HashSet<u64>,
    ) -> Result<bool, SearchError> {
        let Some(best) = hit.sightings.iter().max_by(|a, b| a.score.total_cmp(&b.score)) else {
            return Ok(false);
        };
        let [x, y, w, h] = best.bbox;
        let query = Query::Media {
            id: hit.media_id.clone(),
            bbox: BBox::new(x, y, w, h),
            at: best.t,
        };
        // Which product would the viewer be offered first (only product images searched: the
        // library's media are not needed for that).
        let options = SearchOptions {
            only_route: Some(Route::Item),
            ..SearchOptions::default()
        };
        let answer = match self.search_among(&query, &options, Some(products)) {
            Ok(answer) => answer,
            // A sighting box that no longer fits its media (an edited file) confirms nothing.
            Err(SearchError::BadQuery(_)) => return Ok(false),
            Err(e) => return Err(e),
        };
        Ok(answer
            .products
            .first()
            .is_some_and(|p| image_uids.contains(&p.media_id)))
    }
}

/// Drops the sightings of `hit` under the item threshold, keeping at least its best one.
fn keep_confident_moments(hit: &mut MediaHit) {
    let best = hit.sightings.iter().map(|s| s.score).fold(f32::NEG_INFINITY, f32::max);
    hit.sightings
        .retain(|s| s.score >= crate::calibration::ITEM_MIN_SCORE || s.score >= best);
}

/// `other` (the same media found through another image) folded into `known`: the better score,
/// every moment once (at its better score), in time order.
fn merge(known: &mut MediaHit, other: MediaHit) {
    known.score = known.score.max(other.score);
    for s in other.sightings {
        match known.sightings.iter_mut().find(|k| k.t == s.t) {
            Some(k) if k.score >= s.score => {}
            Some(k) => *k = s,
            None => known.sightings.push(s),
        }
    }
    known
        .sightings
        .sort_by(|a: &HitSighting, b: &HitSighting| a.t.unwrap_or(0.0).total_cmp(&b.t.unwrap_or(0.0)));
}

#[cfg(test)]
mod tests {
    use glint_catalog::MediaKind;

    use super::*;

    fn hit(score: f32, moments: &[(f64, f32)]) -> MediaHit {
        MediaHit {
            media_id: "v".into(),
            name: "v.mp4".into(),
            path: String::new(),
            kind: MediaKind::Video,
            score,
            sightings: moments
                .iter()
                .map(|&(t, score)| HitSighting {
                    t: Some(t),
                    bbox: [0.0; 4],
                    score,
                    label: None,
                    shot: 0,
                    text: None,
                })
                .collect(),
            width: 640,
            height: 360,
        }
    }

    #[test]
    fn issue16_only_confident_moments_are_listed() {
        let mut h = hit(1.2, &[(1.0, 0.45), (2.5, 1.2), (3.0, 0.8), (7.0, 0.6)]);
        keep_confident_moments(&mut h);
        let moments: Vec<f64> = h.sightings.iter().map(|s| s.t.unwrap()).collect();
        assert_eq!(moments, vec![2.5, 3.0]);
        // A hit whose moments all score low (thresholds off elsewhere) keeps its best one.
        let mut weak = hit(0.6, &[(1.0, 0.5), (2.0, 0.6)]);
        keep_confident_moments(&mut weak);
        assert_eq!(weak.sightings.len(), 1);
        assert_eq!(weak.sightings[0].t, Some(2.0));
    }

    #[test]
    fn issue16_a_video_found_through_two_images_keeps_every_moment_once() {
        let mut known = hit(0.8, &[(4.0, 0.8), (1.0, 0.75)]);
        merge(&mut known, hit(1.2, &[(4.0, 1.2), (9.0, 0.9)]));
        assert_eq!(known.score, 1.2);
        let moments: Vec<(f64, f32)> = known.sightings.iter().map(|s| (s.t.unwrap(), s.score)).collect();
        assert_eq!(moments, vec![(1.0, 0.75), (4.0, 1.2), (9.0, 0.9)]);
    }
}
