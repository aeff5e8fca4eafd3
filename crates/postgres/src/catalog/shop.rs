//! The merchant catalog in PostgreSQL: stores, products, product images and offers.
//!
//! A feed is applied in one transaction; on any error (a CHECK included) the transaction is
//! dropped, which rolls it back, so the previous rows stay exactly as they were. Which rows are
//! unchanged, which products a full import deletes and how offers are ordered are the shared
//! rules of `glint_catalog::backend`. Products' images and offers go with them by
//! `ON DELETE CASCADE`, which PostgreSQL always enforces.

use std::collections::HashSet;

use glint_catalog::backend::{check_feed, listed_products, now, same_product, sort_offers};
use glint_catalog::{
    Availability, CatalogError, CatalogFeed, FeedImage, FeedOffer, FeedProduct, FeedStore, ImageStatus, ImportCounts,
    Offer, ProductDetail, ProductOffers, ProductSummary, ShopCatalog, StoreSummary,
};
use postgres::{GenericClient, Row, Transaction};

use super::{db, snapshot, PgCatalog};

/// Advisory lock key under which feeds are applied one at a time ("glshop" in ASCII). Without
/// it two feeds creating the same store or product at once would both find it missing and the
/// second would fail on the unique key instead of counting it as existing.
const FEED_LOCK: i64 = 0x676c_7368_6f70;

enum Change {
    Created,
    Updated,
    Unchanged,
}

impl ShopCatalog for PgCatalog {
    fn apply_feed(&self, feed: &CatalogFeed, full: bool) -> Result<ImportCounts, CatalogError> {
        check_feed(feed)?;
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(db)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&FEED_LOCK])
            .map_err(db)?;
        let mut counts = ImportCounts::default();
        for store in &feed.stores {
            match upsert_store(&mut tx, store)? {
                Change::Created => counts.stores_created += 1,
                Change::Updated => counts.stores_updated += 1,
                Change::Unchanged => counts.stores_unchanged += 1,
            }
        }
        let at = now();
        for product in &feed.products {
            counts.offers += product.offers.len() as u32;
            match upsert_product(&mut tx, product, at)? {
                Change::Created => counts.created += 1,
                Change::Updated => counts.updated += 1,
                Change::Unchanged => counts.unchanged += 1,
            }
        }
        if full {
            counts.deleted = delete_missing(&mut tx, feed)?;
        }
        tx.commit().map_err(db)?;
        Ok(counts)
    }

    fn products_for_media(&self, media_uid: &str) -> Result<Vec<ProductOffers>, CatalogError> {
        let mut conn = self.conn()?;
        let products = conn
            .query(
                "SELECT DISTINCT p.id, p.store_id, p.product_id, p.title, p.description, p.category, p.brand \
                 FROM products p JOIN product_images i ON i.product = p.id \
                 WHERE i.media_uid = $1 ORDER BY p.store_id, p.product_id",
                &[&media_uid],
            )
            .map_err(db)?;
        let mut out = Vec::with_capacity(products.len());
        for p in &products {
            let offers = offers_of(&mut *conn, p.get(0))?;
            out.push(ProductOffers {
                store_id: p.get(1),
                product_id: p.get(2),
                title: p.get(3),
                description: p.get(4),
                category: p.get(5),
                brand: p.get(6),
                offers,
            });
        }
        Ok(out)
    }

    fn is_product_media(&self, uid: &str) -> Result<bool, CatalogError> {
        Ok(self
            .conn()?
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM product_images WHERE media_uid = $1)",
                &[&uid],
            )
            .map_err(db)?
            .get(0))
    }

    fn product_media_uids(&self) -> Result<HashSet<String>, CatalogError> {
        let rows = self
            .conn()?
            .query(
                "SELECT DISTINCT media_uid FROM product_images WHERE media_uid IS NOT NULL",
                &[],
            )
            .map_err(db)?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn list_stores(&self) -> Result<Vec<StoreSummary>, CatalogError> {
        let rows = self
            .conn()?
            .query(
                "SELECT s.store_id, s.name, s.url, s.country, s.verified, \
                 (SELECT COUNT(*) FROM products p WHERE p.store_id = s.store_id), \
                 (SELECT COUNT(*) FROM offers o WHERE o.store_id = s.store_id) \
                 FROM stores s ORDER BY s.store_id",
                &[],
            )
            .map_err(db)?;
        Ok(rows
            .iter()
            .map(|r| StoreSummary {
                store_id: r.get(0),
                name: r.get(1),
                url: r.get(2),
                country: r.get(3),
                verified: r.get(4),
                products: r.get::<_, i64>(5) as u32,
                offers: r.get::<_, i64>(6) as u32,
            })
            .collect())
    }

    fn list_products(&self, store_id: Option<&str>) -> Result<Vec<ProductSummary>, CatalogError> {
        let rows = self
            .conn()?
            .query(
                "SELECT p.store_id, p.product_id, p.title, p.category, p.brand, \
                 (SELECT COUNT(*) FROM product_images i WHERE i.product = p.id), \
                 (SELECT COUNT(*) FROM product_images i WHERE i.product = p.id AND i.status = 'indexed'), \
                 (SELECT COUNT(*) FROM offers o WHERE o.product = p.id) \
                 FROM products p WHERE $1::TEXT IS NULL OR p.store_id = $1 ORDER BY p.store_id, p.product_id",
                &[&store_id],
            )
            .map_err(db)?;
        Ok(rows
            .iter()
            .map(|r| ProductSummary {
                store_id: r.get(0),
                product_id: r.get(1),
                title: r.get(2),
                category: r.get(3),
                brand: r.get(4),
                images: r.get::<_, i64>(5) as u32,
                indexed_images: r.get::<_, i64>(6) as u32,
                offers: r.get::<_, i64>(7) as u32,
            })
            .collect())
    }

    fn remove_store(&self, store_id: &str) -> Result<u32, CatalogError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(db)?;
        let exists = tx
            .query_opt("SELECT 1 FROM stores WHERE store_id = $1 FOR UPDATE", &[&store_id])
            .map_err(db)?;
        if exists.is_none() {
            return Err(CatalogError::UnknownStore(store_id.to_string()));
        }
        let removed = tx
            .execute("DELETE FROM products WHERE store_id = $1", &[&store_id])
            .map_err(db)?;
        // The offers this store made on other stores' products go with it by cascade.
        tx.execute("DELETE FROM stores WHERE store_id = $1", &[&store_id])
            .map_err(db)?;
        tx.commit().map_err(db)?;
        Ok(removed as u32)
    }

    fn product(&self, store_id: &str, product_id: &str) -> Result<ProductDetail, CatalogError> {
        let mut conn = self.conn()?;
        let row = conn
            .query_opt(
                "SELECT id, title, description, category, brand FROM products WHERE store_id = $1 AND product_id = $2",
                &[&store_id, &product_id],
            )
            .map_err(db)?
            .ok_or_else(|| CatalogError::UnknownProduct {
                store_id: store_id.to_string(),
                product_id: product_id.to_string(),
            })?;
        let id: i64 = row.get(0);
        Ok(ProductDetail {
            product: ProductOffers {
                store_id: store_id.to_string(),
                product_id: product_id.to_string(),
                title: row.get(1),
                description: row.get(2),
                category: row.get(3),
                brand: row.get(4),
                offers: offers_of(&mut *conn, id)?,
            },
            images: images_of(&mut *conn, id)?,
        })
    }

    fn remove_product(&self, store_id: &str, product_id: &str) -> Result<(), CatalogError> {
        let removed = self
            .conn()?
            .execute(
                "DELETE FROM products WHERE store_id = $1 AND product_id = $2",
                &[&store_id, &product_id],
            )
            .map_err(db)?;
        if removed == 0 {
            return Err(CatalogError::UnknownProduct {
                store_id: store_id.to_string(),
                product_id: product_id.to_string(),
            });
        }
        Ok(())
    }

    fn export_feed(&self) -> Result<CatalogFeed, CatalogError> {
        let mut conn = self.conn()?;
        // One snapshot for stores and products. Ids sort bytewise (COLLATE "C"), as SQLite's
        // do, whatever the database's collation, so both backends export in the same order.
        let mut tx = snapshot(&mut conn)?;
        let stores = tx
            .query(
                "SELECT store_id, name, url, country, verified FROM stores ORDER BY store_id COLLATE \"C\"",
                &[],
            )
            .map_err(db)?
            .iter()
            .map(|r| FeedStore {
                store_id: r.get(0),
                name: r.get(1),
                url: r.get(2),
                country: r.get(3),
                verified: r.get(4),
            })
            .collect();
        let ids: Vec<i64> = tx
            .query(
                "SELECT id FROM products ORDER BY store_id COLLATE \"C\", product_id COLLATE \"C\"",
                &[],
            )
            .map_err(db)?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut products = Vec::with_capacity(ids.len());
        for id in ids {
            products.push(load_product(&mut tx, id)?);
        }
        tx.commit().map_err(db)?;
        Ok(CatalogFeed {
            stores,
            products,
            keep: Vec::new(),
        })
    }
}

fn availability(r: &Row, idx: usize) -> Availability {
    Availability::parse(r.get::<_, &str>(idx)).unwrap_or(Availability::Unknown)
}

fn upsert_store(tx: &mut Transaction<'_>, s: &FeedStore) -> Result<Change, CatalogError> {
    // FOR UPDATE: a store removed meanwhile is waited for, then found missing and created.
    let stored = tx
        .query_opt(
            "SELECT store_id, name, url, country, verified FROM stores WHERE store_id = $1 FOR UPDATE",
            &[&s.store_id],
        )
        .map_err(db)?
        .map(|r| FeedStore {
            store_id: r.get(0),
            name: r.get(1),
            url: r.get(2),
            country: r.get(3),
            verified: r.get(4),
        });
    match stored {
        Some(old) if old == *s => Ok(Change::Unchanged),
        Some(_) => {
            tx.execute(
                "UPDATE stores SET name = $2, url = $3, country = $4, verified = $5 WHERE store_id = $1",
                &[&s.store_id, &s.name, &s.url, &s.country, &s.verified],
            )
            .map_err(db)?;
            Ok(Change::Updated)
        }
        None => {
            tx.execute(
                "INSERT INTO stores (store_id, name, url, country, verified) VALUES ($1, $2, $3, $4, $5)",
                &[&s.store_id, &s.name, &s.url, &s.country, &s.verified],
            )
            .map_err(db)?;
            Ok(Change::Created)
        }
    }
}

/// The offers of product row `id` with their stores, in stock first, then cheapest.
fn offers_of(client: &mut impl GenericClient, id: i64) -> Result<Vec<Offer>, CatalogError> {
    let mut offers: Vec<Offer> = client
        .query(
            "SELECT o.store_id, s.name, s.url, s.country, s.verified, o.price, o.currency, o.url, \
             o.availability, o.updated_at FROM offers o JOIN stores s ON s.store_id = o.store_id \
             WHERE o.product = $1",
            &[&id],
        )
        .map_err(db)?
        .iter()
        .map(|r| Offer {
            store_id: r.get(0),
            store_name: r.get(1),
            store_url: r.get(2),
            country: r.get(3),
            verified: r.get(4),
            price: r.get(5),
            currency: r.get(6),
            url: r.get(7),
            availability: availability(r, 8),
            updated_at: r.get(9),
        })
        .collect();
    sort_offers(&mut offers);
    Ok(offers)
}

/// The images of product row `id`, in feed order.
fn images_of(client: &mut impl GenericClient, id: i64) -> Result<Vec<FeedImage>, CatalogError> {
    Ok(client
        .query(
            "SELECT source, status, media_uid FROM product_images WHERE product = $1 ORDER BY position",
            &[&id],
        )
        .map_err(db)?
        .iter()
        .map(|r| FeedImage {
            source: r.get(0),
            status: ImageStatus::parse(r.get::<_, &str>(1)),
            media_uid: r.get(2),
        })
        .collect())
}

/// A stored product in the feed's shape (offers with their stored times).
fn load_product(tx: &mut Transaction<'_>, id: i64) -> Result<FeedProduct, CatalogError> {
    let r = tx
        .query_one(
            "SELECT store_id, product_id, title, description, category, brand FROM products WHERE id = $1",
            &[&id],
        )
        .map_err(db)?;
    let images = images_of(tx, id)?;
    let offers = tx
        .query(
            "SELECT store_id, price, currency, url, availability, updated_at FROM offers WHERE product = $1 ORDER BY id",
            &[&id],
        )
        .map_err(db)?
        .iter()
        .map(|r| FeedOffer {
            store_id: r.get(0),
            price: r.get(1),
            currency: r.get(2),
            url: r.get(3),
            availability: availability(r, 4),
            updated_at: Some(r.get(5)),
        })
        .collect();
    Ok(FeedProduct {
        store_id: r.get(0),
        product_id: r.get(1),
        title: r.get(2),
        description: r.get(3),
        category: r.get(4),
        brand: r.get(5),
        images,
        offers,
    })
}

fn upsert_product(tx: &mut Transaction<'_>, p: &FeedProduct, at: i64) -> Result<Change, CatalogError> {
    // FOR UPDATE: a product removed meanwhile is waited for, then found missing and created.
    let existing: Option<i64> = tx
        .query_opt(
            "SELECT id FROM products WHERE store_id = $1 AND product_id = $2 FOR UPDATE",
            &[&p.store_id, &p.product_id],
        )
        .map_err(db)?
        .map(|r| r.get(0));
    let (id, change) = match existing {
        Some(id) => {
            let old = load_product(tx, id)?;
            if same_product(p, &old) {
                return Ok(Change::Unchanged);
            }
            tx.execute(
                "UPDATE products SET title = $2, description = $3, category = $4, brand = $5 WHERE id = $1",
                &[&id, &p.title, &p.description, &p.category, &p.brand],
            )
            .map_err(db)?;
            tx.execute("DELETE FROM product_images WHERE product = $1", &[&id])
                .map_err(db)?;
            tx.execute("DELETE FROM offers WHERE product = $1", &[&id])
                .map_err(db)?;
            (id, Change::Updated)
        }
        None => {
            let id: i64 = tx
                .query_one(
                    "INSERT INTO products (store_id, product_id, title, description, category, brand) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    &[
                        &p.store_id,
                        &p.product_id,
                        &p.title,
                        &p.description,
                        &p.category,
                        &p.brand,
                    ],
                )
                .map_err(db)?
                .get(0);
            (id, Change::Created)
        }
    };
    for (position, image) in p.images.iter().enumerate() {
        tx.execute(
            "INSERT INTO product_images (product, position, source, status, media_uid) VALUES ($1, $2, $3, $4, $5)",
            &[
                &id,
                &(position as i64),
                &image.source,
                &image.status.as_str(),
                &image.media_uid,
            ],
        )
        .map_err(db)?;
    }
    for o in &p.offers {
        tx.execute(
            "INSERT INTO offers (product, store_id, price, currency, url, availability, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &id,
                &o.store_id,
                &o.price,
                &o.currency,
                &o.url,
                &o.availability.as_str(),
                &o.updated_at.unwrap_or(at),
            ],
        )
        .map_err(db)?;
    }
    Ok(change)
}

/// Deletes the products of the feed's stores that neither the feed nor its rejected rows name.
fn delete_missing(tx: &mut Transaction<'_>, feed: &CatalogFeed) -> Result<u32, CatalogError> {
    let listed = listed_products(feed);
    let mut deleted = 0;
    for store in &feed.stores {
        let keep: Vec<&str> = listed
            .get(store.store_id.as_str())
            .map(|k| k.iter().copied().collect())
            .unwrap_or_default();
        // `<> ALL` of an empty array is true: a store the feed lists nothing for loses all.
        deleted += tx
            .execute(
                "DELETE FROM products WHERE store_id = $1 AND product_id <> ALL($2)",
                &[&store.store_id, &keep],
            )
            .map_err(db)?;
    }
    Ok(deleted as u32)
}
