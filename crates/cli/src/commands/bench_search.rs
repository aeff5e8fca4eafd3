//! `glint bench search`: latency of region queries on the videos of a data directory.
//!
//! The boxes are the stored sightings themselves (faces and item windows), spread over every
//! video: each is searched as a viewer would search it, a box on the paused video at the
//! sighting's time, models and geometric verification included. Each box is searched twice:
//! "cold" decodes the frame (the first box on a moment), "warm" finds it decoded (the next box
//! on the same paused frame, or the search after the web app asked for the frame's hotspots).

use std::time::Instant;

use clap::Args;
use serde_json::json;

use glint_catalog::{MediaKind, TrackKind};
use glint_search::{Query, SearchOptions, Searcher};

use crate::config::GlobalArgs;

#[derive(Args)]
pub struct BenchSearchArgs {
    /// Boxes per video and kind (face / item) at most.
    #[arg(long, default_value_t = 3)]
    pub per_video: usize,
    /// Print every query with its two latencies.
    #[arg(long)]
    pub verbose: bool,
    #[arg(long)]
    pub json: bool,
}

pub fn run(global: &GlobalArgs, args: BenchSearchArgs) -> anyhow::Result<()> {
    let models = global.load_models()?;
    let store = global.open_store()?;
    let searcher = Searcher::new(store.clone(), models);
    let mut queries = Vec::new();
    for media in store.catalog.list_media()? {
        if media.kind != MediaKind::Video {
            continue;
        }
        let tracks = store.catalog.tracks(&media.id)?;
        for kind in [TrackKind::Face, TrackKind::Item] {
            let of_kind: Vec<_> = tracks.iter().filter(|t| t.kind == kind).collect();
            // Evenly spread over the video's tracks of this kind.
            let step = (of_kind.len() / args.per_video.max(1)).max(1);
            for t in of_kind.iter().step_by(step).take(args.per_video) {
                let s = t.sightings[t.sightings.len() / 2];
                queries.push((
                    kind,
                    Query::Media {
                        id: media.id.clone(),
                        bbox: s.bbox,
                        at: s.t,
                    },
                ));
            }
        }
    }
    anyhow::ensure!(
        !queries.is_empty(),
        "no video sightings in {}",
        global.data_dir.display()
    );
    let options = SearchOptions::default();
    let (mut cold, mut warm) = (Vec::new(), Vec::new());
    let started = Instant::now();
    for (kind, q) in &queries {
        let first = searcher.search(q, &options)?;
        let second = searcher.search(q, &options)?;
        if args.verbose {
            eprintln!(
                "{kind:?} {q:?}: route {} cold {:.0} ms warm {:.0} ms",
                second.route, first.latency_ms, second.latency_ms
            );
        }
        cold.push(first.latency_ms);
        warm.push(second.latency_ms);
    }
    let pct = glint_eval::retrieval::percentile;
    let report = json!({
        "queries": queries.len(),
        "cold_p50_ms": pct(&cold, 0.5),
        "cold_p95_ms": pct(&cold, 0.95),
        "warm_p50_ms": pct(&warm, 0.5),
        "warm_p95_ms": pct(&warm, 0.95),
        "total_s": started.elapsed().as_secs_f64(),
    });
    if args.json {
        println!("{report}");
    } else {
        println!(
            "{} region queries: cold (frame decoded) p50 {:.0} ms p95 {:.0} ms; warm (frame cached) p50 {:.0} ms p95 {:.0} ms",
            report["queries"], report["cold_p50_ms"].as_f64().unwrap_or(0.0), report["cold_p95_ms"].as_f64().unwrap_or(0.0),
            report["warm_p50_ms"].as_f64().unwrap_or(0.0), report["warm_p95_ms"].as_f64().unwrap_or(0.0)
        );
    }
    Ok(())
}
