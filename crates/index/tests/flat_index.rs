//! FlatIndex through the public traits: exactness against a naive scan, write semantics,
//! persistence and corruption, concurrency, filters and input validation.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use glint_index::{Filter, FlatIndex, Hit, IndexError, SpaceInfo, VectorRead, VectorWrite};

mod support;
use support::{assert_exact, naive_search, random_items, Rng};

fn space_with(dim: usize, items: &[(u64, Vec<f32>)]) -> FlatIndex {
    let index = FlatIndex::in_memory();
    index.create_space("s", dim).unwrap();
    index.upsert("s", items).unwrap();
    index
}

#[test]
fn search_is_exact_against_a_naive_scan() {
    let mut rng = Rng(1);
    // 48 exercises the kernel's scalar tail, 128 and 512 are real embedding sizes.
    for dim in [48, 128, 512] {
        let items = random_items(&mut rng, 1500, dim);
        let index = space_with(dim, &items);
        for _ in 0..20 {
            // Unnormalised queries: the index must normalise them itself.
            let query: Vec<f32> = rng.vector(dim).iter().map(|x| x * 37.0).collect();
            let got = index.search("s", &query, 10, None).unwrap();
            assert_exact(&got, &naive_search(&items, &query, 10, |_| true));
        }
        // A stored vector finds itself with cosine 1.
        let (id, v) = &items[321];
        let top = index.search("s", v, 1, None).unwrap();
        assert_eq!(top[0].id, *id);
        assert!((top[0].score - 1.0).abs() < 1e-5);
    }
}

#[test]
fn k_beyond_the_space_returns_everything_sorted() {
    let mut rng = Rng(2);
    let items = random_items(&mut rng, 25, 16);
    let index = space_with(16, &items);
    let query = rng.vector(16);
    let got = index.search("s", &query, 1000, None).unwrap();
    assert_exact(&got, &naive_search(&items, &query, 1000, |_| true));
    assert_eq!(got.len(), 25);
    let empty = FlatIndex::in_memory();
    empty.create_space("e", 16).unwrap();
    assert!(empty.search("e", &query, 5, None).unwrap().is_empty());
}

#[test]
fn upsert_replaces_and_remove_deletes() {
    let index = FlatIndex::in_memory();
    index.create_space("s", 3).unwrap();
    index
        .upsert("s", &[(1, vec![1.0, 0.0, 0.0]), (2, vec![0.0, 1.0, 0.0])])
        .unwrap();
    assert_eq!(index.len("s"), 2);

    // Replacing keeps the count and moves the vector.
    index.upsert("s", &[(1, vec![0.0, 0.0, 5.0])]).unwrap();
    assert_eq!(index.len("s"), 2);
    let top = index.search("s", &[0.0, 0.0, 1.0], 1, None).unwrap();
    assert_eq!(top[0].id, 1);
    assert!((top[0].score - 1.0).abs() < 1e-6);

    // Within one batch the last vector for an id wins.
    index
        .upsert("s", &[(3, vec![1.0, 0.0, 0.0]), (3, vec![0.0, 1.0, 1.0])])
        .unwrap();
    assert_eq!(index.len("s"), 3);
    let top = index.search("s", &[0.0, 1.0, 1.0], 1, None).unwrap();
    assert_eq!(top[0].id, 3);

    // Removing unknown ids is not an error; removed ids are never found again.
    index.remove("s", &[2, 99, 2]).unwrap();
    assert_eq!(index.len("s"), 2);
    let all = index.search("s", &[0.0, 1.0, 0.0], 10, None).unwrap();
    assert!(all.iter().all(|h| h.id != 2), "{all:?}");
    index.remove("s", &[1, 3]).unwrap();
    assert_eq!(index.len("s"), 0);
    assert!(index.search("s", &[0.0, 1.0, 0.0], 10, None).unwrap().is_empty());

    // And a removed id can come back.
    index.upsert("s", &[(2, vec![0.0, 1.0, 0.0])]).unwrap();
    assert_eq!(index.search("s", &[0.0, 1.0, 0.0], 10, None).unwrap()[0].id, 2);
}

#[test]
fn many_removals_stay_exact() {
    let mut rng = Rng(3);
    let mut items = random_items(&mut rng, 800, 32);
    let index = space_with(32, &items);
    // Remove every third id, then overwrite every fifth survivor.
    let gone: Vec<u64> = items.iter().step_by(3).map(|(id, _)| *id).collect();
    index.remove("s", &gone).unwrap();
    items.retain(|(id, _)| !gone.contains(id));
    for item in items.iter_mut().step_by(5) {
        item.1 = rng.vector(32);
    }
    let updated: Vec<(u64, Vec<f32>)> = items.iter().step_by(5).cloned().collect();
    index.upsert("s", &updated).unwrap();
    assert_eq!(index.len("s"), items.len());
    for _ in 0..10 {
        let query = rng.vector(32);
        let got = index.search("s", &query, 15, None).unwrap();
        assert_exact(&got, &naive_search(&items, &query, 15, |_| true));
    }
}

#[test]
fn a_batch_with_one_bad_vector_writes_nothing() {
    let index = FlatIndex::in_memory();
    index.create_space("s", 2).unwrap();
    let err = index
        .upsert("s", &[(1, vec![1.0, 0.0]), (2, vec![f32::NAN, 1.0])])
        .unwrap_err();
    assert!(matches!(err, IndexError::BadVector { id: 2, .. }), "{err}");
    let err = index.upsert("s", &[(1, vec![1.0, 0.0]), (2, vec![1.0])]).unwrap_err();
    assert!(
        matches!(
            err,
            IndexError::DimMismatch {
                id: Some(2),
                expected: 2,
                actual: 1,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(index.len("s"), 0);
}

#[test]
fn filter_keeps_k_matching_hits_exactly() {
    let mut rng = Rng(4);
    let items = random_items(&mut rng, 1000, 24);
    let index = space_with(24, &items);
    let even: HashSet<u64> = items.iter().map(|(id, _)| *id).filter(|id| id & 1 == 0).collect();
    for _ in 0..10 {
        let query = rng.vector(24);
        let got = index.search("s", &query, 10, Some(Filter::Only(&even))).unwrap();
        assert!(got.iter().all(|h| even.contains(&h.id)));
        assert_exact(&got, &naive_search(&items, &query, 10, |id| even.contains(&id)));
        let got = index.search("s", &query, 10, Some(Filter::Except(&even))).unwrap();
        assert_exact(&got, &naive_search(&items, &query, 10, |id| !even.contains(&id)));
    }
    let query = rng.vector(24);
    let none = HashSet::new();
    assert!(index
        .search("s", &query, 10, Some(Filter::Only(&none)))
        .unwrap()
        .is_empty());
    // A filter matching fewer than k ids returns just those.
    let two: HashSet<u64> = [items[5].0, items[900].0].into();
    let got = index.search("s", &query, 10, Some(Filter::Only(&two))).unwrap();
    assert_eq!(got.len(), 2);
}

#[test]
fn bad_inputs_are_clear_errors() {
    let index = FlatIndex::in_memory();
    index.create_space("s", 4).unwrap();
    index.upsert("s", &[(1, vec![1.0, 2.0, 3.0, 4.0])]).unwrap();
    let q = [1.0, 0.0, 0.0, 0.0];

    let err = index.search("s", &q, 0, None).unwrap_err();
    assert!(
        matches!(err, IndexError::BadInput(_)) && err.to_string().contains("k must"),
        "{err}"
    );
    let err = index.search("s", &[], 5, None).unwrap_err();
    assert!(err.to_string().contains("empty query"), "{err}");
    let err = index.search("s", &[1.0, 0.0], 5, None).unwrap_err();
    assert_eq!(err.to_string(), "vector space \"s\" holds 4-d vectors, got 2-d query");
    let err = index.search("s", &[1.0, f32::NAN, 0.0, 0.0], 5, None).unwrap_err();
    assert!(err.to_string().contains("not finite"), "{err}");
    let err = index.search("s", &[0.0; 4], 5, None).unwrap_err();
    assert!(err.to_string().contains("zero"), "{err}");
    let err = index.search("nope", &q, 5, None).unwrap_err();
    assert!(matches!(err, IndexError::UnknownSpace(ref s) if s == "nope"), "{err}");

    for bad in [
        vec![f32::INFINITY, 0.0, 0.0, 0.0],
        vec![0.0, f32::NEG_INFINITY, 0.0, 0.0],
        vec![0.0; 4],
    ] {
        let err = index.upsert("s", &[(7, bad)]).unwrap_err();
        assert!(matches!(err, IndexError::BadVector { id: 7, .. }), "{err}");
    }
    let err = index.upsert("s", &[(7, vec![1.0; 5])]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "vector space \"s\" holds 4-d vectors, got 5-d for id 7"
    );
    assert!(matches!(
        index.upsert("nope", &[]).unwrap_err(),
        IndexError::UnknownSpace(_)
    ));
    assert!(matches!(
        index.remove("nope", &[1]).unwrap_err(),
        IndexError::UnknownSpace(_)
    ));
    assert_eq!(index.len("nope"), 0);
    assert_eq!(index.len("s"), 1);
}

#[test]
fn create_space_is_idempotent_but_rejects_another_dimension() {
    let index = FlatIndex::in_memory();
    index.create_space("face:dlib128", 128).unwrap();
    index.upsert("face:dlib128", &[(1, vec![0.5; 128])]).unwrap();
    index.create_space("face:dlib128", 128).unwrap();
    assert_eq!(index.len("face:dlib128"), 1, "re-creating must not clear the space");
    let err = index.create_space("face:dlib128", 512).unwrap_err();
    assert!(
        matches!(
            err,
            IndexError::SpaceConflict {
                existing: 128,
                requested: 512,
                ..
            }
        ),
        "{err}"
    );
    for (name, dim) in [
        ("", 4),
        ("tab\there", 4),
        (&"x".repeat(256) as &str, 4),
        ("ok", 0),
        ("ok", 1 << 20),
    ] {
        assert!(index.create_space(name, dim).is_err(), "{name:?} {dim}");
    }
    index.create_space("item:efficientnet-lite0", 1280).unwrap();
    let names: Vec<SpaceInfo> = index.spaces();
    assert_eq!(
        names,
        vec![
            SpaceInfo {
                name: "face:dlib128".into(),
                dim: 128,
                len: 1
            },
            SpaceInfo {
                name: "item:efficientnet-lite0".into(),
                dim: 1280,
                len: 0
            },
        ]
    );
}

#[test]
fn persistence_round_trip_keeps_spaces_and_results() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(5);
    let faces = random_items(&mut rng, 300, 128);
    let items = random_items(&mut rng, 200, 40);
    let queries: Vec<Vec<f32>> = (0..5).map(|_| rng.vector(128)).collect();
    let before = {
        let index = FlatIndex::open(dir.path()).unwrap();
        index.create_space("face:dlib128", 128).unwrap();
        index.create_space("item:test", 40).unwrap();
        index.create_space("empty", 8).unwrap();
        index.upsert("face:dlib128", &faces).unwrap();
        index.upsert("item:test", &items).unwrap();
        index.remove("face:dlib128", &[faces[0].0, faces[10].0]).unwrap();
        index.flush().unwrap();
        let results: Vec<Vec<Hit>> = queries
            .iter()
            .map(|q| index.search("face:dlib128", q, 10, None).unwrap())
            .collect();
        (index.spaces(), results)
    };
    let files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(files.len(), 3, "{files:?}");
    assert!(
        files.iter().all(|f| f.ends_with(".vec") && !f.contains(':')),
        "{files:?}"
    );

    let index = FlatIndex::open(dir.path()).unwrap();
    assert_eq!(index.spaces(), before.0);
    assert_eq!(index.len("face:dlib128"), 298);
    for (q, want) in queries.iter().zip(&before.1) {
        // Bit-identical: the file holds the normalised floats exactly.
        assert_eq!(&index.search("face:dlib128", q, 10, None).unwrap(), want);
    }
    // Changes after reopening persist too.
    index.upsert("empty", &[(1, vec![1.0; 8])]).unwrap();
    index.flush().unwrap();
    drop(index);
    assert_eq!(FlatIndex::open(dir.path()).unwrap().len("empty"), 1);
}

/// Writes one small space, returns its directory and file.
fn persisted_space() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let index = FlatIndex::open(dir.path()).unwrap();
    index.create_space("face:dlib128", 16).unwrap();
    let mut rng = Rng(6);
    index.upsert("face:dlib128", &random_items(&mut rng, 50, 16)).unwrap();
    index.flush().unwrap();
    let file = std::fs::read_dir(dir.path()).unwrap().next().unwrap().unwrap().path();
    (dir, file)
}

fn expect_corrupt(dir: &std::path::Path, what: &str) {
    match FlatIndex::open(dir) {
        Err(IndexError::Corrupt { reason, .. }) => assert!(reason.contains(what), "{what}: {reason}"),
        Err(other) => panic!("{what}: expected Corrupt, got {other}"),
        Ok(_) => panic!("{what}: corrupt file was accepted"),
    }
}

#[test]
fn corrupt_files_are_reported_not_loaded() {
    // A flipped bit in the vector data.
    let (dir, file) = persisted_space();
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    std::fs::write(&file, &bytes).unwrap();
    expect_corrupt(dir.path(), "checksum");

    // A torn write: the tail is missing.
    let (dir, file) = persisted_space();
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() - 100]).unwrap();
    expect_corrupt(dir.path(), "torn write or truncation");

    // A header whose count would ask for exabytes.
    let (dir, file) = persisted_space();
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
    std::fs::write(&file, &bytes).unwrap();
    expect_corrupt(dir.path(), "impossible size");

    // Not our file at all, and an empty one.
    let (dir, file) = persisted_space();
    std::fs::write(&file, b"definitely not a vector file, just some text").unwrap();
    expect_corrupt(dir.path(), "bad magic");
    std::fs::write(&file, b"").unwrap();
    expect_corrupt(dir.path(), "shorter than a header");
}

#[test]
fn leftovers_of_an_interrupted_flush_are_cleared() {
    let (dir, file) = persisted_space();
    let temp = file.with_extension("vec.tmp");
    std::fs::write(&temp, b"half a file").unwrap();
    let index = FlatIndex::open(dir.path()).unwrap();
    assert_eq!(index.len("face:dlib128"), 50);
    assert!(!temp.exists());
}

#[test]
fn searches_run_consistently_while_another_thread_writes() {
    let dim = 64;
    let index: Arc<dyn VectorWrite> = Arc::new(FlatIndex::in_memory());
    index.create_space("s", dim).unwrap();
    let mut rng = Rng(7);
    // Permanent vectors: each must always be found by its own query, whatever the writer does.
    let permanent = random_items(&mut rng, 50, dim);
    index.upsert("s", &permanent).unwrap();
    let churn: Vec<(u64, Vec<f32>)> = (0..400).map(|i| (1_000_000 + i, rng.vector(dim))).collect();

    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|r| {
            let (index, done, permanent) = (Arc::clone(&index), Arc::clone(&done), permanent.clone());
            std::thread::spawn(move || {
                let mut searches = 0;
                while !done.load(Ordering::Relaxed) || searches < 50 {
                    let (id, v) = &permanent[(searches + r) % permanent.len()];
                    let hits = index.search("s", v, 5, None).unwrap();
                    assert_eq!(hits[0].id, *id);
                    assert!((hits[0].score - 1.0).abs() < 1e-5);
                    assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
                    assert!(hits.iter().all(|h| h.score <= 1.0 + 1e-5 && h.score >= -1.0 - 1e-5));
                    searches += 1;
                }
                searches
            })
        })
        .collect();

    for round in 0..20 {
        let batch = &churn[(round * 20) % 400..(round * 20) % 400 + 20];
        index.upsert("s", batch).unwrap();
        if round % 2 == 1 {
            let ids: Vec<u64> = churn[..(round * 10)].iter().map(|(id, _)| *id).collect();
            index.remove("s", &ids).unwrap();
        }
        std::thread::yield_now();
    }
    done.store(true, Ordering::Relaxed);
    for reader in readers {
        assert!(reader.join().expect("reader panicked") >= 50);
    }
    assert!(index.len("s") >= permanent.len());
}
