//! The evaluation harness: indexes an evaluation set (laid out like ../shared/eval) with the
//! real ingest, queries it with the real search, and scores the answers against ground truth.
//!
//! [`retrieval`] scores photo and region retrieval (recall@k, mAP, open-set TPIR/FPIR, latency)
//! on any folder with a groundtruth.csv; [`video`] runs the video protocols (shot cuts, the
//! bikes object, carphone and hamilton faces) and [`copies`] the copy-detection protocol;
//! [`composited`] runs the composited-video protocol (a photo boxed in one video must find the
//! same person or product in other videos, and nothing when it is in none). It sits above
//! both ingest and search, so neither depends on the other.

pub mod composited;
pub mod copies;
pub mod pages;
pub mod retrieval;
pub mod video;

/// The threshold `answer`'s hits had to clear: the person route's depends on how sure the
/// detector was of the query face (`SearchResponse::query_face`); otherwise the route's own.
pub(crate) fn applied_threshold(answer: &glint_search::SearchResponse, route_threshold: f32) -> f32 {
    answer.query_face.map_or(route_threshold, |f| f.threshold)
}
