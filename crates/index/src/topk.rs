//! Keeping the best `k` of a stream of scored ids.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use crate::{Filter, Hit};

/// A scored id ordered by quality: higher score first, then lower id, so that results are a
/// function of the stored set alone and not of slot order (which removals shuffle).
#[derive(Debug, Clone, Copy)]
struct Ranked(Hit);

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.score.total_cmp(&other.0.score).then(other.0.id.cmp(&self.0.id))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ranked {}

/// The best `k` candidates seen so far. A min-heap keyed on quality, so the entry to evict is on
/// top; once full, a candidate is compared against that one entry and usually dropped at once.
pub(crate) struct TopK<'f> {
    k: usize,
    heap: BinaryHeap<Reverse<Ranked>>,
    filter: Option<Filter<'f>>,
}

impl<'f> TopK<'f> {
    /// `k` must be positive; `capacity_hint` bounds the allocation for huge `k`.
    pub(crate) fn new(k: usize, capacity_hint: usize, filter: Option<Filter<'f>>) -> Self {
        debug_assert!(k > 0);
        Self {
            k,
            heap: BinaryHeap::with_capacity(k.min(capacity_hint) + 1),
            filter,
        }
    }

    /// Considers `id` with `score`. The filter runs only for candidates good enough to enter.
    #[inline]
    pub(crate) fn offer(&mut self, id: u64, score: f32) {
        let candidate = Ranked(Hit { id, score });
        if self.heap.len() == self.k && candidate <= self.heap.peek().expect("k > 0").0 {
            return;
        }
        if self.filter.is_some_and(|f| !f.allows(id)) {
            return;
        }
        self.heap.push(Reverse(candidate));
        if self.heap.len() > self.k {
            self.heap.pop();
        }
    }

    /// The kept hits, best first.
    pub(crate) fn into_hits(self) -> Vec<Hit> {
        // `into_sorted_vec` sorts ascending by `Reverse`, i.e. best first.
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|Reverse(Ranked(hit))| hit)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_best_k_best_first_with_ties_to_the_lower_id() {
        let mut top = TopK::new(3, 10, None);
        for (id, score) in [(5, 0.5), (1, 0.9), (7, 0.1), (3, 0.9), (2, 0.7), (9, 0.7)] {
            top.offer(id, score);
        }
        let ids: Vec<u64> = top.into_hits().iter().map(|h| h.id).collect();
        assert_eq!(ids, vec![1, 3, 2]);
    }

    #[test]
    fn filtered_ids_never_enter() {
        let even: std::collections::HashSet<u64> = [0, 2, 10].into();
        let mut top = TopK::new(2, 10, Some(Filter::Only(&even)));
        for id in 0..4 {
            top.offer(id, id as f32);
        }
        top.offer(10, -1.0);
        assert_eq!(
            top.into_hits(),
            vec![Hit { id: 2, score: 2.0 }, Hit { id: 0, score: 0.0 }]
        );
        let mut top = TopK::new(5, 10, Some(Filter::Except(&even)));
        for id in 0..4 {
            top.offer(id, id as f32);
        }
        let ids: Vec<u64> = top.into_hits().iter().map(|h| h.id).collect();
        assert_eq!(ids, vec![3, 1]);
    }
}
