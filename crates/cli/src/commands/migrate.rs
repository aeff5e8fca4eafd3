//! `glint migrate`: copy a library between the embedded default and PostgreSQL.

use clap::Args;

use glint_store::{copy_media, Store};

use crate::config::GlobalArgs;

/// Copies every media (shots, tracks, sightings, vectors) without re-ingesting, then the API
/// tokens (their hashes: the secrets handed out keep working, revoked ones stay revoked), the
/// face-search opt-outs with their face vectors, the face-search audit log and the merchant
/// catalog (stores, products, images, offers), and checks that everything arrived. Media, tokens
/// and opt-outs already in the target are skipped, so an interrupted copy can be run again; the
/// audit log and the merchant catalog are copied only into a target that has none of its own (or
/// the start of the same log), never merged or doubled.
#[derive(Args)]
#[command(group = clap::ArgGroup::new("direction").required(true).args(["to", "from"]))]
pub struct MigrateArgs {
    /// Copy the embedded library in --data-dir into this PostgreSQL database.
    #[arg(long, value_name = "URL")]
    pub to: Option<String>,
    /// Copy this PostgreSQL database into the embedded library in --data-dir.
    #[arg(long, value_name = "URL")]
    pub from: Option<String>,
    /// The database library's files folder (the --data-dir its servers and workers share):
    /// thumbnails, seek proxies and keypoints are copied from it (--from) or into it (--to).
    /// Default: --data-dir itself, where nothing needs copying.
    #[arg(long, value_name = "DIR")]
    pub files: Option<std::path::PathBuf>,
}

pub fn run(global: &GlobalArgs, args: MigrateArgs) -> anyhow::Result<()> {
    let embedded = Store::open_with(&global.data_dir, global.graph_above_floats)?;
    let files = args.files.as_deref().unwrap_or(&global.data_dir);
    let (from, to, direction) = match (&args.to, &args.from) {
        (Some(url), None) => (
            embedded,
            Store::open_database(url, files)?,
            format!(
                "{} -> {}",
                global.data_dir.display(),
                glint_postgres::without_password(url)
            ),
        ),
        (None, Some(url)) => (
            Store::open_database(url, files)?,
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
    let kinds = [
        ("API tokens", report.tokens),
        ("opt-outs", report.opt_outs),
        ("audit log entries", report.log_entries),
        ("stores", report.stores),
        ("products", report.products),
    ];
    let parts: Vec<String> = kinds
        .iter()
        .map(|(what, n)| format!("{} {what} ({} already there)", n.copied, n.present))
        .collect();
    println!("copied {}; all found on the target", parts.join(", "));
    Ok(())
}
