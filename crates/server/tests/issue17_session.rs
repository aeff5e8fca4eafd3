//! Issue 17: the web app signs in with a token and then uses a session cookie (which `<video>`
//! and thumbnails send by themselves); sign-out, expiry and revocation end it; a bootstrap admin
//! key from the environment works as a token.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};

use common::*;
use glint_catalog::Scope;
use glint_server::ServerConfig;

fn private() -> ServerConfig {
    ServerConfig {
        read_public: false,
        ..ServerConfig::default()
    }
}

async fn with_cookie(state: &glint_server::AppState, method: &str, uri: &str, cookie: &str) -> Reply {
    let request = Request::builder().method(method).uri(uri).header("cookie", cookie);
    call(state, request.body(Body::empty()).unwrap()).await
}

async fn sign_in(state: &glint_server::AppState, token: &str) -> Reply {
    post_json(
        state,
        "/api/session",
        &serde_json::json!({ "token": token }).to_string(),
    )
    .await
}

/// `glint_session=...` from a reply's `Set-Cookie`.
fn session_cookie(r: &Reply) -> String {
    let set = r.header("set-cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(set.contains(attribute), "{set}");
    }
    set.split(';').next().unwrap().to_string()
}

#[tokio::test]
async fn issue17_a_token_signs_the_browser_in_and_the_cookie_opens_reads_and_writes() {
    let (_dir, state) = empty_state(private());
    let before = get(&state, "/api/session").await.json();
    assert_eq!(before["signed_in"], false, "{before}");
    assert_eq!(
        (&before["read_needs_sign_in"], &before["write_needs_sign_in"]),
        (&true.into(), &true.into())
    );
    get(&state, "/api/media").await.assert_error(401, "unauthorized");

    // A wrong token: a clear 401, no cookie.
    let wrong = sign_in(&state, "glint_00000000000000000000000000000000").await;
    wrong.assert_error(401, "unauthorized");
    assert!(wrong.json()["message"].as_str().unwrap().contains("unknown or revoked"));
    assert_eq!(wrong.header("set-cookie"), "");
    sign_in(&state, "").await.assert_error(401, "unauthorized");
    post_json(&state, "/api/session", "{\"secret\": 1}")
        .await
        .assert_error(400, "bad_request");

    let secret = token(&state, &[Scope::Write]);
    let r = sign_in(&state, &format!(" {secret} ")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("cache-control"), "no-store");
    let cookie = session_cookie(&r);
    assert!(!cookie.contains(&secret), "the secret never goes into the cookie");
    let shown = r.json();
    assert_eq!(
        (&shown["signed_in"], &shown["name"]),
        (&true.into(), &"test".into()),
        "{shown}"
    );

    // Reads and writes with the cookie alone.
    assert_eq!(
        with_cookie(&state, "GET", "/api/media", &cookie).await.status,
        StatusCode::OK
    );
    with_cookie(&state, "DELETE", "/api/media/0123456789abcdef", &cookie)
        .await
        .assert_error(404, "unknown_media");
    let me = with_cookie(&state, "GET", "/api/session", &cookie).await.json();
    assert_eq!(me["signed_in"], true, "{me}");
    assert!(me["expires_at"].as_str().unwrap().ends_with('Z'), "{me}");

    // A forged cookie is no session.
    let forged = cookie.replacen("glint_session=", "glint_session=9", 1);
    with_cookie(&state, "GET", "/api/media", &forged)
        .await
        .assert_error(401, "session_expired");

    // Sign-out clears the cookie.
    let out = with_cookie(&state, "DELETE", "/api/session", &cookie).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(out.header("set-cookie").contains("Max-Age=0"), "{:?}", out.headers);

    // Revoking the token ends every session made with it, at once.
    let id = state.store().catalog.verify_token(&secret).unwrap().unwrap().id;
    state.store().catalog.revoke_token(id).unwrap();
    with_cookie(&state, "GET", "/api/media", &cookie)
        .await
        .assert_error(401, "session_expired");
    let after = with_cookie(&state, "GET", "/api/session", &cookie).await.json();
    assert_eq!(
        (&after["signed_in"], &after["expired"]),
        (&false.into(), &true.into()),
        "{after}"
    );
}

#[tokio::test]
async fn issue17_a_read_token_session_cannot_write() {
    let (_dir, state) = empty_state(private());
    let reader = token(&state, &[Scope::Read]);
    let cookie = session_cookie(&sign_in(&state, &reader).await);
    assert_eq!(
        with_cookie(&state, "GET", "/api/jobs", &cookie).await.status,
        StatusCode::OK
    );
    with_cookie(&state, "DELETE", "/api/media/0123456789abcdef", &cookie)
        .await
        .assert_error(403, "forbidden");
}

#[tokio::test]
async fn issue17_the_admin_key_from_the_environment_is_an_admin_token() {
    let key = "glint_correct-horse-battery-staple-42";
    let config = || ServerConfig {
        admin_key: Some(key.into()),
        ..private()
    };
    let dir = tempfile::tempdir().unwrap();
    let state = state_in(dir.path(), config());
    let tokens = state.store().catalog.list_tokens().unwrap();
    assert_eq!(tokens.len(), 1, "{tokens:?}");
    assert_eq!(tokens[0].scopes, vec![Scope::Admin]);
    let r = get_with_bearer(&state, "/api/media", key).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(sign_in(&state, key).await.status, StatusCode::OK);
    drop(state);
    // A restart with the same key adds nothing; a revoked key stays revoked.
    let state = state_in(dir.path(), config());
    assert_eq!(state.store().catalog.list_tokens().unwrap().len(), 1);
    state.store().catalog.revoke_token(tokens[0].id).unwrap();
    drop(state);
    let state = state_in(dir.path(), config());
    get_with_bearer(&state, "/api/media", key)
        .await
        .assert_error(401, "unauthorized");

    // A key not shaped like Glint's secrets is refused at start.
    let short = ServerConfig {
        admin_key: Some("correct-horse-battery-staple-42".into()),
        ..private()
    };
    let other = tempfile::tempdir().unwrap();
    let Err(err) = try_state_in(other.path(), short) else {
        panic!("a short admin key was accepted")
    };
    let err = err.to_string();
    assert!(err.contains("followed by at least 16"), "{err}");
}

async fn get_with_bearer(state: &glint_server::AppState, uri: &str, secret: &str) -> Reply {
    let request = Request::get(uri).header("authorization", format!("Bearer {secret}"));
    call(state, request.body(Body::empty()).unwrap()).await
}

fn try_state_in(
    dir: &std::path::Path,
    config: ServerConfig,
) -> Result<glint_server::AppState, glint_server::ServerError> {
    glint_server::AppState::new(glint_ingest::Store::open(dir).unwrap(), models(), config)
}

fn state_in(dir: &std::path::Path, config: ServerConfig) -> glint_server::AppState {
    try_state_in(dir, config).unwrap()
}
