//! The OpenAPI 3.1 document, generated from the API's own types so that it cannot drift: each
//! handler carries a `#[utoipa::path]` next to its code, each type it answers with derives its
//! schema where it is defined (in this crate and in `glint-search`, `glint-catalog`,
//! `glint-merchant`), and [`ApiDoc`] gathers them. Who may call an endpoint comes from the
//! router's own table ([`crate::routes::endpoints`]): [`Access`] adds each endpoint's security
//! and its 401/403 answers. Request bodies that handlers read by hand are described by the
//! types of [`forms`]. A test checks that the document describes exactly the router's
//! endpoints, and schemathesis (`scripts/schemathesis.sh`, in `make test`) checks every answer
//! of a live server against it. API 0.2.0: paged lists, RFC 3339 times, names instead of paths,
//! 422 for well-formed but unanswerable requests, sessions.

pub mod forms;

use std::sync::OnceLock;

use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::auth::Access;
use crate::routes;

/// The API's version (`info.version`, and `api` in `GET /api/version`).
pub const API_VERSION: &str = "0.2.0";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Glint API",
        version = API_VERSION,
        description = "Self-hosted in-video visual search. Boxes are [x, y, w, h] in source pixels; times are seconds from the start of a video. Every error is a JSON object {\"code\", \"message\"}, including 404 for an unknown path and 405 (with an Allow header) for a method a path does not take.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    paths(
        routes::healthz,
        routes::openapi,
        routes::version,
        routes::session::show,
        routes::session::sign_in,
        routes::session::sign_out,
        routes::library::list,
        routes::upload::upload,
        routes::library::show,
        routes::library::remove,
        routes::files::media_file,
        routes::files::media_thumb,
        routes::frames::frame,
        routes::frames::hotspots,
        routes::files::track_thumb,
        routes::jobs::list,
        routes::jobs::show,
        routes::jobs::remove,
        routes::search::text,
        routes::search::search,
        routes::search::photo,
        routes::privacy::opt_out,
        routes::catalog::import,
        routes::catalog::list,
        routes::catalog::remove_store,
        routes::catalog::product,
        routes::catalog::remove_product,
    ),
    components(schemas(crate::ErrorBody)),
    modifiers(&SecuritySchemes, &AccessFromRouter, &InternalErrors)
)]
pub struct ApiDoc;

/// The document as served: generated once, then the same bytes for every request.
pub fn document() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| ApiDoc::openapi().to_pretty_json().unwrap_or_default())
}

/// How a client proves who it is: a bearer token or the session cookie the web app gets.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        let mut bearer = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build();
        bearer.description = Some(
            "A token made with `glint tokens create NAME --scope write` (admin implies write, write implies read). \
             Writes always need one, unless the server runs with --open or is on loopback with no token ever created; \
             reads need one with `glint serve --private`."
                .into(),
        );
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::session::COOKIE,
                "Set by POST /api/session (a browser signs in once with a token's secret). HttpOnly, \
                 SameSite=Strict, 12 hours; revoking the token ends it at once.",
            ))),
        );
    }
}

/// Security and 401/403 answers from the router's table: the document says of each endpoint
/// what `auth` enforces, because both read the same [`Access`].
struct AccessFromRouter;

impl Modify for AccessFromRouter {
    fn modify(&self, doc: &mut Document) {
        for endpoint in routes::endpoints(&crate::ServerConfig::default()) {
            if endpoint.access == Access::Public {
                continue;
            }
            let Some(operation) = operation(doc, endpoint.path, &endpoint.method) else {
                continue;
            };
            operation.security = Some(vec![
                SecurityRequirement::new("bearer", Vec::<String>::new()),
                SecurityRequirement::new("session", Vec::<String>::new()),
            ]);
            let (unauthorized, forbidden) = match endpoint.access {
                Access::Read => (
                    "No valid token or session (reads need one on a `--private` server).",
                    "The token lacks the read scope.",
                ),
                _ => (
                    "No valid token or session (missing, malformed, unknown, revoked or expired).",
                    "The token lacks the write scope.",
                ),
            };
            add_error(operation, "401", unauthorized);
            add_error(operation, "403", forbidden);
        }
    }
}

/// Any endpoint can fail on the server's side.
struct InternalErrors;

impl Modify for InternalErrors {
    fn modify(&self, doc: &mut Document) {
        for item in doc.paths.paths.values_mut() {
            for operation in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                add_error(operation, "500", "The server failed (the cause is in its log).");
            }
        }
    }
}

fn operation<'a>(doc: &'a mut Document, path: &str, method: &axum::http::Method) -> Option<&'a mut Operation> {
    let item = doc.paths.paths.get_mut(path)?;
    let slot = match method.as_str() {
        "GET" => &mut item.get,
        "POST" => &mut item.post,
        "PUT" => &mut item.put,
        "DELETE" => &mut item.delete,
        "PATCH" => &mut item.patch,
        _ => return None,
    };
    slot.as_mut()
}

/// Adds an error answer (the `Error` body) unless the operation already describes that status.
fn add_error(operation: &mut Operation, status: &str, description: &str) {
    if operation.responses.responses.contains_key(status) {
        return;
    }
    let response = ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Error")))
                .build(),
        )
        .build();
    operation
        .responses
        .responses
        .insert(status.to_string(), response.into());
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::params::{DEFAULT_PAGE, MAX_PAGE};

    fn doc() -> Value {
        serde_json::from_str(document()).expect("the document is JSON")
    }

    #[test]
    fn issue17_the_document_is_openapi_3_1_at_the_api_version() {
        let doc = doc();
        assert!(
            doc["openapi"].as_str().unwrap().starts_with("3.1"),
            "{}",
            doc["openapi"]
        );
        assert_eq!(doc["info"]["version"], API_VERSION);
    }

    #[test]
    fn issue17_page_bounds_in_the_document_are_the_parsers_bounds() {
        let doc = doc();
        for path in ["/api/media", "/api/jobs"] {
            let params = doc["paths"][path]["get"]["parameters"].as_array().unwrap();
            let limit = params.iter().find(|p| p["name"] == "limit").unwrap();
            assert_eq!(limit["schema"]["maximum"].as_u64(), Some(MAX_PAGE as u64), "{path}");
            assert_eq!(limit["schema"]["default"].as_u64(), Some(DEFAULT_PAGE as u64), "{path}");
        }
    }

    #[test]
    fn issue17_the_document_says_who_may_call_each_endpoint_as_the_router_does() {
        let doc = doc();
        for e in routes::endpoints(&crate::ServerConfig::default()) {
            let op = &doc["paths"][e.path][e.method.as_str().to_ascii_lowercase()];
            assert!(op.is_object(), "{} {} is documented", e.method, e.path);
            let guarded = e.access != Access::Public;
            assert_eq!(op.get("security").is_some(), guarded, "{} {}", e.method, e.path);
            if guarded {
                assert!(op["responses"].get("401").is_some(), "{} {}", e.method, e.path);
                assert!(op["responses"].get("403").is_some(), "{} {}", e.method, e.path);
            }
            assert!(op["responses"].get("500").is_some(), "{} {}", e.method, e.path);
        }
    }

    #[test]
    fn issue17_every_error_code_is_in_the_error_schema() {
        let doc = doc();
        assert_eq!(
            doc["components"]["schemas"]["Error"]["properties"]["code"]["$ref"],
            "#/components/schemas/ErrorCode"
        );
        let codes: Vec<&str> = doc["components"]["schemas"]["ErrorCode"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        let samples = [
            crate::ApiError::WrongMethod(String::new()),
            crate::ApiError::TimedOut { seconds: 1.0 },
            crate::ApiError::UnknownProduct {
                store_id: String::new(),
                product_id: String::new(),
            },
            crate::ApiError::EmptyFile,
        ];
        for e in samples {
            let code = serde_json::to_value(e.code()).unwrap();
            assert!(codes.contains(&code.as_str().unwrap()), "{code} in {codes:?}");
        }
    }
}
