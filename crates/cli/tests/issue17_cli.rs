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
