//! The configuration file. Settings are layered: built-in defaults, then the file, then the
//! `GLINT_*` environment variables, then flags on the command line, each layer winning over
//! the ones before it.
//!
//! The file is TOML whose keys are the settings' names ([`SETTINGS`], the long flags without
//! their dashes: `bind = "0.0.0.0:8080"`), at the top level or grouped in tables (`[serve]`),
//! which are only for reading. Each value becomes the default of the setting's environment
//! variable when that variable is not set, so clap's own `env` handling gives every flag the
//! layering above without a second parser. The file is `--config FILE` (or `GLINT_CONFIG`),
//! else `$XDG_CONFIG_HOME/glint/config.toml` (`~/.config/glint/config.toml`) when it exists.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

/// One setting: its key in the file and the variable it feeds.
pub struct Setting {
    pub key: &'static str,
    pub env: &'static str,
}

macro_rules! settings {
    ($($key:literal => $env:literal),* $(,)?) => {
        /// Every setting a file may hold (the README's configuration table lists each one).
        pub const SETTINGS: &[Setting] = &[$(Setting { key: $key, env: $env }),*];
    };
}

settings! {
    "data-dir" => "GLINT_DATA_DIR",
    "database" => "GLINT_DATABASE",
    "models-dir" => "GLINT_MODELS_DIR",
    "encoder" => "GLINT_ENCODER",
    "faces" => "GLINT_FACES",
    "seek-proxies" => "GLINT_SEEK_PROXIES",
    "graph-above-floats" => "GLINT_GRAPH_ABOVE_FLOATS",
    "threads" => "GLINT_THREADS",
    "model-sessions" => "GLINT_MODEL_SESSIONS",
    "log" => "GLINT_LOG",
    "ingest-workers" => "GLINT_INGEST_WORKERS",
    "ingest-fast" => "GLINT_INGEST_FAST",
    "ingest-ocr" => "GLINT_INGEST_OCR",
    "bind" => "GLINT_BIND",
    "open" => "GLINT_OPEN",
    "private" => "GLINT_PRIVATE",
    "admin-key" => "GLINT_ADMIN_KEY",
    "trusted-proxies" => "GLINT_TRUSTED_PROXIES",
    "cors-origins" => "GLINT_CORS_ORIGINS",
    "compression" => "GLINT_COMPRESSION",
    "serve-ingest" => "GLINT_SERVE_INGEST",
    "max-upload-mb" => "GLINT_MAX_UPLOAD_MB",
    "max-photo-mb" => "GLINT_MAX_PHOTO_MB",
    "max-catalog-mb" => "GLINT_MAX_CATALOG_MB",
    "max-json-kb" => "GLINT_MAX_JSON_KB",
    "max-video-min" => "GLINT_MAX_VIDEO_MIN",
    "max-analysis-min" => "GLINT_MAX_ANALYSIS_MIN",
    "max-searches" => "GLINT_MAX_SEARCHES",
    "search-queue-wait-s" => "GLINT_SEARCH_QUEUE_WAIT_S",
    "search-rate" => "GLINT_SEARCH_RATE",
    "search-burst" => "GLINT_SEARCH_BURST",
    "work-timeout-s" => "GLINT_WORK_TIMEOUT_S",
    "job-retention-days" => "GLINT_JOB_RETENTION_DAYS",
}

/// The file to read: `--config` on the command line, else `GLINT_CONFIG`, else the default
/// place when a file is there. `Ok(None)`: no file, built-in defaults apply.
pub fn locate(args: &[OsString]) -> anyhow::Result<Option<PathBuf>> {
    let mut given = None;
    for (i, arg) in args.iter().enumerate() {
        let text = arg.to_string_lossy();
        if text == "--" {
            break;
        }
        if let Some(v) = text.strip_prefix("--config=") {
            given = Some(PathBuf::from(v));
        } else if text == "--config" {
            let value = args.get(i + 1).context("--config needs a file")?;
            given = Some(PathBuf::from(value));
        }
    }
    if let Some(path) = given.or_else(|| std::env::var_os("GLINT_CONFIG").map(PathBuf::from)) {
        if !path.is_file() {
            bail!("configuration file {} not found", path.display());
        }
        return Ok(Some(path));
    }
    let home = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
    Ok(home.map(|h| h.join("glint/config.toml")).filter(|p| p.is_file()))
}

/// The file's settings as `(variable, value)` pairs.
pub fn read(path: &Path) -> anyhow::Result<Vec<(&'static str, String)>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse(&text).with_context(|| format!("configuration file {}", path.display()))
}

fn parse(text: &str) -> anyhow::Result<Vec<(&'static str, String)>> {
    let table: toml::Table = toml::from_str(text)?;
    let mut flat = BTreeMap::new();
    flatten(&table, "", &mut flat)?;
    flat.into_iter()
        .map(|(key, value)| {
            let setting = SETTINGS.iter().find(|s| s.key == key).with_context(|| {
                let known: Vec<&str> = SETTINGS.iter().map(|s| s.key).collect();
                format!("unknown setting `{key}` (known: {})", known.join(", "))
            })?;
            Ok((setting.env, value))
        })
        .collect()
}

/// Settings from the top level and from any table (tables only group), as text the way the
/// variables take it (lists comma-separated).
fn flatten(table: &toml::Table, section: &str, out: &mut BTreeMap<String, String>) -> anyhow::Result<()> {
    for (key, value) in table {
        let scalar = |v: &toml::Value| -> Option<String> {
            match v {
                toml::Value::String(s) => Some(s.clone()),
                toml::Value::Integer(i) => Some(i.to_string()),
                toml::Value::Float(f) => Some(f.to_string()),
                toml::Value::Boolean(b) => Some(b.to_string()),
                _ => None,
            }
        };
        let text = match value {
            toml::Value::Table(inner) if section.is_empty() => {
                flatten(inner, key, out)?;
                continue;
            }
            toml::Value::Array(items) => items
                .iter()
                .map(|i| scalar(i).with_context(|| format!("`{key}`: a list holds plain values")))
                .collect::<anyhow::Result<Vec<_>>>()?
                .join(","),
            other => scalar(other).with_context(|| format!("`{key}`: expected a string, number, boolean or list"))?,
        };
        if out.insert(key.clone(), text).is_some() {
            bail!("`{key}` is set twice");
        }
    }
    Ok(())
}

/// Makes each of the file's settings the default of its variable: a variable already set wins.
/// Must run before any thread starts (it changes the process environment).
pub fn apply(settings: Vec<(&'static str, String)>) {
    for (env, value) in settings {
        if std::env::var_os(env).is_none() {
            std::env::set_var(env, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_their_variables_from_any_table() {
        let got = parse(
            r#"
            data-dir = "/srv/glint"
            [serve]
            bind = "0.0.0.0:8080"
            max-upload-mb = 4096
            open = false
            trusted-proxies = ["10.0.0.1", "10.0.0.2"]
            search-rate = 2.5
            "#,
        )
        .unwrap();
        let got: BTreeMap<&str, String> = got.into_iter().collect();
        assert_eq!(got["GLINT_DATA_DIR"], "/srv/glint");
        assert_eq!(got["GLINT_BIND"], "0.0.0.0:8080");
        assert_eq!(got["GLINT_MAX_UPLOAD_MB"], "4096");
        assert_eq!(got["GLINT_OPEN"], "false");
        assert_eq!(got["GLINT_TRUSTED_PROXIES"], "10.0.0.1,10.0.0.2");
        assert_eq!(got["GLINT_SEARCH_RATE"], "2.5");
    }

    #[test]
    fn mistakes_are_named() {
        let err = |text: &str| format!("{:#}", parse(text).unwrap_err());
        assert!(err("bnid = \"x\"").contains("unknown setting `bnid`"));
        assert!(
            err("bind = ").contains("TOML") || err("bind = ").contains("expected"),
            "{}",
            err("bind = ")
        );
        assert!(err("bind = \"a\"\n[serve]\nbind = \"b\"").contains("set twice"));
        assert!(err("[serve.deeper]\nbind = \"b\"").contains("expected a string"));
        assert!(err("trusted-proxies = [[1]]").contains("plain values"));
    }

    #[test]
    fn the_readme_table_lists_every_setting() {
        let readme = include_str!("../../../README.md");
        for s in SETTINGS {
            let row = format!("| `{}` |", s.key);
            let line = readme.lines().find(|l| l.starts_with(&row));
            let line = line.unwrap_or_else(|| panic!("README's configuration table has no row for `{}`", s.key));
            assert!(line.contains(&format!("`{}`", s.env)), "{line}");
        }
    }

    #[test]
    fn the_file_is_located_from_the_flag() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("glint.toml");
        std::fs::write(&file, "").unwrap();
        let args = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        let flag = format!("--config={}", file.display());
        assert_eq!(locate(&args(&["glint", &flag, "serve"])).unwrap(), Some(file.clone()));
        let spaced = args(&["glint", "--config", file.to_str().unwrap(), "serve"]);
        assert_eq!(locate(&spaced).unwrap(), Some(file.clone()));
        let missing = locate(&args(&["glint", "--config", "/no/such/glint.toml"])).unwrap_err();
        assert!(missing.to_string().contains("not found"), "{missing}");
    }
}
