//! Parsing what clients send (ids in paths, times in query strings, boxes), so that anything
//! malformed is a 400 or 404 with a message, never a 500 or a panic.

use std::collections::HashMap;

use glint_types::BBox;

use crate::ApiError;

/// A media id as the catalog makes them (hex); anything else cannot name a media, and is never
/// joined into a path.
pub fn media_id(raw: &str) -> Result<String, ApiError> {
    let ok = !raw.is_empty() && raw.len() <= 64 && raw.bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(raw.to_ascii_lowercase())
    } else {
        Err(ApiError::UnknownMedia(raw.chars().take(80).collect()))
    }
}

/// A numeric id (track or job) from a path segment.
pub fn number<T: std::str::FromStr>(raw: &str, what: &str) -> Result<T, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::BadRequest(format!("{what} id must be a non-negative integer, got `{raw}`")))
}

/// A time in seconds from the query string: finite and not negative.
pub fn time(query: &HashMap<String, String>, name: &str) -> Result<Option<f64>, ApiError> {
    let Some(raw) = query.get(name) else { return Ok(None) };
    let t: f64 = raw
        .trim()
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("`{name}` must be a number of seconds, got `{raw}`")))?;
    if !t.is_finite() || t < 0.0 {
        return Err(ApiError::BadRequest(format!(
            "`{name}` must be a finite, non-negative time, got {raw}"
        )));
    }
    Ok(Some(t))
}

/// A box `[x, y, w, h]` in source pixels: four finite numbers, corner not negative, size
/// positive. Whether it overlaps the frame enough is the searcher's to judge.
pub fn bbox(values: &[f64]) -> Result<BBox, ApiError> {
    let [x, y, w, h] = values[..] else {
        return Err(ApiError::BadRequest(format!(
            "a box is [x, y, w, h]: 4 numbers, got {}",
            values.len()
        )));
    };
    if ![x, y, w, h].iter().all(|v| v.is_finite() && v.abs() < 1e9) {
        return Err(ApiError::BadRequest("box values must be finite numbers".into()));
    }
    if x < 0.0 || y < 0.0 || w < 0.0 || h < 0.0 {
        return Err(ApiError::BadRequest("box values must not be negative".into()));
    }
    if w <= 0.0 || h <= 0.0 {
        // Well-formed, but there is nothing in it to search.
        return Err(ApiError::BadQuery("box width and height must be positive".into()));
    }
    Ok(BBox::new(x as f32, y as f32, w as f32, h as f32))
}

/// An optional whole number from JSON, also when written with a zero fraction (`3.0`): JSON
/// Schema counts both as integers, so clients may send either.
pub fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    use serde::de::Error;
    let Some(n) = <Option<serde_json::Number> as serde::Deserialize>::deserialize(d)? else {
        return Ok(None);
    };
    let exact = n.as_u64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < u64::MAX as f64)
            .map(|f| f as u64)
    });
    exact
        .map(Some)
        .ok_or_else(|| D::Error::custom(format!("expected a non-negative whole number, got {n}")))
}

/// A box from JSON: an array of 4 numbers.
pub fn bbox_json(value: &serde_json::Value) -> Result<BBox, ApiError> {
    let items = value
        .as_array()
        .ok_or_else(|| ApiError::BadRequest("`box` must be an array [x, y, w, h]".into()))?;
    let values = items
        .iter()
        .map(|v| {
            v.as_f64()
                .ok_or_else(|| ApiError::BadRequest(format!("box value `{v}` is not a number")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    bbox(&values)
}

/// A box from a form field: `x,y,w,h`, optionally in brackets (so a JSON array works too).
pub fn bbox_text(raw: &str) -> Result<BBox, ApiError> {
    let inner = raw.trim().trim_start_matches('[').trim_end_matches(']');
    let values = inner
        .split(',')
        .map(|p| {
            p.trim()
                .parse::<f64>()
                .map_err(|_| ApiError::BadRequest(format!("box value `{}` is not a number", p.trim())))
        })
        .collect::<Result<Vec<_>, _>>()?;
    bbox(&values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_must_be_four_finite_numbers_with_a_positive_size() {
        assert_eq!(bbox_text("1, 2,3,4").unwrap(), BBox::new(1.0, 2.0, 3.0, 4.0));
        assert_eq!(bbox_text("[1,2,3,4]").unwrap(), BBox::new(1.0, 2.0, 3.0, 4.0));
        for bad in [
            "1,2,3",
            "1,2,3,4,5",
            "NaN,0,10,10",
            "inf,0,10,10",
            "-1,0,10,10",
            "a,b,c,d",
            "",
        ] {
            assert!(matches!(bbox_text(bad), Err(ApiError::BadRequest(_))), "{bad}");
        }
        // Well-formed, but nothing to search in: unprocessable rather than malformed.
        assert!(matches!(bbox_text("0,0,0,10"), Err(ApiError::BadQuery(_))));
        assert!(bbox_json(&serde_json::json!([1, 2, 3, 4])).is_ok());
        assert!(bbox_json(&serde_json::json!([1, 2, "3", 4])).is_err());
        assert!(bbox_json(&serde_json::json!({"x": 1})).is_err());
    }

    #[test]
    fn issue17_whole_numbers_may_carry_a_zero_fraction_and_offsets_are_64_bit() {
        #[derive(serde::Deserialize)]
        struct Body {
            #[serde(default, deserialize_with = "whole_number")]
            n: Option<u64>,
        }
        let n = |json: &str| serde_json::from_str::<Body>(json).map(|b| b.n);
        assert_eq!(n(r#"{"n": 1782}"#).unwrap(), Some(1782));
        assert_eq!(n(r#"{"n": 1782.0}"#).unwrap(), Some(1782));
        assert_eq!(n(r#"{"n": null}"#).unwrap(), None);
        assert_eq!(n("{}").unwrap(), None);
        for bad in [r#"{"n": 1.5}"#, r#"{"n": -1}"#, r#"{"n": "3"}"#, r#"{"n": 1e30}"#] {
            assert!(n(bad).is_err(), "{bad}");
        }
        let page = |offset: &str| Page::from_query(&HashMap::from([("offset".to_string(), offset.to_string())]));
        assert_eq!(page("9223372036854775807").unwrap().offset as u64, i64::MAX as u64);
        assert!(matches!(page("9223372036854775808"), Err(ApiError::BadRequest(_))));
    }

    #[test]
    fn ids_and_times_are_checked() {
        assert_eq!(media_id("ABCdef0123").unwrap(), "abcdef0123");
        assert!(matches!(media_id("../etc"), Err(ApiError::UnknownMedia(_))));
        assert!(number::<u64>("-3", "track").is_err());
        let q = |v: &str| HashMap::from([("t".to_string(), v.to_string())]);
        assert_eq!(time(&q("1.5"), "t").unwrap(), Some(1.5));
        assert!(time(&q("-1"), "t").is_err());
        assert!(time(&q("NaN"), "t").is_err());
        assert_eq!(time(&HashMap::new(), "t").unwrap(), None);
    }
}

/// Most items one page of a list may hold.
pub const MAX_PAGE: usize = 1000;
/// Items per page when the client does not say.
pub const DEFAULT_PAGE: usize = 50;

/// Which part of a list a client asked for: `offset` (default 0) and `limit` (default
/// [`DEFAULT_PAGE`], at most [`MAX_PAGE`]; 0 asks only for the total).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub offset: usize,
    pub limit: usize,
}

impl Page {
    pub fn from_query(query: &HashMap<String, String>) -> Result<Self, ApiError> {
        let read = |name: &str, default: usize| -> Result<usize, ApiError> {
            let Some(raw) = query.get(name) else { return Ok(default) };
            let digits = raw.trim();
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ApiError::BadRequest(format!(
                    "`{name}` must be a non-negative integer, got `{raw}`"
                )));
            }
            // The document's integers are 64-bit (signed, as most clients have them): a larger
            // number is malformed. One past a list's length asks for nothing beyond its end.
            digits
                .parse::<i64>()
                .ok()
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
                .ok_or_else(|| ApiError::BadRequest(format!("`{name}` must be at most {}, got `{raw}`", i64::MAX)))
        };
        let limit = read("limit", DEFAULT_PAGE)?;
        if limit > MAX_PAGE {
            return Err(ApiError::BadRequest(format!(
                "`limit` may be at most {MAX_PAGE}, got {limit}"
            )));
        }
        Ok(Self {
            offset: read("offset", 0)?,
            limit,
        })
    }

    /// This page of `items`, in the envelope every list answers with.
    pub fn of<T>(self, items: Vec<T>) -> Paged<T> {
        let total = items.len();
        Paged {
            results: items.into_iter().skip(self.offset).take(self.limit).collect(),
            offset: self.offset,
            limit: self.limit,
            total,
        }
    }
}

/// One page of a list: `results` from `offset` on, at most `limit` of them, out of `total`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Paged<T> {
    pub results: Vec<T>,
    pub offset: usize,
    pub limit: usize,
    /// Items in the whole list (of this filter).
    pub total: usize,
}

impl<T> Paged<T> {
    /// The same page with each result turned into what the API shows.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Paged<U> {
        Paged {
            results: self.results.into_iter().map(f).collect(),
            offset: self.offset,
            limit: self.limit,
            total: self.total,
        }
    }
}

impl<T> Paged<T> {
    /// [`Self::map`] with a conversion that may fail.
    pub fn try_map<U>(self, f: impl FnMut(T) -> Result<U, ApiError>) -> Result<Paged<U>, ApiError> {
        Ok(Paged {
            results: self.results.into_iter().map(f).collect::<Result<_, _>>()?,
            offset: self.offset,
            limit: self.limit,
            total: self.total,
        })
    }
}

/// One value of a closed set from the query string (`kind=video`), `None` when absent.
pub fn choice<'a>(
    query: &HashMap<String, String>,
    name: &str,
    allowed: &[&'a str],
) -> Result<Option<&'a str>, ApiError> {
    let Some(raw) = query.get(name) else { return Ok(None) };
    allowed
        .iter()
        .copied()
        .find(|a| *a == raw.trim())
        .map(Some)
        .ok_or_else(|| ApiError::BadRequest(format!("`{name}` must be one of {}, got `{raw}`", allowed.join(", "))))
}

// What the OpenAPI document says of the parameters parsed above: each struct names the
// parameters of one kind of endpoint, with the bounds the parsers enforce (tests in
// `crate::openapi` hold the two together where a constant is involved).

/// A media id in the path.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct MediaIdPath {
    /// Media id (hex, from the content hash).
    #[param(pattern = "^[0-9a-f]{1,64}$")]
    id: String,
}

/// A track (sighting) id in the path.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct TrackIdPath {
    /// Track (sighting) id.
    id: u64,
}

/// A job id in the path.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct JobIdPath {
    /// Job id.
    id: i64,
}

/// A store in the path.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct StorePath {
    /// The store's id in its feed.
    id: String,
}

/// A product of a store in the path.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct ProductPath {
    /// The store's id in its feed.
    id: String,
    /// The product's id in that store.
    product_id: String,
}

/// A text search's words and how many media per group.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct TextSearchQuery {
    /// The words to look for ("apple juice"); every word must fit. At most 500 bytes.
    #[param(max_length = 500)]
    q: String,
    /// Media per group (1 to 100, default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u64>,
}

/// The part of a list a client asks for ([`Page::from_query`]).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PageQuery {
    /// How many items of the list to skip.
    #[param(minimum = 0, default = 0)]
    offset: Option<u64>,
    /// Most items in this page (0 answers only the total).
    #[param(minimum = 0, maximum = 1000, default = 50)]
    limit: Option<u64>,
}

/// Which media a library listing holds.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct MediaFilter {
    /// Only videos or only photos.
    kind: Option<glint_catalog::MediaKind>,
    /// `library` (the default): the user's own media; `catalog`: merchants' product images;
    /// `all`: both.
    #[param(inline)]
    scope: Option<LibraryScope>,
}

/// The parts of the library a listing can show.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum LibraryScope {
    Library,
    Catalog,
    All,
}

/// A moment of a media.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct TimeQuery {
    /// Seconds into the video (default 0: the first frame; ignored for images).
    #[param(minimum = 0)]
    t: Option<f64>,
}

/// A moment of a media, and how large to serve its frame.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct FrameQuery {
    /// Seconds into the video (default 0: the first frame; ignored for images).
    #[param(minimum = 0)]
    t: Option<f64>,
    /// Longest side in pixels (default 1280, 0 for the source size).
    #[param(minimum = 0, maximum = 65535)]
    max: Option<u32>,
}

/// How a catalog feed is applied.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ImportQuery {
    /// true: delete the products of the feed's stores that the feed does not list (rows
    /// rejected by validation still protect their product).
    #[param(default = false)]
    full: Option<bool>,
}
