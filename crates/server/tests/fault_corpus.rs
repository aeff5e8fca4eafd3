//! A fault corpus, generated at run time in a temporary folder from real files of
//! ../shared/eval (nothing of it is committed): truncated and bit-flipped copies, empty files,
//! wrong extensions, images whose headers claim huge sizes, a decompression bomb and malformed
//! search bodies. Each file is uploaded (and ingested) and, when it could be an image, used as
//! a search photo. The test counts outcomes, prints them (`--nocapture`) and asserts that no
//! request answered 5xx, nothing panicked, and the server still answers afterwards. Also here:
//! the abuse limits (429, 413, 504) and hostile upload names.

mod common;

use std::collections::BTreeMap;
use std::io::Cursor;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use image::ImageEncoder;
use serde_json::Value;

use common::{call, empty_state, eval, get, post_form, post_form_as, post_json, writer, zip_of, Reply, BIKES};
use glint_ingest::IngestConfig;
use glint_server::{AppState, RateLimit, ServerConfig};

const JPEG: &str = "faces_deepface_tests/images/img1.jpg";
const PNG: &str = "objects_opencv_samples/basketball1.png";
const AVI: &str = "videos_opencv_samples/vtest.avi";

/// What one request (or one ingest job) came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    /// 2xx, or a job that ingested (possibly a part of a damaged file).
    Ok,
    /// 4xx with a JSON code and message, or a failed job with an error message.
    ClearError,
    /// 5xx, a non-JSON error, a failed job without a message, or a job that never ended.
    ServerError,
    Panic,
}

#[derive(Default)]
struct Tally {
    counts: BTreeMap<(&'static str, Outcome), usize>,
    bad: Vec<String>,
}

impl Tally {
    fn add(&mut self, what: &'static str, case: &str, outcome: Outcome, detail: &str) {
        *self.counts.entry((what, outcome)).or_default() += 1;
        if outcome >= Outcome::ServerError {
            self.bad.push(format!("{what} {case}: {outcome:?} {detail}"));
        }
    }

    fn print(&self) {
        println!("\n| check | ok/partial | clear error | 5xx | panic |");
        println!("|---|---|---|---|---|");
        let mut checks: Vec<&str> = self.counts.keys().map(|(what, _)| *what).collect();
        checks.dedup();
        for what in checks {
            let n = |o| self.counts.get(&(what, o)).copied().unwrap_or(0);
            println!(
                "| {what} | {} | {} | {} | {} |",
                n(Outcome::Ok),
                n(Outcome::ClearError),
                n(Outcome::ServerError),
                n(Outcome::Panic)
            );
        }
    }
}

/// Classifies a reply: a clear error is a 4xx whose body is `{"code", "message"}`.
fn classify(reply: &Reply) -> Outcome {
    let json: Option<Value> = serde_json::from_slice(&reply.body).ok();
    let coded = json
        .as_ref()
        .is_some_and(|j| j["code"].is_string() && j["message"].is_string());
    match reply.status.as_u16() {
        200..=299 => Outcome::Ok,
        400..=499 if coded => Outcome::ClearError,
        _ => Outcome::ServerError,
    }
}

/// Runs one request on its own task, so that a panic in the router is counted, not fatal.
async fn guarded(state: &AppState, request: impl FnOnce(AppState) -> Request<Body>) -> Result<Reply, String> {
    let state = state.clone();
    let request = request(state.clone());
    tokio::spawn(async move { call(&state, request).await })
        .await
        .map_err(|e| format!("panicked: {e}"))
}

fn form_request(uri: &str, parts: &[(&str, Option<&str>, &[u8])], token: Option<&str>) -> Request<Body> {
    let (content_type, body) = common::multipart(parts);
    let mut request = Request::post(uri).header("content-type", content_type);
    if let Some(t) = token {
        request = request.header("authorization", format!("Bearer {t}"));
    }
    request.body(Body::from(body)).unwrap()
}

/// A small deterministic generator (xorshift), so each seed flips the same bytes every run.
fn flipped(bytes: &[u8], seed: u64, flips: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for _ in 0..flips {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let i = (x % out.len() as u64) as usize;
        out[i] ^= 1 << (x >> 60 & 7);
    }
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A tiny PNG whose (valid, CRC-checked) header claims `w` x `h` RGB pixels.
fn huge_png(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    // A zlib stream of a few zero bytes: far too little data for the claimed size.
    png_chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01],
    );
    png_chunk(&mut out, b"IEND", &[]);
    out
}

/// A JPEG start whose frame header claims 65500 x 65500 pixels.
fn huge_jpeg() -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 8, 0xFF, 0xDC, 0xFF, 0xDC, 3];
    for id in 1..=3u8 {
        out.extend_from_slice(&[id, 0x11, 0]);
    }
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

/// A real, complete PNG of 10500 x 10000 black gray pixels (105 Mpx, over the 100 Mpx
/// default): a few hundred kilobytes that would decode to over 100 MB.
fn bomb_png() -> Vec<u8> {
    let img = image::GrayImage::new(10_500, 10_000);
    let mut out = Cursor::new(Vec::new());
    image::codecs::png::PngEncoder::new_with_quality(
        &mut out,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::NoFilter,
    )
    .write_image(img.as_raw(), 10_500, 10_000, image::ExtendedColorType::L8)
    .unwrap();
    out.into_inner()
}

/// The corpus: `(case, upload name, bytes, image-ish)`.
fn corpus() -> Vec<(String, String, Vec<u8>, bool)> {
    let read = |rel: &str| std::fs::read(eval(rel)).unwrap();
    let sources = [
        ("bikes", "mp4", read(BIKES), false),
        ("img1", "jpg", read(JPEG), true),
        ("basketball", "png", read(PNG), true),
    ];
    let mut cases = Vec::new();
    for (name, ext, bytes, imageish) in &sources {
        for pct in [10, 50, 90] {
            let cut = bytes[..bytes.len() * pct / 100].to_vec();
            cases.push((
                format!("{name} truncated {pct}%"),
                format!("{name}.{ext}"),
                cut,
                *imageish,
            ));
        }
        for seed in [1u64, 2, 3] {
            let flips = 16;
            cases.push((
                format!("{name} {flips} bits flipped, seed {seed}"),
                format!("{name}.{ext}"),
                flipped(bytes, seed, flips),
                *imageish,
            ));
        }
        cases.push((
            format!("{name} zero bytes"),
            format!("{name}.{ext}"),
            Vec::new(),
            *imageish,
        ));
    }
    let avi = read(AVI);
    cases.push((
        "vtest.avi truncated 10%".into(),
        "vtest.avi".into(),
        avi[..avi.len() / 10].to_vec(),
        false,
    ));
    cases.push(("jpg named .mp4".into(), "photo.mp4".into(), read(JPEG), true));
    cases.push(("mp4 named .jpg".into(), "clip.jpg".into(), read(BIKES), true));
    cases.push((
        "text named .mp4".into(),
        "notes.mp4".into(),
        b"just some text, not a video\n".repeat(40),
        true,
    ));
    cases.push((
        "text named .jpg".into(),
        "notes.jpg".into(),
        b"just some text, not a photo\n".repeat(40),
        true,
    ));
    cases.push((
        "PNG header 100000x100000".into(),
        "huge.png".into(),
        huge_png(100_000, 100_000),
        true,
    ));
    cases.push(("JPEG header 65500x65500".into(), "huge.jpg".into(), huge_jpeg(), true));
    cases.push(("PNG bomb 10500x10000".into(), "bomb.png".into(), bomb_png(), true));
    cases
}

const BAD_BODIES: &[&str] = &[
    "",
    "{",
    "null",
    "[]",
    "\"text\"",
    "{}",
    r#"{"video": 1, "at": 1, "box": [0,0,10,10]}"#,
    r#"{"video": "ab", "at": "1", "box": [0,0,10,10]}"#,
    r#"{"video": "ab", "at": NaN, "box": [0,0,10,10]}"#,
    r#"{"video": "ab", "at": 1e309, "box": [0,0,10,10]}"#,
    r#"{"video": "ab", "at": -1, "box": [0,0,10,10]}"#,
    r#"{"media": "ab", "box": [0,0,1e309,10]}"#,
    r#"{"media": "ab", "box": [-5,0,10,10]}"#,
    r#"{"media": "ab", "box": [0,0,-10,10]}"#,
    r#"{"media": "ab", "box": [0,0,1e30,1e30]}"#,
    r#"{"media": "ab", "box": [0,0,10]}"#,
    r#"{"media": "ab", "box": "0,0,10,10"}"#,
    r#"{"media": "ab", "box": [0,0,10,10], "limit": -1}"#,
    r#"{"media": "ab", "box": [0,0,10,10], "limit": 1e3}"#,
    r#"{"media": "ab", "box": [0,0,10,10], "limit": 99999999999999999999999}"#,
    r#"{"sighting": -1}"#,
    r#"{"sighting": 1.5}"#,
    r#"{"sighting": 18446744073709551616}"#,
    r#"{"media": "ab", "sighting": 1}"#,
    r#"{"media": "ab", "box": [0,0,10,10], "extra": true}"#,
];

async fn wait_for_job(state: &AppState, id: i64) -> Option<Value> {
    let deadline = Instant::now() + Duration::from_secs(240);
    while Instant::now() < deadline {
        let job = get(state, &format!("/api/jobs/{id}")).await.json();
        if job["state"] == "done" || job["state"] == "failed" {
            return Some(job);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

fn config() -> ServerConfig {
    ServerConfig {
        // Sampling less keeps the corpus quick; the decoding paths are the same.
        ingest: IngestConfig {
            fps: 0.5,
            ..IngestConfig::default()
        },
        ..ServerConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fault_corpus_gets_no_5xx_and_no_panic() {
    let (_dir, state) = empty_state(config());
    let secret = writer(&state);
    let mut tally = Tally::default();
    let mut jobs = Vec::new();
    for (case, name, bytes, imageish) in corpus() {
        let reply = guarded(&state, |_| {
            form_request("/api/media", &[("file", Some(&name), &bytes)], Some(&secret))
        })
        .await;
        match reply {
            Err(p) => tally.add("upload", &case, Outcome::Panic, &p),
            Ok(r) => {
                let outcome = classify(&r);
                tally.add("upload", &case, outcome, &String::from_utf8_lossy(&r.body));
                if outcome == Outcome::Ok {
                    jobs.push((case.clone(), r.json()["job_id"].as_i64().unwrap()));
                }
            }
        }
        if imageish {
            let reply = guarded(&state, |_| {
                form_request("/api/search/photo", &[("image", Some(&name), &bytes)], None)
            })
            .await;
            match reply {
                Err(p) => tally.add("photo search", &case, Outcome::Panic, &p),
                Ok(r) => tally.add("photo search", &case, classify(&r), &String::from_utf8_lossy(&r.body)),
            }
        }
    }
    for (case, id) in jobs {
        match wait_for_job(&state, id).await {
            None => tally.add("ingest job", &case, Outcome::ServerError, "never ended"),
            Some(job) if job["state"] == "done" => tally.add("ingest job", &case, Outcome::Ok, ""),
            Some(job) => {
                let clear = job["error"].as_str().is_some_and(|e| !e.trim().is_empty());
                let outcome = if clear {
                    Outcome::ClearError
                } else {
                    Outcome::ServerError
                };
                tally.add("ingest job", &case, outcome, &job.to_string());
                if case.starts_with("text named") {
                    println!("{case}: {}", job["error"]);
                }
            }
        }
    }
    for body in BAD_BODIES {
        match guarded(&state, |_| {
            Request::post("/api/search")
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap()
        })
        .await
        {
            Err(p) => tally.add("search body", body, Outcome::Panic, &p),
            Ok(r) => {
                let outcome = classify(&r);
                tally.add("search body", body, outcome, &String::from_utf8_lossy(&r.body));
                // Every malformed body is the client's 400 (an unknown media would be a 404).
                assert!(matches!(r.status.as_u16(), 400 | 404), "{body}: {}", r.status);
            }
        }
    }
    tally.print();
    assert!(tally.bad.is_empty(), "{:#?}", tally.bad);
    assert_eq!(get(&state, "/healthz").await.json()["status"], "ok");
}

#[tokio::test]
async fn text_named_as_media_fails_its_job_with_a_clear_error() {
    let (_dir, state) = empty_state(config());
    let secret = writer(&state);
    for name in ["notes.mp4", "notes.jpg"] {
        let text = b"this is a text file, not media\n".repeat(20);
        let r = post_form_as(&state, "/api/media", &[("file", Some(name), &text)], Some(&secret)).await;
        assert_eq!(r.status.as_u16(), 202, "{}", String::from_utf8_lossy(&r.body));
        let job = wait_for_job(&state, r.json()["job_id"].as_i64().unwrap())
            .await
            .unwrap();
        assert_eq!(job["state"], "failed", "{name}: {job}");
        assert!(job["error"].as_str().is_some_and(|e| !e.is_empty()), "{job}");
    }
    assert_eq!(get(&state, "/api/media").await.json()["total"], 0);
}

#[tokio::test]
async fn hostile_upload_names_become_safe_names_inside_uploads() {
    let (dir, state) = empty_state(config());
    let secret = writer(&state);
    let photo = std::fs::read(eval(JPEG)).unwrap();
    let long = format!("{}.jpg", "a".repeat(5000));
    let uploads = std::path::absolute(dir.path().join("uploads")).unwrap();
    for name in [
        "../../etc/passwd",
        "/etc/passwd",
        "..\\..\\boot.ini",
        "a\u{0}b.jpg",
        &long,
        "....",
        "",
    ] {
        let r = post_form_as(&state, "/api/media", &[("file", Some(name), &photo)], Some(&secret)).await;
        let short: String = name.chars().take(20).collect();
        match r.status.as_u16() {
            202 => {
                let job = r.json()["job"].clone();
                // The client sees the safe name, never where the server put it.
                assert!(job.get("path").is_none(), "{job}");
                let shown = job["name"].as_str().unwrap();
                let safe = |f: &str| f.len() < 100 && f.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
                assert!(safe(shown), "{short}: {shown}");
                let stored = state.store().catalog.job(job["id"].as_i64().unwrap()).unwrap().unwrap();
                let path = std::path::PathBuf::from(stored.path);
                assert_eq!(path.parent(), Some(uploads.as_path()), "{short}: {}", path.display());
                assert!(safe(path.file_name().unwrap().to_str().unwrap()), "{}", path.display());
            }
            // The multipart parser may refuse a name it cannot read; that must be a clear 400.
            _ => r.assert_error(400, "bad_request"),
        }
    }
    assert!(!dir.path().join("etc").exists() && !dir.path().parent().unwrap().join("etc/passwd").exists());
}

#[tokio::test]
async fn searches_over_the_rate_get_429_with_retry_after() {
    let (_dir, state) = empty_state(ServerConfig {
        search_rate: RateLimit {
            per_second: 0.5,
            burst: 2.0,
        },
        ..ServerConfig::default()
    });
    // The limit is checked before the body is parsed, so even malformed searches count.
    for _ in 0..2 {
        post_json(&state, "/api/search", "{}")
            .await
            .assert_error(400, "bad_request");
    }
    let r = post_json(&state, "/api/search", "{}").await;
    r.assert_error(429, "rate_limited");
    assert_eq!(r.header("retry-after"), "2");
    post_form(&state, "/api/search/photo", &[("image", Some("x.jpg"), b"x")])
        .await
        .assert_error(429, "rate_limited");
    // Other endpoints are not limited.
    assert_eq!(get(&state, "/healthz").await.status.as_u16(), 200);
}

/// Issue 17: behind a trusted reverse proxy, each client has its own bucket; a client talking
/// to the server directly cannot escape its bucket with a forged `X-Forwarded-For`.
#[tokio::test]
async fn issue17_the_rate_limit_sees_clients_behind_a_trusted_proxy() {
    let proxy: std::net::SocketAddr = "10.0.0.5:40000".parse().unwrap();
    let direct: std::net::SocketAddr = "192.0.2.9:40000".parse().unwrap();
    let (_dir, state) = empty_state(ServerConfig {
        search_rate: RateLimit {
            per_second: 0.01,
            burst: 1.0,
        },
        trusted_proxies: vec![proxy.ip()],
        ..ServerConfig::default()
    });
    let search = |from: std::net::SocketAddr, forwarded: &str| {
        let mut r = Request::post("/api/search")
            .header("content-type", "application/json")
            .header("x-forwarded-for", forwarded)
            .body(Body::from("{}"))
            .unwrap();
        r.extensions_mut().insert(axum::extract::ConnectInfo(from));
        call(&state, r)
    };
    // Two clients behind the proxy: one search each passes, the second of either is limited.
    search(proxy, "203.0.113.1").await.assert_error(400, "bad_request");
    search(proxy, "203.0.113.2").await.assert_error(400, "bad_request");
    search(proxy, "203.0.113.1").await.assert_error(429, "rate_limited");
    // A direct client's header is not believed: its second search is limited whatever it says.
    search(direct, "198.51.100.1").await.assert_error(400, "bad_request");
    search(direct, "198.51.100.2").await.assert_error(429, "rate_limited");
}

#[tokio::test]
async fn json_bodies_over_the_limit_are_413_json() {
    let (_dir, state) = empty_state(ServerConfig::default());
    let big = format!(
        r#"{{"media": "ab", "box": [0,0,10,10], "pad": "{}"}}"#,
        "x".repeat(70 << 10)
    );
    post_json(&state, "/api/search", &big)
        .await
        .assert_error(413, "too_large");
}

#[tokio::test]
async fn huge_images_are_refused_by_their_header_and_slow_searches_time_out() {
    let (_dir, state) = empty_state(ServerConfig {
        work_timeout: Duration::ZERO,
        ..ServerConfig::default()
    });
    // With no time at all, even a valid photo search is abandoned with a JSON 504.
    let photo = std::fs::read(eval(JPEG)).unwrap();
    post_form(&state, "/api/search/photo", &[("image", Some("p.jpg"), &photo)])
        .await
        .assert_error(504, "timeout");
    let (_dir2, state) = empty_state(ServerConfig::default());
    let r = post_form(
        &state,
        "/api/search/photo",
        &[("image", Some("h.png"), &huge_png(100_000, 100_000))],
    )
    .await;
    r.assert_error(422, "bad_image");
    assert!(
        r.json()["message"].as_str().unwrap().contains("100000x100000"),
        "{}",
        r.json()
    );
}

/// Malformed catalog feeds, as a merchant's broken export or an attacker would send them.
fn bad_feeds() -> Vec<(&'static str, Vec<u8>)> {
    const HEADER: &str = "store_id,store_name,product_id,title,image,price,currency,url,availability\n";
    let row = |price: &str| {
        format!("s1,Shop,p1,Juice,https://example.com/j.jpg,{price},SEK,https://example.com/p1,in_stock\n")
    };
    let good = format!("{HEADER}{}", row("10"));
    let mut junk = vec![0u8; 4096];
    for (i, b) in junk.iter_mut().enumerate() {
        *b = (i * 7919 % 251) as u8;
    }
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let mut cases: Vec<(&'static str, Vec<u8>)> = vec![
        ("empty body", Vec::new()),
        ("header only", HEADER.into()),
        ("missing required columns", b"store_id,title\ns1,Juice\n".to_vec()),
        ("semicolons", HEADER.replace(',', ";").into_bytes()),
        ("unterminated quote", format!("{HEADER}s1,\"Shop,p1,Juice").into_bytes()),
        ("binary junk", junk.clone()),
        ("NUL bytes in a row", format!("{HEADER}s1,Sh\0op,p1,Ju\0ice,https://e.com/a.jpg,1,SEK,https://e.com/p,in_stock\n").into_bytes()),
        ("ragged rows", format!("{HEADER}s1,Shop\n{}", row("3")).into_bytes()),
        ("1 MB title", format!("{HEADER}s1,Shop,p1,{},https://e.com/a.jpg,1,SEK,https://e.com/p,in_stock\n", "x".repeat(1 << 20)).into_bytes()),
        ("NaN, inf, 1e309, negative prices", format!("{HEADER}{}{}{}{}", row("NaN"), row("inf"), row("1e309"), row("-5")).into_bytes()),
        ("local image path in a bare feed", format!("{HEADER}s1,Shop,p1,Juice,../../etc/passwd,1,SEK,https://e.com/p,in_stock\n").into_bytes()),
        ("javascript: offer URL", format!("{HEADER}s1,Shop,p1,Juice,https://e.com/a.jpg,1,SEK,javascript:alert(1),in_stock\n").into_bytes()),
        ("BOM and CRLF (valid)", format!("\u{feff}{}", good.replace('\n', "\r\n")).into_bytes()),
        ("not JSON", b"{\"stores\": [".to_vec()),
        ("JSON of wrong types", br#"{"stores": 5, "products": {"a": 1}}"#.to_vec()),
        ("JSON nested 100k deep", nested.into_bytes()),
        ("JSON with huge numbers", br#"{"products":[{"store_id":"s","product_id":"p","title":"t","images":[],"offers":[{"store_id":"s","price":1e999,"currency":"SEK","url":"https://e.com","availability":"in_stock"}]}]}"#.to_vec()),
        ("truncated ZIP", zip_of(&[("feed.csv", good.as_bytes())])[..40].to_vec()),
        ("ZIP with ../ entry", zip_of(&[("feed.csv", good.as_bytes()), ("../../evil.jpg", b"x")])),
        ("ZIP with absolute entry", zip_of(&[("feed.csv", good.as_bytes()), ("/tmp/evil.jpg", b"x")])),
        ("ZIP without a feed", zip_of(&[("images/a.jpg", b"x")])),
        ("ZIP whose image is text", zip_of(&[("feed.csv", format!("{HEADER}s1,Shop,p1,Juice,images/a.jpg,1,SEK,https://e.com/p,in_stock\n").as_bytes()), ("images/a.jpg", b"not an image")])),
        ("ZIP bomb (64 MiB of zeros)", zip_of(&[("feed.csv", good.as_bytes()), ("images/z.jpg", &vec![0u8; 64 << 20])])),
    ];
    let zip = zip_of(&[("feed.csv", good.as_bytes())]);
    let mut flipped = zip.clone();
    for i in (30..flipped.len()).step_by(17) {
        flipped[i] ^= 0x5a;
    }
    cases.push(("bit-flipped ZIP", flipped));
    cases
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_feeds_get_clear_errors_or_partial_imports() {
    let (_dir, state) = empty_state(ServerConfig::default());
    let secret = writer(&state);
    let mut tally = Tally::default();
    for (case, body) in bad_feeds() {
        let reply = guarded(&state, |_| {
            Request::post("/api/catalog/import")
                .header("authorization", format!("Bearer {secret}"))
                // The server sniffs the content; the declared type is not trusted.
                .header("content-type", "application/octet-stream")
                .body(Body::from(body.clone()))
                .unwrap()
        })
        .await;
        match reply {
            Err(p) => tally.add("catalog feed", case, Outcome::Panic, &p),
            Ok(r) => {
                let outcome = classify(&r);
                println!(
                    "{case}: {} {}",
                    r.status,
                    String::from_utf8_lossy(&r.body).chars().take(160).collect::<String>()
                );
                tally.add("catalog feed", case, outcome, &String::from_utf8_lossy(&r.body));
            }
        }
    }
    tally.print();
    assert!(tally.bad.is_empty(), "{:#?}", tally.bad);
    // Nothing unsafe was imported: only the valid feeds' products, each with an http(s) link.
    for p in state.store().catalog.list_products(None).unwrap() {
        assert_eq!((p.store_id.as_str(), p.product_id.as_str()), ("s1", "p1"), "{p:?}");
    }
    assert_eq!(get(&state, "/healthz").await.json()["status"], "ok");
}
