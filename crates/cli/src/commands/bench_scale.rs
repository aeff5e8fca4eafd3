//! `glint bench scale --regions N --seed PATH...`: region queries on a library of N regions.
//!
//! The library is grown from real ones: the seed files are ingested as usual, then synthetic
//! media are added, each a copy of a seed media whose tracks keep their sightings and get
//! jittered copies of its real vectors (unit vectors plus Gaussian noise, renormalised), until
//! the library holds N regions (stored vectors). The index then holds what a real library of
//! that size holds, in the same spaces, moved to the graph index like any large space.
//!
//! The queries are real ones on the seed files, timed end to end with every model: a face box
//! and an item box on a paused video, a whole-frame box, and a whole photo. They run in a fresh
//! child process (`--measure`, hidden) so that its open time and resident memory are those of a
//! server opening the library, not of the process that grew it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Args;
use serde_json::{json, Value};

use glint_catalog::{MediaKind, MediaRecord, NewMedia, NewTrack, Shot, TrackKind};
use glint_ingest::{IngestConfig, Ingestor, NoProgress, Store};
use glint_search::{Query, SearchOptions, Searcher};
use glint_types::BBox;

use super::bench_index::rss_mb;
use crate::config::GlobalArgs;

#[derive(Args)]
pub struct BenchScaleArgs {
    /// Regions (stored vectors) the library is grown to.
    #[arg(long)]
    pub regions: usize,
    /// Real files (or folders) to ingest first: the queries come from them and the synthetic
    /// media copy them.
    #[arg(long, num_args = 1.., required = true)]
    pub seed: Vec<PathBuf>,
    /// Keep the grown library in this folder (reused if it already holds `--regions`).
    #[arg(long)]
    pub library: Option<PathBuf>,
    /// Queries of each kind.
    #[arg(long, default_value_t = 20)]
    pub per_kind: usize,
    /// Length of the noise added to each copied unit vector (cosine to the original ~1 - n²/2).
    #[arg(long, default_value_t = 0.35)]
    pub jitter: f32,
    #[arg(long)]
    pub json: bool,
    /// Internal: only open the library and run the queries (in the measuring child process).
    #[arg(long, hide = true)]
    pub measure: bool,
}

pub fn run(global: &GlobalArgs, args: BenchScaleArgs) -> anyhow::Result<()> {
    // Without --library the library is grown in a temporary folder, removed at the end.
    let temporary = match &args.library {
        Some(_) => None,
        None => Some(tempfile::tempdir()?),
    };
    let library: PathBuf = match (&args.library, &temporary) {
        (Some(dir), _) => dir.clone(),
        (None, tmp) => tmp.as_ref().context("no temporary folder")?.path().to_path_buf(),
    };
    if args.measure {
        let report = measure(global, &library, &args)?;
        println!("{report}");
        return Ok(());
    }
    let say = |line: String| {
        if !args.json {
            eprintln!("{line}");
        }
    };
    let t = Instant::now();
    let grown = grow(global, &library, &args, &say)?;
    let grow_s = t.elapsed().as_secs_f64();
    say(format!(
        "library of {grown} regions ready in {grow_s:.0} s; measuring in a fresh process"
    ));
    let mut report = measure_in_child(global, &library, &args)?;
    report["grow_s"] = json!(grow_s);
    if args.json {
        println!("{report}");
    } else {
        println!(
            "{} regions: region queries p50 {:.0} ms, p95 {:.0} ms; open {:.2} s; {:.0} MB resident",
            report["regions"],
            report["p50_ms"].as_f64().unwrap_or(0.0),
            report["p95_ms"].as_f64().unwrap_or(0.0),
            report["open_s"].as_f64().unwrap_or(0.0),
            report["rss_mb"].as_f64().unwrap_or(0.0),
        );
        for (kind, row) in report["kinds"].as_object().into_iter().flatten() {
            println!(
                "  {kind:<12} {} queries, p50 {:.0} ms, p95 {:.0} ms",
                row["queries"],
                row["p50_ms"].as_f64().unwrap_or(0.0),
                row["p95_ms"].as_f64().unwrap_or(0.0)
            );
        }
    }
    Ok(())
}

/// Ingests the seed files into `library` and adds synthetic media until it holds `regions`
/// vectors; returns how many it holds.
fn grow(global: &GlobalArgs, library: &Path, args: &BenchScaleArgs, say: &dyn Fn(String)) -> anyhow::Result<usize> {
    let store = global.open_store_in(library)?;
    let models = global.load_models()?;
    let ingestor =
        Ingestor::new(store.clone(), models, IngestConfig::default()).with_workers(glint_ingest::default_workers());
    ingestor.enqueue(&args.seed)?;
    let summary = ingestor.run(&NoProgress)?;
    if let Some((path, error)) = summary.failed().first() {
        bail!("seed file {path} could not be ingested: {error}");
    }
    let seeds = seed_media(&store)?;
    anyhow::ensure!(!seeds.is_empty(), "the seed files gave no regions");
    let mut held = regions(&store);
    say(format!(
        "{} seed media, {held} regions; growing to {}",
        seeds.len(),
        args.regions
    ));
    let mut noise = Noise::new(0x5eed);
    let mut batch: std::collections::BTreeMap<String, Vec<(u64, Vec<f32>)>> = Default::default();
    let mut pending = 0usize;
    // A library grown before goes on from its last copy (copy numbers make the content ids).
    let mut copy = store
        .catalog
        .list_media()?
        .iter()
        .filter(|m| m.path.starts_with(SYNTHETIC))
        .count() as u64;
    let started = Instant::now();
    while held < args.regions {
        let seed = &seeds[copy as usize % seeds.len()];
        let media = seed.copy(copy, args.jitter, &mut noise);
        copy += 1;
        let (_, vectors) = store.catalog.insert_media(&media)?;
        held += vectors.len();
        // A database commits the vectors with the media; the embedded index takes them in
        // batches here (much faster than per media through `Store::add_media`).
        for v in vectors.into_iter().filter(|_| !store.is_shared()) {
            pending += 1;
            batch.entry(v.space).or_default().push((v.id, v.data));
        }
        if pending >= 20_000 || held >= args.regions {
            for (space, items) in std::mem::take(&mut batch) {
                store.index.create_space(&space, items[0].1.len())?;
                store.index.upsert(&space, &items)?;
            }
            pending = 0;
            let rate = (held as f64) / started.elapsed().as_secs_f64().max(1e-3);
            say(format!("  {held} regions ({rate:.0}/s)"));
        }
    }
    store.index.flush()?;
    Ok(held)
}

/// Vectors held by the index, over every space.
fn regions(store: &Store) -> usize {
    store.index.spaces().iter().map(|s| s.len).sum()
}

/// A real media with its tracks and their vectors, to be copied.
struct Seed {
    record: MediaRecord,
    tracks: Vec<NewTrack>,
}

/// Every indexed media of `store` whose content is a real file (synthetic copies have none).
fn seed_media(store: &Store) -> anyhow::Result<Vec<Seed>> {
    let records: Vec<MediaRecord> = store
        .catalog
        .list_media()?
        .into_iter()
        .filter(|m| !m.path.starts_with(SYNTHETIC))
        .collect();
    // Only the seeds' vectors are kept: a library grown before holds millions of copies.
    let uids: Vec<String> = records.iter().map(|m| m.id.clone()).collect();
    let wanted = store.catalog.vector_ids_of_media(&uids)?;
    let mut seed_vectors = Vec::new();
    store.catalog.for_each_vector(&mut |v| {
        if wanted.contains(&v.id) {
            seed_vectors.push(v);
        }
    })?;
    let mut vectors_of: std::collections::HashMap<u64, Vec<(String, Vec<f32>)>> = Default::default();
    for v in seed_vectors {
        if let Some(track) = store.catalog.track_of_vector(v.id)? {
            vectors_of.entry(track.id).or_default().push((v.space, v.data));
        }
    }
    let mut seeds = Vec::new();
    for record in records {
        let tracks = store
            .catalog
            .tracks(&record.id)?
            .into_iter()
            .map(|t| NewTrack {
                kind: t.kind,
                shot_idx: t.shot_idx,
                score: t.score,
                label: t.label,
                sightings: t.sightings,
                vectors: vectors_of.remove(&t.id).unwrap_or_default(),
            })
            .collect();
        seeds.push(Seed { record, tracks });
    }
    Ok(seeds)
}

/// Path prefix of synthetic media: no file behind them.
const SYNTHETIC: &str = "synthetic:";

impl Seed {
    /// Copy number `n`: the same sightings, each vector jittered.
    fn copy(&self, n: u64, jitter: f32, noise: &mut Noise) -> NewMedia {
        let r = &self.record;
        let fps = r.fps.unwrap_or(0.0);
        NewMedia {
            // The id (the first 16 digits) is a bijection of the copy number: unique, and the
            // same copy gets the same id in every run.
            sha256: format!("{:016x}{:048x}", Noise::new(n).next_u64(), n),
            path: format!("{SYNTHETIC}{n}:{}", r.path),
            kind: r.kind,
            width: r.width,
            height: r.height,
            duration_s: r.duration_s,
            fps: r.fps,
            frames_sampled: r.frames_sampled,
            decode_errors: 0,
            shots: r
                .shots
                .iter()
                .map(|&start_s| Shot {
                    start_s,
                    start_frame: (start_s * fps).round() as u64,
                })
                .collect(),
            tracks: self
                .tracks
                .iter()
                .map(|t| NewTrack {
                    vectors: t
                        .vectors
                        .iter()
                        .map(|(space, v)| (space.clone(), noise.jitter(v, jitter)))
                        .collect(),
                    ..t.clone()
                })
                .collect(),
            words: Vec::new(),
        }
    }
}

/// Deterministic Gaussian noise (SplitMix64 + Box-Muller): the same library on every run.
struct Noise(u64);

impl Noise {
    fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn uniform(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32 + 0.5) / (1u64 << 24) as f32
    }

    fn gaussian(&mut self) -> f32 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
    }

    /// `v` plus noise of length about `amount`, back on the unit sphere.
    fn jitter(&mut self, v: &[f32], amount: f32) -> Vec<f32> {
        let sigma = amount / (v.len() as f32).sqrt();
        let mut out: Vec<f32> = v.iter().map(|x| x + sigma * self.gaussian()).collect();
        let norm = out.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
        out.iter_mut().for_each(|x| *x /= norm);
        out
    }
}

fn measure_in_child(global: &GlobalArgs, library: &Path, args: &BenchScaleArgs) -> anyhow::Result<Value> {
    let mut command = super::bench::fresh_process()?;
    command
        .arg("--models-dir")
        .arg(global.models_dir()?)
        .arg("--graph-above-floats")
        .arg(global.graph_above_floats.to_string())
        .args(["bench", "scale", "--measure", "--json"])
        .args(["--regions", &args.regions.to_string()])
        .args(["--per-kind", &args.per_kind.to_string()])
        .arg("--library")
        .arg(library)
        .arg("--seed")
        .args(&args.seed);
    if let Some(encoder) = &global.encoder {
        command.arg("--encoder").arg(encoder);
    }
    if let Some(url) = &global.database {
        command.arg("--database").arg(url);
    }
    let output = command.stderr(std::process::Stdio::inherit()).output()?;
    if !output.status.success() {
        bail!("measuring the grown library failed ({})", output.status);
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let last = text.lines().last().unwrap_or_default();
    serde_json::from_str(last).with_context(|| format!("the measuring process printed {last:?}"))
}

/// Opens the library, then times the region queries.
fn measure(global: &GlobalArgs, library: &Path, args: &BenchScaleArgs) -> anyhow::Result<Value> {
    let t = Instant::now();
    let store = global.open_store_in(library)?;
    let open_s = t.elapsed().as_secs_f64();
    // A server that has been up a few seconds has its graphs on huge pages (a background thread
    // moves them after the open); the queries are timed as it would answer them.
    glint_index::wait_for_huge_pages();
    let huge_pages_s = t.elapsed().as_secs_f64() - open_s;
    let held = regions(&store);
    let open_rss_mb = rss_mb("VmRSS");
    let queries = queries(&store, args.per_kind)?;
    let searcher = Searcher::new(store.clone(), global.load_models()?);
    let options = SearchOptions::default();
    let mut all = Vec::new();
    let mut kinds = serde_json::Map::new();
    for (kind, list) in &queries {
        let mut ms = Vec::new();
        for q in list {
            let q = q.query()?;
            let t = Instant::now();
            searcher.search(&q, &options)?;
            let took = t.elapsed().as_secs_f64() * 1e3;
            tracing::debug!(kind, query = ms.len(), ms = took, "region query timed");
            ms.push(took);
        }
        let pct = glint_eval::retrieval::percentile;
        kinds.insert(
            kind.to_string(),
            json!({"queries": ms.len(), "p50_ms": pct(&ms, 0.5), "p95_ms": pct(&ms, 0.95)}),
        );
        all.extend(ms);
    }
    let pct = glint_eval::retrieval::percentile;
    Ok(json!({
        "regions": held,
        "p50_ms": pct(&all, 0.5),
        "p95_ms": pct(&all, 0.95),
        "rss_mb": rss_mb("VmHWM"),
        "open_rss_mb": open_rss_mb,
        "open_s": open_s,
        "huge_pages_s": huge_pages_s,
        "graph_spaces": store.index.spaces().iter().filter(|s| store.local_index().is_some_and(|l| l.is_graph(&s.name))).count(),
        "kinds": kinds,
    }))
}

/// Real queries on the seed media, `per_kind` of each kind, spread over the media: face boxes and
/// item boxes (stored sightings, at their moment on videos), whole frames of videos at an item
/// sighting's moment, and whole photos.
fn queries(store: &Store, per_kind: usize) -> anyhow::Result<Vec<(&'static str, Vec<Planned>)>> {
    let (mut face, mut item, mut frame, mut photo) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let media: Vec<MediaRecord> = store
        .catalog
        .list_media()?
        .into_iter()
        .filter(|m| !m.path.starts_with(SYNTHETIC))
        .collect();
    for m in &media {
        if m.kind == MediaKind::Image && Path::new(&m.path).is_file() {
            photo.push(Planned::Photo(PathBuf::from(&m.path)));
        }
        // Boxes on photos too: a face or item box is the same query on a photo as on a frame.
        for t in store.catalog.tracks(&m.id)? {
            let s = t.sightings[t.sightings.len() / 2];
            let boxed = |bbox: BBox| {
                Planned::Ready(Query::Media {
                    id: m.id.clone(),
                    bbox,
                    at: s.t,
                })
            };
            match t.kind {
                TrackKind::Face => face.push(boxed(s.bbox)),
                // Window 0 is the whole frame: the item boxes are the smaller windows.
                TrackKind::Item if s.bbox.w < 0.9 * m.width as f32 => item.push(boxed(s.bbox)),
                TrackKind::Item if m.kind == MediaKind::Video => {
                    frame.push(boxed(BBox::new(0.0, 0.0, m.width as f32, m.height as f32)))
                }
                TrackKind::Item => {}
            }
        }
    }
    let spread = |list: Vec<Planned>| -> Vec<Planned> {
        let step = (list.len() / per_kind.max(1)).max(1);
        list.into_iter().step_by(step).take(per_kind).collect()
    };
    let out: Vec<(&'static str, Vec<Planned>)> = vec![
        ("face_box", spread(face)),
        ("item_box", spread(item)),
        ("whole_frame", spread(frame)),
        ("whole_photo", spread(photo)),
    ];
    for (kind, list) in &out {
        if list.is_empty() {
            bail!("the seed files give no {kind} query: seed videos with people and photos");
        }
    }
    Ok(out)
}

/// A query to run: ready, or a photo decoded just before it is searched (as an upload arrives),
/// so that the photos waiting their turn do not count in the library's memory.
enum Planned {
    Ready(Query),
    Photo(PathBuf),
}

impl Planned {
    fn query(&self) -> anyhow::Result<std::borrow::Cow<'_, Query>> {
        Ok(match self {
            Planned::Ready(q) => std::borrow::Cow::Borrowed(q),
            Planned::Photo(path) => std::borrow::Cow::Owned(Query::Image {
                image: glint_media::load_image(path, glint_media::DecodeLimits::default())?,
                bbox: None,
            }),
        })
    }
}
