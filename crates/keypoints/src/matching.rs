//! Descriptor matching: nearest neighbour with Lowe's ratio test.

use crate::LocalFeatures;

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
        let q = query.descriptor(qi);
        let (mut best, mut second, mut best_j) = (u32::MAX, u32::MAX, 0usize);
        for cj in 0..candidate.len() {
            let d = distance_sq(q, candidate.descriptor(cj));
            if d < best {
                second = best;
                best = d;
                best_j = cj;
            } else if d < second {
                second = d;
            }
        }
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

/// Squared Euclidean distance of two byte descriptors (written so that it vectorises).
fn distance_sq(a: &[u8], b: &[u8]) -> u32 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| {
            let d = x as i32 - y as i32;
            (d * d) as u32
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DESCRIPTOR_LEN;

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
    fn a_candidate_keypoint_is_used_once() {
        let candidate = features(&[[0, 0], [200, 200]]);
        let query = features(&[[5, 0], [1, 0]]);
        assert_eq!(matches(&query, &candidate, 0.8), vec![(1, 0)]);
    }
}
