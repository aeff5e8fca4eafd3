//! The merchant catalog: import a feed (bare CSV/JSON, or a ZIP with its images), list stores
//! and products, remove a store or a product. The import runs synchronously on the blocking pool,
//! one at a time per server (product images go through the ingest models, like an upload).

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::TryLockError;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;

use glint_catalog::{CatalogError, ProductSummary, StoreSummary};
use glint_merchant::{
    import as import_feed, unpack_zip, FeedFormat, ImportOptions, ImportReport, MerchantError, ZipLimits,
};

use glint_search::{ProductPage, SearchOptions};

use super::blocking;
use crate::limits::Peer;
use crate::{ApiError, AppState};

/// The merchant catalog: every store and product.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Catalog)]
pub struct CatalogView {
    pub stores: Vec<StoreSummary>,
    pub products: Vec<ProductSummary>,
}

/// `POST /api/catalog/import?full=true|false`.
#[utoipa::path(post, path = "/api/catalog/import", operation_id = "importCatalog", tag = "catalog",
    summary = "Import a merchant catalog feed",
    description = "The body is either a bare feed (CSV or JSON, see docs/catalog-feeds.md; then only http(s) image URLs are accepted and local paths are reported as row errors) or a ZIP archive holding feed.csv or feed.json at its top plus the images it references. Local images are indexed as items (faces off); URL images are recorded as `not fetched`. Bad rows are reported in `errors` and left out; the rest is applied in one transaction. Re-importing the same feed changes nothing. Needs the write scope.",
    params(crate::params::ImportQuery),
    request_body(content(
        (crate::openapi::forms::ZipFeed = "application/zip"),
        (crate::openapi::forms::CsvFeed = "text/csv"),
        (crate::openapi::forms::JsonFeed = "application/json"),
    )),
    responses(
        (status = 200, description = "The import report", body = ImportReport),
        (status = 400, description = "Empty body or a bad `full` parameter", body = crate::ErrorBody),
        (status = 413, description = "Body larger than the server's catalog upload limit", body = crate::ErrorBody),
        (status = 422, description = "`bad_feed`: not a readable feed, a CSV without the required columns, too many rows, an empty feed, or a ZIP that is malformed, has unsafe entry names (absolute, `..`, links), or inflates past the limits (a ZIP bomb)", body = crate::ErrorBody),
        (status = 503, description = "Another catalog import is running", body = crate::ErrorBody),
    ))]
pub async fn import(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ImportReport>, ApiError> {
    let limit = state.config().max_catalog_bytes;
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge { limit }
        } else {
            ApiError::BadRequest(format!("cannot read the feed: {}", e.body_text()))
        }
    })?;
    let full = match query.get("full").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "`full` must be true or false, got `{other}`"
            )))
        }
    };
    if body.is_empty() {
        return Err(ApiError::BadRequest("the feed is empty".into()));
    }
    let worker = state.clone();
    let report = blocking(move || {
        let _one = match worker.catalog_import().try_lock() {
            Ok(guard) => guard,
            // An import that panicked left nothing half-written (one transaction): go on.
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => {
                return Err(ApiError::Busy(
                    "another catalog import is running; try again when it ends".into(),
                ))
            }
        };
        run_import(&worker, &body, full)
    })
    .await?;
    Ok(Json(report))
}

/// Unpacks (a ZIP) or saves (a bare feed) into a fresh folder under the data directory, imports
/// from there, and removes the folder: the images the import keeps are copied out first.
fn run_import(state: &AppState, body: &[u8], full: bool) -> Result<ImportReport, ApiError> {
    let root = state.data_dir().join("catalog-imports");
    std::fs::create_dir_all(&root).map_err(|e| ApiError::internal(format!("cannot create {}: {e}", root.display())))?;
    let work = tempfile::Builder::new()
        .prefix("import-")
        .tempdir_in(&root)
        .map_err(|e| ApiError::internal(format!("cannot create a folder in {}: {e}", root.display())))?;
    let zipped = body.starts_with(b"PK\x03\x04");
    let (feed, local_images) = if zipped {
        let archive = work.path().join("upload.zip");
        write(&archive, body)?;
        let dest = work.path().join("feed");
        std::fs::create_dir(&dest).map_err(|e| ApiError::internal(format!("cannot create {}: {e}", dest.display())))?;
        (
            unpack_zip(&archive, &dest, ZipLimits::default()).map_err(merchant_error)?,
            true,
        )
    } else {
        let name = match glint_merchant::sniff(body) {
            Some(FeedFormat::Json) => "feed.json",
            Some(FeedFormat::Csv) => "feed.csv",
            None => {
                return Err(ApiError::BadFeed(
                    "the body is neither a ZIP, a JSON feed nor a CSV feed".into(),
                ))
            }
        };
        let path = work.path().join(name);
        write(&path, body)?;
        // A bare feed has no folder of images: only URL images can be recorded.
        (path, false)
    };
    let options = ImportOptions {
        full,
        local_images,
        ingest: state.config().ingest.clone(),
    };
    let report = import_feed(state.store(), state.models(), &feed, &options).map_err(merchant_error)?;
    tracing::info!(
        created = report.products_created,
        updated = report.products_updated,
        rejected = report.rows_rejected,
        zipped,
        "catalog import over HTTP"
    );
    Ok(report)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), ApiError> {
    std::fs::File::create(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|e| ApiError::internal(format!("cannot write {}: {e}", path.display())))
}

fn merchant_error(e: MerchantError) -> ApiError {
    match e {
        MerchantError::FeedTooLarge { limit, .. } => ApiError::TooLarge { limit },
        MerchantError::TooManyRows { .. }
        | MerchantError::UnknownFormat(_)
        | MerchantError::Csv(_)
        | MerchantError::MissingColumns(_)
        | MerchantError::Json(_)
        | MerchantError::EmptyFeed
        | MerchantError::BadArchive(_) => ApiError::BadFeed(e.to_string()),
        other => ApiError::internal(other),
    }
}

fn catalog_error(e: CatalogError) -> ApiError {
    match e {
        CatalogError::UnknownStore(id) => ApiError::UnknownStore(id),
        CatalogError::UnknownProduct { store_id, product_id } => ApiError::UnknownProduct { store_id, product_id },
        other => ApiError::from(other),
    }
}

/// `GET /api/catalog`: every store and product.
#[utoipa::path(get, path = "/api/catalog", operation_id = "listCatalog", tag = "catalog",
    summary = "Every store and product of the merchant catalog",
    responses((status = 200, description = "The catalog", body = CatalogView)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<CatalogView>, ApiError> {
    blocking(move || {
        let catalog = &state.store().catalog;
        Ok(Json(CatalogView {
            stores: catalog.list_stores()?,
            products: catalog.list_products(None)?,
        }))
    })
    .await
}

/// `GET /api/catalog/stores/{id}/products/{product_id}`: the product page (issue 16).
#[utoipa::path(get, path = "/api/catalog/stores/{id}/products/{product_id}", operation_id = "showProduct", tag = "catalog",
    summary = "A product with its offers and every video moment and photo where it was seen",
    description = "Its indexed shop images are searched against the library as item queries, with the calibrated threshold of \"where to buy\"; the media found are listed newest first. Nothing is stored, so a product imported after the videos were indexed is found in them at once.",
    params(crate::params::ProductPath),
    responses(
        (status = 200, description = "The product page", body = ProductPage),
        (status = 404, description = "No such store or product", body = crate::ErrorBody),
        (status = 429, description = "Too many searches from this client; see Retry-After", body = crate::ErrorBody),
        (status = 503, description = "Every search slot stayed busy", body = crate::ErrorBody),
        (status = 504, description = "The search took longer than the server's limit", body = crate::ErrorBody),
    ))]
pub async fn product(
    State(state): State<AppState>,
    peer: Peer,
    UrlPath((id, product_id)): UrlPath<(String, String)>,
) -> Result<Json<ProductPage>, ApiError> {
    state.limits().check_rate(&peer)?;
    // Its searches cost what a viewer's do: the same rate limit, slots and time bound.
    let slot = state.limits().search_slot().await?;
    let searching = state.clone();
    state
        .limits()
        .bounded(slot, move || {
            let detail = searching
                .store()
                .catalog
                .product(&id, &product_id)
                .map_err(catalog_error)?;
            let options = SearchOptions {
                limit: MAX_SEEN_IN,
                face_search: false,
                ..SearchOptions::default()
            };
            let mut page = searching.searcher().product_page(detail, &options)?;
            super::search::name_for_clients(&searching, &mut page.seen_in);
            Ok(Json(page))
        })
        .await
}

/// Media a product page lists at most.
const MAX_SEEN_IN: usize = 100;

/// `DELETE /api/catalog/stores/{id}`: the store, its products and offers (the indexed images stay).
#[utoipa::path(delete, path = "/api/catalog/stores/{id}", operation_id = "deleteStore", tag = "catalog",
    summary = "Remove a store with its products and offers (the indexed images stay)",
    params(crate::params::StorePath),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such store", body = crate::ErrorBody),
    ))]
pub async fn remove_store(State(state): State<AppState>, UrlPath(id): UrlPath<String>) -> Result<StatusCode, ApiError> {
    blocking(move || {
        state.store().catalog.remove_store(&id).map_err(catalog_error)?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

/// `DELETE /api/catalog/stores/{id}/products/{product_id}`.
#[utoipa::path(delete, path = "/api/catalog/stores/{id}/products/{product_id}", operation_id = "deleteProduct", tag = "catalog",
    summary = "Remove one product of a store with its offers",
    params(crate::params::ProductPath),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such store or product", body = crate::ErrorBody),
    ))]
pub async fn remove_product(
    State(state): State<AppState>,
    UrlPath((id, product_id)): UrlPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    blocking(move || {
        state
            .store()
            .catalog
            .remove_product(&id, &product_id)
            .map_err(catalog_error)?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}
