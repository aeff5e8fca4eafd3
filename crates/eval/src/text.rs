//! The text-search protocols (issue 16): do words find what they name?
//!
//! The library holds a set's selected photos (groundtruth.csv rows matching the filters).
//! - **Labels**: for each word of a list ("banana"), the photos whose stored label words
//!   contain it are judged against a ground-truth column ("coarse_class" = Banana), at each class
//!   probability of a sweep: precision (listed photos that show it) and recall (photos showing
//!   it that are listed). This is how ingest's minimum class probability is chosen.
//! - **Titles**: with a merchant catalog imported (its product ids being the photos' group ids),
//!   each product's title is searched as a user would type it ([`Searcher::search_text`]); the
//!   first five photos of the answer are judged: precision@5 (of those shown, how many show the
//!   product) and recall@5 (of the product's photos, up to five, how many are shown).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use glint_catalog::{TextQuery, WordSource};
use glint_ingest::{IngestConfig, Store};
use glint_search::{SearchError, SearchOptions, Searcher};
use glint_vision::Models;
use serde::Serialize;

use crate::retrieval::{matches, percentile, read_groundtruth};

/// A word and what counts as showing it: rows whose `column` is one of `values`.
#[derive(Debug, Clone)]
pub struct LabelQuery {
    pub word: String,
    pub column: String,
    pub values: Vec<String>,
}

/// What to index and judge.
pub struct TextSpec {
    /// A folder with groundtruth.csv.
    pub set: PathBuf,
    /// COLUMN=VALUE filters selecting the photos put in the library.
    pub photos: Vec<(String, String)>,
    pub labels: Vec<LabelQuery>,
    /// Class probabilities to report the label queries at.
    pub thresholds: Vec<f32>,
    /// Search the titles of the imported catalog's products whose category starts with this.
    pub titles: Option<String>,
    /// How the library is ingested (OCR on or off).
    pub ingest: IngestConfig,
}

/// Label precision and recall at one class probability.
#[derive(Debug, Clone, Serialize)]
pub struct LabelAt {
    pub threshold: f32,
    pub listed: usize,
    pub right: usize,
    pub precision: f64,
    pub recall: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct LabelReport {
    pub word: String,
    /// Photos of the library that show it.
    pub truth: usize,
    pub sweep: Vec<LabelAt>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TitleReport {
    /// Products searched (those with photos in the library).
    pub products: usize,
    pub precision_at_5: f64,
    pub recall_at_5: f64,
    /// Products whose title found no photo at all.
    pub nothing_found: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TextReport {
    pub photos: usize,
    pub labels: Vec<LabelReport>,
    /// Every label query together, per threshold.
    pub labels_overall: Vec<LabelAt>,
    pub titles: Option<TitleReport>,
}

/// Indexes the library (the catalog, for titles, must be imported) and runs both protocols.
pub fn text_search(models: &Models, store: &Store, spec: &TextSpec) -> Result<TextReport, SearchError> {
    let rows = read_groundtruth(&spec.set)?;
    let photos: Vec<_> = rows.iter().filter(|r| matches(r, &spec.photos)).collect();
    let files: Vec<PathBuf> = photos.iter().map(|r| spec.set.join(&r["path"])).collect();
    crate::index_files_with(models, store, &files, LIBRARY, &spec.ingest)?;
    let mut row_of: HashMap<String, &HashMap<String, String>> = HashMap::new();
    for r in &photos {
        row_of.insert(crate::media_uid(&spec.set.join(&r["path"]), LIBRARY)?, r);
    }

    let mut labels = Vec::new();
    for q in &spec.labels {
        labels.push(label_report(store, q, &row_of, &spec.thresholds)?);
    }
    let labels_overall = spec
        .thresholds
        .iter()
        .enumerate()
        .map(|(i, &threshold)| {
            let (listed, right, truth) = labels.iter().fold((0, 0, 0), |(l, r, t), q: &LabelReport| {
                (l + q.sweep[i].listed, r + q.sweep[i].right, t + q.truth)
            });
            at(threshold, listed, right, truth)
        })
        .collect();

    let titles = match &spec.titles {
        Some(category) => Some(title_report(models, store, category, &row_of)?),
        None => None,
    };
    Ok(TextReport {
        photos: photos.len(),
        labels,
        labels_overall,
        titles,
    })
}

fn at(threshold: f32, listed: usize, right: usize, truth: usize) -> LabelAt {
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    LabelAt {
        threshold,
        listed,
        right,
        precision: ratio(right, listed),
        recall: ratio(right, truth),
    }
}

fn label_report(
    store: &Store,
    q: &LabelQuery,
    row_of: &HashMap<String, &HashMap<String, String>>,
    thresholds: &[f32],
) -> Result<LabelReport, SearchError> {
    let shows = |row: &HashMap<String, String>| {
        row.get(&q.column)
            .is_some_and(|v| q.values.iter().any(|want| want.eq_ignore_ascii_case(v)))
    };
    let truth = row_of.values().filter(|r| shows(r)).count();
    let query =
        TextQuery::parse(&q.word).ok_or_else(|| SearchError::BadQuery(format!("`{}` holds no word", q.word)))?;
    // Each photo once, at the best probability of a label word naming it.
    let mut best: HashMap<String, f32> = HashMap::new();
    for hit in store.catalog.search_words(&query, usize::MAX >> 1)? {
        if hit.source == WordSource::Label && row_of.contains_key(&hit.media_uid) {
            let s = best.entry(hit.media_uid).or_insert(hit.score);
            *s = s.max(hit.score);
        }
    }
    let sweep = thresholds
        .iter()
        .map(|&threshold| {
            let kept: Vec<&String> = best.iter().filter(|(_, s)| **s >= threshold).map(|(m, _)| m).collect();
            let right = kept.iter().filter(|m| shows(row_of[m.as_str()])).count();
            at(threshold, kept.len(), right, truth)
        })
        .collect();
    Ok(LabelReport {
        word: q.word.clone(),
        truth,
        sweep,
    })
}

fn title_report(
    models: &Models,
    store: &Store,
    category: &str,
    row_of: &HashMap<String, &HashMap<String, String>>,
) -> Result<TitleReport, SearchError> {
    let mut photos_of: HashMap<String, HashSet<&str>> = HashMap::new();
    for (uid, row) in row_of {
        photos_of
            .entry(row["group_id"].to_ascii_lowercase())
            .or_default()
            .insert(uid.as_str());
    }
    let searcher = Searcher::new(store.clone(), models.clone());
    let options = SearchOptions {
        face_search: false,
        ..SearchOptions::default()
    };
    let mut seen = HashSet::new();
    let (mut products, mut nothing) = (0usize, 0usize);
    let (mut shown, mut shown_right, mut recall_sum) = (0usize, 0usize, 0.0f64);
    let mut latencies = Vec::new();
    for p in store.catalog.list_products(None)? {
        let key = p.product_id.to_ascii_lowercase();
        let in_category = p
            .category
            .as_deref()
            .is_some_and(|c| c.to_ascii_lowercase().starts_with(&category.to_ascii_lowercase()));
        let Some(truth) = photos_of.get(&key) else { continue };
        if !in_category || !seen.insert(key) {
            continue;
        }
        products += 1;
        let answer = searcher.search_text(&p.title, &options)?;
        latencies.push(answer.latency_ms);
        let top: Vec<&str> = answer
            .groups
            .iter()
            .flat_map(|g| &g.hits)
            .map(|h| h.media_id.as_str())
            .filter(|m| row_of.contains_key(*m))
            .take(5)
            .collect();
        if top.is_empty() {
            nothing += 1;
        }
        let right = top.iter().filter(|m| truth.contains(**m)).count();
        shown += top.len();
        shown_right += right;
        recall_sum += right as f64 / truth.len().min(5) as f64;
    }
    Ok(TitleReport {
        products,
        precision_at_5: if shown == 0 {
            0.0
        } else {
            shown_right as f64 / shown as f64
        },
        recall_at_5: if products == 0 {
            0.0
        } else {
            recall_sum / products as f64
        },
        nothing_found: nothing,
        p50_ms: percentile(&latencies, 0.5),
        p95_ms: percentile(&latencies, 0.95),
    })
}

/// What the library's files are called in an indexing error.
const LIBRARY: &str = "the library";
