//! `glint search`: box a region of a video, an image or a photo file; see where else it is. Or
//! type words (`--text "apple juice"`): what was seen that fits them, and products by title.

use std::path::PathBuf;

use anyhow::bail;
use clap::Args;

use glint_media::{load_image, DecodeLimits};
use glint_search::{Query, SearchOptions, SearchResponse, Searcher};
use glint_types::BBox;

use crate::config::GlobalArgs;

#[derive(Args)]
pub struct SearchArgs {
    /// Search by words ("apple juice", "handbag") instead of a box.
    #[arg(long, conflicts_with_all = ["video", "image", "media", "sighting", "bbox", "at"])]
    pub text: Option<String>,
    /// An indexed video (media id); needs --at and --box.
    #[arg(long, conflicts_with_all = ["image", "media", "sighting"])]
    pub video: Option<String>,
    /// Seconds into the video.
    #[arg(long)]
    pub at: Option<f64>,
    /// A photo file to search with (need not be indexed).
    #[arg(long, conflicts_with_all = ["media", "sighting"])]
    pub image: Option<PathBuf>,
    /// An indexed image (media id); needs --box.
    #[arg(long, conflicts_with = "sighting")]
    pub media: Option<String>,
    /// A stored sighting (track id): "more like this".
    #[arg(long)]
    pub sighting: Option<u64>,
    /// The region, in source pixels: X,Y,W,H.
    #[arg(long = "box", value_parser = parse_box)]
    pub bbox: Option<BBox>,
    /// Media per group.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Show the ranking without the calibrated no-match thresholds.
    #[arg(long)]
    pub all: bool,
    #[arg(long)]
    pub json: bool,
}

/// Parses `X,Y,W,H`; the values must be finite and the size positive.
pub fn parse_box(s: &str) -> Result<BBox, String> {
    let v: Vec<f32> = s
        .split(',')
        .map(|p| p.trim().parse::<f32>().map_err(|_| format!("`{p}` is not a number")))
        .collect::<Result<_, _>>()?;
    let [x, y, w, h] = v[..] else {
        return Err("a box is X,Y,W,H".into());
    };
    let b = BBox::new(x, y, w, h);
    if !b.is_valid() {
        return Err("box values must be finite with a positive width and height".into());
    }
    Ok(b)
}

pub fn run(global: &GlobalArgs, args: SearchArgs) -> anyhow::Result<()> {
    let options = SearchOptions {
        limit: args.limit,
        apply_thresholds: !args.all,
        face_search: global.faces.search(),
        ..SearchOptions::default()
    };
    if let Some(text) = &args.text {
        let searcher = Searcher::new(global.open_store()?, global.load_models()?);
        return print(&searcher.search_text(text, &options)?, args.json);
    }
    let query = if let Some(id) = args.video {
        let (Some(at), Some(bbox)) = (args.at, args.bbox) else {
            bail!("--video needs --at SECONDS and --box X,Y,W,H");
        };
        Query::Media { id, bbox, at: Some(at) }
    } else if let Some(path) = args.image {
        Query::Image {
            image: load_image(&path, DecodeLimits::default())?,
            bbox: args.bbox,
        }
    } else if let Some(id) = args.media {
        let Some(bbox) = args.bbox else {
            bail!("--media needs --box X,Y,W,H")
        };
        Query::Media { id, bbox, at: None }
    } else if let Some(track) = args.sighting {
        Query::Sighting { track }
    } else {
        bail!("say what to search with: --video ID --at S --box B, --image FILE [--box B], --media ID --box B, --sighting ID, or --text WORDS");
    };
    let searcher = Searcher::new(global.open_store()?, global.load_models()?);
    print(&searcher.search(&query, &options)?, args.json)
}

fn print(response: &SearchResponse, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(response)?);
    } else {
        print_table(response);
    }
    Ok(())
}

fn print_table(r: &SearchResponse) {
    println!("route: {}   ({:.0} ms)", r.route, r.latency_ms);
    if r.no_match {
        println!("No comparable person or item found.");
        return;
    }
    for g in &r.groups {
        let title = match g.route {
            glint_search::Route::Person => "Same person",
            glint_search::Route::Item => "Same item",
            glint_search::Route::Text => "Fits the words",
        };
        println!("\n{title}:");
        if g.hits.is_empty() {
            println!("  (none)");
        }
        for h in &g.hits {
            let times: Vec<String> = h
                .sightings
                .iter()
                .take(8)
                .map(|s| match s.t {
                    Some(t) => format!("{t:.1}s"),
                    None => format!("[{:.0},{:.0},{:.0},{:.0}]", s.bbox[0], s.bbox[1], s.bbox[2], s.bbox[3]),
                })
                .collect();
            println!("  {:.3}  {}  {}  {}", h.score, h.media_id, h.path, times.join(" "));
            // What matched, for a text search: the words read or named, or the product's title.
            if let Some(text) = h.sightings.iter().find_map(|s| s.text.as_deref()) {
                println!("         {text}");
            }
        }
    }
    if !r.copies.is_empty() {
        println!("\nSame footage (copies of this video):");
    }
    for c in &r.copies {
        println!(
            "  {:>5} points  {}  {}  {:.1}s  [{:.0},{:.0},{:.0},{:.0}]",
            c.inliers, c.media_id, c.path, c.t, c.bbox[0], c.bbox[1], c.bbox[2], c.bbox[3]
        );
    }
    if !r.products.is_empty() {
        println!("\nWhere to buy:");
    }
    for p in &r.products {
        println!(
            "  {:.3}  {} ({} / {})",
            p.score, p.product.title, p.product.store_id, p.product.product_id
        );
        for o in &p.product.offers {
            println!(
                "      {:>10.2} {}  {:<12}  {}  {}",
                o.price,
                o.currency,
                o.availability.as_str(),
                o.store_name,
                o.url
            );
        }
    }
}
