//! The OpenAPI 3.0 description of the API, written by hand and embedded in the binary; a test
//! checks that it describes exactly the endpoints of the router.

pub const DOCUMENT: &str = include_str!("../openapi.json");
