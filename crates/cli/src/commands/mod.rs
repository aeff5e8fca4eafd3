pub mod bench;
pub mod eval;
pub mod faces;
pub mod ingest;
pub mod media;
pub mod models;
pub mod search;
pub mod serve;
