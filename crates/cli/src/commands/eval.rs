//! `glint eval retrieval`: the evaluation harness over a folder laid out like ../shared/eval.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use glint_eval::retrieval::{retrieval, RetrievalSpec};
use glint_search::Route;

use crate::config::GlobalArgs;

#[derive(Subcommand)]
pub enum EvalCommand {
    /// Recall@1/5, mAP, TPIR/FPIR and latency of one route on a set with groundtruth.csv.
    Retrieval(RetrievalArgs),
    /// Store photo → merchant product: is the right product, with offers, first?
    Products(super::eval_products::ProductsArgs),
    /// The video protocols of ../shared/eval/README.md (shot cuts, carphone, hamilton, bikes).
    Video(VideoArgs),
    /// Composited videos: a boxed photo finds its person or product in the other videos.
    Composited(super::eval_composited::CompositedArgs),
    /// The object detector on a labelled sanity set: per-class precision and recall.
    Objects(super::eval_objects::ObjectsEvalArgs),
    /// Product pages: does each product list the photos and video moments that show it, and
    /// none that do not?
    Pages(super::eval_pages::PagesArgs),
    /// Search by words: stored labels against a ground-truth column (which class probability
    /// to keep), and product titles against each product's photos (precision@5, recall@5).
    Text(super::eval_text::TextArgs),
}

#[derive(Args)]
pub struct VideoArgs {
    /// The evaluation folder (laid out like ../shared/eval).
    #[arg(long)]
    pub set: PathBuf,
    /// Reuse (or keep) this index instead of a temporary one.
    #[arg(long)]
    pub index_dir: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum RouteArg {
    Face,
    Item,
}

#[derive(Args)]
pub struct RetrievalArgs {
    /// A folder with groundtruth.csv.
    #[arg(long)]
    pub set: PathBuf,
    #[arg(long, value_enum)]
    pub route: RouteArg,
    /// COLUMN=VALUE a query row must match (repeatable).
    #[arg(long = "query", value_parser = parse_filter)]
    pub query: Vec<(String, String)>,
    /// COLUMN=VALUE a gallery row must match (repeatable); none = every row.
    #[arg(long = "gallery", value_parser = parse_filter)]
    pub gallery: Vec<(String, String)>,
    /// Reuse (or keep) this index instead of a temporary one.
    #[arg(long)]
    pub index_dir: Option<PathBuf>,
    /// FPIR counts a wrong hit as a false positive only when it differs from the query in this
    /// column (e.g. `coarse_class`: another kind of product, not another flavour).
    #[arg(long, default_value = "group_id")]
    pub absent_by: String,
    /// Photos (files or folders) showing nothing of the set: FPIR becomes the share of them
    /// that still get a hit (repeatable).
    #[arg(long = "negatives")]
    pub negatives: Vec<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

pub(crate) fn parse_filter(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("`{s}` is not COLUMN=VALUE"))
}

pub fn run(global: &GlobalArgs, cmd: EvalCommand) -> anyhow::Result<()> {
    let args = match cmd {
        EvalCommand::Retrieval(args) => args,
        EvalCommand::Products(args) => return super::eval_products::run(global, args),
        EvalCommand::Video(args) => return run_video(global, args),
        EvalCommand::Composited(args) => return super::eval_composited::run(global, args),
        EvalCommand::Objects(args) => return super::eval_objects::run(global, args),
        EvalCommand::Pages(args) => return super::eval_pages::run(global, args),
        EvalCommand::Text(args) => return super::eval_text::run(global, args),
    };
    let models = global.load_models()?;
    let tmp = tempfile::tempdir()?;
    let data_dir = args.index_dir.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    let spec = RetrievalSpec {
        set: args.set,
        route: match args.route {
            RouteArg::Face => Route::Person,
            RouteArg::Item => Route::Item,
        },
        query: args.query,
        gallery: args.gallery,
        absent_by: args.absent_by,
        negatives: args.negatives,
    };
    let r = retrieval(&models, &global.open_store_in(&data_dir)?, &spec)?;
    if args.json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        println!(
            "queries {}  gallery {}  recall@1 {:.3}  recall@5 {:.3}  mAP {:.3}",
            r.queries, r.gallery, r.recall_at_1, r.recall_at_5, r.map
        );
        println!(
            "threshold {:.3}: TPIR {:.3}  FPIR {:.3}{}   (FPIR <= 5% from {:.3}, with TPIR {:.3})",
            r.threshold,
            r.tpir,
            r.fpir,
            r.negatives
                .map(|n| format!(" on {n} negative photos"))
                .unwrap_or_default(),
            r.threshold_for_fpir_5pct,
            r.tpir_at_fpir_5pct
        );
        for band in r.quality_bands.iter().flatten() {
            println!(
                "  {} faces: {} queries at {:.3}: TPIR {:.3}  FPIR {:.3}   (the band's 5% point {:.3}, with TPIR {:.3})",
                if band.low_quality { "less certain" } else { "clear" },
                band.queries,
                band.threshold,
                band.tpir,
                band.fpir,
                band.threshold_for_fpir_5pct,
                band.tpir_at_fpir_5pct
            );
        }
        println!(
            "latency p50 {:.0} ms  p95 {:.0} ms   queries with no face/region: {}",
            r.p50_ms, r.p95_ms, r.no_query_region
        );
    }
    Ok(())
}

fn run_video(global: &GlobalArgs, args: VideoArgs) -> anyhow::Result<()> {
    let models = global.load_models()?;
    let tmp = tempfile::tempdir()?;
    let data_dir = args.index_dir.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    let r = glint_eval::video::video(&models, &args.set, &global.open_store_in(&data_dir)?)?;
    if args.json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        for p in &r.protocols {
            println!("{:<14} {}  {}", p.name, if p.pass { "PASS" } else { "FAIL" }, p.detail);
        }
        println!("{} of {} protocols pass", r.passed, r.protocols.len());
    }
    Ok(())
}
