//! Clustered synthetic embeddings and small measuring helpers for the index benchmarks.
//!
//! Shared by `examples/index_bench.rs` and the out-of-workspace `bench/index-compare` crate
//! (through `#[path]`), so both measure the very same vectors.
//!
//! Real embeddings are not uniform on the sphere: a person's face vectors, or one product's
//! crops, sit in tight clusters. Uniform random data would make an approximate index look
//! better than it is (every neighbour is about equally far), so the data here is a mixture of
//! Gaussian clusters around random unit centres, and each query is a perturbed copy of a stored
//! vector, so its true neighbours are its cluster-mates.

#![allow(dead_code)]

/// SplitMix64 plus Box–Muller: deterministic, dependency-free, good enough for test data.
pub struct Rng {
    state: u64,
    spare: Option<f32>,
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self {
            state: seed,
            spare: None,
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    fn unit_open(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal.
    pub fn gaussian(&mut self) -> f32 {
        if let Some(x) = self.spare.take() {
            return x;
        }
        let r = (-2.0 * self.unit_open().ln()).sqrt();
        let theta = 2.0 * std::f64::consts::PI * self.unit_open();
        self.spare = Some((r * theta.sin()) as f32);
        (r * theta.cos()) as f32
    }
}

pub fn normalize(v: &mut [f32]) {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter_mut().for_each(|x| *x /= n);
}

/// Unit vectors and queries, row-major.
pub struct Dataset {
    pub dim: usize,
    pub vectors: Vec<f32>,
    pub queries: Vec<f32>,
}

impl Dataset {
    pub fn len(&self) -> usize {
        self.vectors.len() / self.dim
    }

    pub fn vector(&self, i: usize) -> &[f32] {
        &self.vectors[i * self.dim..(i + 1) * self.dim]
    }

    pub fn query(&self, i: usize) -> &[f32] {
        &self.queries[i * self.dim..(i + 1) * self.dim]
    }

    pub fn query_count(&self) -> usize {
        self.queries.len() / self.dim
    }
}

/// `n` unit vectors in `clusters` Gaussian clusters (member-to-centre cosine ≈ 0.8), and
/// `queries` perturbed copies of random members (query-to-source cosine ≈ 0.95).
pub fn clustered(n: usize, dim: usize, clusters: usize, queries: usize, seed: u64) -> Dataset {
    let mut rng = Rng::new(seed);
    let centres: Vec<Vec<f32>> = (0..clusters)
        .map(|_| {
            let mut c: Vec<f32> = (0..dim).map(|_| rng.gaussian()).collect();
            normalize(&mut c);
            c
        })
        .collect();
    // Noise of total energy s² around a unit vector gives cosine ≈ 1 / sqrt(1 + s²).
    let member_sigma = (0.5625 / dim as f32).sqrt();
    let query_sigma = (0.1 / dim as f32).sqrt();
    let mut vectors = Vec::with_capacity(n * dim);
    for _ in 0..n {
        let centre = &centres[(rng.next_u64() % clusters as u64) as usize];
        let start = vectors.len();
        vectors.extend(centre.iter().map(|&c| c + member_sigma * rng.gaussian()));
        normalize(&mut vectors[start..]);
    }
    let mut query_data = Vec::with_capacity(queries * dim);
    for _ in 0..queries {
        let source = (rng.next_u64() % n as u64) as usize;
        let start = query_data.len();
        let member = &vectors[source * dim..(source + 1) * dim];
        query_data.extend(member.iter().map(|&x| x + query_sigma * rng.gaussian()));
        normalize(&mut query_data[start..]);
    }
    Dataset {
        dim,
        vectors,
        queries: query_data,
    }
}

/// Exact top-k indices by a plain f64 scan: slow, obviously right.
pub fn naive_top_k(data: &Dataset, query: &[f32], k: usize) -> Vec<u64> {
    let mut scored: Vec<(f64, u64)> = (0..data.len())
        .map(|i| {
            let dot: f64 = data
                .vector(i)
                .iter()
                .zip(query)
                .map(|(&a, &b)| f64::from(a) * f64::from(b))
                .sum();
            (dot, i as u64)
        })
        .collect();
    let k = k.min(scored.len());
    scored.select_nth_unstable_by(k - 1, |a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.truncate(k);
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, id)| id).collect()
}

/// Fraction of `truth` found in `got`.
pub fn recall(got: &[u64], truth: &[u64]) -> f64 {
    truth.iter().filter(|id| got.contains(id)).count() as f64 / truth.len() as f64
}

/// Resident set size of this process in bytes, from /proc (0 where unavailable).
pub fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// p-th percentile (0..=100) of durations in milliseconds, nearest-rank.
pub fn percentile_ms(sorted_ms: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted_ms.len() as f64).ceil() as usize;
    sorted_ms[rank.clamp(1, sorted_ms.len()) - 1]
}

pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
