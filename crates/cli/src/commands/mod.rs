pub mod bench;
pub mod faces;
pub mod ingest;
pub mod media;
pub mod models;
