//! A bounded loopback load test: the server on a real socket (127.0.0.1:0), a few indexed
//! files, then 8 clients x 15 searches each while a video is being ingested. Requests are
//! hand-written HTTP/1.1 over `TcpStream` (one connection each), so the test needs no client
//! crate. The limits are set above the load, so every answer must be a 200; the test prints
//! p50/p95 latency (`--nocapture`).

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use common::{empty_state, eval, multipart, writer, BIKES, OBAMA};
use glint_ingest::IngestConfig;
use glint_server::{RateLimit, ServerConfig};

const CLIENTS: usize = 8;
const SEARCHES_PER_CLIENT: usize = 15;

/// Sends one request and returns the status and body.
async fn request(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).await.unwrap();
    let split = reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head");
    let head = String::from_utf8_lossy(&reply[..split]).to_string();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let mut body = reply[split + 4..].to_vec();
    if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    (status, body)
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&raw[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&raw[eol + 2..eol + 2 + size]);
        raw = &raw[eol + 4 + size..];
    }
    out
}

async fn json(addr: SocketAddr, path: &str) -> Value {
    let (status, body) = request(addr, "GET", path, &[], b"").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).unwrap()
}

async fn upload(addr: SocketAddr, token: &str, rel: &str) -> i64 {
    let bytes = std::fs::read(eval(rel)).unwrap();
    let name = rel.rsplit('/').next().unwrap();
    let (content_type, body) = multipart(&[("file", Some(name), &bytes)]);
    let auth = format!("Bearer {token}");
    let headers = [
        ("content-type", content_type.as_str()),
        ("authorization", auth.as_str()),
    ];
    let (status, reply) = request(addr, "POST", "/api/media", &headers, &body).await;
    assert_eq!(status, 202, "{}", String::from_utf8_lossy(&reply));
    serde_json::from_slice::<Value>(&reply).unwrap()["job_id"]
        .as_i64()
        .unwrap()
}

async fn wait_for_job(addr: SocketAddr, id: i64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let job = json(addr, &format!("/api/jobs/{id}")).await;
        if job["state"] == "done" || job["state"] == "failed" {
            return job;
        }
        assert!(Instant::now() < deadline, "job {id} did not end: {job}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_searches_during_an_ingest_all_succeed() {
    let (_dir, state) = empty_state(ServerConfig {
        ingest: IngestConfig {
            fps: 0.5,
            ..IngestConfig::default()
        },
        // Every client shares 127.0.0.1: the bucket must hold the whole run.
        search_rate: RateLimit {
            per_second: 1000.0,
            burst: 1000.0,
        },
        search_queue_wait: Duration::from_secs(60),
        ..ServerConfig::default()
    });
    let token = writer(&state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(glint_server::serve_on(state, listener));

    for rel in [OBAMA, "faces_deepface_tests/images/img1.jpg"] {
        let id = upload(addr, &token, rel).await;
        assert_eq!(wait_for_job(addr, id).await["state"], "done");
    }
    let media = json(addr, "/api/media").await;
    let ids: Vec<String> = media["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 2, "{media}");

    // The video is ingested while the searches run.
    let video_job = upload(addr, &token, BIKES).await;
    let started = Instant::now();
    let clients = (0..CLIENTS).map(|c| {
        let ids = ids.clone();
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            for i in 0..SEARCHES_PER_CLIENT {
                let body = format!(
                    r#"{{"media": "{}", "box": [10, 10, 120, 120], "limit": 5}}"#,
                    ids[(c + i) % ids.len()]
                );
                let t = Instant::now();
                let headers = [("content-type", "application/json")];
                let (status, reply) = request(addr, "POST", "/api/search", &headers, body.as_bytes()).await;
                latencies.push(t.elapsed());
                assert_eq!(
                    status,
                    200,
                    "client {c}, search {i}: {}",
                    String::from_utf8_lossy(&reply)
                );
            }
            latencies
        })
    });
    let mut latencies = Vec::new();
    for client in clients {
        let finished = tokio::time::timeout(Duration::from_secs(300), client).await;
        latencies.extend(finished.expect("the load finished in time").unwrap());
    }
    let wall = started.elapsed();
    let ingest = wait_for_job(addr, video_job).await;
    latencies.sort();
    println!(
        "\nload: {CLIENTS} clients x {SEARCHES_PER_CLIENT} searches = {} requests in {:.2} s ({:.1} req/s), \
         p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms; video ingest during the load: {}",
        latencies.len(),
        wall.as_secs_f64(),
        latencies.len() as f64 / wall.as_secs_f64(),
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.95).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3,
        ingest["state"],
    );
    assert_eq!(latencies.len(), CLIENTS * SEARCHES_PER_CLIENT);
    assert_eq!(ingest["state"], "done", "{ingest}");
    assert_eq!(json(addr, "/healthz").await["status"], "ok");
}
