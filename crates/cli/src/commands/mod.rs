pub mod bench;
pub mod bench_index;
pub mod bench_scale;
pub mod bench_search;
pub mod catalog;
pub mod eval;
pub mod eval_composited;
pub mod eval_objects;
pub mod eval_pages;
pub mod eval_products;
pub mod eval_text;
pub mod faces;
pub mod ingest;
pub mod media;
pub mod migrate;
pub mod models;
pub mod objects;
pub mod privacy;
pub mod search;
pub mod serve;
pub mod tokens;
pub mod worker;

/// A command did its work and printed its answer, but some of its inputs failed (e.g. files
/// `glint ingest` could not index): the process exits with [`SomeFailed::EXIT_CODE`] so that a
/// script notices, while what succeeded is kept.
#[derive(Debug)]
pub struct SomeFailed(pub String);

impl SomeFailed {
    /// Exit status for "done, but some inputs failed" (1 is "the command itself failed").
    pub const EXIT_CODE: u8 = 2;
}

impl std::fmt::Display for SomeFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SomeFailed {}
