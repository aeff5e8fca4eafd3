//! Measures FlatIndex on clustered synthetic embeddings: insert, flush, open, file size, memory
//! and k=10 query latency, and checks the results against a naive scan.
//!
//! ```text
//! cargo run --release -p glint-index --example index_bench -- [VECTORS [DIM [QUERIES [CHECKED]]]]
//! ```
//!
//! Defaults: 100 000 vectors of 512 floats in 1 000 clusters, 1 000 queries, of which the first
//! 100 are checked against a naive f64 scan (a full naive pass over all queries would take
//! minutes and prove nothing more).

#[path = "support/synth.rs"]
mod synth;

use std::time::Instant;

use glint_index::{FlatIndex, VectorRead, VectorWrite};

use synth::{mib, percentile_ms, recall, rss_bytes};

const SPACE: &str = "item:bench";
const K: usize = 10;
const BATCH: usize = 1000;

fn arg(position: usize, default: usize) -> usize {
    std::env::args()
        .nth(position)
        .map(|a| a.parse().expect("arguments are whole numbers"))
        .unwrap_or(default)
}

/// Latency (sorted, ms) of every query, and the ids each returned.
fn run_queries(index: &FlatIndex, data: &synth::Dataset) -> (Vec<f64>, Vec<Vec<u64>>) {
    let mut latencies = Vec::with_capacity(data.query_count());
    let mut results = Vec::with_capacity(data.query_count());
    for q in 0..data.query_count() {
        let started = Instant::now();
        let hits = index.search(SPACE, data.query(q), K, None).expect("search");
        latencies.push(started.elapsed().as_secs_f64() * 1e3);
        results.push(hits.iter().map(|h| h.id).collect());
    }
    latencies.sort_by(f64::total_cmp);
    (latencies, results)
}

/// `--open DIR`: opens the index in this fresh process and prints seconds, RSS growth and heap
/// estimate. A fresh process, because in the main one the allocator reuses memory freed by the
/// build and hides what opening costs.
fn measure_open(dir: &str) -> Result<(), Box<dyn std::error::Error>> {
    let rss_before = rss_bytes();
    let started = Instant::now();
    let index = FlatIndex::open(dir)?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{seconds} {} {}",
        rss_bytes().saturating_sub(rss_before),
        index.memory_bytes()
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().nth(1).as_deref() == Some("--open") {
        return measure_open(&std::env::args().nth(2).expect("--open DIR"));
    }
    let n = arg(1, 100_000);
    let dim = arg(2, 512);
    let queries = arg(3, 1000);
    let checked = arg(4, 100).min(queries);
    let clusters = (n / 100).max(1);

    let started = Instant::now();
    let data = synth::clustered(n, dim, clusters, queries, 0x611e7);
    println!(
        "data: {n} x {dim}-d in {clusters} clusters, {queries} queries, generated in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    // The batches the ingest path would hand over; built outside the timed region.
    let batches: Vec<Vec<(u64, Vec<f32>)>> = (0..n)
        .collect::<Vec<_>>()
        .chunks(BATCH)
        .map(|chunk| chunk.iter().map(|&i| (i as u64, data.vector(i).to_vec())).collect())
        .collect();

    let dir = tempfile::tempdir()?;
    let rss_before = rss_bytes();
    let index = FlatIndex::open(dir.path())?;
    index.create_space(SPACE, dim)?;
    let started = Instant::now();
    for batch in &batches {
        index.upsert(SPACE, batch)?;
    }
    let build_s = started.elapsed().as_secs_f64();
    drop(batches);
    let heap = index.memory_bytes() as u64;
    let rss_built = rss_bytes().saturating_sub(rss_before);

    let started = Instant::now();
    index.flush()?;
    let flush_s = started.elapsed().as_secs_f64();
    let file_size: u64 = std::fs::read_dir(dir.path())?
        .map(|e| e.and_then(|e| e.metadata()).map(|m| m.len()))
        .sum::<Result<u64, _>>()?;
    drop(index);

    let output = std::process::Command::new(std::env::current_exe()?)
        .arg("--open")
        .arg(dir.path())
        .output()?;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let measured: Vec<f64> = String::from_utf8(output.stdout)?
        .split_whitespace()
        .map(|x| x.parse())
        .collect::<Result<_, _>>()?;
    let (open_s, rss_opened, heap_opened) = (measured[0], measured[1] as u64, measured[2] as u64);

    let index = FlatIndex::open(dir.path())?;
    assert_eq!(index.len(SPACE), n);

    let (single, results) = run_queries(&index, &data);
    drop(index);
    let index = FlatIndex::open(dir.path())?.with_search_threads(2);
    let (dual, dual_results) = run_queries(&index, &data);
    assert_eq!(results, dual_results, "thread count must not change results");

    let started = Instant::now();
    let mut total_recall = 0.0;
    for (q, got) in results.iter().enumerate().take(checked) {
        total_recall += recall(got, &synth::naive_top_k(&data, data.query(q), K));
    }
    let naive_s = started.elapsed().as_secs_f64();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;

    println!();
    println!("| FlatIndex, {n} x {dim}-d | value |");
    println!("|---|---|");
    println!(
        "| build (upsert, {} batches of {BATCH}) | {build_s:.3} s ({:.0} vectors/s) |",
        n.div_ceil(BATCH),
        n as f64 / build_s
    );
    println!("| flush (write + fsync + rename) | {flush_s:.3} s |");
    println!("| open (read + verify CRC, page cache warm, fresh process) | {open_s:.3} s |");
    println!("| file size | {:.1} MiB ({file_size} bytes) |", mib(file_size));
    println!(
        "| memory_bytes() after build / after open | {:.1} / {:.1} MiB |",
        mib(heap),
        mib(heap_opened)
    );
    println!(
        "| RSS growth: build / open in a fresh process | {:.1} / {:.1} MiB |",
        mib(rss_built),
        mib(rss_opened)
    );
    for (label, lat) in [("1 thread", &single), ("2 threads", &dual)] {
        println!(
            "| query k={K}, {label}: p50 / p95 / mean | {:.2} / {:.2} / {:.2} ms |",
            percentile_ms(lat, 50.0),
            percentile_ms(lat, 95.0),
            mean(lat)
        );
    }
    println!(
        "| recall@{K} vs naive f64 scan ({checked} queries, {naive_s:.1} s) | {:.4} |",
        total_recall / checked.max(1) as f64
    );
    Ok(())
}
