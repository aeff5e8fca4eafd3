//! [`Filter`]: which stored ids a search may return, as data.
//!
//! A filter is a set of ids to keep or to leave out rather than a closure, so that a backend can
//! choose how to apply it: the exact scan checks it per contender, the graph index scores a small
//! `Only` set directly (a graph walk would find few of them), and a database backend can send the
//! ids along with the query.

use std::collections::HashSet;

/// Restricts a search to some stored ids.
#[derive(Debug, Clone, Copy)]
pub enum Filter<'a> {
    /// Only these ids may be returned (e.g. the vectors of the media a search is scoped to).
    Only(&'a HashSet<u64>),
    /// Any id but these.
    Except(&'a HashSet<u64>),
}

impl Filter<'_> {
    /// Whether `id` may be returned.
    #[inline]
    pub fn allows(&self, id: u64) -> bool {
        match self {
            Filter::Only(ids) => ids.contains(&id),
            Filter::Except(ids) => !ids.contains(&id),
        }
    }
}
