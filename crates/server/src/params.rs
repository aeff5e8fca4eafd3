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
            // A number past any list's length asks for nothing beyond its end.
            Ok(digits.parse().unwrap_or(usize::MAX))
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
#[derive(Debug, serde::Serialize)]
pub struct Paged<T> {
    pub results: Vec<T>,
    pub offset: usize,
    pub limit: usize,
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
