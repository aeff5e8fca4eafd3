//! Access control: every endpoint is [`Access::Public`], [`Access::Read`] or [`Access::Write`].
//!
//! Writes (upload, delete) need `Authorization: Bearer <secret>` of a live token with the
//! `write` scope (`admin` implies it); reads need the `read` scope (implied by the others)
//! only when `read_public` is off. No or unknown credentials are a 401 with
//! `WWW-Authenticate: Bearer`, a token without the scope a 403. The token is checked against
//! the catalog on every request, so revoking one takes effect at once. Two ways around it:
//! `auth: false` (`glint serve --open`), and a server bound to loopback while no token was
//! ever created, so a fresh local install (`make demo`) works without setup.
//!
//! A browser signs in once with a token (`POST /api/session`) and then sends a signed session
//! cookie instead of the header ([`crate::session`]); the cookie is checked the same way, and
//! an expired one is a 401 `session_expired` so the app can say so.

use axum::extract::Request;
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::Response;
use std::time::SystemTime;

use glint_catalog::{Scope, TokenRecord};

use crate::routes::blocking;
use crate::{ApiError, AppState};

/// What an endpoint requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Never needs a token (health, the API description).
    Public,
    /// Searching and viewing: a token with `read` when `read_public` is off.
    Read,
    /// Changing the library: a token with `write`.
    Write,
}

impl Access {
    /// The scope a request needs under `state`'s configuration, if any.
    fn scope(self, state: &AppState) -> Option<Scope> {
        let config = state.config();
        if !config.auth {
            return None;
        }
        match self {
            Access::Public => None,
            Access::Read if config.read_public => None,
            Access::Read => Some(Scope::Read),
            Access::Write => Some(Scope::Write),
        }
    }
}

/// The middleware in front of every endpoint.
pub(crate) async fn authorize(
    state: AppState,
    access: Access,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if let Some(needed) = access.scope(&state) {
        let credential = credential(request.headers());
        blocking(move || check(&state, needed, credential)).await?;
    }
    Ok(next.run(request).await)
}

/// The token of an `Authorization: Bearer` header: `Ok(None)` when there is no header.
fn bearer(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || ApiError::Unauthorized("malformed Authorization header: expected `Bearer <token>`".into());
    let value = value.to_str().map_err(|_| malformed())?;
    let (scheme, token) = value.trim().split_once(' ').ok_or_else(malformed)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(malformed());
    }
    Ok(Some(token.to_string()))
}

/// What a request offers as credentials: a bearer token wins over a session cookie.
enum Credential {
    Bearer(String),
    Session(String),
}

fn credential(headers: &HeaderMap) -> Result<Option<Credential>, ApiError> {
    match bearer(headers)? {
        Some(secret) => Ok(Some(Credential::Bearer(secret))),
        None => Ok(crate::session::cookie(headers).map(Credential::Session)),
    }
}

/// The live token a session cookie stands for (signed by this library's key, not expired, the
/// token not revoked since).
pub(crate) fn session_token(state: &AppState, cookie: &str) -> Result<TokenRecord, ApiError> {
    let expired = || ApiError::SessionExpired("your session has expired or was ended: sign in again".into());
    let id = state
        .session_key()
        .verify(cookie, SystemTime::now())
        .ok_or_else(expired)?;
    let tokens = state.store().catalog.list_tokens()?;
    tokens
        .into_iter()
        .find(|t| t.id == id && !t.is_revoked())
        .ok_or_else(expired)
}

fn check(state: &AppState, needed: Scope, credential: Result<Option<Credential>, ApiError>) -> Result<(), ApiError> {
    let catalog = &state.store().catalog;
    if state.config().loopback && !catalog.has_tokens()? {
        return Ok(());
    }
    let token = match credential? {
        None => {
            return Err(ApiError::Unauthorized(format!(
                "this request needs a token with the `{needed}` scope: sign in, or send `Authorization: Bearer \
                 <token>` (create one with `glint tokens create`)"
            )))
        }
        Some(Credential::Bearer(secret)) => catalog
            .verify_token(&secret)?
            .ok_or_else(|| ApiError::Unauthorized("unknown or revoked token".into()))?,
        Some(Credential::Session(cookie)) => session_token(state, &cookie)?,
    };
    if !token.allows(needed) {
        return Err(ApiError::Forbidden(format!(
            "token `{}` lacks the `{needed}` scope this request needs",
            token.name
        )));
    }
    Ok(())
}
