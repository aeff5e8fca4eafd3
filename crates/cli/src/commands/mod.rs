pub mod faces;
pub mod models;
