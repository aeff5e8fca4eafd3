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
    for qi in 0..query.len() {
        let (best, second, best_j) = nearest_two(query.descriptor(qi), &candidate.descriptors);
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

/// The nearest and second-nearest squared distances from `q` to the rows of `rows`, and the
/// nearest row. This is the hot loop of re-ranking (a 1000-keypoint query box against a photo's
/// 1000 stored keypoints is a million distances): with AVX2 (checked at run time) the distances
/// are taken 16 bytes at a time in 16-bit lanes, with the same integer results as the portable
/// loop, so the same matches come out.
fn nearest_two(q: &[u8], rows: &[u8]) -> (u32, u32, usize) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        return unsafe { nearest_two_avx2(q, rows) };
    }
    nearest_two_portable(q, rows)
}

/// [`nearest_two_portable`] in AVX2: each 16-byte chunk of the two descriptors is widened to
/// 16-bit lanes, subtracted (|d| <= 255) and squared and summed in pairs by `vpmaddwd` into
/// 32-bit lanes, which cannot overflow (128 x 255² < 2³¹). Exact integer sums in another order:
/// the same distances, hence the same nearest and second nearest.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn nearest_two_avx2(q: &[u8], rows: &[u8]) -> (u32, u32, usize) {
    use std::arch::x86_64::*;
    let mut scan = Scan::START;
    if q.len() != DESCRIPTOR_LEN {
        return scan.result();
    }
    const CHUNKS: usize = DESCRIPTOR_LEN / 16;
    // SAFETY (all loads): `q` is DESCRIPTOR_LEN bytes and each row is a DESCRIPTOR_LEN-byte
    // chunk of `rows`, read 16 bytes at a time at offsets below DESCRIPTOR_LEN.
    let query: [__m256i; CHUNKS] =
        std::array::from_fn(|k| _mm256_cvtepu8_epi16(_mm_loadu_si128(q.as_ptr().add(16 * k).cast())));
    for (j, row) in rows.chunks_exact(DESCRIPTOR_LEN).enumerate() {
        let mut acc = _mm256_setzero_si256();
        for (k, qk) in query.iter().enumerate() {
            let r = _mm256_cvtepu8_epi16(_mm_loadu_si128(row.as_ptr().add(16 * k).cast()));
            let d = _mm256_sub_epi16(*qk, r);
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(d, d));
        }
        let halves = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
        let pairs = _mm_add_epi32(halves, _mm_unpackhi_epi64(halves, halves));
        let sum = _mm_add_epi32(pairs, _mm_shuffle_epi32(pairs, 0b01));
        scan.push(j, _mm_cvtsi128_si32(sum) as u32);
    }
    scan.result()
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
        let rows: Vec<u8> = (0..DESCRIPTOR_LEN * 300).map(|_| byte()).collect();
        for _ in 0..50 {
            let q: Vec<u8> = (0..DESCRIPTOR_LEN).map(|_| byte()).collect();
            let portable = nearest_two_portable(&q, &rows);
            assert_eq!(nearest_two(&q, &rows), portable);
        }
        // The farthest possible pair: all 0 against all 255.
        let far = DESCRIPTOR_LEN as u32 * 255 * 255;
        assert_eq!(
            nearest_two(&[0; DESCRIPTOR_LEN], &[255; DESCRIPTOR_LEN * 2]),
            (far, far, 0)
        );
    }

    #[test]
    fn a_candidate_keypoint_is_used_once() {
        let candidate = features(&[[0, 0], [200, 200]]);
        let query = features(&[[5, 0], [1, 0]]);
        assert_eq!(matches(&query, &candidate, 0.8), vec![(1, 0)]);
    }
}
