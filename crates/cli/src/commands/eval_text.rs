//! `glint eval text`: do words find what they name? Label words against a ground-truth column
//! (which class probability to keep, issue 16) and product titles against the photos of each
//! product. The protocols are `glint_eval::text`'s; this command sets up the library (and the
//! catalog, for titles) and prints the figures.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use glint_eval::text::{text_search, LabelQuery, TextSpec};
use glint_ingest::IngestConfig;

use crate::config::GlobalArgs;

#[derive(Args)]
pub struct TextArgs {
    /// A folder with groundtruth.csv: the photos put in the library.
    #[arg(long)]
    pub set: PathBuf,
    /// COLUMN=VALUE a photo row must match to be indexed (repeatable).
    #[arg(long = "photos", value_parser = super::eval::parse_filter)]
    pub photos: Vec<(String, String)>,
    /// WORD=COLUMN:VALUE[|VALUE...]: search WORD among the stored labels; photos whose COLUMN is
    /// one of the values show it (repeatable), e.g. `banana=coarse_class:Banana`.
    #[arg(long = "label", value_parser = parse_label)]
    pub labels: Vec<LabelQuery>,
    /// A catalog feed to import (product ids = the photos' group ids): its products' titles are
    /// searched.
    #[arg(long)]
    pub feed: Option<PathBuf>,
    /// Only the titles of products whose category starts with this.
    #[arg(long, default_value = "Packages")]
    pub titles: String,
    /// Read text in the photos at ingest (OCR).
    #[arg(long)]
    pub ocr: bool,
    /// Reuse (or keep) this data directory instead of a temporary one.
    #[arg(long)]
    pub index_dir: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

fn parse_label(s: &str) -> Result<LabelQuery, String> {
    let (word, rest) = s
        .split_once('=')
        .ok_or("a label query is WORD=COLUMN:VALUE[|VALUE...]")?;
    let (column, values) = rest
        .split_once(':')
        .ok_or("a label query is WORD=COLUMN:VALUE[|VALUE...]")?;
    Ok(LabelQuery {
        word: word.trim().to_string(),
        column: column.trim().to_string(),
        values: values.split('|').map(|v| v.trim().to_string()).collect(),
    })
}

pub fn run(global: &GlobalArgs, args: TextArgs) -> anyhow::Result<()> {
    let tmp = tempfile::tempdir()?;
    let dir = args.index_dir.as_deref().unwrap_or(tmp.path());
    let (store, models) = match &args.feed {
        Some(feed) => super::eval_products::with_feed(global, dir, feed)?,
        None => (global.open_store_in(dir)?, global.load_models()?),
    };
    let spec = TextSpec {
        set: args.set,
        photos: args.photos,
        labels: args.labels,
        thresholds: vec![0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8],
        titles: args.feed.is_some().then_some(args.titles),
        ingest: IngestConfig {
            ocr: args.ocr,
            ..IngestConfig::default()
        },
    };
    let r = text_search(&models, &store, &spec).context("text evaluation")?;
    if args.json {
        println!("{}", serde_json::to_string(&r)?);
        return Ok(());
    }
    println!("{} photos in the library", r.photos);
    if !r.labels.is_empty() {
        let header: Vec<String> = spec
            .thresholds
            .iter()
            .map(|t| format!("  p>={t:.1} (prec/rec)"))
            .collect();
        println!("\nlabel word            truth{}", header.join(""));
        let row = |name: &str, truth: usize, sweep: &[glint_eval::text::LabelAt]| {
            let cells: Vec<String> = sweep
                .iter()
                .map(|s| format!("  {:>4} {:.2}/{:.2}    ", s.listed, s.precision, s.recall))
                .collect();
            println!("{name:<20} {truth:>6}{}", cells.join(""));
        };
        for l in &r.labels {
            row(&l.word, l.truth, &l.sweep);
        }
        let truth = r.labels.iter().map(|l| l.truth).sum();
        row("(all)", truth, &r.labels_overall);
    }
    if let Some(t) = &r.titles {
        println!(
            "\ntitles: {} products  precision@5 {:.3}  recall@5 {:.3}  nothing found {}  p50 {:.0} ms  p95 {:.0} ms",
            t.products, t.precision_at_5, t.recall_at_5, t.nothing_found, t.p50_ms, t.p95_ms
        );
    }
    Ok(())
}
