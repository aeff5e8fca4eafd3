//! Which stored vectors the item route ranks among, and the hits of a box's window vectors
//! searched ahead of the rest of the query.
//!
//! The library's media and the merchants' product images are ranked apart ([`ItemScopes`]): in a
//! library with many photos of a product, those photos would otherwise fill every place and push
//! its shop image out, and "where to buy" would be empty.
//!
//! The box's window vectors are known once the item description ends, while the object detector
//! (and the face's embedding) may still run for tens of milliseconds; [`search_windows`] walks
//! the index for them then, and the ranking later adds only the detected object's vector. Each
//! stored vector keeps its best score over all the query's vectors, so searching in two parts
//! finds what one search would.

use std::collections::HashSet;
use std::sync::Arc;

use glint_index::{Filter, Hit};
use glint_store::Store;

use crate::{rank, SearchError};

/// The scopes of one item query.
pub(crate) enum ItemScopes {
    /// No merchant imported products: one ranking, among the allowed media.
    MediaOnly,
    /// The library's media, and apart from them the product images.
    WithProducts { media: rank::Scope, products: rank::Scope },
}

impl ItemScopes {
    /// The scopes for a search among `allowed` (every vector when `None`), given the vectors of
    /// the product images (`shop`).
    pub fn new(shop: Arc<HashSet<u64>>, allowed: Option<&HashSet<u64>>) -> Self {
        if shop.is_empty() {
            return Self::MediaOnly;
        }
        match allowed {
            Some(allowed) => Self::WithProducts {
                media: rank::Scope::Only(Arc::new(allowed.difference(&shop).copied().collect())),
                products: rank::Scope::Only(Arc::new(allowed.intersection(&shop).copied().collect())),
            },
            None => Self::WithProducts {
                media: rank::Scope::Except(shop.clone()),
                products: rank::Scope::Only(shop),
            },
        }
    }

    /// What the media ranking's index search may return.
    fn media_filter<'a>(&'a self, allowed: Option<&'a HashSet<u64>>) -> Option<Filter<'a>> {
        match self {
            Self::MediaOnly => allowed.map(Filter::Only),
            Self::WithProducts { media, .. } => Some(media.filter()),
        }
    }
}

/// Hits of the first `vectors` of an item query's vectors, in each scope.
pub(crate) struct Searched {
    pub scopes: ItemScopes,
    pub vectors: usize,
    pub media: Vec<Hit>,
    /// Empty for [`ItemScopes::MediaOnly`].
    pub products: Vec<Hit>,
}

/// Searches `queries` (the box's window vectors) in every scope of an item query among `allowed`.
pub(crate) fn search_windows(
    store: &Store,
    space: &str,
    scopes: ItemScopes,
    allowed: Option<&HashSet<u64>>,
    queries: &[Vec<f32>],
) -> Result<Searched, SearchError> {
    let media = rank::search(store, space, scopes.media_filter(allowed), queries)?;
    let products = match &scopes {
        ItemScopes::MediaOnly => Vec::new(),
        ItemScopes::WithProducts { products, .. } => rank::search(store, space, Some(products.filter()), queries)?,
    };
    Ok(Searched {
        scopes,
        vectors: queries.len(),
        media,
        products,
    })
}
