//! The OpenAPI 3.0 description of the API, written by hand and embedded in the binary; a test
//! checks that it describes exactly the endpoints of the router.

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
