//! `glint faces IMAGE`: the faces the detector finds, for a quick look at one photo.

use std::path::PathBuf;

use clap::Args;

use glint_media::{load_image, DecodeLimits};

use crate::config::GlobalArgs;

#[derive(Args)]
pub struct FacesArgs {
    /// The image to look at.
    pub image: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(global: &GlobalArgs, args: FacesArgs) -> anyhow::Result<()> {
    let image = load_image(&args.image, DecodeLimits::default())?;
    let models = global.load_models()?;
    let faces = models.face_detector.detect(&image)?;
    if args.json {
        println!("{}", serde_json::to_string(&faces)?);
        return Ok(());
    }
    println!(
        "{} face(s) in {} ({}x{})",
        faces.len(),
        args.image.display(),
        image.width(),
        image.height()
    );
    for f in &faces {
        println!(
            "  box {:>5.0},{:>5.0} {:>5.0}x{:<5.0} score {:.3}",
            f.bbox.x, f.bbox.y, f.bbox.w, f.bbox.h, f.score
        );
    }
    Ok(())
}
