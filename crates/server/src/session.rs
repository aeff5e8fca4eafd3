//! Browser sessions: a signed, HttpOnly cookie standing for a token, so the web app (and its
//! `<video src>` and thumbnails, which cannot send an `Authorization` header) can use a server
//! that needs one.
//!
//! Signing in with a token's secret (`POST /api/session`) sets `glint_session` =
//! `<token id>.<expiry>.<HMAC-SHA256 of both>`; the secret itself never sits in the browser.
//! Each request with the cookie checks the signature and the expiry, then the token in the
//! catalog, so revoking the token ends its sessions at once. The key lives in the data
//! directory (`session.key`, created on first use), which every server of one library shares
//! (issue 15), so a session signed by one server is honoured by the others.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::ServerError;

/// The cookie's name.
pub const COOKIE: &str = "glint_session";

/// How long a sign-in lasts.
pub const LIFETIME: Duration = Duration::from_secs(12 * 3600);

const KEY_FILE: &str = "session.key";

/// The signing key of one library.
pub struct SessionKey(Vec<u8>);

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey(..)")
    }
}

impl SessionKey {
    /// The key in `data_dir`, made (32 random bytes, readable by its owner only) when missing.
    /// Two servers starting together may race to make it: the file is written aside and
    /// hard-linked into place, so exactly one key wins and both read that one.
    pub fn load_or_create(data_dir: &Path) -> Result<Self, ServerError> {
        let path = data_dir.join(KEY_FILE);
        let io = |source| ServerError::SessionKey {
            path: path.clone(),
            source,
        };
        if !path.exists() {
            let mut key = [0u8; 32];
            getrandom::fill(&mut key).map_err(|e| io(std::io::Error::other(e.to_string())))?;
            let mut aside = tempfile::NamedTempFile::new_in(data_dir).map_err(io)?;
            aside.write_all(hex::encode(key).as_bytes()).map_err(io)?;
            restrict(aside.path()).map_err(io)?;
            if let Err(e) = std::fs::hard_link(aside.path(), &path) {
                if e.kind() != std::io::ErrorKind::AlreadyExists {
                    return Err(io(e));
                }
            }
        }
        let text = std::fs::read_to_string(&path).map_err(io)?;
        let key = hex::decode(text.trim()).ok().filter(|k| k.len() >= 32).ok_or_else(|| {
            io(std::io::Error::other(
                "not a session key (64 hex digits); delete it to make a new one",
            ))
        })?;
        Ok(Self(key))
    }

    /// A cookie value for token `token_id`, valid until `now + LIFETIME`.
    pub fn issue(&self, token_id: i64, now: SystemTime) -> (String, SystemTime) {
        let expires = now + LIFETIME;
        let payload = format!("{token_id}.{}", unix(expires));
        let signature = hex::encode(self.mac(&payload).finalize().into_bytes());
        (format!("{payload}.{signature}"), expires)
    }

    /// The token a cookie value stands for, when it is signed by this key and not expired.
    pub fn verify(&self, value: &str, now: SystemTime) -> Option<i64> {
        let (payload, signature) = value.rsplit_once('.')?;
        let signature = hex::decode(signature).ok()?;
        self.mac(payload).verify_slice(&signature).ok()?;
        let (token, expires) = payload.split_once('.')?;
        let expires: u64 = expires.parse().ok()?;
        (unix(now) < expires).then(|| token.parse().ok())?
    }

    /// When a cookie value this key signed expires (for showing; [`Self::verify`] decides).
    pub fn expiry(&self, value: &str) -> Option<SystemTime> {
        let expires: u64 = value.split('.').nth(1)?.parse().ok()?;
        Some(UNIX_EPOCH + Duration::from_secs(expires))
    }

    fn mac(&self, payload: &str) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(payload.as_bytes());
        mac
    }
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(unix)]
fn restrict(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn restrict(_: &Path) -> std::io::Result<()> {
    Ok(())
}

/// The `glint_session` cookie of a request, if it sent one.
pub fn cookie(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim().to_string())
}

/// `Set-Cookie` for a session: HttpOnly (scripts cannot read it), SameSite=Strict (other sites
/// cannot make the browser send it), `Secure` when the request came over HTTPS (directly or
/// through a proxy that says so).
pub fn set_cookie(value: &str, max_age: Duration, secure: bool) -> String {
    format!(
        "{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        max_age.as_secs(),
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_honoured_until_it_expires_and_only_with_its_signature() {
        let dir = tempfile::tempdir().unwrap();
        let key = SessionKey::load_or_create(dir.path()).unwrap();
        let now = SystemTime::now();
        let (value, expires) = key.issue(7, now);
        assert_eq!(key.verify(&value, now), Some(7));
        assert_eq!(key.verify(&value, expires - Duration::from_secs(1)), Some(7));
        assert_eq!(key.verify(&value, expires), None, "expired");
        // Another token id under the same signature, or a signature of another key: refused.
        let forged = value.replacen("7.", "8.", 1);
        assert_eq!(key.verify(&forged, now), None);
        let other = tempfile::tempdir().unwrap();
        assert_eq!(
            SessionKey::load_or_create(other.path()).unwrap().verify(&value, now),
            None
        );
        for junk in ["", ".", "7", "7.x.y", "a.b.c.d", &"9".repeat(5000)] {
            assert_eq!(key.verify(junk, now), None, "{junk}");
        }
        // The key is kept: a restart (or a second server on the same folder) honours the cookie.
        let again = SessionKey::load_or_create(dir.path()).unwrap();
        assert_eq!(again.verify(&value, now), Some(7));
    }

    #[test]
    fn the_cookie_is_read_among_others() {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(
            axum::http::header::COOKIE,
            "a=1; glint_session=abc.def ; b=2".parse().unwrap(),
        );
        assert_eq!(cookie(&headers).as_deref(), Some("abc.def"));
        assert_eq!(cookie(&axum::http::HeaderMap::new()), None);
        let set = set_cookie("v", LIFETIME, false);
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict") && !set.contains("Secure"));
    }
}
