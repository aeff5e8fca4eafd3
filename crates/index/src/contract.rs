//! The behaviour every vector backend must show, shared by the backends' tests.
//!
//! The embedded backends run these in `tests/contract.rs`; the PostgreSQL backend (crate
//! `glint-postgres`) runs the same functions against a private cluster. Each check takes a
//! fresh, empty backend; what may differ (exact or approximate) is stated by [`Backend::exact`].
#![allow(clippy::missing_panics_doc)]

use std::collections::HashSet;

use crate::{Filter, Hit, IndexError, VectorWrite};

/// A backend under test.
pub struct Backend<'a> {
    pub name: &'a str,
    pub index: &'a dyn VectorWrite,
    /// Whether it must return the exact top-k (else it must reach a recall).
    pub exact: bool,
}

/// A contract check, to be called with a fresh backend.
pub type Check = (&'static str, fn(&Backend<'_>));

/// Every check, in a stable order.
pub const ALL: &[Check] = &[
    (
        "nearest_neighbours_match_a_naive_scan",
        nearest_neighbours_match_a_naive_scan,
    ),
    ("replace_and_delete", replace_and_delete),
    (
        "filters_are_applied_and_a_selective_one_stays_exact",
        filters_are_applied_and_a_selective_one_stays_exact,
    ),
    (
        "bad_inputs_are_the_same_clear_errors",
        bad_inputs_are_the_same_clear_errors,
    ),
];

/// SplitMix64: a tiny deterministic generator, so failures reproduce.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in -1..1.
    pub fn signed(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }

    pub fn vector(&mut self, dim: usize) -> Vec<f32> {
        (0..dim).map(|_| self.signed()).collect()
    }
}

pub fn random_items(rng: &mut Rng, n: u64, dim: usize) -> Vec<(u64, Vec<f32>)> {
    // Sparse, shuffled-looking ids, so nothing relies on ids being slots.
    (0..n).map(|i| (i * 7919 + 13, rng.vector(dim))).collect()
}

/// Exact cosine top-k in f64, ties to the lower id.
pub fn naive_search(items: &[(u64, Vec<f32>)], query: &[f32], k: usize, keep: impl Fn(u64) -> bool) -> Vec<(u64, f64)> {
    let norm = |v: &[f32]| v.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt();
    let qn = norm(query);
    let mut scored: Vec<(u64, f64)> = items
        .iter()
        .filter(|(id, _)| keep(*id))
        .map(|(id, v)| {
            let dot: f64 = v.iter().zip(query).map(|(&a, &b)| f64::from(a) * f64::from(b)).sum();
            (*id, dot / (norm(v) * qn))
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored.truncate(k);
    scored
}

/// Asserts `got` is the exact top-k: same scores rank by rank, and the same ids wherever the
/// naive scores are not so close that f32 rounding may legitimately swap them.
pub fn assert_exact(got: &[Hit], want: &[(u64, f64)]) {
    assert_exact_within(got, want, 1e-5);
}

/// [`assert_exact`] for scores of stored vectors within `tolerance` (e.g. f16 storage).
pub fn assert_exact_within(got: &[Hit], want: &[(u64, f64)], tolerance: f64) {
    assert_eq!(got.len(), want.len(), "got {got:?}\nwant {want:?}");
    for (rank, (hit, &(id, score))) in got.iter().zip(want).enumerate() {
        assert!(
            (f64::from(hit.score) - score).abs() < tolerance,
            "rank {rank}: {hit:?} vs ({id}, {score})"
        );
        let near_tie = want
            .iter()
            .enumerate()
            .any(|(other, &(_, s))| other != rank && (s - score).abs() < 2.0 * tolerance);
        if !near_tie {
            assert_eq!(hit.id, id, "rank {rank}");
        }
    }
    assert!(
        got.windows(2).all(|w| w[0].score >= w[1].score),
        "not sorted best first: {got:?}"
    );
}

/// Share of the naive top-k ids found.
pub fn recall(got: &[Hit], want: &[(u64, f64)]) -> f64 {
    let found = want.iter().filter(|(id, _)| got.iter().any(|h| h.id == *id)).count();
    found as f64 / want.len().max(1) as f64
}

pub fn nearest_neighbours_match_a_naive_scan(b: &Backend<'_>) {
    {
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

pub fn replace_and_delete(b: &Backend<'_>) {
    {
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

pub fn filters_are_applied_and_a_selective_one_stays_exact(b: &Backend<'_>) {
    {
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

pub fn bad_inputs_are_the_same_clear_errors(b: &Backend<'_>) {
    {
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
        assert!(b.index.is_empty("s") && b.index.is_empty("nope"), "{}", b.name);
        assert!(matches!(
            b.index.upsert("s", &[(1, vec![0.0; 4])]),
            Err(IndexError::BadVector { .. })
        ));
        b.index.upsert("s", &[(1, vec![1.0, 0.0, 0.0, 0.0])]).unwrap();
        assert!(!b.index.is_empty("s"), "{}", b.name);
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
