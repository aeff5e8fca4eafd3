//! Access control: bearer tokens with scopes in front of the write (and optionally read) routes.

mod common;

use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode};

use common::*;
use glint_catalog::Scope;
use glint_server::ServerConfig;

const FAKE: &[u8] = b"not really a photo";

async fn upload(state: &glint_server::AppState, token: Option<&str>) -> Reply {
    post_form_as(state, "/api/media", &[("file", Some("x.jpg"), FAKE)], token).await
}

async fn get_as(state: &glint_server::AppState, uri: &str, token: Option<&str>) -> Reply {
    let mut request = Request::get(uri);
    if let Some(t) = token {
        request = request.header("authorization", format!("Bearer {t}"));
    }
    call(state, request.body(Body::empty()).unwrap()).await
}

fn assert_unauthorized(r: &Reply) {
    r.assert_error(401, "unauthorized");
    assert!(r.header("www-authenticate").starts_with("Bearer"), "{:?}", r.headers);
}

#[tokio::test]
async fn uploads_need_a_live_token_with_the_write_scope() {
    let (dir, state) = empty_state(ServerConfig::default());
    assert_unauthorized(&upload(&state, None).await);
    assert_unauthorized(&upload(&state, Some("glint_00000000000000000000000000000000")).await);
    let reader = token(&state, &[Scope::Read]);
    upload(&state, Some(&reader)).await.assert_error(403, "forbidden");
    // Nothing refused was kept or queued.
    assert_eq!(std::fs::read_dir(dir.path().join("uploads")).unwrap().count(), 0);
    assert!(state.store().catalog.jobs().unwrap().is_empty());

    let write = writer(&state);
    let r = upload(&state, Some(&write)).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", String::from_utf8_lossy(&r.body));
    let admin = token(&state, &[Scope::Admin]);
    assert_eq!(upload(&state, Some(&admin)).await.status, StatusCode::ACCEPTED);

    let id = state.store().catalog.verify_token(&write).unwrap().unwrap().id;
    state.store().catalog.revoke_token(id).unwrap();
    assert_unauthorized(&upload(&state, Some(&write)).await);
    assert_eq!(upload(&state, Some(&admin)).await.status, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn deletes_need_a_live_token_with_the_write_scope() {
    let (_dir, state) = empty_state(ServerConfig::default());
    let uri = "/api/media/0123456789abcdef";
    assert_unauthorized(&delete_as(&state, uri, None).await);
    let reader = token(&state, &[Scope::Read]);
    delete_as(&state, uri, Some(&reader))
        .await
        .assert_error(403, "forbidden");
    let write = writer(&state);
    // Past the check: the media does not exist.
    delete_as(&state, uri, Some(&write))
        .await
        .assert_error(404, "unknown_media");
    let id = state.store().catalog.verify_token(&write).unwrap().unwrap().id;
    state.store().catalog.revoke_token(id).unwrap();
    assert_unauthorized(&delete_as(&state, uri, Some(&write)).await);
}

#[tokio::test]
async fn reads_are_public_by_default_and_need_the_read_scope_when_private() {
    let (_dir, state) = empty_state(ServerConfig::default());
    assert_eq!(get(&state, "/api/media").await.status, StatusCode::OK);
    assert_eq!(get(&state, "/api/jobs").await.status, StatusCode::OK);

    let (_dir, state) = empty_state(ServerConfig {
        read_public: false,
        ..ServerConfig::default()
    });
    assert_unauthorized(&get(&state, "/api/media").await);
    assert_unauthorized(&get(&state, "/api/jobs/1").await);
    assert_unauthorized(&post_json(&state, "/api/search", r#"{"sighting": 1}"#).await);
    assert_unauthorized(&post_form(&state, "/api/search/photo", &[("image", Some("q.jpg"), FAKE)]).await);
    // Health and the API description stay public.
    assert_eq!(get(&state, "/healthz").await.status, StatusCode::OK);
    assert_eq!(get(&state, "/api/openapi.json").await.status, StatusCode::OK);
    for scopes in [[Scope::Read], [Scope::Write], [Scope::Admin]] {
        let t = token(&state, &scopes);
        let r = get_as(&state, "/api/media", Some(&t)).await;
        assert_eq!(r.status, StatusCode::OK, "{scopes:?}");
    }
    let reader = token(&state, &[Scope::Read]);
    upload(&state, Some(&reader)).await.assert_error(403, "forbidden");
}

#[tokio::test]
async fn a_malformed_authorization_header_is_401_never_500() {
    let (_dir, state) = empty_state(ServerConfig::default());
    let write = writer(&state);
    let values: Vec<HeaderValue> = vec![
        HeaderValue::from_static("Bearer"),
        HeaderValue::from_static("Bearer "),
        HeaderValue::from_static("Basic dXNlcjpwYXNz"),
        HeaderValue::from_str(&write).unwrap(),
        HeaderValue::from_str(&format!("Token {write}")).unwrap(),
        HeaderValue::from_static("Bearer not-a-glint-token"),
        HeaderValue::from_bytes(b"Bearer glint_\xff\xfe").unwrap(),
    ];
    for value in values {
        let request = Request::delete("/api/media/0123456789abcdef")
            .header("authorization", value.clone())
            .body(Body::empty())
            .unwrap();
        let r = call(&state, request).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{value:?}");
        assert_unauthorized(&r);
    }
    // The scheme is case-insensitive.
    let request = Request::delete("/api/media/0123456789abcdef")
        .header("authorization", format!("bearer {write}"))
        .body(Body::empty())
        .unwrap();
    call(&state, request).await.assert_error(404, "unknown_media");
}

#[tokio::test]
async fn a_loopback_server_is_open_until_the_first_token_and_open_mode_always() {
    let (_dir, state) = empty_state(ServerConfig {
        loopback: true,
        read_public: false,
        ..ServerConfig::default()
    });
    assert_eq!(upload(&state, None).await.status, StatusCode::ACCEPTED);
    assert_eq!(get(&state, "/api/media").await.status, StatusCode::OK);
    let write = writer(&state);
    assert_unauthorized(&upload(&state, None).await);
    assert_unauthorized(&get(&state, "/api/media").await);
    assert_eq!(upload(&state, Some(&write)).await.status, StatusCode::ACCEPTED);

    let (_dir, state) = empty_state(ServerConfig {
        auth: false,
        read_public: false,
        ..ServerConfig::default()
    });
    writer(&state);
    assert_eq!(upload(&state, None).await.status, StatusCode::ACCEPTED);
    assert_eq!(get(&state, "/api/media").await.status, StatusCode::OK);
}
