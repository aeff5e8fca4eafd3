//! Options every subcommand shares, from flags or `GLINT_*` environment variables.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// The models folder of the source tree this binary was built from; `make setup` fills it.
const BUILT_MODELS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models");

#[derive(Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Where Glint keeps its catalog, vectors and thumbnails. With --database it holds only the
    /// files (thumbnails, seek proxies, keypoints, uploads): every server and worker of one
    /// library must see the same folder (shared storage).
    #[arg(long, global = true, env = "GLINT_DATA_DIR", default_value_os_t = default_data_dir())]
    pub data_dir: PathBuf,
    /// Keep the catalog and vectors in PostgreSQL with pgvector instead of the embedded
    /// SQLite + local index, e.g. postgres://glint:secret@db.example:5432/glint, so that many
    /// servers and workers on many machines share one library.
    #[arg(long, global = true, env = "GLINT_DATABASE", hide_env_values = true)]
    pub database: Option<String>,
    /// Folder holding manifest.json and the installed model files. Default: the first of
    /// `models/` next to the binary, `../share/glint/models` from it (`make install`),
    /// `$XDG_DATA_HOME/glint/models` (or `~/.local/share/glint/models`), and the source tree
    /// the binary was built from, that holds a manifest.json.
    #[arg(long, global = true, env = "GLINT_MODELS_DIR")]
    pub models_dir: Option<PathBuf>,
    /// A stand-alone encoder spec (JSON) to use another ONNX image encoder instead of the
    /// installed EfficientNet-Lite0.
    #[arg(long, global = true, env = "GLINT_ENCODER")]
    pub encoder: Option<PathBuf>,
    /// Face privacy switch: `on` indexes and searches faces; `search-off` keeps indexing them
    /// but never searches by face (a boxed face is searched as an item); `off` does neither.
    #[arg(long, global = true, env = "GLINT_FACES", value_enum, default_value_t = FacesMode::On)]
    pub faces: FacesMode,
    /// Whether ingest keeps a seek proxy of videos slow to seek in (about the size of a 720p
    /// source; finding a paused frame of bigbuckbunny.mp4 takes 6 ms with one, 314 ms without).
    #[arg(long, global = true, env = "GLINT_SEEK_PROXIES", default_value_t = true, action = clap::ArgAction::Set)]
    pub seek_proxies: bool,
    /// A TOML file of settings (keys named like the long flags, e.g. `bind = "0.0.0.0:8080"`);
    /// variables and flags win over it. Default: $XDG_CONFIG_HOME/glint/config.toml when it
    /// exists.
    #[arg(long, global = true, env = "GLINT_CONFIG")]
    pub config: Option<PathBuf>,
    /// Threads each model inference may use (default: every core).
    #[arg(long, global = true, env = "GLINT_THREADS")]
    pub threads: Option<usize>,
    /// Sessions kept per model, so that that many inferences of one model run at once (a
    /// search beside an ingest); each holds a copy of the weights.
    #[arg(long, global = true, env = "GLINT_MODEL_SESSIONS", value_parser = clap::value_parser!(u32).range(1..=16))]
    pub model_sessions: Option<u32>,
    /// Days finished ingest jobs stay in the job list. Global: servers, workers and `glint
    /// ingest` all prune the queue of one library, and must agree.
    #[arg(long, global = true, env = "GLINT_JOB_RETENTION_DAYS", default_value_t = 7.0)]
    pub job_retention_days: f64,
    /// A vector space moves from the exact scan to the HNSW graph once it holds more than this
    /// many floats (default 64 Mi floats' worth: 16k 1024-d faces or 32k 512-d item windows).
    #[arg(long, global = true, env = "GLINT_GRAPH_ABOVE_FLOATS", default_value_t = glint_index::GRAPH_ABOVE_FLOATS)]
    pub graph_above_floats: usize,
}

/// What Glint may do with faces.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FacesMode {
    On,
    Off,
    SearchOff,
}

impl FacesMode {
    /// Whether ingest detects and indexes faces.
    pub fn indexing(self) -> bool {
        self == FacesMode::On || self == FacesMode::SearchOff
    }

    /// Whether search may use the person route.
    pub fn search(self) -> bool {
        self == FacesMode::On
    }
}

/// `$XDG_DATA_HOME`, else `~/.local/share` (the XDG default), else the current folder.
fn data_home() -> PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."))
}

fn default_data_dir() -> PathBuf {
    data_home().join("glint")
}

/// Where installed models may lie, in the order they are tried: beside the binary (an unpacked
/// release), the `share` folder of its prefix (`make install PREFIX=…`), the user's data
/// folder, and last the source tree it was built from (a `cargo build` in a checkout).
pub fn models_dir_candidates(
    exe: Option<&std::path::Path>,
    data_home: &std::path::Path,
    built: &std::path::Path,
) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(bin) = exe.and_then(|e| e.parent()) {
        out.push(bin.join("models"));
        if let Some(prefix) = bin.parent() {
            out.push(prefix.join("share/glint/models"));
        }
    }
    out.push(data_home.join("glint/models"));
    out.push(built.to_path_buf());
    out
}

/// The first candidate that holds a manifest.
pub fn find_models_dir(candidates: &[PathBuf]) -> Option<PathBuf> {
    candidates.iter().find(|c| c.join("manifest.json").is_file()).cloned()
}

impl GlobalArgs {
    /// The library: the database when --database is given, else the data directory's
    /// embedded catalog and vector index.
    pub fn open_store(&self) -> anyhow::Result<glint_ingest::Store> {
        self.open_store_in(&self.data_dir)
    }

    /// The library with its files in `dir` (an evaluation's or a benchmark's own folder): the
    /// database when --database is given, else the embedded library in `dir`.
    pub fn open_store_in(&self, dir: &std::path::Path) -> anyhow::Result<glint_ingest::Store> {
        Ok(glint_ingest::Store::open_any(
            self.database.as_deref(),
            dir,
            self.graph_above_floats,
        )?)
    }

    /// How long finished jobs are kept (`--job-retention-days`).
    pub fn job_retention(&self) -> anyhow::Result<std::time::Duration> {
        std::time::Duration::try_from_secs_f64(self.job_retention_days * 86_400.0).map_err(|_| {
            anyhow::anyhow!(
                "--job-retention-days must be a non-negative number, got {}",
                self.job_retention_days
            )
        })
    }

    /// Hands the runtime settings to the vision crate, which reads them from the environment
    /// when the models load. Called before any thread starts.
    pub fn export_runtime_settings(&self) {
        if let Some(n) = self.threads {
            std::env::set_var("GLINT_THREADS", n.to_string());
        }
        if let Some(n) = self.model_sessions {
            std::env::set_var("GLINT_MODEL_SESSIONS", n.to_string());
        }
    }

    /// Where the library lives, for messages (never with a password).
    pub fn library_location(&self) -> String {
        match &self.database {
            Some(url) => format!(
                "{} (files in {})",
                glint_postgres::without_password(url),
                self.data_dir.display()
            ),
            None => self.data_dir.display().to_string(),
        }
    }

    pub fn load_models(&self) -> anyhow::Result<glint_vision::Models> {
        Ok(glint_vision::Models::load(
            &self.models_dir()?,
            self.encoder.as_deref(),
        )?)
    }

    /// The models folder: the one given, else the first installed one found
    /// ([`models_dir_candidates`]).
    pub fn models_dir(&self) -> anyhow::Result<PathBuf> {
        if let Some(dir) = &self.models_dir {
            return Ok(dir.clone());
        }
        let candidates = models_dir_candidates(
            std::env::current_exe().ok().as_deref(),
            &data_home(),
            std::path::Path::new(BUILT_MODELS_DIR),
        );
        find_models_dir(&candidates).ok_or_else(|| {
            let tried: Vec<String> = candidates.iter().map(|c| format!("  {}", c.display())).collect();
            anyhow::anyhow!(
                "no models found (a folder with manifest.json); looked in:\n{}\n\
                 run `make setup` in the source tree, install a release (`make install`), or pass \
                 --models-dir / GLINT_MODELS_DIR",
                tried.join("\n")
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_are_found_beside_the_binary_then_in_its_prefix_then_the_data_home() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        let exe = r.join("prefix/bin/glint");
        let candidates = models_dir_candidates(Some(&exe), &r.join("data"), &r.join("src/models"));
        assert_eq!(
            candidates,
            vec![
                r.join("prefix/bin/models"),
                r.join("prefix/share/glint/models"),
                r.join("data/glint/models"),
                r.join("src/models"),
            ]
        );
        assert_eq!(find_models_dir(&candidates), None);
        let install = |dir: &PathBuf| {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join("manifest.json"), "{}").unwrap();
        };
        install(&candidates[3]);
        assert_eq!(find_models_dir(&candidates), Some(candidates[3].clone()));
        install(&candidates[2]);
        assert_eq!(find_models_dir(&candidates), Some(candidates[2].clone()));
        install(&candidates[1]);
        assert_eq!(find_models_dir(&candidates), Some(candidates[1].clone()));
        install(&candidates[0]);
        assert_eq!(find_models_dir(&candidates), Some(candidates[0].clone()));
    }
}
