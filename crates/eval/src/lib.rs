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
pub mod text;
pub mod video;

/// The threshold `answer`'s hits had to clear: the person route's depends on how sure the
/// detector was of the query face (`SearchResponse::query_face`); otherwise the route's own.
pub(crate) fn applied_threshold(answer: &glint_search::SearchResponse, route_threshold: f32) -> f32 {
    answer.query_face.map_or(route_threshold, |f| f.threshold)
}

/// Indexes `files` into `store` with the real ingest (files already indexed are skipped); a file
/// that cannot be indexed stops the evaluation. `what` names the files in an ingest error.
pub(crate) fn index_files(
    models: &glint_vision::Models,
    store: &glint_ingest::Store,
    files: &[std::path::PathBuf],
    what: &str,
) -> Result<(), glint_search::SearchError> {
    index_files_with(models, store, files, what, &glint_ingest::IngestConfig::default())
}

/// [`index_files`] with an ingest configuration of the caller's (OCR on, say).
pub(crate) fn index_files_with(
    models: &glint_vision::Models,
    store: &glint_ingest::Store,
    files: &[std::path::PathBuf],
    what: &str,
    config: &glint_ingest::IngestConfig,
) -> Result<(), glint_search::SearchError> {
    use glint_ingest::{default_workers, Ingestor, NoProgress};
    let ingestor = Ingestor::new(store.clone(), models.clone(), config.clone()).with_workers(default_workers());
    ingestor.enqueue(files).map_err(|e| indexing(what, e))?;
    let summary = ingestor.run(&NoProgress).map_err(|e| indexing(what, e))?;
    if let Some((path, error)) = summary.failed().first() {
        return Err(glint_search::SearchError::BadQuery(format!(
            "{path} could not be indexed: {error}"
        )));
    }
    Ok(())
}

/// The media id the library gives `file` (the first 16 hex digits of its content hash).
pub(crate) fn media_uid(file: &std::path::Path, what: &str) -> Result<String, glint_search::SearchError> {
    let sha = glint_ingest::content_hash(file).map_err(|e| indexing(what, e))?;
    Ok(sha[..16].to_string())
}

/// The last component of `path`, as a video is named in scenes.csv.
pub(crate) fn file_name(path: &std::path::Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// An ingest error while indexing `what` ("the set", "the videos"), as the caller's mistake.
pub(crate) fn indexing(what: &str, e: glint_ingest::IngestError) -> glint_search::SearchError {
    glint_search::SearchError::BadQuery(format!("indexing {what}: {e}"))
}
