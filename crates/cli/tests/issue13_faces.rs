//! Issue 13: "same person" on in-the-wild photos, measured on a fixed 300-photo subset of
//! faces_celeba_dev with the protocol of `glint eval retrieval --route face` (every face of every
//! photo indexed, the largest face of each photo as the query) and the shipped embedder and
//! threshold. The full set's figures are in docs/benchmarks.md; these bounds sit a little under
//! the subset's own figures so that a real regression (another embedder, a broken alignment, a
//! threshold that lets strangers through) fails, while run-to-run noise does not.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{eval, glint, json};

/// The first groups of faces_celeba_dev (by group id) until at least this many photos (309).
const SUBSET_PHOTOS: usize = 300;
/// The subset's figures with the embedder of the first issue-13 change (dlib ResNet 0.9 +
/// FaceRes 0.1, threshold 0.911): recall@1 0.987, mAP 0.973, TPIR 0.909, FPIR 0.000; the
/// shipped one flips the dlib member and matches less certain faces at a stricter threshold
/// (0.913 / 0.928). FaceRes alone, the embedder before issue 13, scores about 0.89 / 0.69 on
/// the whole set and would fail these.
const RECALL_1: f64 = 0.95;
const MAP: f64 = 0.92;
const TPIR: f64 = 0.85;
const FPIR: f64 = 0.06;

/// Writes a groundtruth.csv for the subset into `dir`, with absolute photo paths.
fn subset(dir: &Path) -> usize {
    let set = eval("faces_celeba_dev");
    let text = std::fs::read_to_string(set.join("groundtruth.csv")).expect("faces_celeba_dev/groundtruth.csv");
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let (path, group) = line.split_once(',').expect("path,group_id");
        groups.entry(group.to_string()).or_default().push(path.to_string());
    }
    let mut csv = String::from("path,group_id\n");
    let mut photos = 0;
    for (group, paths) in groups {
        if photos >= SUBSET_PHOTOS {
            break;
        }
        for p in paths {
            csv.push_str(&format!("{},{group}\n", set.join(p).display()));
            photos += 1;
        }
    }
    std::fs::write(dir.join("groundtruth.csv"), csv).unwrap();
    photos
}

#[test]
fn issue13_celeba_subset_same_person_recall_map_and_open_set() {
    let dir = tempfile::tempdir().unwrap();
    let photos = subset(dir.path());
    let r = json(
        glint(&dir.path().join("data"))
            .args(["eval", "retrieval", "--route", "face", "--json", "--set"])
            .arg(dir.path()),
    );
    println!("{photos} photos: {r}");
    let figure = |k: &str| r[k].as_f64().unwrap_or_else(|| panic!("no {k} in {r}"));
    assert!(figure("queries") as usize >= photos - 5, "{r}");
    assert!(figure("recall@1") >= RECALL_1, "{r}");
    assert!(figure("mAP") >= MAP, "{r}");
    // At the shipped threshold: right first hits shown, strangers kept out.
    assert!(figure("tpir") >= TPIR, "{r}");
    assert!(figure("fpir") <= FPIR, "{r}");
    // Face quality: the less certain faces form a band of their own, matched more strictly.
    let bands = r["quality_bands"]
        .as_array()
        .unwrap_or_else(|| panic!("no quality bands in {r}"));
    assert_eq!(bands.len(), 2, "{r}");
    let threshold = |b: &serde_json::Value| b["threshold"].as_f64().unwrap_or(f64::NAN);
    let (clear, less) = (&bands[0], &bands[1]);
    assert!(
        less["low_quality"].as_bool() == Some(true) && threshold(less) > threshold(clear),
        "{r}"
    );
}
