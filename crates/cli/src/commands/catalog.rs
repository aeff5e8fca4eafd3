//! `glint catalog import|list|product|rm|demo-feed`: merchant catalogs (stores, products,
//! offers), and a product's page (where it was seen).

use std::path::PathBuf;

use clap::Subcommand;
use serde_json::json;

use glint_ingest::IngestConfig;
use glint_merchant::{demo::write_demo_feed, import, ImportOptions};
use glint_search::{ProductPage, SearchOptions, Searcher};

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
    /// A product's page: its offers, and every video moment and photo where it was seen (its
    /// shop images searched against the library), newest first.
    Product {
        #[arg(long)]
        store: String,
        #[arg(long)]
        product: String,
        /// Media listed at most.
        #[arg(long, default_value_t = 20)]
        limit: usize,
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
        CatalogCommand::Product {
            store: store_id,
            product,
            limit,
            json,
        } => {
            let store = global.open_store()?;
            let detail = store.catalog.product(&store_id, &product)?;
            let searcher = Searcher::new(store, global.load_models()?);
            let options = SearchOptions {
                limit: limit.max(1),
                face_search: false,
                ..SearchOptions::default()
            };
            let page = searcher.product_page(detail, &options)?;
            if json {
                println!("{}", serde_json::to_string(&page)?);
                return Ok(());
            }
            print_product_page(&page);
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

fn print_product_page(page: &ProductPage) {
    let p = &page.product.product;
    println!("{} ({} / {})", p.title, p.store_id, p.product_id);
    for o in &p.offers {
        println!(
            "  {} {:.2} {} {:?} {}",
            o.store_name, o.price, o.currency, o.availability, o.url
        );
    }
    if page.seen_in.is_empty() {
        println!("seen nowhere in the library ({:.0} ms)", page.latency_ms);
        return;
    }
    println!(
        "seen in {} media, newest first ({:.0} ms):",
        page.seen_in.len(),
        page.latency_ms
    );
    for hit in &page.seen_in {
        let moments: Vec<String> = hit
            .sightings
            .iter()
            .filter_map(|s| s.t)
            .take(8)
            .map(|t| format!("{t:.1}s"))
            .collect();
        println!("  {:.3}  {}  {}", hit.score, hit.path, moments.join(" "));
    }
}
