//! `glint migrate`: copy a library between the embedded default and PostgreSQL.

use clap::Args;

use glint_store::{copy_media, Store};

use crate::config::GlobalArgs;

/// Copies every media (shots, tracks, sightings, vectors) without re-ingesting, then checks
/// that each one arrived whole. Media already in the target are skipped, so an interrupted
/// copy can be run again. Tokens, opt-outs, the audit log and merchant catalogs are not copied:
/// create tokens and opt-outs again, and re-import catalogs (`glint catalog import`).
#[derive(Args)]
#[command(group = clap::ArgGroup::new("direction").required(true).args(["to", "from"]))]
pub struct MigrateArgs {
    /// Copy the embedded library in --data-dir into this PostgreSQL database.
    #[arg(long, value_name = "URL")]
    pub to: Option<String>,
    /// Copy this PostgreSQL database into the embedded library in --data-dir.
    #[arg(long, value_name = "URL")]
    pub from: Option<String>,
}

pub fn run(global: &GlobalArgs, args: MigrateArgs) -> anyhow::Result<()> {
    let embedded = Store::open_with(&global.data_dir, global.graph_above_floats)?;
    let (from, to, direction) = match (&args.to, &args.from) {
        (Some(url), None) => (
            embedded,
            Store::open_database(url, &global.data_dir)?,
            format!(
                "{} -> {}",
                global.data_dir.display(),
                glint_postgres::without_password(url)
            ),
        ),
        (None, Some(url)) => (
            Store::open_database(url, &global.data_dir)?,
            embedded,
            format!(
                "{} -> {}",
                glint_postgres::without_password(url),
                global.data_dir.display()
            ),
        ),
        _ => anyhow::bail!("give exactly one of --to URL or --from URL"),
    };
    eprintln!("copying {direction}");
    let report = copy_media(&from, &to, &mut |done, total| {
        if done % 50 == 0 || done == total {
            eprintln!("  {done}/{total} media");
        }
    })?;
    println!(
        "copied {} media ({} already there); checked {} media: {} tracks, {} vectors, all equal",
        report.copied,
        report.present,
        report.copied + report.present,
        report.tracks,
        report.vectors
    );
    Ok(())
}
