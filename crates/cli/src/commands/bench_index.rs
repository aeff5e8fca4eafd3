//! `glint bench index --vectors DIR`: the graph index on reference vectors with exact answers
//! (`python3 ../shared/bench/ann_vectors.py DIR` writes them): build time, memory, open time,
//! and recall@10 with queries/s on 1 and 2 threads over a sweep of the search beam width. With
//! `--faiss-python PY` the same run times faiss's HNSW on the same files with the same graph
//! parameters (`tools/bench/faiss_hnsw.py`), so the two are compared side by side.
//!
//! The base vectors are streamed from disk in batches, so the memory figures are the index's
//! own: the process's resident set after the index is reopened.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Args;
use serde_json::{json, Value};

use glint_index::{HnswIndex, HnswParams, Quantization, VectorRead, VectorWrite};

const SPACE: &str = "bench";
const BATCH: usize = 50_000;

#[derive(Args)]
pub struct BenchIndexArgs {
    /// A folder written by ann_vectors.py: base.f32, queries.f32, gt.u32, meta.json.
    #[arg(long)]
    pub vectors: PathBuf,
    /// Neighbours per node (HNSW's M).
    #[arg(long, default_value_t = HnswParams::default().connectivity)]
    pub connectivity: usize,
    /// Beam width while building (efConstruction).
    #[arg(long, default_value_t = HnswParams::default().expansion_add)]
    pub expansion_add: usize,
    /// Stored precision: i8+f16 (the library's: i8 in the graph, the short list re-scored from
    /// an f16 copy), f16, f32 or i8.
    #[arg(long, default_value = "i8+f16")]
    pub quantization: String,
    /// Search beam widths to sweep (ef).
    #[arg(long, value_delimiter = ',', default_value = "16,24,32,48,64,96,128")]
    pub ef: Vec<usize>,
    /// The recall@10 that picks the recommended beam width (the smallest that reaches it).
    #[arg(long, default_value_t = 0.98)]
    pub target_recall: f64,
    /// Threads for building.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Where the index is written (default: a temporary folder, deleted afterwards).
    #[arg(long)]
    pub keep: Option<PathBuf>,
    /// Skip the build and measure the index already in `--keep` (how the build step measures
    /// memory and open time in a fresh process).
    #[arg(long, hide = true, requires = "keep")]
    pub built: bool,
    /// A Python with faiss-cpu and numpy: also time faiss's HNSW (same M and efConstruction).
    #[arg(long, env = "GLINT_BENCH_FAISS_PYTHON")]
    pub faiss_python: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

struct Reference {
    n: usize,
    dim: usize,
    k: usize,
    queries: Vec<f32>,
    truth: Vec<u32>,
}

pub fn run(args: BenchIndexArgs) -> anyhow::Result<()> {
    let reference = read_reference(&args.vectors)?;
    let quantization = Quantization::parse(&args.quantization)
        .with_context(|| format!("unknown quantization {:?}", args.quantization))?;
    let params = HnswParams {
        connectivity: args.connectivity,
        expansion_add: args.expansion_add,
        expansion_search: args.ef.first().copied().unwrap_or(64),
        quantization,
    };
    let temp;
    let dir = match &args.keep {
        Some(dir) => dir.clone(),
        None => {
            temp = tempfile::tempdir()?;
            temp.path().to_path_buf()
        }
    };
    let say = |line: String| {
        if !args.json {
            println!("{line}");
        }
    };
    say(format!(
        "{} x {}-d vectors, {} queries, k = {}; M {} efConstruction {} {:?}, {} threads",
        reference.n,
        reference.dim,
        reference.truth.len() / reference.k,
        reference.k,
        params.connectivity,
        params.expansion_add,
        quantization,
        args.threads
    ));

    if args.built {
        let measured = measure(&dir, params, &args, &reference, &say)?;
        println!("{measured}");
        return Ok(());
    }
    let build_s = build(&args.vectors, &dir, params, args.threads, &reference, &say)?;
    let build_rss_mb = rss_mb("VmHWM");
    say(format!(
        "built and flushed in {build_s:.0} s (peak resident {build_rss_mb:.0} MB)"
    ));
    // Open time and memory are measured in a fresh process, so that what the build left in this
    // one's heap does not count.
    let measured = measure_in_child(&dir, &args)?;
    say_sweep("", &measured, &say);
    say(format!(
        "reopened in {:.2} s; resident {:.0} MB (graph {:.0} MB); usearch kernels {}",
        measured["open_s"].as_f64().unwrap_or(0.0),
        measured["rss_mb"].as_f64().unwrap_or(0.0),
        measured["graph_mb"].as_f64().unwrap_or(0.0),
        measured["kernels"].as_str().unwrap_or("?")
    ));
    let sweep = measured["sweep"].as_array().cloned().unwrap_or_default();
    let (open_s, rss) = (measured["open_s"].clone(), measured["rss_mb"].clone());
    let recommended = sweep
        .iter()
        .find(|row| row["recall@10"].as_f64().unwrap_or(0.0) >= args.target_recall)
        .or(sweep.last())
        .cloned()
        .unwrap_or(Value::Null);

    let faiss = match &args.faiss_python {
        Some(python) => Some(run_faiss(python, &args, &say)?),
        None => None,
    };
    let out = json!({
        "recall@10": recommended["recall@10"],
        "qps_1_thread": recommended["qps_1_thread"],
        "qps_2_threads": recommended["qps_2_threads"],
        "ef": recommended["ef"],
        "build_s": build_s,
        "rss_mb": rss,
        "build_rss_mb": build_rss_mb,
        "open_s": open_s,
        "huge_pages_s": measured["huge_pages_s"],
        "kernels": measured["kernels"],
        "n": reference.n,
        "dim": reference.dim,
        "params": params,
        "sweep": sweep,
        "faiss": faiss,
    });
    if args.json {
        println!("{out}");
    } else {
        say(format!(
            "recommended: ef {} -> recall@10 {:.4}, {:.0} q/s (1 thread), {:.0} q/s (2 threads)",
            recommended["ef"],
            recommended["recall@10"].as_f64().unwrap_or(0.0),
            recommended["qps_1_thread"].as_f64().unwrap_or(0.0),
            recommended["qps_2_threads"].as_f64().unwrap_or(0.0)
        ));
    }
    Ok(())
}

/// Opens the built index, measures open time and memory, and sweeps the beam width.
fn measure(
    dir: &Path,
    params: HnswParams,
    args: &BenchIndexArgs,
    reference: &Reference,
    say: &dyn Fn(String),
) -> anyhow::Result<Value> {
    let started = Instant::now();
    let mut index = HnswIndex::open(dir, params)?;
    let open_s = started.elapsed().as_secs_f64();
    // Searches are measured once the graph is on huge pages, which a background thread does
    // after the open (its time is reported apart).
    glint_index::wait_for_huge_pages();
    let huge_pages_s = started.elapsed().as_secs_f64() - open_s;
    let rss = rss_mb("VmRSS");
    let graph_mb = index.memory_bytes() as f64 / 1e6;
    let kernels = index.kernels(SPACE).unwrap_or_default();
    say(format!(
        "reopened in {open_s:.2} s (on huge pages {huge_pages_s:.2} s later); resident {rss:.0} MB, graph {graph_mb:.0} MB; kernels {kernels}"
    ));
    let mut sweep = Vec::new();
    for &ef in &args.ef {
        index.set_expansion_search(ef);
        let (recall, qps_1) = run_queries(&index, reference, 1)?;
        let (_, qps_2) = run_queries(&index, reference, 2)?;
        sweep.push(json!({"ef": ef, "recall@10": recall, "qps_1_thread": qps_1, "qps_2_threads": qps_2}));
    }
    Ok(
        json!({"open_s": open_s, "huge_pages_s": huge_pages_s, "rss_mb": rss, "graph_mb": graph_mb, "kernels": kernels, "sweep": sweep}),
    )
}

fn measure_in_child(dir: &Path, args: &BenchIndexArgs) -> anyhow::Result<Value> {
    let ef: Vec<String> = args.ef.iter().map(|e| e.to_string()).collect();
    let output = super::bench::fresh_process()?
        .args(["bench", "index", "--built", "--json"])
        .arg("--vectors")
        .arg(&args.vectors)
        .arg("--keep")
        .arg(dir)
        .args(["--ef", &ef.join(",")])
        .stderr(std::process::Stdio::inherit())
        .output()?;
    if !output.status.success() {
        bail!("measuring the built index failed ({})", output.status);
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let last = text.lines().last().unwrap_or_default();
    serde_json::from_str(last).with_context(|| format!("the measuring process printed {last:?}"))
}

fn read_reference(dir: &Path) -> anyhow::Result<Reference> {
    let meta: Value = serde_json::from_slice(
        &std::fs::read(dir.join("meta.json")).with_context(|| format!("reading {}/meta.json", dir.display()))?,
    )?;
    let field = |name: &str| {
        meta[name]
            .as_u64()
            .map(|v| v as usize)
            .with_context(|| format!("meta.json lacks {name}"))
    };
    let (n, dim, k) = (field("n")?, field("dim")?, field("k")?);
    let queries = read_f32(&dir.join("queries.f32"))?;
    let truth: Vec<u32> = std::fs::read(dir.join("gt.u32"))?
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
        .collect();
    if queries.len() % dim != 0 || truth.len() != queries.len() / dim * k {
        bail!("queries.f32 and gt.u32 do not agree with meta.json");
    }
    Ok(Reference {
        n,
        dim,
        k,
        queries,
        truth,
    })
}

fn read_f32(path: &Path) -> anyhow::Result<Vec<f32>> {
    Ok(std::fs::read(path)
        .with_context(|| format!("reading {}", path.display()))?
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
        .collect())
}

/// Builds the index from base.f32 in batches (id = row number) and flushes it.
fn build(
    vectors: &Path,
    dir: &Path,
    params: HnswParams,
    threads: usize,
    reference: &Reference,
    say: &dyn Fn(String),
) -> anyhow::Result<f64> {
    let started = Instant::now();
    let index = HnswIndex::open(dir, params)?.with_insert_threads(threads);
    index.create_space(SPACE, reference.dim)?;
    let path = vectors.join("base.f32");
    let mut input = BufReader::new(File::open(&path).with_context(|| format!("opening {}", path.display()))?);
    let mut bytes = vec![0u8; BATCH * reference.dim * 4];
    let mut next_id = 0u64;
    while (next_id as usize) < reference.n {
        let rows = BATCH.min(reference.n - next_id as usize);
        let bytes = &mut bytes[..rows * reference.dim * 4];
        input.read_exact(bytes)?;
        let items: Vec<(u64, Vec<f32>)> = bytes
            .chunks_exact(reference.dim * 4)
            .enumerate()
            .map(|(i, row)| {
                let v = row
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
                    .collect();
                (next_id + i as u64, v)
            })
            .collect();
        index.upsert(SPACE, &items)?;
        next_id += rows as u64;
        let elapsed = started.elapsed().as_secs_f64();
        say(format!(
            "  {next_id} vectors in {elapsed:.0} s ({:.0}/s)",
            next_id as f64 / elapsed
        ));
    }
    index.flush()?;
    Ok(started.elapsed().as_secs_f64())
}

/// Recall@k against the exact answers, and queries per second on `threads` threads: every
/// thread runs all the queries, in rounds until at least a second has passed, so that the rate
/// is not one short burst.
fn run_queries(index: &HnswIndex, reference: &Reference, threads: usize) -> anyhow::Result<(f64, f64)> {
    let (dim, k) = (reference.dim, reference.k);
    let queries = reference.truth.len() / k;
    let started = Instant::now();
    let mut rounds = 0;
    let mut recall = 0.0;
    while rounds == 0 || started.elapsed().as_secs_f64() < 1.0 {
        let found: Vec<usize> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| -> anyhow::Result<usize> {
                        let mut found = 0;
                        for (query, truth) in reference.queries.chunks_exact(dim).zip(reference.truth.chunks_exact(k)) {
                            let hits = index.search(SPACE, query, k, None)?;
                            found += hits.iter().filter(|h| truth.contains(&(h.id as u32))).count();
                        }
                        Ok(found)
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().expect("query thread"))
                .collect::<anyhow::Result<Vec<usize>>>()
        })?;
        recall = found[0] as f64 / (queries * k) as f64;
        rounds += 1;
    }
    let elapsed = started.elapsed().as_secs_f64();
    Ok((recall, (rounds * queries * threads) as f64 / elapsed))
}

fn run_faiss(python: &Path, args: &BenchIndexArgs, say: &dyn Fn(String)) -> anyhow::Result<Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/bench/faiss_hnsw.py");
    say(format!("faiss: {} {}", python.display(), script.display()));
    let ef: Vec<String> = args.ef.iter().map(|e| e.to_string()).collect();
    let output = std::process::Command::new(python)
        .arg(&script)
        .arg(&args.vectors)
        .args(["--m", &args.connectivity.to_string()])
        .args(["--ef-construction", &args.expansion_add.to_string()])
        .args(["--ef", &ef.join(",")])
        .args(["--threads", &args.threads.to_string()])
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("running {}", python.display()))?;
    if !output.status.success() {
        bail!("faiss benchmark failed ({})", output.status);
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let last = text.lines().last().unwrap_or_default();
    let value: Value = serde_json::from_str(last).with_context(|| format!("faiss printed {last:?}"))?;
    say_sweep("faiss ", &value, say);
    Ok(value)
}

/// One line per row of a result's `sweep`.
fn say_sweep(prefix: &str, result: &Value, say: &dyn Fn(String)) {
    for row in result["sweep"].as_array().into_iter().flatten() {
        say(format!(
            "{prefix}ef {:>4}: recall@10 {:.4}  {:>7.0} q/s on 1 thread  {:>7.0} q/s on 2",
            row["ef"],
            row["recall@10"].as_f64().unwrap_or(0.0),
            row["qps_1_thread"].as_f64().unwrap_or(0.0),
            row["qps_2_threads"].as_f64().unwrap_or(0.0)
        ));
    }
}

/// A `/proc/self/status` figure (VmRSS, VmHWM) in MB.
pub(crate) fn rss_mb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1e3)
}
