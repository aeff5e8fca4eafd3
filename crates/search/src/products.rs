//! "Where to buy": item hits on merchants' product images become product results.
//!
//! A product image in the catalog (glint-merchant indexes each one as an item) is not a photo
//! the viewer wants to browse; it stands for the product. So product images are ranked apart
//! from the library's media (`Searcher::items`), and each hit on one becomes a [`ProductHit`]:
//! the product (one per store that lists it with that image) with its offers. Products keep
//! their hit's verified score and order; several stores' products on one image are ordered by
//! their best offer (in stock first, then cheapest). Offers within a product come sorted the same way from the catalog.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use glint_catalog::{Availability, ProductOffers};
use glint_store::Store;
use serde::Serialize;

use crate::{MediaHit, SearchError};

/// A product of one store whose image matched the query, with where to buy it. Several stores
/// selling a product with the same image give one hit each, with the same `media_id`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProductHit {
    /// Similarity of the matched product image; above 1 when geometric verification confirmed
    /// the match.
    pub score: f32,
    /// The product image that matched.
    pub media_id: String,
    #[serde(flatten)]
    pub product: ProductOffers,
}

/// The products shown by `hits` (hits on product images, best first), each with its offers.
pub(crate) fn offers(store: &Store, hits: Vec<MediaHit>) -> Result<Vec<ProductHit>, SearchError> {
    let mut products = Vec::new();
    for hit in hits {
        let mut found = store.catalog.products_for_media(&hit.media_id)?;
        found.sort_by(|a, b| {
            best_offer(a)
                .partial_cmp(&best_offer(b))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        products.extend(found.into_iter().map(|product| ProductHit {
            score: hit.score,
            media_id: hit.media_id.clone(),
            product,
        }));
    }
    Ok(products)
}

/// The vector ids of every product image, looked up again only when the set of product images
/// changed (an import, a removal), whichever process made the change: each search reads the
/// (small) set of product image ids and compares.
#[derive(Default)]
pub(crate) struct ProductVectors {
    known: Mutex<Option<Known>>,
}

/// The product image ids last seen, and their vector ids.
type Known = (HashSet<String>, Arc<HashSet<u64>>);

impl ProductVectors {
    pub fn get(&self, store: &Store) -> Result<Arc<HashSet<u64>>, SearchError> {
        let uids = store.catalog.product_media_uids()?;
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((seen, ids)) = known.as_ref() {
            if *seen == uids {
                return Ok(ids.clone());
            }
        }
        let list: Vec<String> = uids.iter().cloned().collect();
        let ids = Arc::new(store.catalog.vector_ids_of_media(&list)?);
        *known = Some((uids, ids.clone()));
        Ok(ids)
    }
}

/// Sort key of a product's best offer: availability (in declaration order), then price; a
/// product without offers sorts last.
fn best_offer(p: &ProductOffers) -> (Availability, f64) {
    p.offers
        .first()
        .map(|o| (o.availability, o.price))
        .unwrap_or((Availability::Unknown, f64::MAX))
}
