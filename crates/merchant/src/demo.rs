//! A demo feed built from an evaluation set laid out like `../shared/eval/products_grocery_store`
//! (`groundtruth.csv` with `path,group_id,coarse_class,category,...,domain`): every `iconic`
//! image becomes a product of up to three fictional stores, clearly marked as demo data. The
//! images are copied next to the feed, which references them relatively, so the feed folder is
//! self-contained. Prices and stock are pseudo-random but deterministic (a hash of the names), so
//! writing the demo feed twice gives the same bytes.

use std::path::Path;

use serde::Serialize;
use serde_json::json;

use crate::MerchantError;

/// The fictional stores of the demo feed.
const STORES: [(&str, &str); 3] = [
    ("demo-market", "Demo Market (demo data)"),
    ("demo-corner", "Demo Corner Shop (demo data)"),
    ("demo-organic", "Demo Organic Grocer (demo data)"),
];

/// What [`write_demo_feed`] wrote.
#[derive(Debug, Clone, Serialize)]
pub struct DemoSummary {
    pub products: usize,
    pub offers: usize,
    pub images: usize,
    pub feed_csv: String,
    pub feed_json: String,
}

/// FNV-1a: a stable hash for the pseudo-random choices (std's hasher may change between releases).
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `Bravo-Apple-Juice` → `Bravo Apple Juice`.
fn title_of(group: &str) -> String {
    group.replace(['-', '_'], " ")
}

struct DemoRow {
    store: usize,
    product_id: String,
    title: String,
    category: String,
    brand: Option<String>,
    image: String,
    price: f64,
    availability: &'static str,
}

/// Writes `out/feed.csv`, `out/feed.json` and `out/images/*` from the iconic images of `set`.
pub fn write_demo_feed(set: &Path, out: &Path) -> Result<DemoSummary, MerchantError> {
    let truth = set.join("groundtruth.csv");
    let mut reader =
        csv::Reader::from_path(&truth).map_err(|e| MerchantError::Demo(format!("{}: {e}", truth.display())))?;
    let headers = reader
        .headers()
        .map_err(|e| MerchantError::Demo(e.to_string()))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| MerchantError::Demo(format!("{} has no column {name}", truth.display())))
    };
    let (c_path, c_group, c_coarse, c_category, c_domain) = (
        col("path")?,
        col("group_id")?,
        col("coarse_class")?,
        col("category")?,
        col("domain")?,
    );
    let images_dir = out.join("images");
    std::fs::create_dir_all(&images_dir).map_err(|e| MerchantError::io(&images_dir, e))?;
    let mut rows = Vec::new();
    let mut images = 0;
    for record in reader.records() {
        let r = record.map_err(|e| MerchantError::Demo(e.to_string()))?;
        if r.get(c_domain) != Some("iconic") {
            continue;
        }
        let (path, group) = (r.get(c_path).unwrap_or(""), r.get(c_group).unwrap_or(""));
        let source = set.join(path);
        let file_name = Path::new(path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| MerchantError::Demo(format!("bad path {path}")))?;
        let copy = images_dir.join(&file_name);
        std::fs::copy(&source, &copy).map_err(|e| MerchantError::io(&source, e))?;
        images += 1;
        let category = format!("{}/{}", r.get(c_category).unwrap_or(""), r.get(c_coarse).unwrap_or(""));
        // Packaged goods are named brand first ("Bravo Apple Juice"); fruit and vegetables have none.
        let brand = (r.get(c_category) == Some("Packages"))
            .then(|| group.split(['-', '_']).next().unwrap_or(group).to_string());
        let h = fnv(group);
        let base = 9.0 + (h % 60) as f64;
        let sellers = 1 + (h / 60 % 3) as usize;
        let first = (h / 180 % 3) as usize;
        for k in 0..sellers {
            let store = (first + k) % STORES.len();
            let hs = fnv(&format!("{group}@{}", STORES[store].0));
            // Whole kronor ending in .95, within about ±20 % of the product's base price.
            let price = (base * (0.8 + (hs % 40) as f64 / 100.0)).floor() + 0.95;
            let availability = match hs % 10 {
                0 | 1 => "out_of_stock",
                2 => "preorder",
                _ => "in_stock",
            };
            rows.push(DemoRow {
                store,
                product_id: group.to_ascii_lowercase(),
                title: title_of(group),
                category: category.clone(),
                brand: brand.clone(),
                image: format!("images/{file_name}"),
                price,
                availability,
            });
        }
    }
    if rows.is_empty() {
        return Err(MerchantError::Demo(format!(
            "{} lists no iconic images",
            truth.display()
        )));
    }
    let feed_csv = out.join("feed.csv");
    write_csv(&feed_csv, &rows)?;
    let feed_json = out.join("feed.json");
    write_json(&feed_json, &rows)?;
    let mut products: Vec<&str> = rows.iter().map(|r| r.product_id.as_str()).collect();
    products.sort_unstable();
    products.dedup();
    Ok(DemoSummary {
        products: products.len(),
        offers: rows.len(),
        images,
        feed_csv: feed_csv.display().to_string(),
        feed_json: feed_json.display().to_string(),
    })
}

fn store_url(store: usize) -> String {
    format!("https://example.com/{}", STORES[store].0)
}

fn offer_url(row: &DemoRow) -> String {
    format!("{}/products/{}", store_url(row.store), row.product_id)
}

fn write_csv(path: &Path, rows: &[DemoRow]) -> Result<(), MerchantError> {
    let fail = |e: csv::Error| MerchantError::Demo(format!("{}: {e}", path.display()));
    let mut w = csv::Writer::from_path(path).map_err(fail)?;
    w.write_record([
        "store_id",
        "store_name",
        "store_url",
        "country",
        "verified",
        "product_id",
        "title",
        "category",
        "brand",
        "image",
        "price",
        "currency",
        "url",
        "availability",
    ])
    .map_err(fail)?;
    for r in rows {
        let (id, name) = STORES[r.store];
        w.write_record([
            id,
            name,
            &store_url(r.store),
            "SE",
            "false",
            &r.product_id,
            &r.title,
            &r.category,
            r.brand.as_deref().unwrap_or(""),
            &r.image,
            &format!("{:.2}", r.price),
            "SEK",
            &offer_url(r),
            r.availability,
        ])
        .map_err(fail)?;
    }
    w.flush().map_err(|e| MerchantError::io(path, e))
}

/// The same content in the JSON layout: one product per store that sells it.
fn write_json(path: &Path, rows: &[DemoRow]) -> Result<(), MerchantError> {
    let stores: Vec<_> = (0..STORES.len())
        .map(|i| json!({"store_id": STORES[i].0, "name": STORES[i].1, "url": store_url(i), "country": "SE", "verified": false}))
        .collect();
    let products: Vec<_> = rows
        .iter()
        .map(|r| {
            json!({
                "store_id": STORES[r.store].0,
                "product_id": r.product_id,
                "title": r.title,
                "category": r.category,
                "brand": r.brand,
                "images": [r.image],
                "offers": [{"price": r.price, "currency": "SEK", "url": offer_url(r), "availability": r.availability}],
            })
        })
        .collect();
    let doc = json!({"stores": stores, "products": products});
    let text = serde_json::to_string_pretty(&doc).map_err(|e| MerchantError::Demo(e.to_string()))?;
    std::fs::write(path, text).map_err(|e| MerchantError::io(path, e))
}
