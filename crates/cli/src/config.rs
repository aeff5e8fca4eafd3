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
    /// Folder holding models/manifest.json and the installed model files.
    #[arg(long, global = true, env = "GLINT_MODELS_DIR", default_value = BUILT_MODELS_DIR)]
    pub models_dir: PathBuf,
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

fn default_data_dir() -> PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("glint")
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
        Ok(glint_vision::Models::load(&self.models_dir, self.encoder.as_deref())?)
    }
}
