//! Signing the web app in and out: a token's secret is exchanged for a session cookie
//! ([`crate::session`]), so the browser never keeps the secret and `<video>` works.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use glint_catalog::{Scope, TokenRecord};

use super::blocking;
use crate::auth::session_token;
use crate::limits::Peer;
use crate::session::{cookie, set_cookie, LIFETIME};
use crate::{ApiError, AppState};

/// A token's secret, exchanged for a session cookie.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    /// The secret `glint tokens create` printed.
    token: String,
}

/// Who the browser is signed in as, and what this server asks of it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Session)]
pub struct SessionView {
    pub signed_in: bool,
    /// The token's name and scopes, when signed in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<Scope>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    /// A cookie was sent but no longer counts (expired, or its token revoked).
    pub expired: bool,
    /// Whether searching and viewing need a sign-in here.
    pub read_needs_sign_in: bool,
    /// Whether uploading and deleting need a sign-in here.
    pub write_needs_sign_in: bool,
}

impl SessionView {
    fn new(
        state: &AppState,
        token: Option<&TokenRecord>,
        expires: Option<SystemTime>,
        expired: bool,
    ) -> Result<Self, ApiError> {
        let config = state.config();
        let open_loopback = config.loopback && !state.store().catalog.has_tokens()?;
        let write = config.auth && !open_loopback;
        Ok(Self {
            signed_in: token.is_some(),
            name: token.map(|t| t.name.clone()),
            scopes: token.map(|t| t.scopes.clone()),
            expires_at: expires
                .map(|e| glint_types::rfc3339(e.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64))),
            expired,
            read_needs_sign_in: write && !config.read_public,
            write_needs_sign_in: write,
        })
    }
}

/// `POST /api/session` `{"token": "..."}`: sets the session cookie for a live token.
#[utoipa::path(post, path = "/api/session", operation_id = "signIn", tag = "session",
    summary = "Sign a browser in with a token's secret",
    description = "Sets the HttpOnly, SameSite=Strict `glint_session` cookie (12 hours; Secure behind HTTPS), which authenticates every later request of the browser, `<video>` and images included. The secret itself is not kept by the browser.",
    request_body = SignIn,
    responses(
        (status = 200, description = "Signed in; the cookie is set", body = SessionView,
            headers(("Set-Cookie" = String, description = "The session cookie"))),
        (status = 400, description = "Not a JSON object with a `token`", body = crate::ErrorBody),
        (status = 401, description = "The token is unknown or revoked", body = crate::ErrorBody),
        (status = 413, description = "Body too large", body = crate::ErrorBody),
        (status = 429, description = "Too many attempts from this client", body = crate::ErrorBody),
    ))]
pub async fn sign_in(
    State(state): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    // Guessing secrets is throttled like searching.
    state.limits().check_rate(&peer)?;
    let body = body.map_err(|e| ApiError::BadRequest(format!("cannot read the body: {}", e.body_text())))?;
    let SignIn { token } = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("expected {{\"token\": \"...\"}}: {e}")))?;
    let secure = over_https(&headers);
    blocking(move || {
        let record = state
            .store()
            .catalog
            .verify_token(token.trim())?
            .ok_or_else(|| ApiError::Unauthorized("that token is unknown or revoked".into()))?;
        let (value, expires) = state.session_key().issue(record.id, SystemTime::now());
        tracing::info!(token = %record.name, "signed in");
        let view = SessionView::new(&state, Some(&record), Some(expires), false)?;
        Ok(with_cookie(
            Json(view).into_response(),
            &set_cookie(&value, LIFETIME, secure),
        ))
    })
    .await
}

/// `GET /api/session`: whether the browser's cookie (if any) signs it in.
#[utoipa::path(get, path = "/api/session", operation_id = "getSession", tag = "session",
    summary = "Whether this browser is signed in, and whether this server asks it to",
    responses((status = 200, description = "The session", body = SessionView)))]
pub async fn show(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<SessionView>, ApiError> {
    let sent = cookie(&headers);
    blocking(move || {
        let Some(value) = sent else {
            return Ok(Json(SessionView::new(&state, None, None, false)?));
        };
        match session_token(&state, &value) {
            Ok(token) => {
                let expires = state.session_key().expiry(&value);
                Ok(Json(SessionView::new(&state, Some(&token), expires, false)?))
            }
            Err(ApiError::SessionExpired(_)) => Ok(Json(SessionView::new(&state, None, None, true)?)),
            Err(e) => Err(e),
        }
    })
    .await
}

/// `DELETE /api/session`: forgets the cookie (the token itself stays valid).
#[utoipa::path(delete, path = "/api/session", operation_id = "signOut", tag = "session",
    summary = "Sign the browser out (the cookie is cleared; the token stays valid)",
    responses((status = 204, description = "Signed out")))]
pub async fn sign_out(headers: HeaderMap) -> Response {
    with_cookie(
        StatusCode::NO_CONTENT.into_response(),
        &set_cookie("", Duration::ZERO, over_https(&headers)),
    )
}

fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    // A response that sets or clears a session must not be stored by any cache.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Whether the browser reached us over HTTPS (a TLS-terminating proxy says so): only then may
/// the cookie be `Secure`, or a plain-HTTP install could never keep it.
fn over_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}
