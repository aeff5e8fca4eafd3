//! Reading a feed file into raw, unjudged records (CSV: one row per offer; JSON: stores and
//! products). Only what makes the whole file unreadable is an error here; every field is kept as
//! text for [`validate`](crate::validate) to judge, so that one bad row never hides the others.

use std::io::Read;
use std::path::Path;

use serde_json::Value;

use crate::MerchantError;

/// Largest feed file read (the images are separate files and do not count).
pub const MAX_FEED_BYTES: u64 = 50 << 20;
/// Most CSV data rows, or JSON products, in one feed.
pub const MAX_ROWS: usize = 100_000;

/// Columns a CSV feed must have; any other column is optional or ignored.
pub const REQUIRED_COLUMNS: [&str; 9] = [
    "store_id",
    "store_name",
    "product_id",
    "title",
    "image",
    "price",
    "currency",
    "url",
    "availability",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedFormat {
    Csv,
    Json,
}

/// A store as the feed wrote it. `row` is the CSV data row (1-based) or, in JSON, 0 (the
/// feed-level `stores` list; errors then name `stores[i]` in their field).
#[derive(Debug, Clone, Default)]
pub struct RawStore {
    pub row: usize,
    /// 0-based position in a JSON `stores` list.
    pub index: usize,
    pub store_id: Option<String>,
    pub name: Option<String>,
    pub url: Option<String>,
    pub country: Option<String>,
    pub verified: Option<String>,
}

/// An offer as the feed wrote it.
#[derive(Debug, Clone, Default)]
pub struct RawOffer {
    /// The store selling; the product's store when absent.
    pub store_id: Option<String>,
    pub price: Option<String>,
    pub currency: Option<String>,
    pub url: Option<String>,
    pub availability: Option<String>,
    pub updated_at: Option<String>,
}

/// A product as the feed wrote it: one CSV row (with its one offer), or one JSON product.
/// `row` is the 1-based CSV data row or the 1-based position in the JSON `products` list.
#[derive(Debug, Clone, Default)]
pub struct RawProduct {
    pub row: usize,
    pub store_id: Option<String>,
    pub product_id: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub brand: Option<String>,
    /// Relative paths or http(s) URLs, as written.
    pub images: Vec<String>,
    pub offers: Vec<RawOffer>,
}

/// Everything a feed file holds.
#[derive(Debug, Clone)]
pub struct RawFeed {
    pub format: FeedFormat,
    pub stores: Vec<RawStore>,
    pub products: Vec<RawProduct>,
}

/// Reads a feed file (at most [`MAX_FEED_BYTES`]); the format comes from the extension, else
/// from the content.
pub fn parse_file(path: &Path) -> Result<RawFeed, MerchantError> {
    let size = std::fs::metadata(path).map_err(|e| MerchantError::io(path, e))?.len();
    if size > MAX_FEED_BYTES {
        return Err(MerchantError::FeedTooLarge {
            path: path.to_path_buf(),
            size,
            limit: MAX_FEED_BYTES,
        });
    }
    let mut bytes = Vec::with_capacity(size as usize);
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FEED_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| MerchantError::io(path, e))?;
    if bytes.len() as u64 > MAX_FEED_BYTES {
        // The file grew while we read it.
        return Err(MerchantError::FeedTooLarge {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
            limit: MAX_FEED_BYTES,
        });
    }
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let format = match ext.as_str() {
        "csv" => FeedFormat::Csv,
        "json" => FeedFormat::Json,
        _ => sniff(&bytes).ok_or_else(|| MerchantError::UnknownFormat(path.to_path_buf()))?,
    };
    parse(&bytes, format)
}

/// JSON when the first non-blank byte opens an object, CSV when it looks like a header line.
pub fn sniff(bytes: &[u8]) -> Option<FeedFormat> {
    let first = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace() && **b != 0xEF && **b != 0xBB && **b != 0xBF)?;
    if *first == b'{' {
        return Some(FeedFormat::Json);
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
    let header = head.lines().next().unwrap_or("");
    header.contains("store_id").then_some(FeedFormat::Csv)
}

/// Parses feed bytes of a known format.
pub fn parse(bytes: &[u8], format: FeedFormat) -> Result<RawFeed, MerchantError> {
    let feed = match format {
        FeedFormat::Csv => parse_csv(bytes)?,
        FeedFormat::Json => parse_json(bytes)?,
    };
    if feed.stores.is_empty() && feed.products.is_empty() {
        return Err(MerchantError::EmptyFeed);
    }
    Ok(feed)
}

fn clean(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn parse_csv(bytes: &[u8]) -> Result<RawFeed, MerchantError> {
    // A UTF-8 byte-order mark (spreadsheet exports) would otherwise glue itself to `store_id`.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| MerchantError::Csv(e.to_string()))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let missing: Vec<&str> = REQUIRED_COLUMNS
        .iter()
        .copied()
        .filter(|c| !headers.iter().any(|h| h == c))
        .collect();
    if !missing.is_empty() {
        return Err(MerchantError::MissingColumns(missing.join(", ")));
    }
    let column = |name: &str| headers.iter().position(|h| h == name);
    let cols: Vec<Option<usize>> = [
        "store_id",
        "store_name",
        "store_url",
        "country",
        "verified",
        "product_id",
        "title",
        "description",
        "category",
        "brand",
        "image",
        "price",
        "currency",
        "url",
        "availability",
        "updated_at",
    ]
    .iter()
    .map(|c| column(c))
    .collect();
    let mut stores = Vec::new();
    let mut products = Vec::new();
    for (i, record) in reader.records().enumerate() {
        if i >= MAX_ROWS {
            return Err(MerchantError::TooManyRows { limit: MAX_ROWS });
        }
        let record = record.map_err(|e| MerchantError::Csv(e.to_string()))?;
        let get = |k: usize| cols[k].and_then(|c| record.get(c)).and_then(clean);
        let row = i + 1;
        stores.push(RawStore {
            row,
            index: 0,
            store_id: get(0),
            name: get(1),
            url: get(2),
            country: get(3),
            verified: get(4),
        });
        products.push(RawProduct {
            row,
            store_id: get(0),
            product_id: get(5),
            title: get(6),
            description: get(7),
            category: get(8),
            brand: get(9),
            images: get(10)
                .map(|s| s.split('|').filter_map(clean).collect())
                .unwrap_or_default(),
            offers: vec![RawOffer {
                store_id: get(0),
                price: get(11),
                currency: get(12),
                url: get(13),
                availability: get(14),
                updated_at: get(15),
            }],
        });
    }
    Ok(RawFeed {
        format: FeedFormat::Csv,
        stores,
        products,
    })
}

/// A JSON scalar as text: strings trimmed, numbers and booleans spelled out, null as absent.
fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => clean(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        // Arrays and objects where a scalar belongs: kept visible so validation rejects them.
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn parse_json(bytes: &[u8]) -> Result<RawFeed, MerchantError> {
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| MerchantError::Json(e.to_string()))?;
    let obj = doc
        .as_object()
        .ok_or_else(|| MerchantError::Json("the document must be an object with `stores` and `products`".into()))?;
    let list = |key: &str| -> Result<Vec<Value>, MerchantError> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) => Ok(a.clone()),
            Some(_) => Err(MerchantError::Json(format!("`{key}` must be a list"))),
        }
    };
    let raw_stores = list("stores")?;
    let raw_products = list("products")?;
    if raw_products.len() > MAX_ROWS || raw_stores.len() > MAX_ROWS {
        return Err(MerchantError::TooManyRows { limit: MAX_ROWS });
    }
    let stores = raw_stores
        .iter()
        .enumerate()
        .map(|(index, s)| RawStore {
            row: 0,
            index,
            store_id: text(s.get("store_id")),
            name: text(s.get("name")),
            url: text(s.get("url")),
            country: text(s.get("country")),
            verified: text(s.get("verified")),
        })
        .collect();
    let products = raw_products
        .iter()
        .enumerate()
        .map(|(i, p)| RawProduct {
            row: i + 1,
            store_id: text(p.get("store_id")),
            product_id: text(p.get("product_id")),
            title: text(p.get("title")),
            description: text(p.get("description")),
            category: text(p.get("category")),
            brand: text(p.get("brand")),
            images: match p.get("images") {
                Some(Value::Array(a)) => a.iter().map(|v| text(Some(v)).unwrap_or_default()).collect(),
                Some(Value::String(s)) => s.split('|').filter_map(clean).collect(),
                _ => Vec::new(),
            },
            offers: match p.get("offers") {
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|o| RawOffer {
                        store_id: text(o.get("store_id")),
                        price: text(o.get("price")),
                        currency: text(o.get("currency")),
                        url: text(o.get("url")),
                        availability: text(o.get("availability")),
                        updated_at: text(o.get("updated_at")),
                    })
                    .collect(),
                _ => Vec::new(),
            },
        })
        .collect();
    Ok(RawFeed {
        format: FeedFormat::Json,
        stores,
        products,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feed_without_stores_or_products_is_refused() {
        for (bytes, format) in [
            (&b"{}"[..], FeedFormat::Json),
            (b"{\"products\": []}", FeedFormat::Json),
        ] {
            assert!(
                matches!(parse(bytes, format), Err(MerchantError::EmptyFeed)),
                "{bytes:?}"
            );
        }
        let header_only = format!("{}\n", REQUIRED_COLUMNS.join(","));
        assert!(matches!(
            parse(header_only.as_bytes(), FeedFormat::Csv),
            Err(MerchantError::EmptyFeed)
        ));
    }

    #[test]
    fn csv_rows_keep_unknown_columns_out_and_split_images() {
        let csv = "\u{feff}store_id,store_name,product_id,title,image,price,currency,url,availability,shoe_size\n\
                   s1,Shop,p1,Juice,a.jpg| https://x.example/b.jpg ,12.5,SEK,https://s.example/p1,in_stock,42\n";
        let feed = parse(csv.as_bytes(), FeedFormat::Csv).unwrap();
        assert_eq!(feed.products.len(), 1);
        let p = &feed.products[0];
        assert_eq!(p.images, vec!["a.jpg", "https://x.example/b.jpg"]);
        assert_eq!(p.offers[0].price.as_deref(), Some("12.5"));
        assert_eq!(feed.stores[0].name.as_deref(), Some("Shop"));
    }

    #[test]
    fn missing_columns_are_named() {
        let err = parse(b"store_id,title\ns,t\n", FeedFormat::Csv).unwrap_err();
        assert!(err.to_string().contains("store_name"), "{err}");
    }

    #[test]
    fn json_numbers_and_lists_are_read() {
        let json = r#"{"stores":[{"store_id":"s1","name":"Shop","verified":true}],
            "products":[{"store_id":"s1","product_id":"p1","title":"Juice","images":["a.jpg"],
            "offers":[{"price":12.5,"currency":"SEK","url":"https://s.example","availability":"in_stock","updated_at":1700000000}]}]}"#;
        let feed = parse(json.as_bytes(), FeedFormat::Json).unwrap();
        assert_eq!(feed.stores[0].verified.as_deref(), Some("true"));
        assert_eq!(feed.products[0].offers[0].updated_at.as_deref(), Some("1700000000"));
        assert_eq!(sniff(json.as_bytes()), Some(FeedFormat::Json));
        assert!(parse(b"[1]", FeedFormat::Json).is_err());
    }
}
