//! Runs the `ffmpeg` command to make test videos (subtitle streams muxed into real clips); the
//! subtitle tests of glint-media and glint-ingest share it.

use std::process::Command;

/// Runs the `ffmpeg` command; a missing one is a set-up problem, said as such.
pub fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y"])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("the ffmpeg command is needed to make test videos ({e}): run `make setup`"));
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
