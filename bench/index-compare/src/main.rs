//! FlatIndex (exact) against hnsw_rs (HNSW, approximate) on the clustered data of
//! `crates/index/examples/index_bench.rs`: build time, memory, recall@10 and query latency.
//!
//! ```text
//! cargo run --release [--features simd] -- [VECTORS [DIM [QUERIES]]]
//! ```
//!
//! Each backend is measured in a fresh child process (`flat` / `hnsw` modes of this binary), so
//! that memory freed by one does not hide what the other allocates. HNSW parameters are
//! Qdrant's defaults (m = 16, ef_construct = 100), since a Qdrant backend is the likely next step;
//! ef at search time is swept.

#[path = "../../../crates/index/examples/support/synth.rs"]
mod synth;

use std::time::Instant;

use glint_index::{FlatIndex, VectorRead, VectorWrite};
use hnsw_rs::prelude::{DistDot, Hnsw};

use synth::{mib, percentile_ms, recall, rss_bytes, Dataset};

const K: usize = 10;
const SEED: u64 = 0x611e7;
const M: usize = 16;
const EF_CONSTRUCTION: usize = 100;
const EF_SEARCH: [usize; 5] = [16, 32, 64, 128, 256];

/// User + system CPU seconds of this process, from /proc (clock ticks of 1/100 s on Linux).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let after_name = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn args() -> (usize, usize, usize) {
    let arg = |i: usize, default: usize| {
        std::env::args()
            .nth(i)
            .map(|a| a.parse().expect("arguments are whole numbers"))
            .unwrap_or(default)
    };
    (arg(2, 100_000), arg(3, 512), arg(4, 1000))
}

fn dataset(n: usize, dim: usize, queries: usize) -> Dataset {
    synth::clustered(n, dim, (n / 100).max(1), queries, SEED)
}

/// The `(id, vector)` items the ingest path would hand to `upsert`.
fn items(data: &Dataset) -> Vec<(u64, Vec<f32>)> {
    (0..data.len()).map(|i| (i as u64, data.vector(i).to_vec())).collect()
}

fn build_flat(dim: usize, items: &[(u64, Vec<f32>)]) -> FlatIndex {
    let index = FlatIndex::in_memory();
    index.create_space("s", dim).unwrap();
    for batch in items.chunks(1000) {
        index.upsert("s", batch).unwrap();
    }
    index
}

/// Exact top-k ids of every query.
fn truth(index: &FlatIndex, data: &Dataset) -> Vec<Vec<u64>> {
    (0..data.query_count())
        .map(|q| {
            index
                .search("s", data.query(q), K, None)
                .unwrap()
                .iter()
                .map(|h| h.id)
                .collect()
        })
        .collect()
}

fn row(name: &str, build: &str, mem: u64, recall: f64, latencies: &mut [f64]) {
    latencies.sort_by(f64::total_cmp);
    println!(
        "| {name} | {build} | {:.0} MiB | {recall:.4} | {:.3} | {:.3} |",
        mib(mem),
        percentile_ms(latencies, 50.0),
        percentile_ms(latencies, 95.0)
    );
}

fn run_flat(n: usize, dim: usize, queries: usize) {
    let data = dataset(n, dim, queries);
    // Prepared before measuring: these copies are the caller's, not the index's.
    let items = items(&data);
    let rss_before = rss_bytes();
    let (wall, cpu) = (Instant::now(), cpu_seconds());
    let index = build_flat(dim, &items);
    let build = format!(
        "{:.2} s ({:.2} s CPU)",
        wall.elapsed().as_secs_f64(),
        cpu_seconds() - cpu
    );
    let mem = rss_bytes().saturating_sub(rss_before);
    let mut latencies = Vec::new();
    for q in 0..data.query_count() {
        let started = Instant::now();
        let hits = index.search("s", data.query(q), K, None).unwrap();
        latencies.push(started.elapsed().as_secs_f64() * 1e3);
        assert_eq!(hits.len(), K);
    }
    // Exact by construction (index_bench checks it against a naive scan).
    row("FlatIndex (exact, 1 thread)", &build, mem, 1.0, &mut latencies);
}

fn run_hnsw(n: usize, dim: usize, queries: usize) {
    let data = dataset(n, dim, queries);
    let slices: Vec<(&[f32], usize)> = (0..data.len()).map(|i| (data.vector(i), i)).collect();
    let rss_before = rss_bytes();
    let (wall, cpu) = (Instant::now(), cpu_seconds());
    let mut hnsw = Hnsw::<f32, DistDot>::new(M, n, 16, EF_CONSTRUCTION, DistDot);
    hnsw.parallel_insert_slice(&slices);
    hnsw.set_searching_mode(true);
    let build = format!(
        "{:.2} s ({:.2} s CPU, {} threads)",
        wall.elapsed().as_secs_f64(),
        cpu_seconds() - cpu,
        std::thread::available_parallelism().map_or(1, |p| p.get())
    );
    let mem = rss_bytes().saturating_sub(rss_before);

    let mut results = Vec::new();
    for ef in EF_SEARCH {
        let mut latencies = Vec::new();
        let mut ids = Vec::new();
        for q in 0..data.query_count() {
            let started = Instant::now();
            let hits = hnsw.search(data.query(q), K, ef);
            latencies.push(started.elapsed().as_secs_f64() * 1e3);
            ids.push(hits.iter().map(|h| h.d_id as u64).collect::<Vec<u64>>());
        }
        results.push((ef, latencies, ids));
    }
    // Ground truth last, so that its memory is not counted above.
    let exact = truth(&build_flat(dim, &items(&data)), &data);
    for (ef, mut latencies, ids) in results {
        let r = ids.iter().zip(&exact).map(|(got, want)| recall(got, want)).sum::<f64>() / exact.len() as f64;
        row(
            &format!("hnsw_rs m={M} ef_c={EF_CONSTRUCTION}, ef={ef}"),
            &build,
            mem,
            r,
            &mut latencies,
        );
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (n, dim, queries) = args();
    match std::env::args().nth(1).as_deref() {
        Some("flat") => run_flat(n, dim, queries),
        Some("hnsw") => run_hnsw(n, dim, queries),
        _ => {
            // Top level: same arguments, shifted by the mode, one child per backend.
            let rest: Vec<String> = std::env::args().skip(1).collect();
            let (n, dim, queries) = {
                let get = |i: usize, d: usize| rest.get(i).map_or(d, |a| a.parse().expect("whole numbers"));
                (get(0, 100_000), get(1, 512), get(2, 1000))
            };
            println!(
                "{n} x {dim}-d, {} clusters, {queries} queries, k={K}; dot product: {}",
                (n / 100).max(1),
                if cfg!(feature = "simd") {
                    "simdeez (AVX2)"
                } else {
                    "hnsw_rs default (scalar)"
                }
            );
            println!();
            println!("| backend | build | memory (RSS growth) | recall@{K} | p50 ms | p95 ms |");
            println!("|---|---|---|---|---|---|");
            for mode in ["flat", "hnsw"] {
                let output = std::process::Command::new(std::env::current_exe()?)
                    .args([mode, &n.to_string(), &dim.to_string(), &queries.to_string()])
                    .output()?;
                print!("{}", String::from_utf8_lossy(&output.stdout));
                if !output.status.success() {
                    eprintln!("{mode} failed: {}", String::from_utf8_lossy(&output.stderr));
                }
            }
        }
    }
    Ok(())
}
