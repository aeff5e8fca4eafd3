//! The same contract, run against every backend: the exact `FlatIndex`, the graph `HnswIndex`
//! (in memory and on disk) and the embedded default `LocalIndex` (with a threshold low enough
//! that its spaces move to the graph mid-test). What differs is stated per backend: the flat
//! index is exact, the graph must reach a recall.

mod support;

use std::collections::HashSet;

use glint_index::{Filter, FlatIndex, HnswIndex, HnswParams, IndexError, LocalIndex, VectorWrite};
use support::{assert_exact, assert_exact_within, naive_search, random_items, Rng};

struct Backend {
    name: &'static str,
    index: Box<dyn VectorWrite>,
    exact: bool,
    _dir: Option<tempfile::TempDir>,
}

fn backends() -> Vec<Backend> {
    let on_disk = tempfile::tempdir().unwrap();
    let local_dir = tempfile::tempdir().unwrap();
    vec![
        Backend {
            name: "flat",
            index: Box::new(FlatIndex::in_memory()),
            exact: true,
            _dir: None,
        },
        Backend {
            name: "graph in memory",
            index: Box::new(HnswIndex::in_memory(HnswParams::default())),
            exact: false,
            _dir: None,
        },
        Backend {
            name: "graph on disk",
            index: Box::new(HnswIndex::open(on_disk.path(), HnswParams::default()).unwrap()),
            exact: false,
            _dir: Some(on_disk),
        },
        Backend {
            name: "local (moves to the graph past 500 x 16 floats)",
            index: Box::new(
                LocalIndex::open(local_dir.path(), HnswParams::default())
                    .unwrap()
                    .with_graph_above_floats(500 * 16),
            ),
            exact: false,
            _dir: Some(local_dir),
        },
    ]
}

/// Share of the naive top-k ids found.
fn recall(got: &[glint_index::Hit], want: &[(u64, f64)]) -> f64 {
    let found = want.iter().filter(|(id, _)| got.iter().any(|h| h.id == *id)).count();
    found as f64 / want.len().max(1) as f64
}

#[test]
fn nearest_neighbours_match_a_naive_scan() {
    for b in backends() {
        let mut rng = Rng(11);
        let items = random_items(&mut rng, 3000, 16);
        b.index.create_space("s", 16).unwrap();
        for batch in items.chunks(700) {
            b.index.upsert("s", batch).unwrap();
        }
        assert_eq!(b.index.len("s"), 3000, "{}", b.name);
        let mut total = 0.0;
        for _ in 0..50 {
            let query = rng.vector(16);
            let got = b.index.search("s", &query, 10, None).unwrap();
            let want = naive_search(&items, &query, 10, |_| true);
            assert!(
                got.windows(2).all(|w| w[0].score >= w[1].score),
                "{}: not sorted",
                b.name
            );
            // Scores are cosines of the stored (possibly f16) vectors.
            for hit in &got {
                let (_, v) = items.iter().find(|(id, _)| *id == hit.id).unwrap();
                let truth = naive_search(&[(hit.id, v.clone())], &query, 1, |_| true)[0].1;
                assert!(
                    (f64::from(hit.score) - truth).abs() < 2e-3,
                    "{}: {hit:?} vs {truth}",
                    b.name
                );
            }
            if b.exact {
                assert_exact(&got, &want);
            }
            total += recall(&got, &want);
        }
        let mean = total / 50.0;
        assert!(mean >= 0.95, "{}: recall@10 {mean}", b.name);
        // A stored vector finds itself first.
        for (id, v) in items.iter().step_by(97) {
            assert_eq!(b.index.search("s", v, 1, None).unwrap()[0].id, *id, "{}", b.name);
        }
    }
}

#[test]
fn replace_and_delete() {
    for b in backends() {
        let mut rng = Rng(12);
        let items = random_items(&mut rng, 1200, 16);
        b.index.create_space("s", 16).unwrap();
        b.index.upsert("s", &items).unwrap();
        let (id, _) = items[10].clone();
        let fresh = rng.vector(16);
        b.index.upsert("s", &[(id, fresh.clone())]).unwrap();
        assert_eq!(b.index.len("s"), 1200, "{}: a replacement adds nothing", b.name);
        let top = b.index.search("s", &fresh, 1, None).unwrap();
        assert_eq!(top[0].id, id, "{}", b.name);
        assert!(top[0].score > 0.999, "{}: {top:?}", b.name);
        // The old vector is gone: searching for it does not return the id at ~1.0.
        let old = b.index.search("s", &items[10].1, 1, None).unwrap();
        assert!(old[0].id != id || old[0].score < 0.999, "{}: {old:?}", b.name);

        // A repeated id in one batch keeps its last vector.
        let last = rng.vector(16);
        b.index
            .upsert("s", &[(id, rng.vector(16)), (id, last.clone())])
            .unwrap();
        assert_eq!(b.index.search("s", &last, 1, None).unwrap()[0].id, id, "{}", b.name);

        let gone: Vec<u64> = items.iter().take(300).map(|(id, _)| *id).collect();
        b.index.remove("s", &gone).unwrap();
        b.index.remove("s", &[u64::MAX - 1]).unwrap();
        assert_eq!(b.index.len("s"), 900, "{}", b.name);
        assert!(!b.index.contains("s", gone[0]), "{}", b.name);
        assert!(b.index.contains("s", items[500].0), "{}", b.name);
        for (removed, v) in items.iter().take(300).step_by(29) {
            let hits = b.index.search("s", v, 20, None).unwrap();
            assert!(
                hits.iter().all(|h| h.id != *removed),
                "{}: removed {removed} came back",
                b.name
            );
        }
        // Removed ids can be inserted again.
        b.index.upsert("s", &items[..300]).unwrap();
        assert_eq!(b.index.len("s"), 1200, "{}", b.name);
        assert_eq!(
            b.index.search("s", &items[5].1, 1, None).unwrap()[0].id,
            items[5].0,
            "{}",
            b.name
        );
    }
}

#[test]
fn filters_are_applied_and_a_selective_one_stays_exact() {
    for b in backends() {
        let mut rng = Rng(13);
        let items = random_items(&mut rng, 4000, 16);
        b.index.create_space("s", 16).unwrap();
        b.index.upsert("s", &items).unwrap();
        // A selective filter (30 of 4000): exact on every backend.
        let few: HashSet<u64> = items.iter().step_by(133).map(|(id, _)| *id).collect();
        // A permissive one (half).
        let half: HashSet<u64> = items.iter().step_by(2).map(|(id, _)| *id).collect();
        let mut permissive = 0.0;
        for _ in 0..20 {
            let query = rng.vector(16);
            let got = b.index.search("s", &query, 10, Some(Filter::Only(&few))).unwrap();
            let tolerance = if b.exact { 1e-5 } else { 2e-3 };
            assert_exact_within(
                &got,
                &naive_search(&items, &query, 10, |id| few.contains(&id)),
                tolerance,
            );

            let got = b.index.search("s", &query, 10, Some(Filter::Only(&half))).unwrap();
            assert!(got.iter().all(|h| half.contains(&h.id)), "{}", b.name);
            permissive += recall(&got, &naive_search(&items, &query, 10, |id| half.contains(&id)));

            let got = b.index.search("s", &query, 10, Some(Filter::Except(&half))).unwrap();
            assert!(got.iter().all(|h| !half.contains(&h.id)), "{}", b.name);
            permissive += recall(&got, &naive_search(&items, &query, 10, |id| !half.contains(&id)));
        }
        assert!(
            permissive / 40.0 >= 0.95,
            "{}: filtered recall {}",
            b.name,
            permissive / 40.0
        );
        let nothing = HashSet::new();
        assert!(b
            .index
            .search("s", &items[0].1, 5, Some(Filter::Only(&nothing)))
            .unwrap()
            .is_empty());
    }
}

#[test]
fn bad_inputs_are_the_same_clear_errors() {
    for b in backends() {
        b.index.create_space("s", 4).unwrap();
        b.index.create_space("s", 4).unwrap();
        assert!(
            matches!(b.index.create_space("s", 5), Err(IndexError::SpaceConflict { .. })),
            "{}",
            b.name
        );
        assert!(
            matches!(b.index.create_space("", 5), Err(IndexError::BadSpaceName { .. })),
            "{}",
            b.name
        );
        let err = b
            .index
            .upsert(
                "s",
                &[(1, vec![1.0, 0.0, 0.0, 0.0]), (2, vec![f32::NAN, 1.0, 0.0, 0.0])],
            )
            .unwrap_err();
        assert!(matches!(err, IndexError::BadVector { id: 2, .. }), "{}: {err}", b.name);
        assert_eq!(b.index.len("s"), 0, "{}: a bad batch writes nothing", b.name);
        assert!(matches!(
            b.index.upsert("s", &[(1, vec![0.0; 4])]),
            Err(IndexError::BadVector { .. })
        ));
        b.index.upsert("s", &[(1, vec![1.0, 0.0, 0.0, 0.0])]).unwrap();
        let q = [1.0, 0.0, 0.0, 0.0];
        assert!(
            matches!(b.index.search("s", &q, 0, None), Err(IndexError::BadInput(_))),
            "{}",
            b.name
        );
        assert!(matches!(
            b.index.search("s", &[1.0], 1, None),
            Err(IndexError::DimMismatch { .. })
        ));
        assert!(matches!(
            b.index.search("s", &[0.0; 4], 1, None),
            Err(IndexError::BadInput(_))
        ));
        assert!(matches!(
            b.index.search("nope", &q, 1, None),
            Err(IndexError::UnknownSpace(_))
        ));
        assert!(b.index.search("s", &q, 5, None).unwrap().len() == 1, "{}", b.name);
    }
}
