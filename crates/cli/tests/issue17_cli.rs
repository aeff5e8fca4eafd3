//! Issue 17, the command line in scripts and pipes: a closed pipe ends glint quietly (no panic),
//! and a command asked for `--json` reports its error as JSON too. (A run of `glint ingest` in
//! which some files fail exits with 2: `issue3_broken_files_fail_alone_with_clear_errors`.)

mod common;

use std::process::Stdio;

use common::glint;

#[test]
fn issue17_a_closed_pipe_ends_glint_without_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = glint(tmp.path())
        .args(["media", "list", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before glint writes (as `| head -c0` would).
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(out.status.code(), Some(101), "a Rust panic exits with 101: {stderr}");
}

#[test]
fn issue17_errors_are_json_under_json() {
    let tmp = tempfile::tempdir().unwrap();
    let out = glint(tmp.path())
        .args(["search", "--json", "--media", "no-such-media", "--box", "0,0,10,10"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let body: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    let message = body["error"].as_str().unwrap_or_else(|| panic!("{body}"));
    assert!(message.contains("no-such-media"), "{body}");
    // Without --json the error stays text on stderr, and stdout stays empty.
    let out = glint(tmp.path())
        .args(["search", "--media", "no-such-media", "--box", "0,0,10,10"])
        .output()
        .unwrap();
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: "));
}

/// Issue 17: `serve` settings come from `GLINT_*` variables too (bind address, private reads,
/// a falsey `GLINT_OPEN` that must not open the server).
#[test]
fn issue17_serve_reads_its_settings_from_glint_variables() {
    use std::io::{BufRead, BufReader};

    let tmp = tempfile::tempdir().unwrap();
    let token = glint(tmp.path())
        .args(["tokens", "create", "reader", "--scope", "read"])
        .output()
        .unwrap();
    assert!(token.status.success(), "{}", String::from_utf8_lossy(&token.stderr));
    let mut server = glint(tmp.path())
        .arg("serve")
        .env("GLINT_BIND", "127.0.0.1:0")
        .env("GLINT_PRIVATE", "1")
        .env("GLINT_OPEN", "off")
        .env("GLINT_TRUSTED_PROXIES", "10.0.0.5,10.0.0.6")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The reader stays open until the server is stopped: glint dies of SIGPIPE, like any
    // command-line program, when it prints into a closed pipe.
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let line = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.contains("Glint is running at http://"));
    let addr: Option<std::net::SocketAddr> = line
        .as_deref()
        .and_then(|l| l.split("http://").nth(1))
        .and_then(|s| s.split('/').next())
        .and_then(|s| s.parse().ok());
    let answers = addr.map(|a| (a, common::http::get(a, "/api/media").map(|r| r.status)));
    server.kill().ok();
    server.wait().ok();
    drop(lines);
    let (addr, status) = answers.unwrap_or_else(|| panic!("no address in {line:?}"));
    assert_ne!(addr.port(), 8080, "GLINT_BIND was not used");
    assert_eq!(
        status.unwrap(),
        401,
        "GLINT_PRIVATE=1 with GLINT_OPEN=off needs a read token"
    );
}

/// Settings are layered: the file's value, then the variable's, then the flag's, each winning.
#[test]
fn issue17_config_file_then_variables_then_flags() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = |name: &str| tmp.path().join(name);
    let file = dir("glint.toml");
    std::fs::write(&file, format!("[library]\ndata-dir = {:?}\n", dir("from-file"))).unwrap();
    let used = |env: Option<&str>, flag: Option<&str>| {
        for d in ["from-file", "from-env", "from-flag"] {
            let _ = std::fs::remove_dir_all(dir(d));
        }
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_glint"));
        cmd.env_remove("GLINT_DATA_DIR")
            .env_remove("GLINT_CONFIG")
            .arg("--config")
            .arg(&file);
        if let Some(e) = env {
            cmd.env("GLINT_DATA_DIR", dir(e));
        }
        if let Some(f) = flag {
            cmd.arg("--data-dir").arg(dir(f));
        }
        let out = cmd.args(["media", "list", "--json"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        ["from-file", "from-env", "from-flag"]
            .into_iter()
            .filter(|d| dir(d).join("catalog.sqlite3").exists())
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert_eq!(used(None, None), ["from-file"]);
    assert_eq!(used(Some("from-env"), None), ["from-env"]);
    assert_eq!(used(Some("from-env"), Some("from-flag")), ["from-flag"]);

    // A mistake in the file names the file and the key, and nothing runs.
    std::fs::write(&file, "data-dri = \"/tmp/x\"\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_glint"))
        .arg("--config")
        .arg(&file)
        .args(["media", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("glint.toml") && stderr.contains("unknown setting `data-dri`"),
        "{stderr}"
    );
}

#[test]
fn issue17_glint_openapi_prints_the_document_the_server_serves() {
    let tmp = tempfile::tempdir().unwrap();
    let out = glint(tmp.path()).arg("openapi").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert!(doc["paths"]["/api/search"]["post"].is_object());
    assert!(doc["components"]["schemas"]["SearchResponse"].is_object());
}
