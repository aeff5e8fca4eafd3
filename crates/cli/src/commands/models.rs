//! `glint models verify`: checks every installed model file against its manifest checksum and
//! runs each model on real images, printing what it found.

use std::path::Path;

use anyhow::{bail, Context};
use clap::Subcommand;

use glint_media::{load_image, DecodeLimits};
use glint_vision::{verify_file, ModelManifest, Models};

use crate::config::GlobalArgs;

#[derive(Subcommand)]
pub enum ModelsCommand {
    /// Check checksums and run every model on the sample images (exit code 1 on any failure).
    Verify,
}

/// ImageNet class that scikit-image's coffee.png must be: 967 "espresso".
const ESPRESSO: usize = 967;

pub fn run(global: &GlobalArgs, cmd: ModelsCommand) -> anyhow::Result<()> {
    match cmd {
        ModelsCommand::Verify => verify(global),
    }
}

fn verify(global: &GlobalArgs) -> anyhow::Result<()> {
    let dir = &global.models_dir()?;
    println!("models in {}", dir.display());
    let manifest = ModelManifest::load(dir)?;
    for (file, sha) in manifest.files() {
        verify_file(&dir.join(file), sha)?;
        println!("  checksum ok  {file}");
    }
    let models = global.load_models()?;
    println!(
        "  loaded       face detector, face embedder `{}`, image encoder `{}`",
        models.face_embedder.name(),
        models.image_encoder.name()
    );

    let samples = dir.join("samples");
    let mut failures = Vec::new();
    if let Err(e) = check_encoder(&models, &samples.join("coffee.png")) {
        failures.push(format!("image encoder: {e:#}"));
    }
    if let Err(e) = check_faces(&models, &samples.join("astronaut.png")) {
        failures.push(format!("faces: {e:#}"));
    }
    if let Err(e) = check_objects(&models, &samples.join("coffee.png")) {
        failures.push(format!("objects: {e:#}"));
    }
    if failures.is_empty() {
        println!("all models verified");
        Ok(())
    } else {
        bail!("{}", failures.join("; "))
    }
}

fn check_encoder(models: &Models, path: &Path) -> anyhow::Result<()> {
    let image = load_image(path, DecodeLimits::default())?;
    let encoded = models.image_encoder.encode(&[&image])?.remove(0);
    println!(
        "  encoder      {}: {}-d embedding",
        path.display(),
        encoded.embedding.len()
    );
    let Some(logits) = encoded.logits else {
        println!("               (this encoder has no classifier head; class check skipped)");
        return Ok(());
    };
    let mut ranked: Vec<(usize, f32)> = logits.iter().copied().enumerate().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let top: Vec<String> = ranked.iter().take(5).map(|(c, s)| format!("{c} ({s:.2})")).collect();
    println!("               top-5 ImageNet classes: {}", top.join(", "));
    if ranked[0].0 != ESPRESSO && models.image_encoder.name() == "efficientnet-lite0" {
        bail!("coffee.png should be class {ESPRESSO} (espresso), got {}", ranked[0].0);
    }
    Ok(())
}

/// The object detector, when installed, finds the cup on coffee.png.
fn check_objects(models: &Models, path: &Path) -> anyhow::Result<()> {
    let Some(detector) = models.object_detector.as_deref() else {
        println!("  objects      no object detector installed (run `make setup`)");
        return Ok(());
    };
    let image = load_image(path, DecodeLimits::default())?;
    let objects = detector.detect(&image)?;
    let names: Vec<String> = objects
        .iter()
        .map(|o| format!("{} ({:.2})", o.label, o.score))
        .collect();
    println!(
        "  objects      {} `{}`: {}",
        path.display(),
        detector.name(),
        names.join(", ")
    );
    if !objects.iter().any(|o| o.label == "cup") {
        bail!("no cup found in {}", path.display());
    }
    Ok(())
}

fn check_faces(models: &Models, path: &Path) -> anyhow::Result<()> {
    let image = load_image(path, DecodeLimits::default())?;
    let faces = models.face_detector.detect(&image)?;
    println!("  detector     {}: {} face(s)", path.display(), faces.len());
    for f in &faces {
        println!(
            "               box {:.0},{:.0},{:.0}x{:.0} score {:.3}",
            f.bbox.x, f.bbox.y, f.bbox.w, f.bbox.h, f.score
        );
    }
    if faces.is_empty() {
        bail!("no face found in {}", path.display());
    }
    let embeddings = models.face_embedder.embed(&image, &faces).context("embedding faces")?;
    let norm = embeddings[0].iter().map(|v| v * v).sum::<f32>().sqrt();
    println!(
        "  embedder     {} face embedding(s), {}-d, first has norm {norm:.3}",
        embeddings.len(),
        embeddings[0].len()
    );
    Ok(())
}
