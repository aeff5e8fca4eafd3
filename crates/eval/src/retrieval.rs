//! The evaluation harness: retrieval metrics on any folder laid out like ../shared/eval.
//!
//! A set is a folder with `groundtruth.csv` (`path,group_id[,more columns]`, paths relative to
//! the folder; equal non-empty `group_id`s match). Queries and gallery are chosen by column
//! filters; every file involved is ingested into a data directory; each query then searches the
//! gallery (itself left out) through the same [`Searcher`] users get, with thresholds off so
//! that the full ranking is seen. Reported: recall@1/5, mAP, TPIR and FPIR at the route's
//! operating threshold, latency percentiles, and the threshold that would give 5% FPIR.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use glint_ingest::{Ingestor, Store};
use glint_media::{load_image, DecodeLimits};
use glint_vision::Models;

use glint_search::calibration::route_threshold;
use glint_search::{Query, Route, SearchError, SearchOptions, Searcher};

/// One row of groundtruth.csv, by column name.
pub type Row = HashMap<String, String>;

/// What to evaluate.
#[derive(Debug, Clone)]
pub struct RetrievalSpec {
    pub set: PathBuf,
    pub route: Route,
    /// `column=value` filters a query row must match (all of them).
    pub query: Vec<(String, String)>,
    /// `column=value` filters a gallery row must match; none = every row.
    pub gallery: Vec<(String, String)>,
    /// The column whose value must differ for a wrong hit to count as a false positive
    /// (FPIR: "the query's kind of thing is absent"). `group_id` (the default) counts any other
    /// identity or product; `coarse_class` counts only other kinds of product, so that another
    /// flavour of the same juice, which is comparable, is not called a false match.
    pub absent_by: String,
    /// Photos (files or folders) that show nothing of the set: when given, FPIR is the share of
    /// them that still get a hit (the "nothing comparable is indexed" case), instead of the
    /// queries' best wrong hits.
    pub negatives: Vec<PathBuf>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RetrievalReport {
    pub queries: usize,
    #[serde(rename = "recall@1")]
    pub recall_at_1: f64,
    #[serde(rename = "recall@5")]
    pub recall_at_5: f64,
    #[serde(rename = "mAP")]
    pub map: f64,
    /// Top hit correct and above the operating threshold.
    pub tpir: f64,
    /// Best hit of another identity/product above the threshold (as if the query's own were
    /// removed from the gallery).
    pub fpir: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub threshold: f32,
    /// Queries with nothing to search with (no face found): counted as misses.
    pub no_query_region: usize,
    /// Gallery size.
    pub gallery: usize,
    /// The lowest threshold at which FPIR would be at most 5%.
    pub threshold_for_fpir_5pct: f32,
    /// TPIR at that threshold.
    pub tpir_at_fpir_5pct: f64,
    /// Negative photos FPIR was measured on (none: on the queries' wrong hits).
    pub negatives: Option<usize>,
    /// Face route with a stricter threshold for less certain faces: the two bands' own figures
    /// (their 5%-FPIR points are what the manifest's two thresholds are calibrated from).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality_bands: Option<[BandReport; 2]>,
}

/// One face-quality band of a face retrieval run (`below` the detector score cut, or not).
#[derive(Debug, Clone, Serialize)]
pub struct BandReport {
    pub low_quality: bool,
    pub queries: usize,
    /// TPIR and FPIR at the threshold the band's faces were matched at.
    pub threshold: f32,
    pub tpir: f64,
    pub fpir: f64,
    /// The band's own 5%-FPIR point, and TPIR there.
    pub threshold_for_fpir_5pct: f32,
    pub tpir_at_fpir_5pct: f64,
}

/// Reads groundtruth.csv (plain comma-separated, header first).
pub fn read_groundtruth(set: &Path) -> Result<Vec<Row>, SearchError> {
    let path = set.join("groundtruth.csv");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| SearchError::BadQuery(format!("cannot read {}: {e}", path.display())))?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> = lines
        .next()
        .ok_or_else(|| SearchError::BadQuery(format!("{} is empty", path.display())))?
        .split(',')
        .map(|h| h.trim().to_string())
        .collect();
    if header.first().map(String::as_str) != Some("path") || header.len() < 2 {
        return Err(SearchError::BadQuery(format!(
            "{}: the header must start with `path,` and a group column",
            path.display()
        )));
    }
    Ok(lines
        .map(|l| {
            let mut row: Row = header
                .iter()
                .cloned()
                .zip(l.split(',').map(|v| v.trim().to_string()))
                .collect();
            // The second column is the group, whatever its name (group_id, identities...).
            let group = row.get(&header[1]).cloned().unwrap_or_default();
            row.insert("group_id".into(), group);
            row
        })
        .collect())
}

pub fn matches(row: &Row, filters: &[(String, String)]) -> bool {
    filters.iter().all(|(k, v)| row.get(k).is_some_and(|x| x == v))
}

/// Indexes the set's files (as needed) into `store` and evaluates.
pub fn retrieval(models: &Models, store: &Store, spec: &RetrievalSpec) -> Result<RetrievalReport, SearchError> {
    let rows = read_groundtruth(&spec.set)?;
    let queries: Vec<&Row> = rows
        .iter()
        .filter(|r| !r["group_id"].is_empty() && matches(r, &spec.query))
        .collect();
    let gallery: Vec<&Row> = rows.iter().filter(|r| matches(r, &spec.gallery)).collect();
    if queries.is_empty() || gallery.is_empty() {
        return Err(SearchError::BadQuery(format!(
            "{} queries and {} gallery rows match the filters",
            queries.len(),
            gallery.len()
        )));
    }
    let file = |r: &Row| spec.set.join(&r["path"]);
    let mut files: Vec<PathBuf> = queries.iter().chain(&gallery).map(|r| file(r)).collect();
    files.sort();
    files.dedup();

    crate::index_files(models, store, &files, "the set")?;
    // Media id of each file (its content hash) and the group of each gallery media.
    let mut uid_of: HashMap<PathBuf, String> = HashMap::new();
    for f in &files {
        uid_of.insert(f.clone(), crate::media_uid(f, "the set")?);
    }
    let gallery_groups: HashMap<&str, &str> = gallery
        .iter()
        .map(|r| (uid_of[&file(r)].as_str(), r["group_id"].as_str()))
        .collect();
    let absent_value = |r: &Row| r.get(&spec.absent_by).cloned().unwrap_or_default();
    let gallery_absent: HashMap<&str, String> = gallery
        .iter()
        .map(|r| (uid_of[&file(r)].as_str(), absent_value(r)))
        .collect();
    let gallery_ids: Vec<String> = gallery_groups.keys().map(|s| s.to_string()).collect();

    let searcher = Searcher::new(store.clone(), models.clone());
    let threshold = route_threshold(models, spec.route);
    let mut stats = Stats::default();
    for q in &queries {
        let own = &uid_of[&file(q)];
        let group = q["group_id"].as_str();
        let relevant = gallery_groups
            .iter()
            .filter(|(id, g)| *id != own && **g == group)
            .count();
        if relevant == 0 {
            continue; // Nothing to find: not a retrieval query for this gallery.
        }
        let image = load_image(&file(q), DecodeLimits::default())?;
        let options = SearchOptions {
            limit: gallery_ids.len(),
            apply_thresholds: false,
            only_media: Some(gallery_ids.clone()),
            exclude_media: vec![own.clone()],
            only_route: Some(spec.route),
            ..SearchOptions::default()
        };
        let response = searcher.search(&Query::Image { image, bbox: None }, &options)?;
        stats.latencies.push(response.latency_ms);
        let query_absent = absent_value(q);
        let ranked: Vec<Ranked> = response
            .groups
            .iter()
            .find(|g| g.route == spec.route)
            .map(|g| {
                g.hits
                    .iter()
                    .map(|h| Ranked {
                        right: gallery_groups.get(h.media_id.as_str()) == Some(&group),
                        impostor: gallery_absent.get(h.media_id.as_str()) != Some(&query_absent),
                        score: h.score,
                    })
                    .collect()
            })
            .unwrap_or_default();
        if !response.groups.iter().any(|g| g.route == spec.route) {
            stats.no_region += 1;
        }
        stats.add(&ranked, relevant, crate::applied_threshold(&response, threshold));
    }
    if !spec.negatives.is_empty() {
        let options = SearchOptions {
            limit: gallery_ids.len(),
            apply_thresholds: false,
            only_media: Some(gallery_ids.clone()),
            only_route: Some(spec.route),
            ..SearchOptions::default()
        };
        stats.use_negatives(
            negative_scores(&searcher, &spec.negatives, &options, spec.route)?,
            threshold,
        );
    }
    let banded = spec.route == Route::Person && models.face_low_quality.is_some() && spec.negatives.is_empty();
    Ok(stats.report(threshold, gallery_ids.len(), banded))
}

/// The best score each negative photo gets (-inf when it gets nothing, e.g. no face in it).
fn negative_scores(
    searcher: &Searcher,
    paths: &[PathBuf],
    options: &SearchOptions,
    route: Route,
) -> Result<Vec<f32>, SearchError> {
    let files = Ingestor::expand(paths).map_err(|e| crate::indexing("the set", e))?;
    let mut scores = Vec::new();
    for file in files {
        let Ok(image) = load_image(&file, DecodeLimits::default()) else {
            continue; // A video or an undecodable file: not a photo query.
        };
        let response = searcher.search(&Query::Image { image, bbox: None }, options)?;
        let best = response
            .groups
            .iter()
            .filter(|g| g.route == route)
            .flat_map(|g| g.hits.iter().map(|h| h.score))
            .fold(f32::NEG_INFINITY, f32::max);
        scores.push(best);
    }
    Ok(scores)
}

/// One ranked hit: the right group? a false positive if it passed the threshold? its score.
struct Ranked {
    right: bool,
    impostor: bool,
    score: f32,
}

#[derive(Default)]
struct Stats {
    queries: usize,
    hit1: usize,
    hit5: usize,
    ap_sum: f64,
    tp: usize,
    fp: usize,
    no_region: usize,
    latencies: Vec<f64>,
    /// Best score of a wrong media per query (or -inf).
    impostor: Vec<f32>,
    /// Score of the first hit per query when it is right.
    right_first: Vec<f32>,
    /// Negative photos searched, when FPIR is measured on them.
    negatives: Option<usize>,
    /// Per query: what it was matched at and what it got.
    per_query: Vec<Outcome>,
}

/// One query of a retrieval run: the threshold applied, its first hit's score when that hit is
/// right, and its best impostor's score.
struct Outcome {
    threshold: f32,
    right_first: Option<f32>,
    impostor: f32,
}

impl Stats {
    fn add(&mut self, ranked: &[Ranked], relevant: usize, threshold: f32) {
        self.queries += 1;
        let first = ranked.iter().position(|r| r.right);
        self.hit1 += usize::from(first == Some(0));
        self.hit5 += usize::from(first.is_some_and(|r| r < 5));
        let mut found = 0;
        let mut precision_sum = 0.0;
        for (i, r) in ranked.iter().enumerate() {
            if r.right {
                found += 1;
                precision_sum += found as f64 / (i + 1) as f64;
            }
        }
        self.ap_sum += precision_sum / relevant as f64;
        let right_first = ranked.first().filter(|r| r.right).map(|r| r.score);
        if let Some(score) = right_first {
            self.right_first.push(score);
            self.tp += usize::from(score >= threshold);
        }
        let impostor = ranked
            .iter()
            .find(|r| !r.right && r.impostor)
            .map_or(f32::NEG_INFINITY, |r| r.score);
        if impostor >= threshold {
            self.fp += 1;
        }
        self.impostor.push(impostor);
        self.per_query.push(Outcome {
            threshold,
            right_first,
            impostor,
        });
    }

    /// FPIR from negative photos' best scores instead of the queries' best wrong hits.
    fn use_negatives(&mut self, best: Vec<f32>, threshold: f32) {
        self.fp = best.iter().filter(|s| **s >= threshold).count();
        self.negatives = Some(best.len());
        self.impostor = best;
    }

    fn report(mut self, threshold: f32, gallery: usize, banded: bool) -> RetrievalReport {
        let n = self.queries.max(1) as f64;
        let pct = |p: f64| percentile(&self.latencies, p);
        let impostor_queries = self.negatives.unwrap_or(self.queries);
        let threshold_5 = five_percent_point(&mut self.impostor, impostor_queries);
        let quality_bands = banded.then(|| [self.band(threshold, false), self.band(threshold, true)]);
        RetrievalReport {
            queries: self.queries,
            recall_at_1: self.hit1 as f64 / n,
            recall_at_5: self.hit5 as f64 / n,
            map: self.ap_sum / n,
            tpir: self.tp as f64 / n,
            fpir: self.fp as f64 / impostor_queries.max(1) as f64,
            negatives: self.negatives,
            p50_ms: pct(0.5),
            p95_ms: pct(0.95),
            threshold,
            no_query_region: self.no_region,
            gallery,
            threshold_for_fpir_5pct: threshold_5,
            tpir_at_fpir_5pct: self.right_first.iter().filter(|s| **s >= threshold_5).count() as f64 / n,
            quality_bands,
        }
    }

    /// The figures of the queries in one face-quality band: the less certain faces are those
    /// matched at a stricter threshold than the route's own `threshold`.
    fn band(&self, threshold: f32, low_quality: bool) -> BandReport {
        let rows: Vec<&Outcome> = self
            .per_query
            .iter()
            .filter(|r| (r.threshold > threshold) == low_quality)
            .collect();
        let n = rows.len().max(1) as f64;
        let mut impostors: Vec<f32> = rows.iter().map(|r| r.impostor).collect();
        let point = five_percent_point(&mut impostors, rows.len());
        let rate = |hit: &dyn Fn(&Outcome) -> bool| rows.iter().filter(|r| hit(r)).count() as f64 / n;
        BandReport {
            low_quality,
            queries: rows.len(),
            threshold: rows.first().map_or(f32::NAN, |r| r.threshold),
            tpir: rate(&|r| r.right_first.is_some_and(|s| s >= r.threshold)),
            fpir: rate(&|r| r.impostor >= r.threshold),
            threshold_for_fpir_5pct: point,
            tpir_at_fpir_5pct: rate(&|r| r.right_first.is_some_and(|s| s >= point)),
        }
    }
}

/// The lowest threshold at which at most 5% of `queries` have an impostor at or above it, from
/// their best impostor scores (sorted here, best first): it sits just above the impostor that
/// would be one too many.
fn five_percent_point(impostors: &mut [f32], queries: usize) -> f32 {
    impostors.sort_by(|a, b| b.total_cmp(a));
    impostors.get(queries / 20).map_or(f32::NEG_INFINITY, |s| s + 1e-4)
}

/// The `p`-quantile (0..=1) of `values` by the nearest rank; 0 for none. Every latency figure of
/// the harness and of `glint bench` is taken this way.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted
        .get(((sorted.len() as f64 - 1.0) * p).round() as usize)
        .copied()
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles_take_the_nearest_rank_and_are_zero_for_nothing() {
        let v = [5.0, 1.0, 4.0, 2.0, 3.0];
        assert_eq!(percentile(&v, 0.0), 1.0);
        assert_eq!(percentile(&v, 0.5), 3.0);
        assert_eq!(percentile(&v, 0.95), 5.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }
}
