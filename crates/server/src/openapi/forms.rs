//! The request bodies that handlers read by hand (multipart forms streamed field by field, and
//! JSON checked field by field so that every mistake gets its own message), as the document
//! describes them. Only the document uses these types; schemathesis checks that the handlers
//! accept what they describe and refuse the rest.

#![allow(dead_code)]

use serde::Deserialize;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
use utoipa::ToSchema;

/// `[x, y, w, h]` as a client sends it: four numbers, none negative; a box without area (w or h
/// 0) is a 422 ([`crate::params::bbox`]).
pub fn request_box_schema() -> utoipa::openapi::schema::Array {
    let coordinate = ObjectBuilder::new()
        .schema_type(Type::Number)
        .minimum(Some(0.0))
        .exclusive_maximum(Some(1e9));
    ArrayBuilder::new()
        .items(coordinate)
        .min_items(Some(4))
        .max_items(Some(4))
        .description(Some(
            "[x, y, w, h] in source pixels; a box without area (w or h 0) is a 422",
        ))
        .build()
}

/// `POST /api/media`: one file per request.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadForm {
    /// The video or photo.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// `POST /api/search/photo`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhotoSearchForm {
    /// The photo.
    #[schema(value_type = String, format = Binary)]
    image: Vec<u8>,
    /// `x,y,w,h` in the photo's upright pixels; the whole photo when absent.
    #[serde(rename = "box")]
    #[schema(
        nullable = false,
        example = "10,20,120,140",
        pattern = r"^\s*[0-9]{1,8}(\.[0-9]+)?\s*(,\s*[0-9]{1,8}(\.[0-9]+)?\s*){3}$"
    )]
    bbox: Option<String>,
    /// Media per group.
    #[schema(nullable = false, minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

/// `POST /api/optout`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptOutForm {
    /// A photo of the face; the field may repeat (at most 10).
    #[schema(value_type = String, format = Binary)]
    image: Vec<u8>,
    /// Free text kept with the opt-out (at most 500 characters).
    #[schema(nullable = false, max_length = 500)]
    note: Option<String>,
}

/// `POST /api/search`: exactly one of `video` (with `at` and `box`), `media` (with `box`) or
/// `sighting`.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum SearchRequest {
    Moment(BoxOnVideo),
    Photo(BoxOnPhoto),
    Sighting(MoreLikeSighting),
}

/// A box on a video moment.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BoxOnVideo {
    /// Media id of an indexed video.
    video: String,
    /// Seconds into the video.
    #[schema(minimum = 0)]
    at: f64,
    #[serde(rename = "box")]
    #[schema(schema_with = request_box_schema)]
    bbox: [f32; 4],
    /// Media per group.
    #[schema(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

/// A box on a photo.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BoxOnPhoto {
    /// Media id of an indexed image.
    media: String,
    #[serde(rename = "box")]
    #[schema(schema_with = request_box_schema)]
    bbox: [f32; 4],
    /// Media per group.
    #[schema(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

/// More like a stored sighting.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoreLikeSighting {
    /// Track id: more like this.
    sighting: u64,
    /// Media per group.
    #[schema(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

/// A ZIP archive holding `feed.csv` or `feed.json` at its top plus the images it references.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct ZipFeed(Vec<u8>);

/// A CSV feed whose header names the required columns (docs/catalog-feeds.md).
#[derive(ToSchema)]
#[schema(pattern = "^store_id,")]
pub struct CsvFeed(String);

/// A JSON feed (docs/catalog-feeds.md): stores and products; a feed with neither is refused
/// (422).
#[derive(Deserialize, ToSchema)]
pub struct JsonFeed {
    /// Stores; entries that are not valid stores are reported in `errors`.
    stores: Option<Vec<serde_json::Value>>,
    /// Products; entries that are not valid products are reported in `errors`, the others
    /// imported.
    #[schema(min_items = 1)]
    products: Vec<serde_json::Value>,
}

/// The bytes of a file (a media, a frame, a thumbnail).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FileBytes(Vec<u8>);
