//! A user plugs another ONNX image encoder into Glint through a stand-alone `EncoderSpec` JSON
//! file, with no code change.
//!
//! Each test writes a tiny ONNX model of its own (protobuf bytes encoded by hand in
//! `support/onnx_writer.rs`: a single `ReduceMean` node that averages every channel over the
//! image, so that the output of a solid-colour image is exactly the normalised colour) and a
//! spec for it into a temporary folder, loads it the way `glint --encoder spec.json` does, and
//! checks the vectors against values computed by hand from the colour and the spec's scale,
//! mean, std and channel order.
//! The only installed file it needs is the ONNX Runtime library that `make setup` installs.

mod support;

use std::path::PathBuf;

use glint_vision::{
    load_encoder, sha256_file, EncoderSpec, ImageEncoder, Models, OnnxImageEncoder, VisionError, SETUP_COMMAND,
};
use image::{Rgb, RgbImage};
use serde_json::{json, Value};
use tempfile::TempDir;

use support::onnx_writer::{mean_color_model, Layout, SIDE};
use support::{models_dir, runtime};

// ---------------------------------------------------------------------------------------------
// Set-up: a plug-in (model + spec) in a temporary folder.
// ---------------------------------------------------------------------------------------------

/// A plug-in encoder as a user would ship it: an ONNX file and a spec beside it.
struct Plugin {
    dir: TempDir,
    /// The spec, as JSON, to be tweaked before [`Plugin::write_spec`].
    spec: Value,
}

/// The CLIP normalisation, a realistic non-trivial choice.
const CLIP_MEAN: [f32; 3] = [0.481_454_66, 0.457_827_5, 0.408_210_73];
const CLIP_STD: [f32; 3] = [0.268_63, 0.261_3, 0.275_78];

impl Plugin {
    /// Writes `tiny.onnx` in `layout` and a spec for it (RGB, 0..1 pixels, CLIP normalisation).
    fn new(layout: Layout) -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        std::fs::write(dir.path().join("tiny.onnx"), mean_color_model(layout)).expect("write model");
        let spec = json!({
            "name": "tiny-mean-color",
            "file": "tiny.onnx",
            "input": "pixels",
            "width": SIDE,
            "height": SIDE,
            "color": "rgb",
            "layout": layout.spec_name(),
            "scale": 255.0,
            "mean": CLIP_MEAN,
            "std": CLIP_STD,
            "output": "embedding",
            "output_kind": "vector",
            "dim": 3
        });
        Self { dir, spec }
    }

    fn model_path(&self) -> PathBuf {
        self.dir.path().join("tiny.onnx")
    }

    /// Writes the spec (as it stands now) and returns its path.
    fn write_spec(&self) -> PathBuf {
        let path = self.dir.path().join("encoder.json");
        let text = serde_json::to_string_pretty(&self.spec).expect("spec serialises");
        std::fs::write(&path, text).expect("write spec");
        path
    }

    /// Loads the encoder exactly as `Models::load` does for a stand-alone spec.
    fn load(&self) -> Result<OnnxImageEncoder, VisionError> {
        let (spec, model_file) = EncoderSpec::from_file(&self.write_spec())?;
        load_encoder(runtime(), spec, &model_file)
    }

    fn params(&self) -> Params {
        let floats = |key: &str| -> [f32; 3] { serde_json::from_value(self.spec[key].clone()).expect("three floats") };
        Params {
            bgr: self.spec["color"] == "bgr",
            scale: self.spec["scale"].as_f64().expect("scale") as f32,
            mean: floats("mean"),
            std: floats("std"),
        }
    }
}

/// The normalisation a spec asks for.
struct Params {
    bgr: bool,
    scale: f32,
    mean: [f32; 3],
    std: [f32; 3],
}

/// What the mean-colour model must give for a solid `rgb` image: channel `c` of the input is
/// `(pixel[c'] / scale - mean[c]) / std[c]` with `c' = c` for RGB and `2 - c` for BGR, its mean
/// over a solid image is that same value, and the encoder L2-normalises the result.
fn expected(rgb: [u8; 3], p: &Params) -> Vec<f32> {
    let v: Vec<f64> = (0..3)
        .map(|c| {
            let src = f64::from(if p.bgr { rgb[2 - c] } else { rgb[c] });
            (src / f64::from(p.scale) - f64::from(p.mean[c])) / f64::from(p.std[c])
        })
        .collect();
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    assert!(norm > 1e-3, "test colour {rgb:?} normalises to (almost) zero");
    v.iter().map(|x| (x / norm) as f32).collect()
}

fn assert_close(actual: &[f32], expected: &[f32], what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: {actual:?} vs {expected:?}");
    for (a, e) in actual.iter().zip(expected) {
        assert!((a - e).abs() < 1e-4, "{what}: got {actual:?}, expected {expected:?}");
    }
}

/// Solid-colour images of sizes that exercise identity, enlarging and (non-integer) shrinking.
fn solid_images() -> Vec<([u8; 3], RgbImage)> {
    let cases = [
        ([200, 30, 90], (16, 16)),
        ([10, 220, 140], (1, 1)),
        ([255, 255, 0], (5, 3)),
        ([0, 0, 0], (37, 23)),
        ([64, 128, 250], (640, 360)),
        ([123, 45, 6], (17, 300)),
    ];
    cases
        .into_iter()
        .map(|(rgb, (w, h))| (rgb, RgbImage::from_pixel(w, h, Rgb(rgb))))
        .collect()
}

/// Encodes every solid image in one batch and one at a time; checks both against `expected`.
fn check_solid_colors(encoder: &dyn ImageEncoder, params: &Params) {
    let images = solid_images();
    let refs: Vec<&RgbImage> = images.iter().map(|(_, img)| img).collect();
    let batch = encoder.encode(&refs).expect("encode batch");
    assert_eq!(batch.len(), images.len());
    for ((rgb, img), encoded) in images.iter().zip(&batch) {
        let what = format!("{rgb:?} at {}x{}", img.width(), img.height());
        let want = expected(*rgb, params);
        assert_close(&encoded.embedding, &want, &format!("{what} in a batch"));
        let norm = encoded.embedding.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "{what}: norm {norm}");
        assert!(
            encoded.feature_map.is_none(),
            "{what}: a vector encoder has no feature map"
        );
        assert!(encoded.logits.is_none(), "{what}: the spec names no logits");
        let alone = encoder.encode(&[img]).expect("encode one").remove(0);
        assert_close(&alone.embedding, &want, &format!("{what} alone"));
    }
}

// ---------------------------------------------------------------------------------------------
// The plug-in works.
// ---------------------------------------------------------------------------------------------

#[test]
fn spec_plugs_in_an_nchw_rgb_encoder() {
    let plugin = Plugin::new(Layout::Nchw);
    let encoder = plugin.load().expect("plug-in loads");
    assert_eq!(encoder.name(), "tiny-mean-color");
    assert_eq!(encoder.dim(), 3);
    check_solid_colors(&encoder, &plugin.params());
}

#[test]
fn spec_plugs_in_an_nhwc_bgr_encoder_with_raw_pixels() {
    let mut plugin = Plugin::new(Layout::Nhwc);
    plugin.spec["name"] = json!("tiny-nhwc-bgr");
    plugin.spec["color"] = json!("bgr");
    plugin.spec["scale"] = json!(1.0);
    plugin.spec["mean"] = json!([100.0, 50.0, 10.0]);
    plugin.spec["std"] = json!([20.0, 40.0, 80.0]);
    let encoder = plugin.load().expect("plug-in loads");
    assert_eq!(encoder.name(), "tiny-nhwc-bgr");
    let params = plugin.params();
    assert!(params.bgr);
    check_solid_colors(&encoder, &params);

    // The channel order really matters for these colours: reading them as RGB would fail.
    let rgb_params = Params { bgr: false, ..params };
    let img = RgbImage::from_pixel(9, 9, Rgb([200, 30, 90]));
    let got = encoder.encode(&[&img]).unwrap().remove(0).embedding;
    let as_rgb = expected([200, 30, 90], &rgb_params);
    assert!(
        got.iter().zip(&as_rgb).any(|(a, b)| (a - b).abs() > 1e-2),
        "BGR and RGB give the same vector {got:?}; the test would not see a swapped order"
    );
}

#[test]
fn spec_with_the_right_sha256_loads() {
    let mut plugin = Plugin::new(Layout::Nchw);
    let sha = sha256_file(&plugin.model_path()).unwrap();
    // Upper case too: the comparison ignores case.
    plugin.spec["sha256"] = json!(sha.to_uppercase());
    let encoder = plugin.load().expect("plug-in with its checksum loads");
    check_solid_colors(&encoder, &plugin.params());
}

#[test]
fn models_load_takes_the_encoder_from_the_spec() {
    // The path `glint --encoder spec.json` takes: the installed detector and face embedder, the
    // image encoder from the spec.
    let plugin = Plugin::new(Layout::Nhwc);
    let spec_path = plugin.write_spec();
    runtime(); // fails with a clear message when `make setup` has not run
    let models = Models::load(&models_dir(), Some(&spec_path)).expect("models load");
    assert_eq!(models.image_encoder.name(), "tiny-mean-color");
    assert_eq!(models.image_encoder.dim(), 3);
    check_solid_colors(models.image_encoder.as_ref(), &plugin.params());
}

#[test]
fn spec_file_resolves_against_its_own_folder() {
    let plugin = Plugin::new(Layout::Nchw);
    let (spec, file) = EncoderSpec::from_file(&plugin.write_spec()).unwrap();
    assert_eq!(spec.file, "tiny.onnx");
    assert_eq!(file, plugin.model_path());

    // An absolute `file` is taken as it is, wherever the spec lives.
    let elsewhere = tempfile::tempdir().unwrap();
    let mut moved = Plugin::new(Layout::Nchw);
    moved.spec["file"] = json!(plugin.model_path().to_str().unwrap());
    let spec_path = elsewhere.path().join("spec.json");
    std::fs::write(&spec_path, moved.spec.to_string()).unwrap();
    let (spec, file) = EncoderSpec::from_file(&spec_path).unwrap();
    assert_eq!(file, plugin.model_path());
    let encoder = load_encoder(runtime(), spec, &file).expect("absolute path loads");
    check_solid_colors(&encoder, &moved.params());
}

// ---------------------------------------------------------------------------------------------
// A wrong spec gives a clear error, never a panic.
// ---------------------------------------------------------------------------------------------

fn load_err(plugin: &Plugin) -> VisionError {
    match plugin.load() {
        Ok(_) => panic!("spec {} should not load", plugin.spec),
        Err(e) => e,
    }
}

#[test]
fn unknown_output_name_is_a_model_error() {
    let mut plugin = Plugin::new(Layout::Nchw);
    plugin.spec["output"] = json!("features");
    let err = load_err(&plugin);
    let msg = err.to_string();
    assert!(
        matches!(err, VisionError::Model { ref model, .. } if model == "tiny-mean-color"),
        "{err:?}"
    );
    assert!(
        msg.contains("no output `features`") && msg.contains("embedding"),
        "{msg}"
    );
}

#[test]
fn unknown_logits_output_is_a_model_error() {
    let mut plugin = Plugin::new(Layout::Nchw);
    plugin.spec["logits_output"] = json!("logits");
    let err = load_err(&plugin);
    assert!(matches!(err, VisionError::Model { .. }), "{err:?}");
    assert!(err.to_string().contains("no output `logits`"), "{err}");
}

#[test]
fn unknown_input_name_is_a_model_error() {
    let mut plugin = Plugin::new(Layout::Nchw);
    plugin.spec["input"] = json!("image");
    let err = load_err(&plugin);
    let msg = err.to_string();
    assert!(matches!(err, VisionError::Model { .. }), "{err:?}");
    assert!(msg.contains("no input `image`") && msg.contains("pixels"), "{msg}");
}

#[test]
fn wrong_sha256_is_a_checksum_mismatch() {
    let mut plugin = Plugin::new(Layout::Nchw);
    let wrong = "0".repeat(64);
    plugin.spec["sha256"] = json!(wrong);
    let actual_sha = sha256_file(&plugin.model_path()).unwrap();
    match load_err(&plugin) {
        VisionError::ChecksumMismatch { path, expected, actual } => {
            assert_eq!(path, plugin.model_path());
            assert_eq!(expected, wrong);
            assert_eq!(actual, actual_sha);
        }
        other => panic!("expected ChecksumMismatch, got {other:?}"),
    }
    let msg = load_err(&plugin).to_string();
    assert!(msg.contains(&actual_sha) && msg.contains(SETUP_COMMAND), "{msg}");
}

#[test]
fn missing_model_file_is_model_missing_and_names_setup() {
    for sha256 in [None, Some("0".repeat(64))] {
        let mut plugin = Plugin::new(Layout::Nchw);
        plugin.spec["file"] = json!("not-there.onnx");
        if let Some(sha) = &sha256 {
            plugin.spec["sha256"] = json!(sha);
        }
        let missing = plugin.dir.path().join("not-there.onnx");
        let err = load_err(&plugin);
        match &err {
            VisionError::ModelMissing { path } => assert_eq!(path, &missing),
            other => panic!("sha256 {sha256:?}: expected ModelMissing, got {other:?}"),
        }
        let msg = err.to_string();
        assert!(msg.contains("make setup"), "{msg}");
        assert!(msg.contains(&missing.display().to_string()), "{msg}");
    }
}

#[test]
fn dim_that_disagrees_with_the_output_fails_on_encode() {
    let mut plugin = Plugin::new(Layout::Nchw);
    plugin.spec["dim"] = json!(4);
    let encoder = plugin
        .load()
        .expect("the output's width is only known once the model runs");
    assert_eq!(encoder.dim(), 4);
    let img = RgbImage::from_pixel(20, 20, Rgb([1, 2, 3]));
    let err = encoder
        .encode(&[&img])
        .expect_err("a 3-wide output is not a 4-dim vector");
    let msg = err.to_string();
    assert!(matches!(err, VisionError::Model { .. }), "{err:?}");
    assert!(
        msg.contains("`embedding`") && msg.contains("[N, 4]") && msg.contains("[1, 3]"),
        "{msg}"
    );
}

#[test]
fn feature_map_kind_on_a_vector_output_fails_on_encode() {
    let mut plugin = Plugin::new(Layout::Nchw);
    plugin.spec["output_kind"] = json!("feature_map");
    let encoder = plugin.load().unwrap();
    let img = RgbImage::from_pixel(20, 20, Rgb([1, 2, 3]));
    let err = encoder.encode(&[&img]).expect_err("[N, 3] is not a feature map");
    assert!(matches!(err, VisionError::Model { .. }), "{err:?}");
    assert!(err.to_string().contains("[N, 3, h, w]"), "{err}");
}

#[test]
fn size_that_disagrees_with_the_model_fails_on_encode() {
    let mut plugin = Plugin::new(Layout::Nchw);
    plugin.spec["width"] = json!(32);
    let encoder = plugin.load().unwrap();
    let img = RgbImage::from_pixel(20, 20, Rgb([1, 2, 3]));
    let err = encoder.encode(&[&img]).expect_err("the model takes 16x16 only");
    assert!(matches!(err, VisionError::Model { .. }), "{err:?}");
}

#[test]
fn malformed_spec_is_a_manifest_error_naming_the_file() {
    let cases: [(&str, Value); 5] = [
        ("layout", json!("chw")),
        ("color", json!("rgba")),
        ("width", json!(4)),
        ("std", json!([0.5, 0.0, 0.5])),
        ("dim", json!(0)),
    ];
    for (key, value) in cases {
        let mut plugin = Plugin::new(Layout::Nchw);
        plugin.spec[key] = value.clone();
        let spec_path = plugin.write_spec();
        let err = EncoderSpec::from_file(&spec_path).expect_err("invalid spec");
        match &err {
            VisionError::Manifest { path, .. } => assert_eq!(path, &spec_path),
            other => panic!("{key} = {value}: expected a Manifest error, got {other:?}"),
        }
        assert!(err.to_string().contains("encoder.json"), "{err}");
    }
    let missing = tempfile::tempdir().unwrap().path().join("nope.json");
    assert!(matches!(
        EncoderSpec::from_file(&missing),
        Err(VisionError::Manifest { .. })
    ));
}
