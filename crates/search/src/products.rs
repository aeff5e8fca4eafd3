//! "Where to buy": item hits that are merchants' product images become product results.
//!
//! A product image in the catalog (glint-merchant indexes each one as an item) is not a photo
//! the viewer wants to browse; it stands for the product. So an item hit on such an image
//! leaves the item group and becomes a [`ProductHit`]: the product (one per store that lists
//! it with that image) with its offers. Products keep their hit's verified score and order;
//! several stores' products on one image are ordered by their best offer (in stock first, then
//! cheapest). Offers within a product come sorted the same way from the catalog.

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

/// Splits `hits` into ordinary item hits and product hits (see the module header).
pub(crate) fn split(store: &Store, hits: Vec<MediaHit>) -> Result<(Vec<MediaHit>, Vec<ProductHit>), SearchError> {
    let mut items = Vec::new();
    let mut products = Vec::new();
    for hit in hits {
        if !store.catalog.is_product_media(&hit.media_id)? {
            items.push(hit);
            continue;
        }
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
    Ok((items, products))
}

/// Sort key of a product's best offer: availability (in declaration order), then price; a
/// product without offers sorts last.
fn best_offer(p: &ProductOffers) -> (Availability, f64) {
    p.offers
        .first()
        .map(|o| (o.availability, o.price))
        .unwrap_or((Availability::Unknown, f64::MAX))
}
