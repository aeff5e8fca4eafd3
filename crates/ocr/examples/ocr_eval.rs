//! What OCR reads on the grocery-store set, and how fast (docs/benchmarks.md, "Words on what was
//! seen"):
//!
//! ```sh
//! cargo run --release -p glint-ocr --example ocr_eval -- ../shared/eval/products_grocery_store \
//!     [--split val|gallery] [--category Packages] [--layout sparse|page] [--upscale 1400] \
//!     [--min-word 0.5] [--min-line 0.6] [--min-short-line 0.9] [--max-side 0] [--verbose]
//! ```
//!
//! For each photo of the split and category (val: store photos; gallery: the 198 px shop
//! images), it reads the text and counts a hit when a word of the product's title (its
//! `group_id`, `Bravo-Apple-Juice` → bravo, apple, juice) is among the words read, and a brand
//! hit when the title's first word is. `--max-side N` first shrinks photos to at most N pixels a
//! side (ingest's analysis size is 1600).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use glint_ocr::{Layout, ReadOptions, Tesseract, TextReader};

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// `ocr_eval --dump FILE...`: every line read with no filter, as `path, confidence, letters of
/// its longest word, height, text` (tab-separated), to choose the filters.
fn dump(files: Vec<String>) -> Result<(), Box<dyn std::error::Error>> {
    let reader = Tesseract::with_options(ReadOptions {
        min_word_confidence: 0.0,
        min_line_confidence: 0.0,
        min_short_line_confidence: 0.0,
        ..ReadOptions::default()
    })?;
    for file in files {
        let image = image::open(&file)?.to_rgb8();
        for line in reader.read(&image)? {
            let longest = line
                .text
                .split(' ')
                .map(|w| w.chars().filter(|c| c.is_alphabetic()).count())
                .max()
                .unwrap_or(0);
            println!(
                "{file}\t{:.3}\t{longest}\t{:.0}\t{}",
                line.confidence, line.bbox.h, line.text
            );
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    if std::env::args().nth(1).as_deref() == Some("--dump") {
        return dump(args.skip(1).collect());
    }
    let set = PathBuf::from(args.next().ok_or("usage: ocr_eval SET_DIR [options]")?);
    let (mut split, mut category, mut verbose, mut max_side) = ("val".to_string(), "Packages".to_string(), false, 0u32);
    let mut options = ReadOptions::default();
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--split" => split = value()?,
            "--category" => category = value()?,
            "--layout" => {
                options.layout = match value()?.as_str() {
                    "page" => Layout::Page,
                    _ => Layout::Sparse,
                }
            }
            "--upscale" => options.upscale_to = value()?.parse()?,
            "--min-word" => options.min_word_confidence = value()?.parse()?,
            "--min-line" => options.min_line_confidence = value()?.parse()?,
            "--min-short-line" => options.min_short_line_confidence = value()?.parse()?,
            "--max-side" => max_side = value()?.parse()?,
            "--verbose" => verbose = true,
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    let reader = Tesseract::with_options(options)?;
    let truth = std::fs::read_to_string(set.join("groundtruth.csv"))?;
    let mut header = truth.lines().next().ok_or("empty groundtruth.csv")?.split(',');
    let col = |name: &str, header: &mut std::str::Split<'_, char>| header.position(|h| h == name);
    let c_split = col("split", &mut header.clone()).ok_or("no split column")?;
    let c_group = col("group_id", &mut header.clone()).ok_or("no group_id column")?;
    let c_category = col("category", &mut header).ok_or("no category column")?;
    let (mut photos, mut hits, mut brand_hits, mut with_lines, mut lines_total) = (0, 0, 0, 0, 0);
    let mut products: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut secs = 0.0;
    for row in truth.lines().skip(1) {
        let cols: Vec<&str> = row.split(',').collect();
        if cols.get(c_split) != Some(&split.as_str()) || cols.get(c_category) != Some(&category.as_str()) {
            continue;
        }
        let group = cols[c_group];
        let title: Vec<String> = words(&group.replace('-', " "));
        let mut image = image::open(set.join(cols[0]))?.to_rgb8();
        if max_side > 0 && image.width().max(image.height()) > max_side {
            let s = max_side as f32 / image.width().max(image.height()) as f32;
            let (w, h) = ((image.width() as f32 * s) as u32, (image.height() as f32 * s) as u32);
            image = image::imageops::resize(&image, w, h, image::imageops::FilterType::Triangle);
        }
        let start = Instant::now();
        let lines = reader.read(&image)?;
        secs += start.elapsed().as_secs_f64();
        let read: Vec<String> = lines.iter().flat_map(|l| words(&l.text)).collect();
        let hit = title.iter().any(|t| read.contains(t));
        let brand = read.contains(&title[0]);
        photos += 1;
        hits += usize::from(hit);
        brand_hits += usize::from(brand);
        with_lines += usize::from(!lines.is_empty());
        lines_total += lines.len();
        let entry = products.entry(group.to_string()).or_default();
        entry.0 += 1;
        entry.1 += usize::from(hit);
        if verbose {
            let shown: Vec<String> = lines
                .iter()
                .map(|l| format!("{} ({:.2})", l.text, l.confidence))
                .collect();
            println!(
                "{} {}x{} {}: {}",
                if hit { "HIT " } else { "    " },
                image.width(),
                image.height(),
                cols[0],
                shown.join(" | ")
            );
        }
    }
    let products_hit = products.values().filter(|(_, h)| *h > 0).count();
    println!(
        "{split}/{category} {options:?} max_side={max_side}: {photos} photos of {} products; a title word read on {hits} ({:.1}%), the brand on {brand_hits} ({:.1}%); some line on {with_lines}, {lines_total} lines; products with a title word read on some photo: {products_hit}; {:.0} ms/photo",
        products.len(),
        100.0 * hits as f64 / photos.max(1) as f64,
        100.0 * brand_hits as f64 / photos.max(1) as f64,
        1000.0 * secs / photos.max(1) as f64,
    );
    Ok(())
}
