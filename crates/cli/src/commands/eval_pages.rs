//! `glint eval pages`: does each merchant product's page list the photos and video moments
//! where the product appears, and none where it does not? The protocol is
//! `glint_eval::pages`'s; this command imports the feed and prints the threshold sweep.

use std::path::PathBuf;

use clap::Args;

use glint_eval::pages::{product_pages, PagesSpec};

use crate::config::GlobalArgs;

#[derive(Args)]
pub struct PagesArgs {
    /// A folder with groundtruth.csv: the photos put in the library.
    #[arg(long)]
    pub set: PathBuf,
    /// The catalog feed to import (CSV or JSON, images relative to it), its product ids being
    /// the photos' group ids.
    #[arg(long)]
    pub feed: PathBuf,
    /// COLUMN=VALUE a photo row must match to be indexed (repeatable).
    #[arg(long = "photos", value_parser = super::eval::parse_filter)]
    pub photos: Vec<(String, String)>,
    /// A composited set (videos/ + scenes.csv) whose videos join the library.
    #[arg(long)]
    pub videos: Option<PathBuf>,
    /// Judge the raw lists (thresholds off, no "where to buy" confirmation) instead of what the
    /// product page shows.
    #[arg(long)]
    pub unconfirmed: bool,
    /// Reuse (or keep) this data directory instead of a temporary one.
    #[arg(long)]
    pub index_dir: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

pub fn run(global: &GlobalArgs, args: PagesArgs) -> anyhow::Result<()> {
    let tmp = tempfile::tempdir()?;
    let (store, models) =
        super::eval_products::with_feed(global, args.index_dir.as_deref().unwrap_or(tmp.path()), &args.feed)?;
    let spec = PagesSpec {
        set: args.set,
        photos: args.photos,
        videos: args.videos,
        confirm: !args.unconfirmed,
        thresholds: vec![glint_search::calibration::ITEM_MIN_SCORE, 0.8, 0.9, 1.0, 1.1, 1.2],
    };
    let r = product_pages(&models, &store, &spec)?;
    if args.json {
        println!("{}", serde_json::to_string(&r)?);
        return Ok(());
    }
    println!(
        "products {} ({} shown somewhere in the library; {} photos and scenes show one)",
        r.products, r.products_present, r.truth
    );
    println!("threshold  listed  right  precision  recall  absent products listing  photos(l/r/rec)  scenes(l/r/rec)");
    for s in &r.sweep {
        println!(
            "{:>9.2}  {:>6}  {:>5}  {:>9.3}  {:>6.3}  {:>24}  {:>4}/{:>3}/{:.2}  {:>4}/{:>3}/{:.2}",
            s.threshold,
            s.listed,
            s.right,
            s.precision,
            s.recall,
            s.absent_listing,
            s.photos.0,
            s.photos.1,
            s.photos.2,
            s.scenes.0,
            s.scenes.1,
            s.scenes.2
        );
    }
    println!("latency per page p50 {:.0} ms  p95 {:.0} ms", r.p50_ms, r.p95_ms);
    Ok(())
}
