//! `glint eval composited`: a photo boxed in one composited video must find the same person
//! (`--route face`) or product (`--route item`) in the other videos, and nothing when it is in
//! none of them; the protocol is `glint_eval::composited`'s.

use std::path::PathBuf;

use anyhow::bail;
use clap::Args;

use glint_search::Route;

use super::eval::RouteArg;
use crate::config::GlobalArgs;

#[derive(Args)]
pub struct CompositedArgs {
    /// A composited set: a folder with videos/*.mp4 and scenes.csv.
    #[arg(long)]
    pub set: PathBuf,
    /// `face` scores the "Same person" group, `item` the "Same item" group.
    #[arg(long, value_enum)]
    pub route: RouteArg,
    /// Reuse (or keep) the two indexes here, DIR/all (every video) and DIR/even (the
    /// even-numbered ones, for FPIR), instead of temporary ones.
    #[arg(long)]
    pub index_dir: Option<PathBuf>,
    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
}

pub fn run(global: &GlobalArgs, args: CompositedArgs) -> anyhow::Result<()> {
    if global.database.is_some() {
        // Both indexes would be the one database: the FPIR index would hold every video.
        bail!("glint eval composited needs two separate libraries: run it without --database");
    }
    let models = global.load_models()?;
    let tmp = tempfile::tempdir()?;
    let dir = args.index_dir.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    let route = match args.route {
        RouteArg::Face => Route::Person,
        RouteArg::Item => Route::Item,
    };
    let all = global.open_store_in(&dir.join("all"))?;
    let even = global.open_store_in(&dir.join("even"))?;
    let r = glint_eval::composited::composited(&models, &args.set, route, &all, &even)?;
    if args.json {
        println!("{}", serde_json::to_string(&r)?);
        return Ok(());
    }
    println!("scenes     {}", r.scenes);
    println!("queries    {}  (videos indexed {})", r.queries, r.videos);
    println!("recall@1   {:.3}", r.recall_at_1);
    println!("recall@5   {:.3}", r.recall_at_5);
    println!("TPIR       {:.3}  at threshold {:.3}", r.tpir, r.threshold);
    println!(
        "FPIR       {:.3}  ({} of {} queries whose group is in no other indexed video, {} even videos indexed)",
        r.fpir, r.fpir_hits, r.fpir_queries, r.videos_even
    );
    println!("latency    p50 {:.0} ms  p95 {:.0} ms", r.p50_ms, r.p95_ms);
    println!(
        "no region  {}  (queries with no face/region to search with: misses)",
        r.no_query_region
    );
    Ok(())
}
