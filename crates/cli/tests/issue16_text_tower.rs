//! Issue 16, pluggable text towers, end to end: with an image encoder plugged in through its
//! spec and its text tower beside it, `glint search --text` also searches the image vectors. No
//! CLIP-class weights exist in the package registries, so the plug-in is tiny and made by hand
//! (crates/vision/tests/support): the image encoder's vector of a solid picture is its colour,
//! and the text tower puts "red", "green" and "blue" on the same axes.

mod common;

// The text tower's tests use more of the shared plug-in than this one.
#[allow(dead_code)]
#[path = "../../vision/tests/support/colour_plugin.rs"]
mod colour_plugin;
#[allow(dead_code)]
#[path = "../../vision/tests/support/onnx_writer.rs"]
mod onnx_writer;

use common::{glint, hit_names, json};
use glint_media::RgbImage;

#[test]
fn issue16_a_plugged_in_text_tower_searches_the_image_vectors() {
    let tmp = tempfile::tempdir().unwrap();
    let plugin = tmp.path().join("plugin");
    std::fs::create_dir_all(&plugin).unwrap();
    let mut spec = colour_plugin::write(&plugin, &colour_plugin::table([0.0; 3]), true);
    spec["text"]["threshold"] = serde_json::json!(0.9);
    let spec_path = plugin.join("encoder.json");
    std::fs::write(&spec_path, spec.to_string()).unwrap();

    let photos = tmp.path().join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    for (name, rgb) in [("red.png", [220, 30, 20]), ("blue.png", [20, 40, 230])] {
        RgbImage::from_pixel(64, 48, rgb.into())
            .save(photos.join(name))
            .unwrap();
    }
    let data = tmp.path().join("data");
    let with_plugin = |args: &[&str]| {
        let mut c = glint(&data);
        c.arg("--encoder").arg(&spec_path).args(args);
        c
    };
    let out = with_plugin(&["ingest"]).arg(&photos).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let r = json(&mut with_plugin(&["search", "--json", "--text", "red"]));
    assert_eq!(hit_names(&r), ["red.png"], "{r}");
    let matched = r["groups"][0]["hits"][0]["sightings"][0]["text"].as_str().unwrap();
    assert_eq!(matched, "image: red");
    assert!(r["groups"][0]["hits"][0]["score"].as_f64().unwrap() > 0.9, "{r}");
    assert_eq!(
        hit_names(&json(&mut with_plugin(&["search", "--json", "--text", "blue"]))),
        ["blue.png"]
    );
    // Nothing green was indexed: the tower's threshold keeps the red and blue photos out.
    let r = json(&mut with_plugin(&["search", "--json", "--text", "green"]));
    assert_eq!(r["no_match"], true, "{r}");

    // Without the plug-in the same words find nothing: the text vectors came from its tower.
    let r = json(glint(&data).args(["search", "--json", "--text", "red"]));
    assert_eq!(r["no_match"], true, "{r}");
}
