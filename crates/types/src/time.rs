//! Times as people and other programs read them: RFC 3339 in UTC. The catalog keeps Unix
//! seconds (cheap to store and compare); everything shown leaves through here.

/// A Unix time (seconds) as RFC 3339 in UTC, e.g. `2026-12-05T04:21:52Z`. Times before 1970
/// (which Glint never writes) show as the epoch.
pub fn rfc3339(unix_s: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix_s.max(0).unsigned_abs());
    humantime::format_rfc3339_seconds(t).to_string()
}

/// `#[serde(serialize_with = "glint_types::serialize_rfc3339")]` for a Unix-seconds field.
pub fn serialize_rfc3339<S: serde::Serializer>(unix_s: &i64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&rfc3339(*unix_s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_seconds_become_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_796_444_512), "2026-12-05T04:21:52Z");
        assert_eq!(rfc3339(-5), "1970-01-01T00:00:00Z");
    }
}
