//! `glint faces IMAGE...`: the faces the detector finds (boxes, scores, five landmarks), for a
//! quick look at a photo, or as JSON lines for the face-model comparison scripts of
//! tools/eval/.

use std::path::PathBuf;

use clap::Args;

use glint_media::{load_image, DecodeLimits};

use crate::config::GlobalArgs;

#[derive(Args)]
pub struct FacesArgs {
    /// The images to look at.
    #[arg(required = true)]
    pub images: Vec<PathBuf>,
    /// Print one JSON object per image (`path`, `width`, `height`, `faces`) instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(global: &GlobalArgs, args: FacesArgs) -> anyhow::Result<()> {
    let models = global.load_models()?;
    for path in &args.images {
        let image = load_image(path, DecodeLimits::default())?;
        let faces = models.face_detector.detect(&image)?;
        if args.json {
            let line = serde_json::json!({
                "path": path,
                "width": image.width(),
                "height": image.height(),
                "faces": faces,
            });
            println!("{line}");
            continue;
        }
        println!(
            "{} face(s) in {} ({}x{})",
            faces.len(),
            path.display(),
            image.width(),
            image.height()
        );
        for f in &faces {
            println!(
                "  box {:>5.0},{:>5.0} {:>5.0}x{:<5.0} score {:.3}",
                f.bbox.x, f.bbox.y, f.bbox.w, f.bbox.h, f.score
            );
        }
    }
    Ok(())
}
