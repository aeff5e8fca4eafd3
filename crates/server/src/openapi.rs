//! The OpenAPI 3.0 description of the API, written by hand and embedded in the binary. It
//! cannot drift unnoticed: a test checks that it describes exactly the endpoints of the router,
//! and schemathesis (`scripts/schemathesis.sh`, in `make test`) checks every answer of a live
//! server against it. API 0.2.0: paged lists, RFC 3339 times, names instead of paths, 422 for
//! well-formed but unanswerable requests, sessions.

pub const DOCUMENT: &str = include_str!("../openapi.json");

/// The API's version: the document's `info.version`, read once.
pub fn api_version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        serde_json::from_str::<serde_json::Value>(DOCUMENT)
            .ok()
            .and_then(|d| d["info"]["version"].as_str().map(str::to_string))
            .unwrap_or_default()
    })
}
