//! The graph backend on disk (issue 14): reopening from snapshot + log, a process killed with
//! SIGKILL in the middle of large upserts, corruption, inserts while searches run, and the
//! embedded default moving a growing space from the exact scan to the graph.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use glint_index::{HnswIndex, HnswParams, IndexError, LocalIndex, Quantization, VectorRead, VectorWrite};
use support::{naive_search, random_items, recall, Rng};

const DIM: usize = 32;
/// The child process of the kill test upserts batches of this many vectors.
const KILL_BATCH: usize = 2_000;

fn open(dir: &Path) -> HnswIndex {
    open_with(dir, Quantization::F16)
}

/// Spaces created by the index opened here store vectors in `quantization` (spaces that exist
/// keep their own).
fn open_with(dir: &Path, quantization: Quantization) -> HnswIndex {
    let params = HnswParams {
        quantization,
        ..HnswParams::default()
    };
    HnswIndex::open(dir, params).unwrap()
}

fn files_ending(dir: &Path, extension: &str) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == extension))
        .collect()
}

#[test]
fn issue14_reopens_from_snapshot_and_log_with_the_same_answers() {
    reopens_from_snapshot_and_log_with_the_same_answers(Quantization::F16);
}

/// The i8 graph's f16 copy is written with each snapshot and rebuilt from the log after it.
#[test]
fn issue14_an_i8_f16_space_reopens_from_snapshot_copy_and_log() {
    let dir = reopens_from_snapshot_and_log_with_the_same_answers(Quantization::I8F16);
    assert_eq!(
        files_ending(dir.path(), "f16").len(),
        1,
        "one f16 copy, beside the snapshot"
    );
}

fn reopens_from_snapshot_and_log_with_the_same_answers(quantization: Quantization) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let open = |dir: &Path| open_with(dir, quantization);
    let mut rng = Rng(21);
    let items = random_items(&mut rng, 12_000, DIM);
    let queries: Vec<Vec<f32>> = (0..20).map(|_| rng.vector(DIM)).collect();
    let answers = {
        let index = open(dir.path());
        index.create_space("face:x", DIM).unwrap();
        index.create_space("empty", 8).unwrap();
        index.upsert("face:x", &items[..10_000]).unwrap();
        index.flush().unwrap(); // 10,000 logged vectors: a snapshot.
        index.upsert("face:x", &items[10_000..]).unwrap(); // Only in the log.
        index.remove("face:x", &[items[0].0, items[1].0]).unwrap();
        index.flush().unwrap();
        queries
            .iter()
            .map(|q| index.search("face:x", q, 10, None).unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(files_ending(dir.path(), "usearch").len(), 1);
    // Opened with other defaults: the space keeps the precision it was created with.
    let index = open_with(dir.path(), Quantization::F32);
    assert_eq!(index.len("face:x"), 11_998);
    assert_eq!(index.len("empty"), 0);
    assert!(!index.contains("face:x", items[0].0));
    // The log is replayed on several threads, so the graph is not bit-identical to the one
    // before and near-ties at the top may swap: both graphs are held to the exact answers
    // (recall@10) and to each other, not to one another's first hit.
    let kept = |id: u64| id != items[0].0 && id != items[1].0;
    let (mut before, mut after, mut same) = (0.0, 0.0, 0);
    for (q, want) in queries.iter().zip(&answers) {
        let exact = naive_search(&items, q, 10, kept);
        let got = index.search("face:x", q, 10, None).unwrap();
        before += recall(want, &exact) / queries.len() as f64;
        after += recall(&got, &exact) / queries.len() as f64;
        same += got.iter().filter(|h| want.iter().any(|w| w.id == h.id)).count();
    }
    eprintln!("recall@10 before {before:.3}, after {after:.3}; {same} of 200 answers kept");
    assert!(after >= 0.9, "recall@10 after reopening {after:.3}");
    assert!(after >= before - 0.05, "recall@10 fell from {before:.3} to {after:.3}");
    assert!(same >= 180, "{same} of 200 answers kept");
    dir
}

/// Run by the kill test as a child process: upserts batches forever, logging progress.
#[test]
#[ignore = "helper: run by issue14_sigkill_during_large_upserts_loses_only_the_batch_in_flight"]
fn kill_child_upserts_forever() {
    let Ok(dir) = std::env::var("GLINT_KILL_DIR") else {
        return;
    };
    let quantization = std::env::var("GLINT_KILL_QUANTIZATION")
        .ok()
        .and_then(|q| Quantization::parse(&q))
        .unwrap_or(Quantization::F16);
    let index = open_with(Path::new(&dir), quantization);
    index.create_space("s", DIM).unwrap();
    let mut rng = Rng(22);
    for batch in 0u64.. {
        let items: Vec<(u64, Vec<f32>)> = (0..KILL_BATCH as u64)
            .map(|i| (batch * KILL_BATCH as u64 + i, rng.vector(DIM)))
            .collect();
        index.upsert("s", &items).unwrap();
        if batch % 3 == 2 {
            index.flush().unwrap();
        }
        println!("batch {batch}");
    }
}

#[test]
fn issue14_sigkill_during_large_upserts_loses_only_the_batch_in_flight() {
    sigkill_during_large_upserts_loses_only_the_batch_in_flight("f16");
}

#[test]
fn issue14_sigkill_during_large_upserts_of_an_i8_f16_space() {
    sigkill_during_large_upserts_loses_only_the_batch_in_flight("i8+f16");
}

fn sigkill_during_large_upserts_loses_only_the_batch_in_flight(quantization: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "kill_child_upserts_forever", "--ignored", "--nocapture"])
        .env("GLINT_KILL_DIR", dir.path())
        .env("GLINT_KILL_QUANTIZATION", quantization)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // Long enough for several batches and at least one snapshot, at whatever moment.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let logged: u64 = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "usearch"))
            .count() as u64;
        if logged > 0 || Instant::now() > deadline {
            break;
        }
    }
    std::thread::sleep(Duration::from_millis(700));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let index = open(dir.path());
    let n = index.len("s");
    assert!(n >= 3 * KILL_BATCH, "only {n} vectors survived");
    assert_eq!(n % KILL_BATCH, 0, "a batch was half-applied: {n} vectors");
    // Every surviving vector is searchable: replay the child's generator.
    let mut rng = Rng(22);
    for i in 0..n as u64 {
        let v = rng.vector(DIM);
        if i % 997 == 0 {
            assert_eq!(index.search("s", &v, 1, None).unwrap()[0].id, i);
        }
    }
    // Writing goes on where it stopped.
    index.upsert("s", &[(u64::MAX - 1, vec![1.0; DIM])]).unwrap();
    index.flush().unwrap();
    drop(index);
    assert_eq!(open(dir.path()).len("s"), n + 1);
}

#[test]
fn issue14_a_damaged_snapshot_is_refused_with_a_clear_error() {
    damaged_file_is_refused(Quantization::F16, "usearch");
}

#[test]
fn issue14_a_damaged_f16_copy_is_refused_with_a_clear_error() {
    damaged_file_is_refused(Quantization::I8F16, "f16");
}

fn damaged_file_is_refused(quantization: Quantization, extension: &str) {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = open_with(dir.path(), quantization);
        index.create_space("s", DIM).unwrap();
        index.upsert("s", &random_items(&mut Rng(23), 5_000, DIM)).unwrap();
        index.flush().unwrap();
    }
    let snapshot = files_ending(dir.path(), extension).pop().unwrap();
    let mut bytes = std::fs::read(&snapshot).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&snapshot, &bytes).unwrap();
    match HnswIndex::open(dir.path(), HnswParams::default()) {
        Err(IndexError::Corrupt { path, reason }) => {
            assert_eq!(path, snapshot);
            assert!(reason.contains("CRC"), "{reason}");
        }
        Err(other) => panic!("wrong error: {other}"),
        Ok(_) => panic!("a damaged snapshot was loaded"),
    }
}

#[test]
fn issue14_inserts_while_searches_run() {
    let index = HnswIndex::in_memory(HnswParams::default());
    index.create_space("s", DIM).unwrap();
    let mut rng = Rng(24);
    let items = random_items(&mut rng, 20_000, DIM);
    index.upsert("s", &items[..2_000]).unwrap();
    let done = AtomicBool::new(false);
    let (searches, found_self) = (AtomicUsize::new(0), AtomicUsize::new(0));
    std::thread::scope(|scope| {
        for t in 0..3 {
            let (index, done, items) = (&index, &done, &items);
            let (searches, found_self) = (&searches, &found_self);
            scope.spawn(move || {
                let mut i = t;
                while !done.load(Ordering::Acquire) {
                    let (id, v) = &items[i % 2_000];
                    let hits = index.search("s", v, 5, None).unwrap();
                    assert_eq!(hits.len(), 5);
                    assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
                    found_self.fetch_add(usize::from(hits[0].id == *id), Ordering::Relaxed);
                    searches.fetch_add(1, Ordering::Relaxed);
                    i += 7;
                }
            });
        }
        for batch in items[2_000..].chunks(1_500) {
            index.upsert("s", batch).unwrap();
        }
        done.store(true, Ordering::Release);
    });
    let (searches, found_self) = (searches.into_inner(), found_self.into_inner());
    assert!(searches > 0);
    // Uniform random 32-d vectors are the graph's worst case; a stored vector still finds itself
    // almost always while the graph grows around it.
    assert!(
        found_self as f64 >= 0.97 * searches as f64,
        "{found_self} of {searches}"
    );
    assert_eq!(index.len("s"), 20_000);
    let sample: Vec<_> = items.iter().step_by(97).collect();
    let found = sample
        .iter()
        .filter(|(id, v)| index.search("s", v, 1, None).unwrap()[0].id == *id)
        .count();
    assert!(
        found as f64 >= 0.97 * sample.len() as f64,
        "{found} of {}",
        sample.len()
    );
}

#[test]
fn issue14_a_growing_space_moves_to_the_graph_and_stays_there() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(25);
    let items = random_items(&mut rng, 6_000, DIM);
    {
        let index = LocalIndex::open(dir.path(), HnswParams::default())
            .unwrap()
            .with_graph_above_floats(5_000 * DIM);
        index.create_space("item:x", DIM).unwrap();
        index.upsert("item:x", &items[..4_000]).unwrap();
        index.flush().unwrap();
        assert!(!index.is_graph("item:x"));
        index.upsert("item:x", &items[4_000..]).unwrap();
        assert!(index.is_graph("item:x"));
        assert_eq!(index.len("item:x"), 6_000);
        index.flush().unwrap();
    }
    // The flat file is gone; the graph holds every vector after reopening.
    assert!(!std::fs::read_dir(dir.path())
        .unwrap()
        .any(|e| e.unwrap().path().extension().is_some_and(|x| x == "vec")));
    let index = LocalIndex::open(dir.path(), HnswParams::default()).unwrap();
    assert!(index.is_graph("item:x"));
    assert_eq!(index.len("item:x"), 6_000);
    assert_eq!(
        index.search("item:x", &items[4_321].1, 1, None).unwrap()[0].id,
        items[4_321].0
    );
}

/// Under the default parameters a space up to `I8F16_MAX_DIM` wide walks i8 and keeps an f16
/// copy; a wider one (faces, item windows) keeps f16 in the graph, and each says so in its
/// description, which is what reopening follows.
#[test]
fn issue14_wide_spaces_keep_f16_and_narrow_ones_walk_i8() {
    let dir = tempfile::tempdir().unwrap();
    let index = HnswIndex::open(dir.path(), HnswParams::default()).unwrap();
    index.create_space("narrow", glint_index::I8F16_MAX_DIM).unwrap();
    index.create_space("wide", glint_index::I8F16_MAX_DIM + 1).unwrap();
    let quantization_of = |space: &str| {
        files_ending(dir.path(), "json")
            .iter()
            .map(|path| serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(path).unwrap()).unwrap())
            .find(|description| description["name"] == space)
            .map(|description| description["params"]["quantization"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(quantization_of("narrow"), "i8+f16");
    assert_eq!(quantization_of("wide"), "f16");
}
