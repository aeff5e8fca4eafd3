//! The product-page protocol (issue 16): a merchant's product page must list the photos and
//! video moments where the product appears, and none where it does not.
//!
//! The library holds the set's selected photos (groundtruth.csv rows matching the filters) and,
//! optionally, a composited set's videos (scenes.csv); the merchant catalog (imported by the
//! caller) names each product by the photos' group ids. For every distinct product of the
//! catalog, its page is computed ([`Searcher::seen_in`]; thresholds off, or the product page's
//! own rule: calibrated threshold and "where to buy" offering the product first), then every
//! listed photo and every listed video scene (a moment lying in a scene) is judged against the
//! ground truth, at each score threshold of a sweep: precision (listed that show the product),
//! recall (photos and scenes of the product that are listed).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use glint_ingest::{Ingestor, Store};
use glint_search::{SearchError, SearchOptions, Searcher};
use glint_vision::Models;
use serde::Serialize;

use crate::composited::{read_scenes, Scene};
use crate::retrieval::{matches, read_groundtruth};

/// What to index and judge.
pub struct PagesSpec {
    /// A folder with groundtruth.csv (`path`, `group_id`).
    pub set: PathBuf,
    /// COLUMN=VALUE filters selecting the photos put in the library.
    pub photos: Vec<(String, String)>,
    /// A composited set (videos/ + scenes.csv) whose videos join the library.
    pub videos: Option<PathBuf>,
    /// Score thresholds to report.
    pub thresholds: Vec<f32>,
    /// Keep only listings whose "where to buy" offers the product first (the product page's
    /// rule, [`Searcher::seen_in`]); pages are then computed with the calibrated threshold on.
    pub confirm: bool,
}

/// Precision and recall at one threshold.
#[derive(Debug, Clone, Serialize)]
pub struct PagesAt {
    pub threshold: f32,
    pub listed: usize,
    pub right: usize,
    pub precision: f64,
    pub recall: f64,
    /// Products that appear nowhere in the library yet list something.
    pub absent_listing: usize,
    /// The same figures for photos and for video scenes alone.
    pub photos: (usize, usize, f64),
    pub scenes: (usize, usize, f64),
}

#[derive(Debug, Clone, Serialize)]
pub struct PagesReport {
    pub products: usize,
    /// Products with at least one photo or scene in the library.
    pub products_present: usize,
    /// Photos and video scenes showing a catalog product.
    pub truth: usize,
    pub sweep: Vec<PagesAt>,
    pub p50_ms: f64,
    pub p95_ms: f64,
}

/// One listed thing: a photo, or a scene of a video.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Listed {
    Photo(String),
    Scene(String, u32),
}

/// Indexes the library and scores every product's page (the catalog must be imported).
pub fn product_pages(models: &Models, store: &Store, spec: &PagesSpec) -> Result<PagesReport, SearchError> {
    let rows = read_groundtruth(&spec.set)?;
    let photos: Vec<_> = rows.iter().filter(|r| matches(r, &spec.photos)).collect();
    let mut files: Vec<PathBuf> = photos.iter().map(|r| spec.set.join(&r["path"])).collect();
    let scenes = match &spec.videos {
        Some(set) => {
            files.extend(Ingestor::expand(&[set.join("videos")]).map_err(|e| crate::indexing(LIBRARY, e))?);
            read_scenes(set)?
        }
        None => Vec::new(),
    };
    crate::index_files(models, store, &files, LIBRARY)?;
    // What each media is: a photo with its group, or a composited video by file name.
    let mut photo_group: HashMap<String, String> = HashMap::new();
    for r in &photos {
        photo_group.insert(
            crate::media_uid(&spec.set.join(&r["path"]), LIBRARY)?,
            r["group_id"].to_ascii_lowercase(),
        );
    }
    let mut video_name: HashMap<String, String> = HashMap::new();
    if let Some(set) = &spec.videos {
        for f in Ingestor::expand(&[set.join("videos")]).map_err(|e| crate::indexing(LIBRARY, e))? {
            video_name.insert(crate::media_uid(&f, LIBRARY)?, crate::file_name(&f));
        }
    }
    let mut truth: HashMap<String, HashSet<Listed>> = HashMap::new();
    for (id, group) in &photo_group {
        truth
            .entry(group.clone())
            .or_default()
            .insert(Listed::Photo(id.clone()));
    }
    let uid_of_video: HashMap<&str, &str> = video_name.iter().map(|(u, n)| (n.as_str(), u.as_str())).collect();
    for s in &scenes {
        if let Some(u) = uid_of_video.get(s.video.as_str()) {
            truth
                .entry(s.group.to_ascii_lowercase())
                .or_default()
                .insert(Listed::Scene(u.to_string(), s.scene));
        }
    }

    let searcher = Searcher::new(store.clone(), models.clone());
    let options = SearchOptions {
        limit: 100,
        // Confirming every candidate of an unthresholded list would cost a search each.
        apply_thresholds: spec.confirm,
        face_search: false,
        ..SearchOptions::default()
    };
    // Each product once, by id (several stores may list it with the same images).
    let mut seen_products = HashSet::new();
    let mut listings: Vec<(String, Vec<(Listed, f32)>)> = Vec::new();
    let mut latencies = Vec::new();
    for p in store.catalog.list_products(None)? {
        let key = p.product_id.to_ascii_lowercase();
        if !seen_products.insert(key.clone()) {
            continue;
        }
        let detail = store.catalog.product(&p.store_id, &p.product_id)?;
        let images: Vec<String> = detail.images.iter().filter_map(|i| i.media_uid.clone()).collect();
        let start = std::time::Instant::now();
        let confirm = spec.confirm.then_some(glint_search::PAGE_CONFIRMATIONS);
        let seen_in = searcher.seen_in(&images, &options, confirm)?;
        latencies.push(start.elapsed().as_secs_f64() * 1e3);
        let mut listed: HashMap<Listed, f32> = HashMap::new();
        for hit in &seen_in {
            if photo_group.contains_key(&hit.media_id) {
                let s = listed.entry(Listed::Photo(hit.media_id.clone())).or_insert(hit.score);
                *s = s.max(hit.score);
                continue;
            }
            let Some(name) = video_name.get(&hit.media_id) else {
                continue; // Something else in the library: not judged.
            };
            for sighting in &hit.sightings {
                let Some(scene) = sighting.t.and_then(|t| scene_at(&scenes, name, t)) else {
                    continue;
                };
                let s = listed
                    .entry(Listed::Scene(hit.media_id.clone(), scene))
                    .or_insert(sighting.score);
                *s = s.max(sighting.score);
            }
        }
        listings.push((key, listed.into_iter().collect()));
    }

    let total_truth: usize = seen_products.iter().map(|p| truth.get(p).map_or(0, HashSet::len)).sum();
    let sweep = spec
        .thresholds
        .iter()
        .map(|&threshold| score_at(threshold, &listings, &truth, total_truth))
        .collect();
    let pct = |p: f64| crate::retrieval::percentile(&latencies, p);
    Ok(PagesReport {
        products: listings.len(),
        products_present: listings.iter().filter(|(p, _)| truth.contains_key(p)).count(),
        truth: total_truth,
        sweep,
        p50_ms: pct(0.5),
        p95_ms: pct(0.95),
    })
}

fn score_at(
    threshold: f32,
    listings: &[(String, Vec<(Listed, f32)>)],
    truth: &HashMap<String, HashSet<Listed>>,
    total_truth: usize,
) -> PagesAt {
    let empty = HashSet::new();
    let (mut listed, mut right, mut absent_listing) = (0, 0, 0);
    let (mut photos, mut scenes) = ((0, 0, 0usize), (0, 0, 0usize));
    for (product, found) in listings {
        let want = truth.get(product).unwrap_or(&empty);
        let kept: Vec<&Listed> = found.iter().filter(|(_, s)| *s >= threshold).map(|(l, _)| l).collect();
        if want.is_empty() && !kept.is_empty() {
            absent_listing += 1;
        }
        for l in kept {
            let ok = want.contains(l);
            listed += 1;
            right += usize::from(ok);
            let kind = match l {
                Listed::Photo(_) => &mut photos,
                Listed::Scene(..) => &mut scenes,
            };
            kind.0 += 1;
            kind.1 += usize::from(ok);
        }
        for l in want {
            match l {
                Listed::Photo(_) => photos.2 += 1,
                Listed::Scene(..) => scenes.2 += 1,
            }
        }
    }
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    PagesAt {
        threshold,
        listed,
        right,
        precision: ratio(right, listed),
        recall: ratio(right, total_truth),
        absent_listing,
        photos: (photos.0, photos.1, ratio(photos.1, photos.2)),
        scenes: (scenes.0, scenes.1, ratio(scenes.1, scenes.2)),
    }
}

/// The scene of video `name` that time `t` lies in.
fn scene_at(scenes: &[Scene], name: &str, t: f64) -> Option<u32> {
    scenes
        .iter()
        .find(|s| s.video == name && t >= s.t_start && t < s.t_end)
        .map(|s| s.scene)
}

/// What the library's files are called in an indexing error.
const LIBRARY: &str = "the library";
