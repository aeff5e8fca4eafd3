//! Geometric verification: the largest set of matches that one affine map explains (RANSAC).
//!
//! An affine map covers what happens to a flat-ish object between two photos (shift, zoom,
//! rotation, moderate tilt). Maps that mirror, collapse or stretch the object beyond
//! [`MAX_ZOOM`] / [`MAX_STRETCH`] are not a view of the same thing and are rejected.

/// Random samples tried; with a third of the matches right, 400 samples of 3 miss the right
/// model with probability (1 - 1/27)^400 < 1e-6.
const ITERATIONS: usize = 400;
/// The object may appear this many times larger or smaller.
const MAX_ZOOM: f32 = 10.0;
/// Ratio of the map's two singular values: strong tilts and shears are not the same view.
const MAX_STRETCH: f32 = 4.0;

/// `x' = a[0] x + a[1] y + a[2]`, `y' = a[3] x + a[4] y + a[5]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Affine(pub [f32; 6]);

impl Affine {
    pub fn apply(&self, p: [f32; 2]) -> [f32; 2] {
        let a = &self.0;
        [a[0] * p[0] + a[1] * p[1] + a[2], a[3] * p[0] + a[4] * p[1] + a[5]]
    }

    /// The bounding box `[x, y, w, h]` of the image of rectangle `rect`.
    pub fn map_rect(&self, rect: [f32; 4]) -> [f32; 4] {
        let [x, y, w, h] = rect;
        let corners = [[x, y], [x + w, y], [x, y + h], [x + w, y + h]].map(|c| self.apply(c));
        let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for [cx, cy] in corners {
            x0 = x0.min(cx);
            y0 = y0.min(cy);
            x1 = x1.max(cx);
            y1 = y1.max(cy);
        }
        [x0, y0, x1 - x0, y1 - y0]
    }

    /// Whether the map could be the same object seen again (see the module header).
    fn plausible(&self) -> bool {
        let [a, b, _, c, d, _] = self.0;
        let det = a * d - b * c;
        if !det.is_finite() || det <= 0.0 {
            return false; // Mirrored or collapsed.
        }
        let zoom = det.sqrt();
        // Singular values from the eigenvalues of MᵀM: trace t, determinant det².
        let t = a * a + b * b + c * c + d * d;
        let disc = (t * t / 4.0 - det * det).max(0.0).sqrt();
        let (s_max, s_min) = ((t / 2.0 + disc).sqrt(), (t / 2.0 - disc).max(0.0).sqrt());
        (1.0 / MAX_ZOOM..=MAX_ZOOM).contains(&zoom) && s_min > 0.0 && s_max / s_min <= MAX_STRETCH
    }
}

/// The outcome of verifying one candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// Matches that agree with `affine` within the threshold.
    pub inliers: usize,
    /// Their query-side points (where in the query the object was verified).
    pub inlier_points: Vec<[f32; 2]>,
    /// Maps query pixels to candidate pixels.
    pub affine: Affine,
}

/// Fits an affine map from query to candidate points over `pairs` (indices into the two
/// point lists, as [`crate::matches`] returns them) and counts the pairs within `threshold`
/// candidate pixels of it. `None` when fewer than 3 pairs or no plausible map exists.
pub fn verify(query: &[[f32; 2]], candidate: &[[f32; 2]], pairs: &[(u32, u32)], threshold: f32) -> Option<Verified> {
    let pts: Vec<([f32; 2], [f32; 2])> = pairs
        .iter()
        .filter_map(|&(q, c)| Some((*query.get(q as usize)?, *candidate.get(c as usize)?)))
        .collect();
    if pts.len() < 3 {
        return None;
    }
    let th_sq = threshold * threshold;
    // Whether map `m` takes the pair's query point to within the threshold of its candidate point.
    let agrees = |m: &Affine, (q, c): &([f32; 2], [f32; 2])| {
        let p = m.apply(*q);
        (p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2) <= th_sq
    };
    let count = |m: &Affine| pts.iter().filter(|pair| agrees(m, pair)).count();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15 ^ pts.len() as u64);
    let mut best: Option<(usize, Affine)> = None;
    for _ in 0..ITERATIONS {
        let n = pts.len();
        let (i, j, k) = (rng.below(n), rng.below(n), rng.below(n));
        if i == j || j == k || i == k {
            continue;
        }
        let Some(model) = from_three([pts[i], pts[j], pts[k]]) else {
            continue;
        };
        if !model.plausible() {
            continue;
        }
        let inliers = count(&model);
        if best.is_none_or(|(b, _)| inliers > b) {
            best = Some((inliers, model));
        }
    }
    let (inliers, model) = best?;
    // Least squares over the inliers, kept only if it explains at least as many.
    let refined = least_squares(pts.iter().filter(|pair| agrees(&model, pair)));
    let (inliers, affine) = match refined.filter(Affine::plausible) {
        Some(r) if count(&r) >= inliers => (count(&r), r),
        _ => (inliers, model),
    };
    let inlier_points = pts
        .iter()
        .filter(|pair| agrees(&affine, pair))
        .map(|(q, _)| *q)
        .collect();
    Some(Verified {
        inliers,
        inlier_points,
        affine,
    })
}

/// The affine map taking three query points exactly onto three candidate points.
fn from_three(p: [([f32; 2], [f32; 2]); 3]) -> Option<Affine> {
    let [(q0, c0), (q1, c1), (q2, c2)] = p;
    let det = q0[0] * (q1[1] - q2[1]) - q0[1] * (q1[0] - q2[0]) + (q1[0] * q2[1] - q2[0] * q1[1]);
    if det.abs() < 1.0 {
        return None; // (Nearly) collinear: no unique map.
    }
    // Cramer's rule on [x y 1] · (a, b, c) = x' (and y').
    let solve = |t0: f32, t1: f32, t2: f32| {
        let a = (t0 * (q1[1] - q2[1]) - q0[1] * (t1 - t2) + (t1 * q2[1] - t2 * q1[1])) / det;
        let b = (q0[0] * (t1 - t2) - t0 * (q1[0] - q2[0]) + (q1[0] * t2 - q2[0] * t1)) / det;
        let c = (q0[0] * (q1[1] * t2 - q2[1] * t1) - q0[1] * (q1[0] * t2 - q2[0] * t1)
            + t0 * (q1[0] * q2[1] - q2[0] * q1[1]))
            / det;
        [a, b, c]
    };
    let [a, b, c] = solve(c0[0], c1[0], c2[0]);
    let [d, e, f] = solve(c0[1], c1[1], c2[1]);
    Some(Affine([a, b, c, d, e, f]))
}

/// The least-squares affine map over `pairs` (normal equations, solved in f64).
fn least_squares<'a>(pairs: impl Iterator<Item = &'a ([f32; 2], [f32; 2])>) -> Option<Affine> {
    let (mut ata, mut atx, mut aty) = ([[0f64; 3]; 3], [0f64; 3], [0f64; 3]);
    for (q, c) in pairs {
        let row = [q[0] as f64, q[1] as f64, 1.0];
        for i in 0..3 {
            for j in 0..3 {
                ata[i][j] += row[i] * row[j];
            }
            atx[i] += row[i] * c[0] as f64;
            aty[i] += row[i] * c[1] as f64;
        }
    }
    let x = solve3(ata, atx)?;
    let y = solve3(ata, aty)?;
    Some(Affine([x[0], x[1], x[2], y[0], y[1], y[2]].map(|v| v as f32)))
}

fn solve3(m: [[f64; 3]; 3], v: [f64; 3]) -> Option<[f64; 3]> {
    let det3 = |m: [[f64; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let d = det3(m);
    if d.abs() < 1e-9 {
        return None;
    }
    let mut out = [0.0; 3];
    for (col, o) in out.iter_mut().enumerate() {
        let mut mc = m;
        for row in 0..3 {
            mc[row][col] = v[row];
        }
        *o = det3(mc) / d;
    }
    Some(out)
}

/// A tiny deterministic generator: the same query gives the same answer every time.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Vec<[f32; 2]> {
        (0..10)
            .flat_map(|i| (0..10).map(move |j| [i as f32 * 13.0, j as f32 * 11.0 + (i * j) as f32 * 0.7]))
            .collect()
    }

    #[test]
    fn recovers_a_zoom_and_shift_despite_outliers() {
        let truth = Affine([1.5, 0.1, 20.0, -0.1, 1.5, 7.0]);
        let query = grid();
        let mut candidate: Vec<[f32; 2]> = query.iter().map(|p| truth.apply(*p)).collect();
        // A third of the matches point somewhere else.
        for (i, c) in candidate.iter_mut().enumerate().filter(|(i, _)| i % 3 == 0) {
            *c = [(i * 37 % 200) as f32, (i * 53 % 170) as f32];
        }
        let pairs: Vec<(u32, u32)> = (0..query.len() as u32).map(|i| (i, i)).collect();
        let v = verify(&query, &candidate, &pairs, 3.0).expect("a model");
        assert!(v.inliers >= 66 && v.inliers <= 68, "{} inliers", v.inliers);
        assert_eq!(v.inlier_points.len(), v.inliers);
        for (got, want) in v.affine.0.iter().zip(truth.0) {
            assert!((got - want).abs() < 1e-2, "{:?} vs {:?}", v.affine, truth);
        }
        let b = v.affine.map_rect([0.0, 0.0, 10.0, 10.0]);
        assert!((b[2] - 16.0).abs() < 0.1 && (b[3] - 16.0).abs() < 0.1, "{b:?}");
    }

    #[test]
    fn mirrored_or_random_matches_are_not_verified_strongly() {
        let query = grid();
        let mirrored: Vec<[f32; 2]> = query.iter().map(|p| [200.0 - p[0], p[1]]).collect();
        let pairs: Vec<(u32, u32)> = (0..query.len() as u32).map(|i| (i, i)).collect();
        assert!(verify(&query, &mirrored, &pairs, 3.0).is_none_or(|v| v.inliers < 10));
        let random: Vec<[f32; 2]> = (0..query.len())
            .map(|i| [(i * 37 % 97) as f32, (i * 61 % 89) as f32])
            .collect();
        assert!(verify(&query, &random, &pairs, 3.0).is_none_or(|v| v.inliers < 10));
        assert!(verify(&query, &random, &pairs[..2], 3.0).is_none());
    }
}
