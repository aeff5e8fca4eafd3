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
    if x < 0.0 || y < 0.0 {
        return Err(ApiError::BadRequest("box corner must not be negative".into()));
    }
    if w <= 0.0 || h <= 0.0 {
        return Err(ApiError::BadRequest("box width and height must be positive".into()));
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
            "0,0,0,10",
            "a,b,c,d",
            "",
        ] {
            assert!(matches!(bbox_text(bad), Err(ApiError::BadRequest(_))), "{bad}");
        }
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
