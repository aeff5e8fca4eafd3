//! Helpers shared by the index tests: a seeded generator and the naive exact search.
#![allow(dead_code)]

use glint_index::Hit;

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
