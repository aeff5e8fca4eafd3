//! `glint`: the one binary. Parses the command line (flags, `GLINT_*` environment variables),
//! sets up logging and hands each subcommand to its module under `commands/`.

mod commands;
mod config;
mod config_file;

use clap::{Parser, Subcommand};

use config::GlobalArgs;

#[derive(Parser)]
#[command(
    name = "glint",
    version,
    about = "Self-hosted in-video visual search: find the same person or item across your videos and photos"
)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Inspect and check the installed vision models.
    #[command(subcommand)]
    Models(commands::models::ModelsCommand),
    /// Detect faces in an image and print their boxes, landmarks and scores.
    Faces(commands::faces::FacesArgs),
    /// Detect everyday objects (80 COCO classes) in photos or a video frame.
    Objects(commands::objects::ObjectsArgs),
    /// Index videos and photos (folders are walked recursively); resumes unfinished jobs.
    Ingest(commands::ingest::IngestArgs),
    /// List or remove indexed media.
    #[command(subcommand)]
    Media(commands::media::MediaCommand),
    /// Show the ingest job queue.
    Jobs(commands::media::JobsArgs),
    /// Box a region of a video, an image or a photo, and find the same person or item elsewhere.
    Search(commands::search::SearchArgs),
    /// Measure accuracy on a folder with groundtruth.csv.
    #[command(subcommand)]
    Eval(commands::eval::EvalCommand),
    /// Measure speed on your own files.
    #[command(subcommand)]
    Bench(commands::bench::BenchCommand),
    /// Serve the web UI and HTTP API (uploads are indexed in the background).
    Serve(commands::serve::ServeArgs),
    /// Work the ingest queue of a shared library (--database) until stopped.
    Worker(commands::worker::WorkerArgs),
    /// Copy a library between the embedded default and PostgreSQL, without re-ingesting.
    Migrate(commands::migrate::MigrateArgs),
    /// Create, list or revoke the bearer tokens of the HTTP API.
    #[command(subcommand)]
    Tokens(commands::tokens::TokensCommand),
    /// Opt people out of face search, from photos of their face.
    #[command(subcommand)]
    Optout(commands::privacy::OptOutCommand),
    /// List the latest searches that used face (person) search.
    Audit(commands::privacy::AuditArgs),
    /// Merchant catalogs: import feeds of stores, products and offers; list; remove.
    #[command(subcommand)]
    Catalog(commands::catalog::CatalogCommand),
    /// Print the HTTP API's OpenAPI 3.1 document (what `GET /api/openapi.json` serves).
    Openapi,
}

fn main() -> std::process::ExitCode {
    restore_default_sigpipe();
    limit_malloc_arenas();
    // The configuration file sets defaults of the GLINT_* variables, before clap reads them
    // (and before any thread exists).
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    match config_file::locate(&args).and_then(|file| file.map(|f| config_file::read(&f)).transpose()) {
        Ok(Some(settings)) => config_file::apply(settings),
        Ok(None) => {}
        Err(e) => {
            eprintln!("error: {e:#}");
            return std::process::ExitCode::FAILURE;
        }
    }
    let cli = Cli::parse();
    cli.global.export_runtime_settings();
    // Whether the command was asked for JSON: its errors are then JSON too (on stdout, where a
    // script reads the answer), not only text on stderr.
    let json = std::env::args().any(|a| a == "--json");
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("GLINT_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Models(cmd) => commands::models::run(&cli.global, cmd),
        Command::Faces(args) => commands::faces::run(&cli.global, args),
        Command::Objects(args) => commands::objects::run(&cli.global, args),
        Command::Ingest(args) => commands::ingest::run(&cli.global, args),
        Command::Media(cmd) => commands::media::run(&cli.global, cmd),
        Command::Jobs(args) => commands::media::jobs(&cli.global, args),
        Command::Bench(cmd) => commands::bench::run(&cli.global, cmd),
        Command::Search(args) => commands::search::run(&cli.global, args),
        Command::Eval(cmd) => commands::eval::run(&cli.global, cmd),
        Command::Serve(args) => commands::serve::run(&cli.global, args),
        Command::Worker(args) => commands::worker::run(&cli.global, args),
        Command::Migrate(args) => commands::migrate::run(&cli.global, args),
        Command::Tokens(cmd) => commands::tokens::run(&cli.global, cmd),
        Command::Optout(cmd) => commands::privacy::optout(&cli.global, cmd),
        Command::Audit(args) => commands::privacy::audit(&cli.global, args),
        Command::Catalog(cmd) => commands::catalog::run(&cli.global, cmd),
        Command::Openapi => {
            println!("{}", glint_server::openapi_document());
            Ok(())
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // The command printed its answer (which lists the failures) and only asks for the code.
        Err(e) if e.downcast_ref::<commands::SomeFailed>().is_some() => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(commands::SomeFailed::EXIT_CODE)
        }
        Err(e) => {
            if json {
                println!("{}", serde_json::json!({ "error": format!("{e:#}") }));
            }
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// glibc gives each thread that allocates at once an arena of its own, up to 8 per core, and an
/// arena keeps the memory it once held. Glint's threads (ONNX Runtime's, decoding, the graph's)
/// each allocate tens of MB of images and tensors, so a library of 1M regions held ~500 MB more
/// than with one arena per core, at the same query latency (`glint bench scale`,
/// docs/benchmarks.md). A `MALLOC_ARENA_MAX` set by the user wins.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let arenas = libc::c_int::try_from(cores.max(2)).unwrap_or(libc::c_int::MAX);
        // SAFETY: called first thing in main, before any thread allocates.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, arenas);
        }
    }
}

/// Rust ignores SIGPIPE, so `glint media list --json | head` would make every later print fail
/// and `println!` panic ("failed printing to stdout: Broken pipe"). Like other command-line
/// tools, glint is ended quietly by the signal instead when its reader goes away.
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; SIG_DFL is a valid handler.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
