//! Descriptor matching: nearest neighbour with Lowe's ratio test.

use crate::{LocalFeatures, DESCRIPTOR_LEN};

/// Pairs `(query index, candidate index)` whose nearest candidate descriptor is clearly nearer
/// than the second nearest (`ratio` of the distances, e.g. 0.8): ambiguous matches on repeated
/// texture are dropped. Each candidate keypoint is used once (by its closest query keypoint).
pub fn matches(query: &LocalFeatures, candidate: &LocalFeatures, ratio: f32) -> Vec<(u32, u32)> {
    if candidate.len() < 2 {
        return Vec::new();
    }
    let ratio_sq = ratio * ratio;
    // Best query per candidate keypoint: (query index, distance).
    let mut taken: Vec<Option<(u32, u32)>> = vec![None; candidate.len()];
    for (qi, (best, second, best_j)) in nearest_two_each(descriptors(query), descriptors(candidate))
        .into_iter()
        .enumerate()
    {
        if (best as f32) < ratio_sq * second as f32 {
            let slot = &mut taken[best_j];
            if slot.is_none_or(|(_, d)| best < d) {
                *slot = Some((qi as u32, best));
            }
        }
    }
    taken
        .iter()
        .enumerate()
        .filter_map(|(cj, t)| t.map(|(qi, _)| (qi, cj as u32)))
        .collect()
}

/// The descriptors of `features`' points (one row per point, whatever else the buffer holds).
fn descriptors(features: &LocalFeatures) -> &[u8] {
    let rows = features.len().min(features.descriptors.len() / DESCRIPTOR_LEN);
    &features.descriptors[..rows * DESCRIPTOR_LEN]
}

/// For each query descriptor, the nearest and second-nearest squared distances to the rows of
/// `rows`, and the nearest row (a tie keeps the earlier row). This is the hot loop of
/// re-ranking (a 1000-keypoint query box against a photo's 1000 stored keypoints is a million
/// distances): with AVX2 (checked at run time) [`nearest_two_each_avx2`] gives the same
/// integers as the portable loop, so the same matches come out.
fn nearest_two_each(query: &[u8], rows: &[u8]) -> Vec<(u32, u32, usize)> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return unsafe { nearest_two_each_avx2(query, rows) };
    }
    query
        .chunks_exact(DESCRIPTOR_LEN)
        .map(|q| nearest_two_portable(q, rows))
        .collect()
}

/// Rows measured at a time in [`nearest_two_each_avx2`].
#[cfg(target_arch = "x86_64")]
const BLOCK: usize = 4;
/// 16-value chunks of a descriptor.
#[cfg(target_arch = "x86_64")]
const CHUNKS: usize = DESCRIPTOR_LEN / 16;

/// [`nearest_two_each`] in AVX2, as `|q|² + |r|² - 2 q·r`. The candidate's rows are widened to
/// 16-bit lanes once, with their squared norms, so that each (query, row) pair costs one
/// `vpmaddwd` and one add per 16 values (products of bytes summed in pairs fit 32 bits, and
/// every sum is at most 2 x 128 x 255² < 2³¹). Four rows are measured at a time and their sums
/// reduced together ([`scan_blocks`]); the rows after the last whole block are scanned one by
/// one. Exact integers throughout: the same distances, nearest rows and ties as the portable
/// scan. (Two queries per block of rows, to read the widened rows half as often, and AVX-512
/// VNNI's fused multiply-add measured at most 5–10% faster: docs/benchmarks.md.)
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn nearest_two_each_avx2(query: &[u8], rows: &[u8]) -> Vec<(u32, u32, usize)> {
    let n = rows.len() / DESCRIPTOR_LEN;
    let blocks = n / BLOCK;
    let widen = |d: &[u8]| -> [i16; DESCRIPTOR_LEN] { std::array::from_fn(|i| i16::from(d[i])) };
    let norm = |d: &[u8]| -> i32 { d.iter().map(|&b| i32::from(b) * i32::from(b)).sum() };
    let wide: Vec<[i16; DESCRIPTOR_LEN]> = rows.chunks_exact(DESCRIPTOR_LEN).map(widen).collect();
    let norms: Vec<i32> = rows.chunks_exact(DESCRIPTOR_LEN).map(norm).collect();
    let mut out = Vec::with_capacity(query.len() / DESCRIPTOR_LEN);
    for q in query.chunks_exact(DESCRIPTOR_LEN) {
        let mut scan = match blocks {
            0 => Scan::START,
            _ => scan_blocks(&widen(q), norm(q), &wide, &norms, blocks).merged(),
        };
        let q: &[u8; DESCRIPTOR_LEN] = q.try_into().expect("chunks_exact");
        for (j, row) in rows.chunks_exact(DESCRIPTOR_LEN).enumerate().skip(blocks * BLOCK) {
            scan.push(j, distance_sq(q, row.try_into().expect("chunks_exact")));
        }
        out.push(scan.result());
    }
    out
}

/// Four lanes of a scan: lane `l` has seen rows `l, l + 4, l + 8, …` and keeps their nearest,
/// second nearest and nearest row, as [`Scan`] does (strict comparisons: the earliest row of
/// the lane wins a tie).
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
struct Lanes {
    best: std::arch::x86_64::__m128i,
    second: std::arch::x86_64::__m128i,
    best_j: std::arch::x86_64::__m128i,
}

#[cfg(target_arch = "x86_64")]
impl Lanes {
    /// The scan over every row the lanes have seen, once each lane has seen one: the smallest
    /// distance, the earliest row among lanes that tie on it, and as second the winner's own
    /// second or another lane's best.
    fn merged(self) -> Scan {
        let read = |v: std::arch::x86_64::__m128i| -> [i32; 4] {
            // SAFETY: a plain reinterpretation of four 32-bit lanes.
            unsafe { std::mem::transmute(v) }
        };
        let (best, second, best_j) = (read(self.best), read(self.second), read(self.best_j));
        let w = (0..4).min_by_key(|&l| (best[l], best_j[l])).expect("four lanes");
        let others = (0..4).filter(|&l| l != w).map(|l| best[l]);
        Scan {
            best: best[w] as u32,
            second: others.fold(second[w], i32::min) as u32,
            best_j: best_j[w] as usize,
        }
    }
}

/// The lanes of a query (widened, with its squared norm) over the first `blocks` blocks of
/// [`BLOCK`] rows of `wide`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn scan_blocks(
    query: &[i16; DESCRIPTOR_LEN],
    q_norm: i32,
    wide: &[[i16; DESCRIPTOR_LEN]],
    norms: &[i32],
    blocks: usize,
) -> Lanes {
    use std::arch::x86_64::*;
    assert!(blocks * BLOCK <= wide.len().min(norms.len()));
    // SAFETY (all loads): the query's and each row's DESCRIPTOR_LEN values are read 16 at a
    // time at 16 k < DESCRIPTOR_LEN; rows BLOCK * b + r and their norms lie below
    // blocks * BLOCK, in bounds as asserted.
    let mut qv = [_mm256_setzero_si256(); CHUNKS];
    for (k, v) in qv.iter_mut().enumerate() {
        *v = _mm256_loadu_si256(query.as_ptr().add(16 * k).cast());
    }
    let q_norm = _mm_set1_epi32(q_norm);
    let mut lanes = Lanes {
        best: _mm_set1_epi32(i32::MAX),
        second: _mm_set1_epi32(i32::MAX),
        best_j: _mm_setzero_si128(),
    };
    let mut j = _mm_setr_epi32(0, 1, 2, 3);
    for b in 0..blocks {
        let mut acc = [_mm256_setzero_si256(); BLOCK];
        for (k, qk) in qv.iter().enumerate() {
            for (r, a) in acc.iter_mut().enumerate() {
                let row = _mm256_loadu_si256(wide[BLOCK * b + r].as_ptr().add(16 * k).cast());
                *a = _mm256_add_epi32(*a, _mm256_madd_epi16(*qk, row));
            }
        }
        // Each 128-bit half of `sums` holds the four rows' sums over that half of their lanes.
        let sums = _mm256_hadd_epi32(_mm256_hadd_epi32(acc[0], acc[1]), _mm256_hadd_epi32(acc[2], acc[3]));
        let dots = _mm_add_epi32(_mm256_castsi256_si128(sums), _mm256_extracti128_si256(sums, 1));
        let row_norms = _mm_loadu_si128(norms.as_ptr().add(BLOCK * b).cast());
        let d = _mm_sub_epi32(_mm_add_epi32(q_norm, row_norms), _mm_slli_epi32(dots, 1));
        let nearer = _mm_cmpgt_epi32(lanes.best, d);
        lanes.second = _mm_blendv_epi8(_mm_min_epi32(lanes.second, d), lanes.best, nearer);
        lanes.best = _mm_min_epi32(lanes.best, d);
        lanes.best_j = _mm_blendv_epi8(lanes.best_j, j, nearer);
        j = _mm_add_epi32(j, _mm_set1_epi32(BLOCK as i32));
    }
    lanes
}

#[inline(always)]
fn nearest_two_portable(q: &[u8], rows: &[u8]) -> (u32, u32, usize) {
    let mut scan = Scan::START;
    let Ok(q) = <&[u8; DESCRIPTOR_LEN]>::try_from(q) else {
        return scan.result();
    };
    for (j, row) in rows.chunks_exact(DESCRIPTOR_LEN).enumerate() {
        let row: &[u8; DESCRIPTOR_LEN] = row.try_into().expect("chunks_exact");
        scan.push(j, distance_sq(q, row));
    }
    scan.result()
}

/// A scan's nearest and second-nearest distances so far, and the nearest row.
struct Scan {
    best: u32,
    second: u32,
    best_j: usize,
}

impl Scan {
    const START: Scan = Scan {
        best: u32::MAX,
        second: u32::MAX,
        best_j: 0,
    };

    /// Row `j` is at distance `d`; a tie keeps the earlier row.
    #[inline(always)]
    fn push(&mut self, j: usize, d: u32) {
        if d < self.best {
            self.second = self.best;
            self.best = d;
            self.best_j = j;
        } else if d < self.second {
            self.second = d;
        }
    }

    fn result(&self) -> (u32, u32, usize) {
        (self.best, self.second, self.best_j)
    }
}

/// Squared Euclidean distance of two byte descriptors, in 16 lanes so that it vectorises.
#[inline(always)]
fn distance_sq(a: &[u8; DESCRIPTOR_LEN], b: &[u8; DESCRIPTOR_LEN]) -> u32 {
    let mut acc = [0i32; 16];
    for (ca, cb) in a.chunks_exact(16).zip(b.chunks_exact(16)) {
        for i in 0..16 {
            // Wrapping ops: no overflow is possible (128 x 255² < 2³¹), and without the checks
            // that debug builds add the loop vectorises there too.
            let d = (ca[i] as i32).wrapping_sub(cb[i] as i32);
            acc[i] = acc[i].wrapping_add(d.wrapping_mul(d));
        }
    }
    acc.iter().fold(0i32, |s, v| s.wrapping_add(*v)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(descs: &[[u8; 2]]) -> LocalFeatures {
        let mut f = LocalFeatures::default();
        for (i, d) in descs.iter().enumerate() {
            f.points.push([i as f32, 0.0]);
            let mut row = vec![0u8; DESCRIPTOR_LEN];
            row[0] = d[0];
            row[1] = d[1];
            f.descriptors.extend(row);
        }
        f
    }

    #[test]
    fn distinct_nearest_neighbours_match_and_ambiguous_ones_do_not() {
        let candidate = features(&[[0, 0], [100, 0], [0, 100], [101, 1]]);
        // Near [0,0] alone: a match. Between [100,0] and [101,1]: ambiguous, dropped.
        let query = features(&[[2, 1], [100, 1]]);
        assert_eq!(matches(&query, &candidate, 0.8), vec![(0, 0)]);
    }

    #[test]
    fn issue14_the_avx2_distances_are_the_portable_ones() {
        // Pseudo-random descriptors, extremes included (0 and 255 give the largest squares).
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut byte = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            match state % 10 {
                0 => 0,
                1 => 255,
                _ => (state >> 32) as u8,
            }
        };
        let queries: Vec<u8> = (0..DESCRIPTOR_LEN * 40).map(|_| byte()).collect();
        let mut rows: Vec<u8> = (0..DESCRIPTOR_LEN * 301).map(|_| byte()).collect();
        // Ties: query 0 is rows 2 and 9 and 300 exactly (the earliest must win, and the second
        // distance is then 0 too); rows 5 and 6 are the same row (a tie between lanes of a block).
        rows.copy_within(5 * DESCRIPTOR_LEN..6 * DESCRIPTOR_LEN, 6 * DESCRIPTOR_LEN);
        for r in [2, 9, 300] {
            rows[r * DESCRIPTOR_LEN..(r + 1) * DESCRIPTOR_LEN].copy_from_slice(&queries[..DESCRIPTOR_LEN]);
        }
        let mut queries = queries;
        queries.extend_from_slice(&rows[5 * DESCRIPTOR_LEN..6 * DESCRIPTOR_LEN]);
        // Every tail length after the blocks of four, and none.
        for n in (0..=13).chain([300, 301]) {
            let rows = &rows[..n * DESCRIPTOR_LEN];
            let portable: Vec<_> = queries
                .chunks_exact(DESCRIPTOR_LEN)
                .map(|q| nearest_two_portable(q, rows))
                .collect();
            assert_eq!(nearest_two_each(&queries, rows), portable, "{n} rows");
        }
        assert_eq!(
            nearest_two_each(&queries[..DESCRIPTOR_LEN], &rows)[0],
            (0, 0, 2),
            "the earliest of equal rows"
        );
        // The farthest possible pair: all 0 against all 255.
        let far = DESCRIPTOR_LEN as u32 * 255 * 255;
        for n in [2, 4, 5] {
            assert_eq!(
                nearest_two_each(&[0; DESCRIPTOR_LEN], &vec![255; DESCRIPTOR_LEN * n]),
                vec![(far, far, 0)],
                "{n} rows"
            );
        }
    }

    #[test]
    fn a_candidate_keypoint_is_used_once() {
        let candidate = features(&[[0, 0], [200, 200]]);
        let query = features(&[[5, 0], [1, 0]]);
        assert_eq!(matches(&query, &candidate, 0.8), vec![(1, 0)]);
    }
}
