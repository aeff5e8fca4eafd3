//! Judging a raw feed field by field. Every problem becomes a [`RowError`]; a bad row (CSV) or a
//! bad product (JSON) is left out and the rest goes on. CSV rows of the same
//! `(store_id, product_id)` are one product with several offers.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use glint_catalog::{Availability, FeedOffer, FeedProduct, FeedStore};
use glint_media::DecodeLimits;

use crate::currency;
use crate::images::{check, is_http_url, ImageRef};
use crate::parse::{FeedFormat, RawFeed, RawOffer, RawProduct, RawStore};

/// Longest accepted title, in characters.
pub const MAX_TITLE_CHARS: usize = 500;
/// Most images per product.
pub const MAX_IMAGES: usize = 20;
/// Ids, names, categories and brands are short labels.
const MAX_LABEL_CHARS: usize = 200;
const MAX_DESCRIPTION_CHARS: usize = 5000;
const MAX_URL_CHARS: usize = 2048;
/// Prices above this are typing errors, not products.
const MAX_PRICE: f64 = 1e9;

/// One problem in one row: `row` is the 1-based CSV data row or the 1-based position in the JSON
/// `products` list (0 for the JSON `stores` list; `field` then says which store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowError {
    pub row: usize,
    pub field: String,
    pub reason: String,
}

/// A product that passed every check, with where its images are.
#[derive(Debug, Clone)]
pub struct ValidProduct {
    /// Images carry a placeholder status until they are indexed.
    pub product: FeedProduct,
    /// Per image, in order: `Some(canonical path)` for a local file, `None` for a URL.
    pub local: Vec<Option<PathBuf>>,
    /// The rows it was built from.
    pub rows: Vec<usize>,
}

/// The outcome of validation.
#[derive(Debug, Clone, Default)]
pub struct Validated {
    pub stores: Vec<FeedStore>,
    pub products: Vec<ValidProduct>,
    /// Products named by rejected rows (a full import must keep them).
    pub keep: Vec<(String, String)>,
    pub errors: Vec<RowError>,
    /// Data rows (CSV) or products (JSON) read.
    pub rows: usize,
}

/// Validates a parsed feed. `feed_dir` is the folder local image paths are relative to (`None`:
/// only URL images are acceptable).
pub fn validate(feed: &RawFeed, feed_dir: Option<&Path>, limits: DecodeLimits) -> Validated {
    let dir = feed_dir.and_then(|d| d.canonicalize().ok());
    let mut out = Validated {
        rows: feed.products.len(),
        ..Validated::default()
    };
    let json = feed.format == FeedFormat::Json;
    // Stores: the first valid declaration of each id wins.
    let mut stores: HashMap<String, FeedStore> = HashMap::new();
    let mut store_errors: HashMap<usize, Vec<RowError>> = HashMap::new();
    for raw in &feed.stores {
        let prefix = if json {
            format!("stores[{}].", raw.index)
        } else {
            "store_".into()
        };
        match check_store(raw, &prefix) {
            Ok(s) => {
                if !stores.contains_key(&s.store_id) {
                    out.stores.push(s.clone());
                    stores.insert(s.store_id.clone(), s);
                }
            }
            Err(errs) if json => out.errors.extend(errs),
            Err(errs) => {
                store_errors.insert(raw.row, errs);
            }
        }
    }
    let mut images: HashMap<String, Result<ImageRef, String>> = HashMap::new();
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    for raw in &feed.products {
        let mut errors = store_errors.remove(&raw.row).unwrap_or_default();
        let checked = check_product(raw, json, &stores, dir.as_deref(), limits, &mut images, &mut errors);
        let key = (
            raw.store_id.clone().unwrap_or_default(),
            raw.product_id.clone().unwrap_or_default(),
        );
        let (product, local) = match checked {
            Some(p) if errors.is_empty() => p,
            _ => {
                reject(&mut out, key, errors);
                continue;
            }
        };
        match index.get(&key) {
            None => {
                index.insert(key, out.products.len());
                out.products.push(ValidProduct {
                    product,
                    local,
                    rows: vec![raw.row],
                });
            }
            Some(&at) if !json => {
                // Another offer of a product seen on an earlier row: its product fields stay as
                // first written; new images are appended.
                let merged = &mut out.products[at];
                let mut extra = Vec::new();
                for (img, loc) in product.images.into_iter().zip(local) {
                    if !merged.product.images.iter().any(|i| i.source == img.source) {
                        extra.push((img, loc));
                    }
                }
                if merged.product.images.len() + extra.len() > MAX_IMAGES {
                    let err = RowError {
                        row: raw.row,
                        field: "image".into(),
                        reason: format!("the product would have more than {MAX_IMAGES} images"),
                    };
                    reject(&mut out, key, vec![err]);
                    continue;
                }
                for (img, loc) in extra {
                    merged.product.images.push(img);
                    merged.local.push(loc);
                }
                merged.product.offers.extend(product.offers);
                merged.rows.push(raw.row);
            }
            Some(&at) => {
                let first = out.products[at].rows[0];
                let err = RowError {
                    row: raw.row,
                    field: "product_id".into(),
                    reason: format!("the same store_id and product_id as product {first}"),
                };
                reject(&mut out, key, vec![err]);
            }
        }
    }
    // Stores that no valid product uses are still declared (a merchant may start empty).
    out.errors.sort_by_key(|e| e.row);
    out
}

fn reject(out: &mut Validated, key: (String, String), errors: Vec<RowError>) {
    if !key.0.is_empty() && !key.1.is_empty() && !out.keep.contains(&key) {
        out.keep.push(key);
    }
    out.errors.extend(errors);
}

fn err(row: usize, field: &str, reason: impl Into<String>) -> RowError {
    RowError {
        row,
        field: field.to_string(),
        reason: reason.into(),
    }
}

/// A required short label: present, not too long, no control characters.
fn label(v: &Option<String>, max: usize, row: usize, field: &str, errors: &mut Vec<RowError>) -> Option<String> {
    match v {
        None => {
            errors.push(err(row, field, "missing"));
            None
        }
        Some(s) => optional(Some(s), max, row, field, errors),
    }
}

fn optional(v: Option<&String>, max: usize, row: usize, field: &str, errors: &mut Vec<RowError>) -> Option<String> {
    let s = v?;
    if s.chars().count() > max {
        errors.push(err(row, field, format!("longer than {max} characters")));
        return None;
    }
    if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        errors.push(err(row, field, "contains control characters"));
        return None;
    }
    Some(s.clone())
}

fn url(v: Option<&String>, row: usize, field: &str, errors: &mut Vec<RowError>) -> Option<String> {
    let s = v?;
    if s.len() > MAX_URL_CHARS || !is_http_url(s) {
        errors.push(err(row, field, "not an http(s) URL"));
        return None;
    }
    Some(s.clone())
}

fn check_store(raw: &RawStore, prefix: &str) -> Result<FeedStore, Vec<RowError>> {
    let mut errors = Vec::new();
    let row = raw.row;
    let id_field = if prefix == "store_" {
        "store_id".to_string()
    } else {
        format!("{prefix}store_id")
    };
    let store_id = label(&raw.store_id, MAX_LABEL_CHARS, row, &id_field, &mut errors);
    let name = label(&raw.name, MAX_LABEL_CHARS, row, &format!("{prefix}name"), &mut errors);
    let store_url = url(raw.url.as_ref(), row, &format!("{prefix}url"), &mut errors);
    let country = raw.country.as_ref().and_then(|c| {
        let upper = c.to_ascii_uppercase();
        if upper.len() == 2 && upper.chars().all(|c| c.is_ascii_uppercase()) {
            Some(upper)
        } else {
            errors.push(err(
                row,
                &format!("{}country", prefix.replace("store_", "")),
                "not a 2-letter country code",
            ));
            None
        }
    });
    let verified = match raw.verified.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("false" | "0" | "no") => false,
        Some("true" | "1" | "yes") => true,
        Some(_) => {
            errors.push(err(
                row,
                &format!("{}verified", prefix.replace("store_", "")),
                "not true or false",
            ));
            false
        }
    };
    match (store_id, name) {
        (Some(store_id), Some(name)) if errors.is_empty() => Ok(FeedStore {
            store_id,
            name,
            url: store_url,
            country,
            verified,
        }),
        _ => Err(errors),
    }
}

type Checked = (FeedProduct, Vec<Option<PathBuf>>);

fn check_product(
    raw: &RawProduct,
    json: bool,
    stores: &HashMap<String, FeedStore>,
    dir: Option<&Path>,
    limits: DecodeLimits,
    images: &mut HashMap<String, Result<ImageRef, String>>,
    errors: &mut Vec<RowError>,
) -> Option<Checked> {
    let row = raw.row;
    let store_id = label(&raw.store_id, MAX_LABEL_CHARS, row, "store_id", errors);
    if let Some(s) = &store_id {
        // `errors` holds only this row's store problems so far: they already explain it.
        if !stores.contains_key(s) && errors.is_empty() {
            errors.push(err(
                row,
                "store_id",
                format!("store {s} is not declared (or was rejected)"),
            ));
        }
    }
    let product_id = label(&raw.product_id, MAX_LABEL_CHARS, row, "product_id", errors);
    let title = label(&raw.title, MAX_TITLE_CHARS, row, "title", errors);
    let description = optional(
        raw.description.as_ref(),
        MAX_DESCRIPTION_CHARS,
        row,
        "description",
        errors,
    );
    let category = optional(raw.category.as_ref(), MAX_LABEL_CHARS, row, "category", errors);
    let brand = optional(raw.brand.as_ref(), MAX_LABEL_CHARS, row, "brand", errors);
    let image_field = |i: usize| {
        if json {
            format!("images[{i}]")
        } else {
            "image".to_string()
        }
    };
    if raw.images.is_empty() {
        errors.push(err(row, if json { "images" } else { "image" }, "missing"));
    }
    if raw.images.len() > MAX_IMAGES {
        errors.push(err(
            row,
            if json { "images" } else { "image" },
            format!("more than {MAX_IMAGES} images"),
        ));
    }
    let mut feed_images = Vec::new();
    let mut local = Vec::new();
    for (i, source) in raw.images.iter().enumerate().take(MAX_IMAGES) {
        let checked = images
            .entry(source.clone())
            .or_insert_with(|| check(source, dir, limits))
            .clone();
        match checked {
            Ok(r) => {
                feed_images.push(glint_catalog::FeedImage {
                    source: source.clone(),
                    status: glint_catalog::ImageStatus::NotFetched,
                    media_uid: None,
                });
                local.push(match r {
                    ImageRef::Url => None,
                    ImageRef::Local(p) => Some(p),
                });
            }
            Err(reason) => errors.push(err(row, &image_field(i), reason)),
        }
    }
    let mut offers = Vec::new();
    for (i, o) in raw.offers.iter().enumerate() {
        let prefix = if json { format!("offers[{i}].") } else { String::new() };
        if let Some(offer) = check_offer(o, store_id.as_deref(), stores, row, &prefix, errors) {
            offers.push(offer);
        }
    }
    Some((
        FeedProduct {
            store_id: store_id?,
            product_id: product_id?,
            title: title?,
            description,
            category,
            brand,
            images: feed_images,
            offers,
        },
        local,
    ))
}

fn check_offer(
    o: &RawOffer,
    product_store: Option<&str>,
    stores: &HashMap<String, FeedStore>,
    row: usize,
    prefix: &str,
    errors: &mut Vec<RowError>,
) -> Option<FeedOffer> {
    let field = |f: &str| format!("{prefix}{f}");
    let store_id = match (&o.store_id, product_store) {
        (Some(s), _) if prefix.is_empty() => Some(s.clone()),
        (Some(s), _) => {
            if !stores.contains_key(s) {
                errors.push(err(row, &field("store_id"), format!("store {s} is not declared")));
            }
            Some(s.clone())
        }
        (None, p) => p.map(str::to_string),
    };
    let price = match o.price.as_deref() {
        None => {
            errors.push(err(row, &field("price"), "missing"));
            None
        }
        Some(p) => match p.parse::<f64>() {
            Ok(v) if v.is_finite() && (0.0..=MAX_PRICE).contains(&v) => Some(v),
            Ok(v) if v.is_finite() && v > MAX_PRICE => {
                errors.push(err(
                    row,
                    &field("price"),
                    format!("{p} is implausibly large (over {MAX_PRICE})"),
                ));
                None
            }
            _ => {
                errors.push(err(
                    row,
                    &field("price"),
                    format!("{p:?} is not a number of at least 0"),
                ));
                None
            }
        },
    };
    // The code with its minor unit: a price finer than that (12.345 SEK, 1200.5 JPY) cannot be
    // charged.
    let currency = match o.currency.as_deref() {
        None => {
            errors.push(err(row, &field("currency"), "missing"));
            None
        }
        Some(c) => {
            let code = c.trim().to_ascii_uppercase();
            let units = currency::minor_units(&code);
            if units.is_none() {
                errors.push(err(
                    row,
                    &field("currency"),
                    format!("{c:?} is not an ISO 4217 currency code in use (e.g. SEK, EUR, USD)"),
                ));
            }
            units.map(|units| (code, units))
        }
    };
    let price = match (price, &currency, o.price.as_deref()) {
        (Some(_), Some((code, units)), Some(written)) if currency::written_decimals(written) > *units => {
            errors.push(err(
                row,
                &field("price"),
                format!("{written} has more decimals than {code} has ({units})"),
            ));
            None
        }
        (price, _, _) => price,
    };
    let offer_url = match &o.url {
        None => {
            errors.push(err(row, &field("url"), "missing"));
            None
        }
        Some(u) => url(Some(u), row, &field("url"), errors),
    };
    let availability = match o.availability.as_deref() {
        None => {
            errors.push(err(row, &field("availability"), "missing"));
            None
        }
        Some(a) => {
            let a = a.to_ascii_lowercase().replace([' ', '-'], "_");
            let parsed = Availability::parse(&a);
            if parsed.is_none() {
                errors.push(err(
                    row,
                    &field("availability"),
                    format!("{a:?} is not one of in_stock, out_of_stock, preorder, unknown"),
                ));
            }
            parsed
        }
    };
    let updated_at = match o.updated_at.as_deref() {
        None => None,
        Some(t) => match t.parse::<i64>() {
            Ok(v) if v >= 0 => Some(v),
            _ => {
                errors.push(err(row, &field("updated_at"), "not unix seconds"));
                return None;
            }
        },
    };
    Some(FeedOffer {
        store_id: store_id?,
        price: price?,
        currency: currency?.0,
        url: offer_url?,
        availability: availability?,
        updated_at,
    })
}
