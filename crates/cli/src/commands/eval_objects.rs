//! `glint eval objects --labels CSV`: the object detector on a small labelled sanity set.
//!
//! The labels say, per picture (a photo, or a video at `t` seconds), how many clearly visible
//! objects of each COCO class it holds; a picture may hold none. The detector's objects are
//! counted per picture and class: min(found, labelled) are right, the rest of what it found is
//! wrong (a false object), the rest of what was labelled is missed. Where the boxes lie is not
//! scored here (the labels have no boxes); docs/benchmarks.md shows them. Reported per class and
//! overall, at the calibrated threshold and over a sweep of thresholds.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;

use glint_vision::DetectedObject;

use crate::commands::objects::{detect_in_file, detector};
use crate::config::GlobalArgs;

#[derive(Args)]
pub struct ObjectsEvalArgs {
    /// The labels: CSV `path,t,label,count` (paths relative to the file; `#` lines are notes).
    #[arg(long)]
    pub labels: PathBuf,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    pub json: bool,
}

/// Thresholds swept besides the calibrated one.
const SWEEP: [f32; 6] = [0.2, 0.25, 0.3, 0.35, 0.4, 0.5];

/// One labelled picture: where it is, and how many objects of each class it holds.
struct Picture {
    path: PathBuf,
    t: f64,
    counts: BTreeMap<String, usize>,
}

/// Right, false and missed objects of one class (or of all).
#[derive(Default, Clone, Copy)]
struct Tally {
    right: usize,
    false_objects: usize,
    missed: usize,
}

impl Tally {
    fn precision(&self) -> f64 {
        ratio(self.right, self.right + self.false_objects)
    }
    fn recall(&self) -> f64 {
        ratio(self.right, self.right + self.missed)
    }
    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "right": self.right, "false": self.false_objects, "missed": self.missed,
            "precision": self.precision(), "recall": self.recall(),
        })
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

pub fn run(global: &GlobalArgs, args: ObjectsEvalArgs) -> anyhow::Result<()> {
    let pictures = read_labels(&args.labels)?;
    let models = global.load_models()?;
    let detector = detector(&models)?;
    let shipped = detector.threshold();
    let lowest = SWEEP.iter().copied().fold(shipped, f32::min);
    let mut found: Vec<Vec<DetectedObject>> = Vec::new();
    for p in &pictures {
        let (_, _, objects) = detect_in_file(detector, &p.path, p.t, lowest)?;
        found.push(objects);
    }
    let score = |threshold: f32| -> BTreeMap<String, Tally> {
        let mut per_class: BTreeMap<String, Tally> = BTreeMap::new();
        for (p, objects) in pictures.iter().zip(&found) {
            let mut seen: BTreeMap<String, usize> = BTreeMap::new();
            for o in objects.iter().filter(|o| o.score >= threshold) {
                *seen.entry(o.label.to_string()).or_default() += 1;
            }
            let classes: std::collections::BTreeSet<&String> = seen.keys().chain(p.counts.keys()).collect();
            for class in classes {
                let (n, want) = (
                    seen.get(class).copied().unwrap_or(0),
                    p.counts.get(class).copied().unwrap_or(0),
                );
                let t = per_class.entry(class.clone()).or_default();
                t.right += n.min(want);
                t.false_objects += n.saturating_sub(want);
                t.missed += want.saturating_sub(n);
            }
        }
        per_class
    };
    let total = |per_class: &BTreeMap<String, Tally>| {
        per_class.values().fold(Tally::default(), |a, t| Tally {
            right: a.right + t.right,
            false_objects: a.false_objects + t.false_objects,
            missed: a.missed + t.missed,
        })
    };
    let at_shipped = score(shipped);
    let sweep: Vec<(f32, Tally)> = SWEEP.iter().map(|&th| (th, total(&score(th)))).collect();
    if args.json {
        let classes: serde_json::Map<String, serde_json::Value> =
            at_shipped.iter().map(|(c, t)| (c.clone(), t.json())).collect();
        let sweep: Vec<_> = sweep
            .iter()
            .map(|(th, t)| serde_json::json!({ "threshold": th, "all": t.json() }))
            .collect();
        let out = serde_json::json!({
            "pictures": pictures.len(),
            "threshold": shipped,
            "all": total(&at_shipped).json(),
            "classes": classes,
            "sweep": sweep,
        });
        println!("{out}");
        return Ok(());
    }
    println!("{} pictures, detector threshold {shipped}", pictures.len());
    println!(
        "{:<14} {:>5} {:>5} {:>6} {:>9} {:>6}",
        "class", "right", "false", "missed", "precision", "recall"
    );
    let all = total(&at_shipped);
    for (class, t) in at_shipped.iter().chain(std::iter::once((&"(all)".to_string(), &all))) {
        println!(
            "{class:<14} {:>5} {:>5} {:>6} {:>9.2} {:>6.2}",
            t.right,
            t.false_objects,
            t.missed,
            t.precision(),
            t.recall()
        );
    }
    println!("\nthreshold  precision  recall");
    for (th, t) in sweep {
        println!("{th:>9.2}  {:>9.2}  {:>6.2}", t.precision(), t.recall());
    }
    Ok(())
}

fn read_labels(path: &Path) -> anyhow::Result<Vec<Picture>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut pictures: Vec<Picture> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("path,") {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let [file, t, label, count] = fields[..] else {
            bail!("{}:{}: expected path,t,label,count", path.display(), i + 1);
        };
        let t: f64 = if t.is_empty() {
            0.0
        } else {
            t.parse().with_context(|| format!("line {}: t", i + 1))?
        };
        let count: usize = count.parse().with_context(|| format!("line {}: count", i + 1))?;
        let file = base.join(file);
        let at = match pictures.iter().position(|p| p.path == file && p.t == t) {
            Some(at) => at,
            None => {
                pictures.push(Picture {
                    path: file,
                    t,
                    counts: BTreeMap::new(),
                });
                pictures.len() - 1
            }
        };
        if !label.is_empty() && count > 0 {
            pictures[at].counts.insert(label.to_string(), count);
        }
    }
    if pictures.is_empty() {
        bail!("{}: no labelled pictures", path.display());
    }
    Ok(pictures)
}
