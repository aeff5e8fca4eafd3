//! Merchant catalogs: feeds of stores, products and offers become rows of the catalog, and the
//! product images become searchable items.
//!
//! A feed is a CSV file (one row per offer) or a JSON document (stores, then products with their
//! images and offers); `docs/catalog-feeds.md` documents both. [`parse`] reads either into
//! [`RawProduct`]s without judging them; [`validate`] checks each one field by field and turns the
//! good ones into catalog rows, reporting every bad one as a [`RowError`] (`{row, field,
//! reason}`) instead of failing the feed. [`import`] runs the whole flow: validate, index every
//! local product image through the ordinary ingest pipeline (faces off; content-hash identity
//! makes a re-import a no-op), then write everything in one catalog transaction
//! ([`glint_catalog::Catalog::apply_feed`]), so that a crash before the commit leaves the previous
//! catalog untouched. It is split into [`prepare`] and [`PreparedImport::commit`] so that callers
//! (and tests) can see the state between the two. [`unpack_zip`] safely extracts a ZIP upload
//! (feed plus images) for the server, and [`demo`] writes a demo feed from the grocery
//! evaluation set.

mod currency;
pub mod demo;
mod error;
mod images;
mod import;
mod parse;
mod validate;
mod zip_upload;

pub use error::MerchantError;
pub use import::{import, prepare, ImportOptions, ImportReport, PreparedImport};
pub use parse::{
    parse, parse_file, sniff, FeedFormat, RawFeed, RawOffer, RawProduct, RawStore, MAX_FEED_BYTES, MAX_ROWS,
    REQUIRED_COLUMNS,
};
pub use validate::{validate, RowError, ValidProduct, Validated, MAX_IMAGES, MAX_TITLE_CHARS};
pub use zip_upload::{unpack_zip, ZipLimits};
