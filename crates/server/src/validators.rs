//! The conditional headers tower-http's `ServeFile` leaves to us (RFC 9110 §13): `If-None-Match`
//! against a strong entity tag, and `If-Range`, which decides whether a `Range` still applies
//! (a player resuming a download must not splice bytes of two different files).

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::{header, HeaderMap};

/// What identifies the current bytes of one file.
pub struct Validators<'a> {
    /// A strong entity tag, quotes included.
    etag: &'a str,
    /// Modification time in whole seconds (HTTP dates have no finer unit).
    modified_s: Option<u64>,
}

impl<'a> Validators<'a> {
    pub fn new(etag: &'a str, modified: Option<SystemTime>) -> Self {
        let modified_s = modified
            .and_then(|m| m.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_secs());
        Self { etag, modified_s }
    }

    /// Whether `If-None-Match` names this representation (`*` or one of its tags, compared
    /// weakly as the RFC asks), so the answer is 304.
    pub fn none_match_fails(&self, headers: &HeaderMap) -> bool {
        headers
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == self.etag)
    }

    /// Drops `Range` when `If-Range` names another representation: the whole file is sent.
    /// Only a strong match counts: this tag, or exactly the file's modification date.
    pub fn apply_if_range(&self, headers: &mut HeaderMap) {
        let Some(condition) = headers.get(header::IF_RANGE).and_then(|v| v.to_str().ok()) else {
            return;
        };
        let condition = condition.trim();
        let current = if condition.starts_with('"') || condition.starts_with("W/") {
            condition == self.etag
        } else {
            let date = httpdate::parse_http_date(condition).ok();
            let date_s = date
                .and_then(|d| d.duration_since(UNIX_EPOCH).ok())
                .map(|d| d.as_secs());
            date_s.is_some() && date_s == self.modified_s
        };
        if !current {
            headers.remove(header::RANGE);
        }
        headers.remove(header::IF_RANGE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (k.clone(), v.parse().unwrap())).collect()
    }

    #[test]
    fn if_none_match_compares_tags_weakly() {
        let v = Validators::new("\"abc\"", None);
        assert!(v.none_match_fails(&headers(&[(header::IF_NONE_MATCH, "\"x\", W/\"abc\"")])));
        assert!(v.none_match_fails(&headers(&[(header::IF_NONE_MATCH, "*")])));
        assert!(!v.none_match_fails(&headers(&[(header::IF_NONE_MATCH, "\"abcd\"")])));
        assert!(!v.none_match_fails(&HeaderMap::new()));
    }

    #[test]
    fn if_range_keeps_the_range_only_for_this_representation() {
        let modified = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let v = Validators::new("\"abc\"", Some(modified));
        let range = |if_range: &str| {
            let mut h = headers(&[(header::RANGE, "bytes=0-9"), (header::IF_RANGE, if_range)]);
            v.apply_if_range(&mut h);
            assert!(!h.contains_key(header::IF_RANGE));
            h.contains_key(header::RANGE)
        };
        assert!(range("\"abc\""));
        assert!(!range("\"old\""));
        assert!(!range("W/\"abc\""), "a weak tag never validates a range");
        assert!(range(&httpdate::fmt_http_date(modified)));
        assert!(!range(&httpdate::fmt_http_date(modified - Duration::from_secs(60))));
        assert!(!range("yesterday"));
    }
}
