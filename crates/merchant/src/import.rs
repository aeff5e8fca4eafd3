//! The import flow: validate, index the local product images, then one catalog transaction.
//!
//! Images are indexed before the transaction: a crash in between leaves indexed images that no
//! product points to yet, which are harmless ordinary media (and a retry skips them by content
//! hash), while the catalog rows stay as the previous import left them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use glint_catalog::{Catalog, CatalogFeed, ImageStatus};
use glint_ingest::{content_hash, pipeline::ingest_file, IngestConfig, NoProgress, Outcome, Store};
use glint_vision::Models;

use crate::parse::parse_file;
use crate::validate::{validate, RowError};
use crate::MerchantError;

/// How a feed is imported.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Delete the products of the feed's stores that the feed does not list.
    pub full: bool,
    /// Whether image paths relative to the feed are allowed (a bare feed upload has no folder).
    pub local_images: bool,
    /// How product images are indexed; faces are always off for them.
    pub ingest: IngestConfig,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            full: false,
            local_images: true,
            ingest: IngestConfig::default(),
        }
    }
}

/// What an import did, and every row it refused.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Data rows (CSV) or products (JSON) in the feed.
    pub rows: usize,
    pub rows_rejected: usize,
    pub stores: u32,
    pub stores_created: u32,
    pub stores_updated: u32,
    pub products_created: u32,
    pub products_updated: u32,
    pub products_unchanged: u32,
    /// Removed by a full import.
    pub products_deleted: u32,
    pub offers: u32,
    /// Product images that are indexed media.
    pub images_indexed: u32,
    /// Of those, media that this import added (0 on a re-import).
    pub media_added: u32,
    /// URL images, recorded but never downloaded.
    pub images_not_fetched: u32,
    /// Whether the catalog was written (false until [`PreparedImport::commit`]).
    pub committed: bool,
    pub errors: Vec<RowError>,
}

/// A validated feed whose images are indexed, not yet written to the catalog.
#[derive(Debug)]
pub struct PreparedImport {
    feed: CatalogFeed,
    full: bool,
    report: ImportReport,
}

impl PreparedImport {
    /// The rows that [`commit`](Self::commit) will write.
    pub fn feed(&self) -> &CatalogFeed {
        &self.feed
    }

    /// The report so far (validation and indexing; no catalog counts yet).
    pub fn report(&self) -> &ImportReport {
        &self.report
    }

    /// Writes the feed in one catalog transaction.
    pub fn commit(self, catalog: &dyn Catalog) -> Result<ImportReport, MerchantError> {
        let counts = catalog.apply_feed(&self.feed, self.full)?;
        let mut report = self.report;
        report.stores_created = counts.stores_created;
        report.stores_updated = counts.stores_updated;
        report.products_created = counts.created;
        report.products_updated = counts.updated;
        report.products_unchanged = counts.unchanged;
        report.products_deleted = counts.deleted;
        report.offers = counts.offers;
        report.committed = true;
        tracing::info!(
            created = counts.created,
            updated = counts.updated,
            unchanged = counts.unchanged,
            deleted = counts.deleted,
            rejected = report.rows_rejected,
            "catalog feed imported"
        );
        Ok(report)
    }
}

/// Imports the feed at `feed_path` into `store`: [`prepare`] then [`PreparedImport::commit`].
pub fn import(
    store: &Store,
    models: &Models,
    feed_path: &Path,
    options: &ImportOptions,
) -> Result<ImportReport, MerchantError> {
    prepare(store, models, feed_path, options)?.commit(store.catalog.as_ref())
}

/// Reads and validates the feed and indexes its local images; writes no catalog row.
pub fn prepare(
    store: &Store,
    models: &Models,
    feed_path: &Path,
    options: &ImportOptions,
) -> Result<PreparedImport, MerchantError> {
    let raw = parse_file(feed_path)?;
    let dir = feed_path
        .parent()
        .map(|p| if p.as_os_str().is_empty() { Path::new(".") } else { p });
    let feed_dir = if options.local_images { dir } else { None };
    let mut validated = validate(&raw, feed_dir, options.ingest.image_limits);
    let config = IngestConfig {
        faces: false,
        ..options.ingest.clone()
    };
    // Each distinct file is indexed once, however many products show it.
    let mut indexed: HashMap<PathBuf, Result<String, String>> = HashMap::new();
    let mut media_added = 0;
    let mut products = Vec::with_capacity(validated.products.len());
    for mut valid in std::mem::take(&mut validated.products) {
        let mut failure = None;
        for (image, local) in valid.product.images.iter_mut().zip(&valid.local) {
            let Some(path) = local else { continue };
            let result = indexed
                .entry(path.clone())
                .or_insert_with(|| {
                    index_image(store, models, &config, path).map(|(uid, added)| {
                        media_added += u32::from(added);
                        uid
                    })
                })
                .clone();
            match result {
                Ok(uid) => {
                    image.status = ImageStatus::Indexed;
                    image.media_uid = Some(uid);
                }
                Err(reason) => failure = Some((image.source.clone(), reason)),
            }
        }
        if let Some((source, reason)) = failure {
            for row in &valid.rows {
                validated.errors.push(RowError {
                    row: *row,
                    field: "image".into(),
                    reason: format!("{source} could not be indexed: {reason}"),
                });
            }
            validated
                .keep
                .push((valid.product.store_id.clone(), valid.product.product_id.clone()));
            continue;
        }
        products.push(valid.product);
    }
    store.index.flush().map_err(glint_ingest::IngestError::from)?;
    validated.errors.sort_by_key(|e| e.row);
    let mut rejected: Vec<usize> = validated.errors.iter().map(|e| e.row).filter(|r| *r > 0).collect();
    rejected.dedup();
    let images = products.iter().flat_map(|p| &p.images);
    let report = ImportReport {
        rows: validated.rows,
        rows_rejected: rejected.len(),
        stores: validated.stores.len() as u32,
        images_indexed: images.clone().filter(|i| i.status == ImageStatus::Indexed).count() as u32,
        images_not_fetched: images.filter(|i| i.status == ImageStatus::NotFetched).count() as u32,
        media_added,
        errors: validated.errors,
        ..ImportReport::default()
    };
    Ok(PreparedImport {
        feed: CatalogFeed {
            stores: validated.stores,
            products,
            keep: validated.keep,
        },
        full: options.full,
        report,
    })
}

/// Indexes one product image; returns its media uid and whether it was new. The file is first
/// copied into the data directory under its content hash, so that the media stays playable when
/// the feed folder (or an unpacked upload) goes away.
fn index_image(store: &Store, models: &Models, config: &IngestConfig, path: &Path) -> Result<(String, bool), String> {
    let sha = content_hash(path).map_err(|e| e.to_string())?;
    let dir = store.data_dir.join("catalog-images");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .filter(|e| e.len() <= 5 && e.chars().all(|c| c.is_ascii_alphanumeric()))
        .unwrap_or_else(|| "img".into());
    let kept = std::path::absolute(dir.join(format!("{}.{ext}", &sha[..16]))).map_err(|e| e.to_string())?;
    if !kept.exists() {
        // Copy then rename: a crash never leaves a truncated file under the final name.
        let partial = kept.with_extension("partial");
        std::fs::copy(path, &partial).map_err(|e| format!("cannot copy into {}: {e}", partial.display()))?;
        std::fs::rename(&partial, &kept).map_err(|e| format!("cannot rename {}: {e}", partial.display()))?;
    }
    match ingest_file(store, models, config, &kept, &NoProgress) {
        Ok(Outcome::Ingested(m)) => Ok((m.id, true)),
        Ok(Outcome::Skipped(uid)) => Ok((uid, false)),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "product image not indexed");
            Err(e.to_string())
        }
    }
}
