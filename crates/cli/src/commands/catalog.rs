//! `glint catalog import|list|rm|demo-feed`: merchant catalogs (stores, products, offers).

use std::path::PathBuf;

use clap::Subcommand;
use serde_json::json;

use glint_ingest::IngestConfig;
use glint_merchant::{demo::write_demo_feed, import, ImportOptions};

use crate::config::GlobalArgs;

#[derive(Subcommand)]
pub enum CatalogCommand {
    /// Import a CSV or JSON feed; local images (relative to the feed) are indexed as items.
    Import {
        feed: PathBuf,
        /// Also delete the products of the feed's stores that the feed no longer lists.
        #[arg(long)]
        full: bool,
        #[arg(long)]
        json: bool,
    },
    /// List stores and their products.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove a store (with its products and offers), or one of its products.
    Rm {
        #[arg(long)]
        store: String,
        #[arg(long)]
        product: Option<String>,
    },
    /// Write a demo feed (fictional stores) from an evaluation set with iconic product images.
    DemoFeed {
        /// A folder with groundtruth.csv, e.g. ../shared/eval/products_grocery_store.
        #[arg(long)]
        set: PathBuf,
        /// Where feed.csv, feed.json and images/ are written.
        #[arg(long)]
        out: PathBuf,
    },
}

pub fn run(global: &GlobalArgs, cmd: CatalogCommand) -> anyhow::Result<()> {
    match cmd {
        CatalogCommand::Import { feed, full, json } => {
            let store = global.open_store()?;
            let models = global.load_models()?;
            let options = ImportOptions {
                full,
                local_images: true,
                ingest: IngestConfig::default(),
            };
            let report = import(&store, &models, &feed, &options)?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
                return Ok(());
            }
            println!(
                "{} rows: products created {}, updated {}, unchanged {}, deleted {}; {} offers; \
                 images indexed {} ({} new), not fetched (URLs) {}",
                report.rows,
                report.products_created,
                report.products_updated,
                report.products_unchanged,
                report.products_deleted,
                report.offers,
                report.images_indexed,
                report.media_added,
                report.images_not_fetched
            );
            if !report.errors.is_empty() {
                println!("{} row(s) rejected:", report.rows_rejected);
                for e in &report.errors {
                    println!("  row {:>5}  {:<14} {}", e.row, e.field, e.reason);
                }
            }
        }
        CatalogCommand::List { json } => {
            let store = global.open_store()?;
            let stores = store.catalog.list_stores()?;
            let products = store.catalog.list_products(None)?;
            if json {
                println!("{}", json!({"stores": stores, "products": products}));
                return Ok(());
            }
            for s in &stores {
                let verified = if s.verified { " (verified)" } else { "" };
                println!(
                    "{}  {}{verified}: {} products, {} offers",
                    s.store_id, s.name, s.products, s.offers
                );
                for p in products.iter().filter(|p| p.store_id == s.store_id) {
                    println!(
                        "    {:<32} {:<40} {} image(s), {} offer(s)",
                        p.product_id, p.title, p.images, p.offers
                    );
                }
            }
        }
        CatalogCommand::Rm {
            store: store_id,
            product,
        } => {
            let store = global.open_store()?;
            match product {
                Some(product_id) => {
                    store.catalog.remove_product(&store_id, &product_id)?;
                    println!("removed product {product_id} of store {store_id}");
                }
                None => {
                    let n = store.catalog.remove_store(&store_id)?;
                    println!("removed store {store_id} and its {n} product(s)");
                }
            }
        }
        CatalogCommand::DemoFeed { set, out } => {
            let summary = write_demo_feed(&set, &out)?;
            println!(
                "wrote {} ({} products, {} offers, {} images; demo data, fictional stores)",
                summary.feed_csv, summary.products, summary.offers, summary.images
            );
        }
    }
    Ok(())
}
