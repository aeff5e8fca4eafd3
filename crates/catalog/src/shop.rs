//! The merchant catalog: stores, their products, product images and offers (issue #6).
//!
//! A validated feed ([`CatalogFeed`], built by the `glint-merchant` crate) is applied in one
//! transaction by [`Catalog::apply_feed`]: a crash or an error leaves the previous rows exactly as
//! they were. Each product is compared with what is stored before anything is written, so
//! re-applying the same feed writes nothing. Search uses [`Catalog::products_for_media`] to say
//! where an indexed product image can be bought.

use std::collections::{HashMap, HashSet};

use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

use crate::media::now;
use crate::{CatalogError, ShopCatalog, SqliteCatalog};

/// Whether an offer can be bought now. The declaration order is the order offers are listed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    InStock,
    Preorder,
    OutOfStock,
    Unknown,
}

impl Availability {
    pub fn as_str(self) -> &'static str {
        match self {
            Availability::InStock => "in_stock",
            Availability::Preorder => "preorder",
            Availability::OutOfStock => "out_of_stock",
            Availability::Unknown => "unknown",
        }
    }

    /// Parses the stored (and feed) spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "in_stock" => Some(Availability::InStock),
            "preorder" => Some(Availability::Preorder),
            "out_of_stock" => Some(Availability::OutOfStock),
            "unknown" => Some(Availability::Unknown),
            _ => None,
        }
    }
}

/// What became of a product image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImageStatus {
    /// A local image indexed as a media; its uid is recorded.
    Indexed,
    /// A URL: recorded as given, never downloaded.
    NotFetched,
    Failed,
}

impl ImageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ImageStatus::Indexed => "indexed",
            ImageStatus::NotFetched => "not fetched",
            ImageStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "indexed" => ImageStatus::Indexed,
            "not fetched" => ImageStatus::NotFetched,
            _ => ImageStatus::Failed,
        }
    }
}

/// A store as a feed declares it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedStore {
    pub store_id: String,
    pub name: String,
    pub url: Option<String>,
    pub country: Option<String>,
    pub verified: bool,
}

/// One image of a product, after the importer has dealt with it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FeedImage {
    /// The relative path or URL as the feed gave it.
    pub source: String,
    pub status: ImageStatus,
    pub media_uid: Option<String>,
}

/// One offer of a product.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedOffer {
    pub store_id: String,
    pub price: f64,
    pub currency: String,
    pub url: String,
    pub availability: Availability,
    /// Unix seconds. `None` (the feed did not say): the stored time is kept when the offer is
    /// otherwise unchanged, else the time of the import.
    pub updated_at: Option<i64>,
}

/// One product with everything it replaces.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedProduct {
    pub store_id: String,
    pub product_id: String,
    pub title: String,
    pub description: Option<String>,
    pub category: Option<String>,
    pub brand: Option<String>,
    pub images: Vec<FeedImage>,
    pub offers: Vec<FeedOffer>,
}

/// A validated feed, ready for [`Catalog::apply_feed`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CatalogFeed {
    pub stores: Vec<FeedStore>,
    pub products: Vec<FeedProduct>,
    /// `(store_id, product_id)` of products the feed mentions but that were rejected: a full
    /// import must not delete them for a typo in one row.
    pub keep: Vec<(String, String)>,
}

/// What [`Catalog::apply_feed`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    pub stores_created: u32,
    pub stores_updated: u32,
    pub stores_unchanged: u32,
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
    /// Products removed by a full import.
    pub deleted: u32,
    /// Offers of the products in the feed.
    pub offers: u32,
}

/// An offer as search shows it, with its store.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Offer {
    pub store_id: String,
    pub store_name: String,
    pub store_url: Option<String>,
    /// ISO 3166 two-letter code.
    pub country: Option<String>,
    /// Whether the store is marked verified in the catalog.
    pub verified: bool,
    #[schema(minimum = 0)]
    pub price: f64,
    /// ISO 4217 code, upper case.
    pub currency: String,
    /// The offer's page (http or https).
    pub url: String,
    pub availability: Availability,
    /// When the merchant last confirmed the offer (Unix seconds; RFC 3339 when serialized).
    #[serde(serialize_with = "glint_types::serialize_rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: i64,
}

/// A product whose image is a given media, with its offers (in stock first, then cheapest).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ProductOffers {
    pub store_id: String,
    pub product_id: String,
    pub title: String,
    pub description: Option<String>,
    pub category: Option<String>,
    pub brand: Option<String>,
    /// In stock first, then cheapest.
    pub offers: Vec<Offer>,
}

/// One product with its offers and its images (the product page, issue 16).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ProductDetail {
    #[serde(flatten)]
    pub product: ProductOffers,
    /// In the feed's order; `media_uid` is set on the images that were indexed.
    pub images: Vec<FeedImage>,
}

/// A store with how much it holds.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = Store)]
pub struct StoreSummary {
    pub store_id: String,
    pub name: String,
    pub url: Option<String>,
    pub country: Option<String>,
    pub verified: bool,
    pub products: u32,
    pub offers: u32,
}

/// A product as listings show it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = Product)]
pub struct ProductSummary {
    pub store_id: String,
    pub product_id: String,
    pub title: String,
    pub category: Option<String>,
    pub brand: Option<String>,
    pub images: u32,
    pub indexed_images: u32,
    pub offers: u32,
}

impl ShopCatalog for SqliteCatalog {
    /// Applies a validated feed in one transaction: upserts its stores, upserts its products by
    /// `(store_id, product_id)` replacing their images and offers, and with `full` deletes the
    /// products of the feed's stores that the feed no longer lists. Unchanged rows are not
    /// written at all.
    fn apply_feed(&self, feed: &CatalogFeed, full: bool) -> Result<ImportCounts, CatalogError> {
        check_feed(feed)?;
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut counts = ImportCounts::default();
        for store in &feed.stores {
            match upsert_store(&tx, store)? {
                Change::Created => counts.stores_created += 1,
                Change::Updated => counts.stores_updated += 1,
                Change::Unchanged => counts.stores_unchanged += 1,
            }
        }
        let at = now();
        for product in &feed.products {
            counts.offers += product.offers.len() as u32;
            match upsert_product(&tx, product, at)? {
                Change::Created => counts.created += 1,
                Change::Updated => counts.updated += 1,
                Change::Unchanged => counts.unchanged += 1,
            }
        }
        if full {
            counts.deleted = delete_missing(&tx, feed)?;
        }
        tx.commit()?;
        Ok(counts)
    }

    /// The products that show media `uid` in one of their images, each with its offers.
    fn products_for_media(&self, media_uid: &str) -> Result<Vec<ProductOffers>, CatalogError> {
        let conn = self.read();
        let mut stmt = conn.prepare(
            "SELECT DISTINCT p.id, p.store_id, p.product_id, p.title, p.description, p.category, p.brand \
             FROM products p JOIN product_images i ON i.product = p.id \
             WHERE i.media_uid = ?1 ORDER BY p.store_id, p.product_id",
        )?;
        let products = stmt
            .query_map([media_uid], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    ProductOffers {
                        store_id: r.get(1)?,
                        product_id: r.get(2)?,
                        title: r.get(3)?,
                        description: r.get(4)?,
                        category: r.get(5)?,
                        brand: r.get(6)?,
                        offers: Vec::new(),
                    },
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = Vec::with_capacity(products.len());
        for (id, mut product) in products {
            product.offers = offers_of(&conn, id)?;
            out.push(product);
        }
        Ok(out)
    }

    /// One product with its offers and images; `UnknownProduct` when the store does not list it.
    fn product(&self, store_id: &str, product_id: &str) -> Result<ProductDetail, CatalogError> {
        let conn = self.read();
        let found = conn
            .query_row(
                "SELECT id, title, description, category, brand FROM products WHERE store_id = ?1 AND product_id = ?2",
                [store_id, product_id],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        ProductOffers {
                            store_id: store_id.to_string(),
                            product_id: product_id.to_string(),
                            title: r.get(1)?,
                            description: r.get(2)?,
                            category: r.get(3)?,
                            brand: r.get(4)?,
                            offers: Vec::new(),
                        },
                    ))
                },
            )
            .optional()?;
        let Some((id, mut product)) = found else {
            return Err(CatalogError::UnknownProduct {
                store_id: store_id.to_string(),
                product_id: product_id.to_string(),
            });
        };
        product.offers = offers_of(&conn, id)?;
        let images = images_of(&conn, id)?;
        Ok(ProductDetail { product, images })
    }

    /// Whether media `uid` is the image of some product.
    fn is_product_media(&self, uid: &str) -> Result<bool, CatalogError> {
        let found: Option<i64> = self
            .read()
            .query_row(
                "SELECT 1 FROM product_images WHERE media_uid = ?1 LIMIT 1",
                [uid],
                |r| r.get(0),
            )
            .optional()?;
        Ok(found.is_some())
    }

    /// Every media uid that is a product image (one query, for telling product images apart
    /// from people's own media while ranking).
    fn product_media_uids(&self) -> Result<HashSet<String>, CatalogError> {
        let conn = self.read();
        let mut stmt = conn.prepare("SELECT DISTINCT media_uid FROM product_images WHERE media_uid IS NOT NULL")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every store with its product and offer counts, by id.
    fn list_stores(&self) -> Result<Vec<StoreSummary>, CatalogError> {
        let conn = self.read();
        let mut stmt = conn.prepare(
            "SELECT s.store_id, s.name, s.url, s.country, s.verified, \
             (SELECT COUNT(*) FROM products p WHERE p.store_id = s.store_id), \
             (SELECT COUNT(*) FROM offers o WHERE o.store_id = s.store_id) \
             FROM stores s ORDER BY s.store_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(StoreSummary {
                store_id: r.get(0)?,
                name: r.get(1)?,
                url: r.get(2)?,
                country: r.get(3)?,
                verified: r.get(4)?,
                products: r.get(5)?,
                offers: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Products (of one store, or all), by store then product id.
    fn list_products(&self, store_id: Option<&str>) -> Result<Vec<ProductSummary>, CatalogError> {
        let conn = self.read();
        let mut stmt = conn.prepare(
            "SELECT p.store_id, p.product_id, p.title, p.category, p.brand, \
             (SELECT COUNT(*) FROM product_images i WHERE i.product = p.id), \
             (SELECT COUNT(*) FROM product_images i WHERE i.product = p.id AND i.status = 'indexed'), \
             (SELECT COUNT(*) FROM offers o WHERE o.product = p.id) \
             FROM products p WHERE ?1 IS NULL OR p.store_id = ?1 ORDER BY p.store_id, p.product_id",
        )?;
        let rows = stmt.query_map([store_id], |r| {
            Ok(ProductSummary {
                store_id: r.get(0)?,
                product_id: r.get(1)?,
                title: r.get(2)?,
                category: r.get(3)?,
                brand: r.get(4)?,
                images: r.get(5)?,
                indexed_images: r.get(6)?,
                offers: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Removes a store with its products, their images rows and every offer it made; returns
    /// how many products went. The indexed images stay (they are ordinary media).
    fn remove_store(&self, store_id: &str) -> Result<u32, CatalogError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let exists: Option<i64> = tx
            .query_row("SELECT 1 FROM stores WHERE store_id = ?1", [store_id], |r| r.get(0))
            .optional()?;
        if exists.is_none() {
            return Err(CatalogError::UnknownStore(store_id.to_string()));
        }
        let ids: Vec<i64> = {
            let mut stmt = tx.prepare("SELECT id FROM products WHERE store_id = ?1")?;
            let rows = stmt.query_map([store_id], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        for id in &ids {
            delete_product_rows(&tx, *id)?;
        }
        // Offers this store made on other stores' products go with it.
        tx.execute("DELETE FROM offers WHERE store_id = ?1", [store_id])?;
        tx.execute("DELETE FROM stores WHERE store_id = ?1", [store_id])?;
        tx.commit()?;
        Ok(ids.len() as u32)
    }

    /// Removes one product with its images rows and offers.
    fn remove_product(&self, store_id: &str, product_id: &str) -> Result<(), CatalogError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let id = product_row(&tx, store_id, product_id)?.ok_or_else(|| CatalogError::UnknownProduct {
            store_id: store_id.to_string(),
            product_id: product_id.to_string(),
        })?;
        delete_product_rows(&tx, id)?;
        tx.commit()?;
        Ok(())
    }

    /// The whole merchant catalog as a feed that recreates it.
    fn export_feed(&self) -> Result<CatalogFeed, CatalogError> {
        let mut conn = self.read();
        // One read transaction: stores and products from the same snapshot.
        let tx = conn.transaction()?;
        let stores = {
            let mut stmt = tx.prepare("SELECT store_id, name, url, country, verified FROM stores ORDER BY store_id")?;
            let rows = stmt.query_map([], store_row)?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        let ids: Vec<i64> = {
            let mut stmt = tx.prepare("SELECT id FROM products ORDER BY store_id, product_id")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        let products = ids
            .into_iter()
            .map(|id| load_product(&tx, id))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CatalogFeed {
            stores,
            products,
            keep: Vec::new(),
        })
    }
}

enum Change {
    Created,
    Updated,
    Unchanged,
}

/// What the schema would refuse anyway, said in words before any row is written.
pub fn check_feed(feed: &CatalogFeed) -> Result<(), CatalogError> {
    let stores: HashSet<&str> = feed.stores.iter().map(|s| s.store_id.as_str()).collect();
    let mut seen = HashSet::new();
    for p in &feed.products {
        if !seen.insert((p.store_id.as_str(), p.product_id.as_str())) {
            return Err(CatalogError::BadFeed(format!(
                "product {} of store {} appears twice",
                p.product_id, p.store_id
            )));
        }
        for o in &p.offers {
            if !o.price.is_finite() || o.price < 0.0 {
                return Err(CatalogError::BadFeed(format!(
                    "price {} of product {}",
                    o.price, p.product_id
                )));
            }
        }
        if !stores.contains(p.store_id.as_str()) {
            return Err(CatalogError::BadFeed(format!(
                "product {} names store {} that the feed does not declare",
                p.product_id, p.store_id
            )));
        }
    }
    Ok(())
}

/// A store from `SELECT store_id, name, url, country, verified`.
fn store_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FeedStore> {
    Ok(FeedStore {
        store_id: r.get(0)?,
        name: r.get(1)?,
        url: r.get(2)?,
        country: r.get(3)?,
        verified: r.get(4)?,
    })
}

fn upsert_store(tx: &Transaction<'_>, s: &FeedStore) -> Result<Change, CatalogError> {
    let stored: Option<FeedStore> = tx
        .query_row(
            "SELECT store_id, name, url, country, verified FROM stores WHERE store_id = ?1",
            [&s.store_id],
            store_row,
        )
        .optional()?;
    match stored {
        Some(old) if old == *s => Ok(Change::Unchanged),
        Some(_) => {
            tx.execute(
                "UPDATE stores SET name = ?2, url = ?3, country = ?4, verified = ?5 WHERE store_id = ?1",
                params![s.store_id, s.name, s.url, s.country, s.verified],
            )?;
            Ok(Change::Updated)
        }
        None => {
            tx.execute(
                "INSERT INTO stores (store_id, name, url, country, verified) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![s.store_id, s.name, s.url, s.country, s.verified],
            )?;
            Ok(Change::Created)
        }
    }
}

fn product_row(tx: &Transaction<'_>, store_id: &str, product_id: &str) -> Result<Option<i64>, CatalogError> {
    Ok(tx
        .query_row(
            "SELECT id FROM products WHERE store_id = ?1 AND product_id = ?2",
            [store_id, product_id],
            |r| r.get(0),
        )
        .optional()?)
}

/// The offers of product row `id` with their stores, in stock first, then cheapest.
fn offers_of(conn: &rusqlite::Connection, id: i64) -> Result<Vec<Offer>, CatalogError> {
    let mut stmt = conn.prepare_cached(
        "SELECT o.store_id, s.name, s.url, s.country, s.verified, o.price, o.currency, o.url, \
         o.availability, o.updated_at FROM offers o JOIN stores s ON s.store_id = o.store_id \
         WHERE o.product = ?1",
    )?;
    let mut offers = stmt
        .query_map([id], |r| {
            Ok(Offer {
                store_id: r.get(0)?,
                store_name: r.get(1)?,
                store_url: r.get(2)?,
                country: r.get(3)?,
                verified: r.get(4)?,
                price: r.get(5)?,
                currency: r.get(6)?,
                url: r.get(7)?,
                availability: Availability::parse(&r.get::<_, String>(8)?).unwrap_or(Availability::Unknown),
                updated_at: r.get(9)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    sort_offers(&mut offers);
    Ok(offers)
}

/// The images of product row `id`, in feed order.
fn images_of(conn: &rusqlite::Connection, id: i64) -> Result<Vec<FeedImage>, CatalogError> {
    let mut stmt = conn
        .prepare_cached("SELECT source, status, media_uid FROM product_images WHERE product = ?1 ORDER BY position")?;
    let images = stmt
        .query_map([id], |r| {
            Ok(FeedImage {
                source: r.get(0)?,
                status: ImageStatus::parse(&r.get::<_, String>(1)?),
                media_uid: r.get(2)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(images)
}

/// A stored product in the feed's shape (offers with their stored times).
fn load_product(tx: &Transaction<'_>, id: i64) -> Result<FeedProduct, CatalogError> {
    let mut product = tx.query_row(
        "SELECT store_id, product_id, title, description, category, brand FROM products WHERE id = ?1",
        [id],
        |r| {
            Ok(FeedProduct {
                store_id: r.get(0)?,
                product_id: r.get(1)?,
                title: r.get(2)?,
                description: r.get(3)?,
                category: r.get(4)?,
                brand: r.get(5)?,
                images: Vec::new(),
                offers: Vec::new(),
            })
        },
    )?;
    product.images = images_of(tx, id)?;
    let mut stmt = tx.prepare(
        "SELECT store_id, price, currency, url, availability, updated_at FROM offers WHERE product = ?1 ORDER BY id",
    )?;
    product.offers = stmt
        .query_map([id], |r| {
            Ok(FeedOffer {
                store_id: r.get(0)?,
                price: r.get(1)?,
                currency: r.get(2)?,
                url: r.get(3)?,
                availability: Availability::parse(&r.get::<_, String>(4)?).unwrap_or(Availability::Unknown),
                updated_at: Some(r.get(5)?),
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(product)
}

/// Whether the feed's offer says the same as the stored one; a feed without a time agrees with
/// any stored time.
pub fn same_offer(new: &FeedOffer, old: &FeedOffer) -> bool {
    new.store_id == old.store_id
        && new.price == old.price
        && new.currency == old.currency
        && new.url == old.url
        && new.availability == old.availability
        && (new.updated_at.is_none() || new.updated_at == old.updated_at)
}

pub fn same_product(new: &FeedProduct, old: &FeedProduct) -> bool {
    new.title == old.title
        && new.description == old.description
        && new.category == old.category
        && new.brand == old.brand
        && new.images == old.images
        && new.offers.len() == old.offers.len()
        && new.offers.iter().zip(&old.offers).all(|(n, o)| same_offer(n, o))
}

fn upsert_product(tx: &Transaction<'_>, p: &FeedProduct, at: i64) -> Result<Change, CatalogError> {
    let (id, change) = match product_row(tx, &p.store_id, &p.product_id)? {
        Some(id) => {
            let old = load_product(tx, id)?;
            if same_product(p, &old) {
                return Ok(Change::Unchanged);
            }
            tx.execute(
                "UPDATE products SET title = ?2, description = ?3, category = ?4, brand = ?5 WHERE id = ?1",
                params![id, p.title, p.description, p.category, p.brand],
            )?;
            tx.execute("DELETE FROM product_images WHERE product = ?1", [id])?;
            tx.execute("DELETE FROM offers WHERE product = ?1", [id])?;
            (id, Change::Updated)
        }
        None => {
            tx.execute(
                "INSERT INTO products (store_id, product_id, title, description, category, brand) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![p.store_id, p.product_id, p.title, p.description, p.category, p.brand],
            )?;
            (tx.last_insert_rowid(), Change::Created)
        }
    };
    for (position, image) in p.images.iter().enumerate() {
        tx.execute(
            "INSERT INTO product_images (product, position, source, status, media_uid) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                id,
                position as i64,
                image.source,
                image.status.as_str(),
                image.media_uid
            ],
        )?;
    }
    for o in &p.offers {
        tx.execute(
            "INSERT INTO offers (product, store_id, price, currency, url, availability, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                id,
                o.store_id,
                o.price,
                o.currency,
                o.url,
                o.availability.as_str(),
                o.updated_at.unwrap_or(at)
            ],
        )?;
    }
    Ok(change)
}

/// Deletes the products of the feed's stores that neither the feed nor its rejected rows name.
fn delete_missing(tx: &Transaction<'_>, feed: &CatalogFeed) -> Result<u32, CatalogError> {
    let listed = listed_products(feed);
    let mut deleted = 0;
    for store in &feed.stores {
        let ids: Vec<(i64, String)> = {
            let mut stmt = tx.prepare("SELECT id, product_id FROM products WHERE store_id = ?1")?;
            let rows = stmt.query_map([&store.store_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        let keep = listed.get(store.store_id.as_str());
        for (id, product_id) in ids {
            if keep.is_some_and(|k| k.contains(product_id.as_str())) {
                continue;
            }
            delete_product_rows(tx, id)?;
            deleted += 1;
        }
    }
    Ok(deleted)
}

/// The product ids per store that a full import keeps: those the feed lists or rejected.
pub fn listed_products(feed: &CatalogFeed) -> HashMap<&str, HashSet<&str>> {
    let mut listed: HashMap<&str, HashSet<&str>> = HashMap::new();
    for p in &feed.products {
        listed.entry(&p.store_id).or_default().insert(&p.product_id);
    }
    for (s, p) in &feed.keep {
        listed.entry(s).or_default().insert(p);
    }
    listed
}

/// Offers as search lists them: in stock first, then cheapest.
pub fn sort_offers(offers: &mut [Offer]) {
    offers.sort_by(|a, b| a.availability.cmp(&b.availability).then(a.price.total_cmp(&b.price)));
}

/// Explicit deletes, so that removal does not depend on the foreign_keys pragma of the connection.
fn delete_product_rows(tx: &Transaction<'_>, id: i64) -> Result<(), CatalogError> {
    tx.execute("DELETE FROM product_images WHERE product = ?1", [id])?;
    tx.execute("DELETE FROM offers WHERE product = ?1", [id])?;
    tx.execute("DELETE FROM products WHERE id = ?1", [id])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::feed;
    use crate::PrivacyCatalog;

    #[test]
    fn a_v3_catalog_is_migrated_to_v4() {
        let dir = tempfile::tempdir().unwrap();
        {
            let conn = rusqlite::Connection::open(dir.path().join("catalog.sqlite3")).unwrap();
            conn.execute_batch(&format!(
                "BEGIN; {} {} {} PRAGMA user_version = 3; COMMIT;",
                crate::schema::SCHEMA_V1,
                crate::schema::SCHEMA_V2,
                crate::schema::SCHEMA_V3
            ))
            .unwrap();
            conn.execute("INSERT INTO opt_outs (created_at, note) VALUES (0, 'kept')", [])
                .unwrap();
        }
        let c = SqliteCatalog::open(dir.path()).unwrap();
        let version: i64 = c.conn().pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(version, crate::schema::VERSION);
        assert_eq!(c.list_opt_outs().unwrap().len(), 1, "v3 data survives");
        c.apply_feed(&feed(), false).unwrap();
        assert_eq!(c.list_stores().unwrap().len(), 2);
    }
}
