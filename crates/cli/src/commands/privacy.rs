//! `glint optout add|list|rm` and `glint audit`: face-search privacy.
//!
//! An opt-out stores only the identity vectors of the submitted photos (never the photos);
//! search enforces it on every query, so it needs no re-index and covers future media too.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};

use glint_media::{load_image, DecodeLimits};

use crate::config::GlobalArgs;

#[derive(Subcommand)]
pub enum OptOutCommand {
    /// Register a person who opted out, from one or more photos of their face (the largest face
    /// of each photo); prints the opt-out id.
    Add {
        #[arg(required = true)]
        photos: Vec<PathBuf>,
        /// Free text kept with the opt-out (a request reference, not the person's name).
        #[arg(long)]
        note: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List opt-outs.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove an opt-out: that person's face becomes searchable again.
    Rm { id: i64 },
}

#[derive(Args)]
pub struct AuditArgs {
    /// How many of the latest face searches to show.
    #[arg(long, default_value_t = 50)]
    pub last: usize,
    #[arg(long)]
    pub json: bool,
}

pub fn optout(global: &GlobalArgs, cmd: OptOutCommand) -> anyhow::Result<()> {
    let store = global.open_store()?;
    match cmd {
        OptOutCommand::Add { photos, note, json } => {
            let models = global.load_models()?;
            let mut faces = Vec::with_capacity(photos.len());
            for photo in &photos {
                let image = load_image(photo, DecodeLimits::default())?;
                let face = glint_search::privacy::opt_out_embedding(&models, &image)
                    .with_context(|| format!("{}", photo.display()))?;
                faces.push(face);
            }
            let id = store.catalog.add_opt_out(&faces, note.as_deref())?;
            if json {
                println!("{}", serde_json::json!({"id": id, "faces": faces.len()}));
            } else {
                println!("{id}");
            }
        }
        OptOutCommand::List { json } => {
            let list = store.catalog.list_opt_outs()?;
            if json {
                println!("{}", serde_json::to_string(&list)?);
                return Ok(());
            }
            println!("{:>5}  {:>12}  {:>5}  note", "id", "created_at", "faces");
            for o in list {
                println!(
                    "{:>5}  {:>12}  {:>5}  {}",
                    o.id,
                    o.created_at,
                    o.faces,
                    o.note.unwrap_or_default()
                );
            }
        }
        OptOutCommand::Rm { id } => {
            store.catalog.remove_opt_out(id)?;
            println!("removed opt-out {id}");
        }
    }
    Ok(())
}

pub fn audit(global: &GlobalArgs, args: AuditArgs) -> anyhow::Result<()> {
    let store = global.open_store()?;
    let log = store.catalog.face_search_log(args.last)?;
    if args.json {
        println!("{}", serde_json::to_string(&log)?);
        return Ok(());
    }
    println!("{:>12}  {:<12}  {:<9}  results", "at", "route", "query");
    for e in log {
        println!("{:>12}  {:<12}  {:<9}  {}", e.at, e.route, e.query_kind, e.results);
    }
    Ok(())
}
