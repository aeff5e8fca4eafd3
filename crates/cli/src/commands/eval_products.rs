//! `glint eval products`: does a store photo find the right merchant product, with offers?
//!
//! The "where to buy" protocol of the merchant-catalog issue: a feed (e.g. the demo feed built
//! from the grocery set's shop images) is imported into a data directory, then each selected
//! photo is searched exactly as the web app's photo search does (whole photo, calibrated
//! thresholds on) and its first product is compared with the photo's group. A query counts as
//! found at rank 1 only if that product also carries at least one offer.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use glint_eval::retrieval::{matches, read_groundtruth};
use glint_ingest::IngestConfig;
use glint_media::{load_image, DecodeLimits};
use glint_merchant::ImportOptions;
use glint_search::{Query, SearchOptions, Searcher};

use crate::config::GlobalArgs;

#[derive(Args)]
pub struct ProductsArgs {
    /// A folder with groundtruth.csv (the query photos).
    #[arg(long)]
    pub set: PathBuf,
    /// The catalog feed to import (CSV or JSON, images relative to it).
    #[arg(long)]
    pub feed: PathBuf,
    /// COLUMN=VALUE a query row must match (repeatable).
    #[arg(long = "query", value_parser = super::eval::parse_filter)]
    pub query: Vec<(String, String)>,
    /// The groundtruth column holding the product id of each photo (compared case-insensitively).
    #[arg(long, default_value = "group_id")]
    pub product_column: String,
    /// Reuse (or keep) this data directory instead of a temporary one.
    #[arg(long)]
    pub index_dir: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct ProductsReport {
    queries: usize,
    #[serde(rename = "recall@1")]
    recall_at_1: f64,
    #[serde(rename = "recall@5")]
    recall_at_5: f64,
    /// Queries answered with no product at all (nothing above the threshold).
    no_product: usize,
    p50_ms: f64,
    p95_ms: f64,
}

/// The library in `data_dir` with `feed` imported into its merchant catalog (a feed with bad
/// rows is refused: the evaluation would not measure the feed it was given).
pub(crate) fn with_feed(
    global: &GlobalArgs,
    data_dir: &std::path::Path,
    feed: &std::path::Path,
) -> anyhow::Result<(glint_ingest::Store, glint_vision::Models)> {
    let models = global.load_models()?;
    let store = global.open_store_in(data_dir)?;
    let options = ImportOptions {
        full: false,
        local_images: true,
        ingest: IngestConfig::default(),
    };
    let imported = glint_merchant::import(&store, &models, feed, &options)?;
    anyhow::ensure!(
        imported.errors.is_empty(),
        "the feed has {} bad rows; fix them first",
        imported.errors.len()
    );
    Ok((store, models))
}

pub fn run(global: &GlobalArgs, args: ProductsArgs) -> anyhow::Result<()> {
    let tmp = tempfile::tempdir()?;
    let (store, models) = with_feed(global, args.index_dir.as_deref().unwrap_or(tmp.path()), &args.feed)?;
    let rows = read_groundtruth(&args.set)?;
    let queries: Vec<_> = rows.iter().filter(|r| matches(r, &args.query)).collect();
    anyhow::ensure!(!queries.is_empty(), "no groundtruth row matches the --query filters");
    let searcher = Searcher::new(store, models);
    let (mut hit1, mut hit5, mut none) = (0usize, 0usize, 0usize);
    let mut latencies = Vec::new();
    for q in &queries {
        let want = q
            .get(&args.product_column)
            .ok_or_else(|| anyhow::anyhow!("groundtruth.csv has no column {}", args.product_column))?
            .to_ascii_lowercase();
        let image = load_image(&args.set.join(&q["path"]), DecodeLimits::default())?;
        let response = searcher.search(&Query::Image { image, bbox: None }, &SearchOptions::default())?;
        latencies.push(response.latency_ms);
        let found: Vec<bool> = response
            .products
            .iter()
            .map(|p| p.product.product_id.to_ascii_lowercase() == want && !p.product.offers.is_empty())
            .collect();
        // Several stores may list the same product: rank by distinct product.
        let mut distinct: Vec<&str> = Vec::new();
        let mut rank_of_right = None;
        for (p, right) in response.products.iter().zip(&found) {
            if !distinct.contains(&p.product.product_id.as_str()) {
                distinct.push(&p.product.product_id);
                if *right && rank_of_right.is_none() {
                    rank_of_right = Some(distinct.len());
                }
            }
        }
        none += usize::from(response.products.is_empty());
        hit1 += usize::from(rank_of_right == Some(1));
        hit5 += usize::from(rank_of_right.is_some_and(|r| r <= 5));
    }
    let pct = |p: f64| glint_eval::retrieval::percentile(&latencies, p);
    let n = queries.len();
    let report = ProductsReport {
        queries: n,
        recall_at_1: hit1 as f64 / n as f64,
        recall_at_5: hit5 as f64 / n as f64,
        no_product: none,
        p50_ms: pct(0.5),
        p95_ms: pct(0.95),
    };
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "queries {}  right product with offers at rank 1: {:.3}  within 5: {:.3}  no product: {}",
            report.queries, report.recall_at_1, report.recall_at_5, report.no_product
        );
        println!("latency p50 {:.0} ms  p95 {:.0} ms", report.p50_ms, report.p95_ms);
    }
    Ok(())
}
