//! The scoring loop: dot products of one query against many stored rows.
//!
//! This is where a flat search spends nearly all its time, so it is written for the optimiser:
//! 32 independent accumulators (four 8-wide AVX registers, or eight 4-wide SSE ones) updated
//! lane-wise, which LLVM turns into vector multiplies and adds without needing permission to
//! reorder float sums, and with enough independent chains to hide the add latency. On x86-64
//! the same code is also compiled with AVX2 enabled and picked at run time, because the
//! default target only assumes SSE2 and the workspace does not build with `target-cpu=native`.
//! Both variants perform the same IEEE operations in the same order, so they give bit-identical
//! scores.

/// Accumulator lanes; a multiple of every vector width we care about.
const LANES: usize = 32;

/// Writes `dot(query, row_i)` to `out[i]` for each `query.len()`-float row of `rows`.
pub(crate) fn score_rows(query: &[f32], rows: &[f32], out: &mut [f32]) {
    debug_assert_eq!(rows.len(), query.len() * out.len());
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above (the check is a cached atomic load).
        unsafe { score_rows_avx2(query, rows, out) };
        return;
    }
    score_rows_portable(query, rows, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn score_rows_avx2(query: &[f32], rows: &[f32], out: &mut [f32]) {
    // `score_rows_portable` and `dot` are inline(always), so they are compiled here with AVX2.
    score_rows_portable(query, rows, out);
}

#[inline(always)]
fn score_rows_portable(query: &[f32], rows: &[f32], out: &mut [f32]) {
    for (row, score) in rows.chunks_exact(query.len()).zip(out.iter_mut()) {
        *score = dot(query, row);
    }
}

/// Dot product of two equal-length slices.
#[inline(always)]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    let mut acc = [0.0f32; LANES];
    let a_chunks = a.chunks_exact(LANES);
    let b_chunks = b.chunks_exact(LANES);
    let tail: f32 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for ((s, &p), &q) in acc.iter_mut().zip(x).zip(y) {
            *s += p * q;
        }
    }
    // Pairwise reduction keeps the horizontal sum short and its order fixed.
    let mut width = LANES / 2;
    while width > 0 {
        let (low, high) = acc.split_at_mut(width);
        for (l, h) in low.iter_mut().zip(high.iter()) {
            *l += h;
        }
        width /= 2;
    }
    acc[0] + tail
}

/// Euclidean norm in f64, so that squaring large f32 values cannot overflow to infinity.
pub(crate) fn norm(v: &[f32]) -> f64 {
    v.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>().sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f32], b: &[f32]) -> f64 {
        a.iter().zip(b).map(|(&x, &y)| f64::from(x) * f64::from(y)).sum()
    }

    fn pseudo_random(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2_654_435_761).max(1);
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s as f32 / u32::MAX as f32) * 2.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn dot_matches_naive_for_every_tail_length() {
        for n in [0, 1, 7, 31, 32, 33, 64, 100, 128, 512, 1280] {
            let a = pseudo_random(n, 1 + n as u32);
            let b = pseudo_random(n, 1000 + n as u32);
            let got = f64::from(dot(&a, &b));
            assert!((got - naive(&a, &b)).abs() < 1e-4, "n={n}: {got} vs {}", naive(&a, &b));
        }
    }

    #[test]
    fn dispatched_scores_equal_portable_scores_bitwise() {
        let dim = 96;
        let query = pseudo_random(dim, 7);
        let rows = pseudo_random(dim * 50, 8);
        let mut fast = vec![0.0; 50];
        let mut portable = vec![0.0; 50];
        score_rows(&query, &rows, &mut fast);
        score_rows_portable(&query, &rows, &mut portable);
        assert_eq!(fast, portable);
    }

    #[test]
    fn norm_survives_large_values() {
        let v = [3.0e30f32, 4.0e30];
        // The inputs are f32 roundings of 3e30 and 4e30, hence the f32-sized tolerance.
        assert!((norm(&v) - 5.0e30).abs() / 5.0e30 < 1e-6);
    }
}
