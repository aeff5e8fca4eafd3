//! A fresh PostgreSQL database for each test, on a private cluster.
//!
//! `make test` starts one private cluster (`scripts/postgres.sh` through
//! `scripts/with-postgres.sh`) and names it in `GLINT_TEST_PG_URL`; a plain `cargo test` without
//! it starts (once, and leaves running) a cluster under `target/pg-test-cluster`. Either way a
//! test never skips for want of a database: if none can be started it fails and says why.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// The URL of the cluster's `glint` database.
pub fn cluster_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("GLINT_TEST_PG_URL") {
            if !url.trim().is_empty() {
                return url.trim().to_string();
            }
        }
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let dir = root.join("target/pg-test-cluster");
        let out = Command::new("bash")
            .arg(root.join("scripts/postgres.sh"))
            .arg("start")
            .arg(&dir)
            .output()
            .expect("run scripts/postgres.sh");
        assert!(
            out.status.success(),
            "cannot start a PostgreSQL test cluster in {}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .expect("postgres.sh prints the URL last")
            .trim()
            .to_string()
    })
    .clone()
}

/// A new, empty database on the test cluster; returns its URL.
pub fn fresh_database() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let base = cluster_url();
    let name = format!("glint_t{}_{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed));
    let mut client = postgres::Client::connect(&base, postgres::NoTls)
        .unwrap_or_else(|e| panic!("connect to the test cluster {base}: {e}"));
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap_or_else(|e| panic!("create test database {name}: {e}"));
    let (prefix, _) = base.rsplit_once('/').expect("URL ends with /dbname");
    format!("{prefix}/{name}")
}
