//! Helpers shared by the index tests: they live in the library's contract module, which the
//! PostgreSQL backend's tests use too.
#![allow(unused_imports)]

pub use glint_index::contract::{assert_exact, assert_exact_within, naive_search, random_items, recall, Rng};
