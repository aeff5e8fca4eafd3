//! `glint media list|rm` and `glint jobs`.

use clap::{Args, Subcommand};

use crate::config::GlobalArgs;

#[derive(Subcommand)]
pub enum MediaCommand {
    /// List indexed media.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one media with its tracks (faces and items) and their sightings.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Remove a media, its vectors and thumbnails.
    Rm { id: String },
}

#[derive(Args)]
pub struct JobsArgs {
    #[arg(long)]
    pub json: bool,
}

pub fn run(global: &GlobalArgs, cmd: MediaCommand) -> anyhow::Result<()> {
    let store = global.open_store()?;
    match cmd {
        MediaCommand::List { json } => {
            let media = store.catalog.list_media()?;
            if json {
                println!("{}", serde_json::to_string(&media)?);
                return Ok(());
            }
            println!(
                "{:<16}  {:<5}  {:>8}  {:>5}  {:>6}  path",
                "id", "kind", "duration", "shots", "tracks"
            );
            for m in media {
                let duration = m.duration_s.map_or("-".to_string(), |d| format!("{d:.1}s"));
                println!(
                    "{:<16}  {:<5}  {:>8}  {:>5}  {:>6}  {}",
                    m.id,
                    serde_json::to_value(m.kind)?.as_str().unwrap_or("?"),
                    duration,
                    m.shots.len(),
                    m.tracks,
                    m.path
                );
            }
        }
        MediaCommand::Show { id, json } => {
            let media = store
                .catalog
                .media(&id)?
                .ok_or_else(|| anyhow::anyhow!("no media with id {id}"))?;
            let tracks = store.catalog.tracks(&id)?;
            if json {
                println!("{}", serde_json::json!({"media": media, "tracks": tracks}));
                return Ok(());
            }
            println!("{} {} ({}x{})", media.id, media.path, media.width, media.height);
            for t in tracks {
                let times: Vec<f64> = t.sightings.iter().filter_map(|s| s.t).collect();
                let span = match (times.first(), times.last()) {
                    (Some(a), Some(b)) => format!("{a:.2}-{b:.2}s"),
                    _ => "-".to_string(),
                };
                let kind = serde_json::to_value(t.kind)?;
                println!(
                    "  track {:>4}  {:<4}  shot {:>3}  {:>14}  {} sighting(s)",
                    t.ordinal,
                    kind.as_str().unwrap_or("?"),
                    t.shot_idx,
                    span,
                    t.sightings.len()
                );
            }
        }
        MediaCommand::Rm { id } => {
            glint_ingest::remove_media(&store, &id)?;
            println!("removed {id}");
        }
    }
    Ok(())
}

pub fn jobs(global: &GlobalArgs, args: JobsArgs) -> anyhow::Result<()> {
    let store = global.open_store()?;
    let jobs = store.catalog.jobs()?;
    if args.json {
        println!("{}", serde_json::to_string(&jobs)?);
        return Ok(());
    }
    for j in jobs {
        let state = serde_json::to_value(j.state)?;
        let detail = j.error.or(j.outcome).unwrap_or_default();
        println!(
            "{:>5}  {:<7}  {}  {}",
            j.id,
            state.as_str().unwrap_or("?"),
            j.path,
            detail
        );
    }
    Ok(())
}
