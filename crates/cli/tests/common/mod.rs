//! Helpers for tests that drive the `glint` binary on the evaluation data in ../shared.

#![allow(dead_code)] // Each test binary uses its own subset.

pub mod http;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// A path under ../shared/eval; panics clearly when the data is missing (a silently skipped test
/// would pass without checking anything).
pub fn eval(path: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/eval")
        .join(path);
    assert!(p.exists(), "evaluation data {} is missing", p.display());
    p
}

/// `glint --data-dir DATA`.
pub fn glint(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_glint"));
    c.arg("--data-dir").arg(data);
    c
}

/// Runs a glint command that must succeed and print JSON.
pub fn json(cmd: &mut Command) -> Value {
    let out = cmd.output().expect("glint runs");
    assert!(
        out.status.success(),
        "glint failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

pub fn media_list(data: &Path) -> Vec<Value> {
    json(glint(data).args(["media", "list", "--json"]))
        .as_array()
        .expect("a list")
        .clone()
}

/// The public id of the indexed media whose path ends with `name`.
pub fn media_id(data: &Path, name: &str) -> String {
    media_list(data)
        .iter()
        .find(|m| m["path"].as_str().unwrap().ends_with(name))
        .unwrap_or_else(|| panic!("{name} not indexed"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// `glint eval composited --route ROUTE --json` on the composited set `set` (a fresh library),
/// with its report printed and its query count checked.
pub fn composited(route: &str, set: &str, queries: usize) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let r = json(
        glint(&dir.path().join("data"))
            .args(["eval", "composited", "--route", route, "--json", "--set"])
            .arg(eval(set)),
    );
    println!("{r}");
    assert_eq!(r["queries"].as_u64(), Some(queries as u64), "{r}");
    r
}

/// A figure of a JSON report; panics with the report when it is missing.
pub fn figure(r: &Value, key: &str) -> f64 {
    r[key].as_f64().unwrap_or_else(|| panic!("no {key} in {r}"))
}

/// The names of an answer's hits, group after group, best first.
pub fn hit_names(r: &Value) -> Vec<String> {
    r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["hits"].as_array().unwrap())
        .map(|h| h["name"].as_str().unwrap().to_string())
        .collect()
}

/// A face track's sighting closest to `t`: (time, "x,y,w,h").
pub fn face_at(data: &Path, id: &str, t: f64) -> (f64, String) {
    let shown = json(glint(data).args(["media", "show", id, "--json"]));
    let mut best: Option<(f64, f64, String)> = None;
    for track in shown["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == "face")
    {
        for s in track["sightings"].as_array().unwrap() {
            let st = s["t"].as_f64().unwrap();
            let b = &s["bbox"];
            let area = b["w"].as_f64().unwrap() * b["h"].as_f64().unwrap();
            let key = (st - t).abs() - area * 1e-9; // nearest time, then the largest face
            if best.as_ref().is_none_or(|(k, _, _)| key < *k) {
                let bx = format!("{},{},{},{}", b["x"], b["y"], b["w"], b["h"]);
                best = Some((key, st, bx));
            }
        }
    }
    let (_, st, bx) = best.expect("a face track");
    (st, bx)
}
