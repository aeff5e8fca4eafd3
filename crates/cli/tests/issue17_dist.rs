//! Issue 17, install anywhere: the release layout (`scripts/dist.sh`, what `make dist` packs and
//! `make install` writes) runs from a folder outside the checkout: the binary finds its models
//! beside it, verifies them, ingests and searches.

mod common;

use std::path::Path;
use std::process::Command;

use common::eval;

const PHOTO: &str = "faces_face_recognition_examples/examples/knn_examples/train/obama/obama.jpg";
const OTHER: &str = "faces_face_recognition_examples/examples/knn_examples/train/obama/obama2.jpg";

/// The installed glint, run from the temporary folder with nothing pointing at the checkout.
fn installed(root: &Path) -> Command {
    let mut c = Command::new(root.join("release/bin/glint"));
    c.current_dir(root)
        .env_remove("GLINT_MODELS_DIR")
        .env("HOME", root)
        .env("XDG_DATA_HOME", root.join("xdg"))
        .arg("--data-dir")
        .arg(root.join("library"));
    c
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("glint runs");
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn issue17_the_release_layout_runs_outside_the_checkout() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let laid = Command::new("bash")
        .arg(checkout.join("scripts/dist.sh"))
        .arg("layout")
        .arg(root.join("release"))
        .arg(env!("CARGO_BIN_EXE_glint"))
        .status()
        .unwrap();
    assert!(laid.success(), "scripts/dist.sh layout failed");
    let models = root.join("release/share/glint/models");
    assert!(models.join("manifest.json").is_file());

    // Found beside the binary, not in the source tree it was built from.
    let verified = run(installed(root).args(["models", "verify"]));
    let first = verified.lines().next().unwrap_or_default();
    assert_eq!(first, format!("models in {}", models.display()), "{verified}");

    run(installed(root).arg("ingest").arg(eval(PHOTO)).arg(eval(OTHER)));
    let found = run(installed(root)
        .arg("search")
        .arg("--image")
        .arg(eval(PHOTO))
        .arg("--json"));
    let found: serde_json::Value = serde_json::from_str(&found).unwrap();
    let person = found["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["route"] == "person")
        .unwrap_or_else(|| panic!("no person group: {found}"));
    let names: Vec<&str> = person["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"obama2.jpg"), "{names:?}");
}
