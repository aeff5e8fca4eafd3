//! A CLIP-class image encoder's text tower plugs in through the same stand-alone spec as the
//! image encoder (its `text` entry), and its vectors meet the image vectors in one space.
//!
//! No CLIP-class weights exist in the registries Glint installs from, so each test writes a tiny
//! text tower of its own (`support/onnx_writer.rs`: a token-embedding table looked up with
//! `Gather` and averaged over the sequence, or summed under the attention mask) with a tiny
//! `tokenizer.json`, and checks the vectors against the table's rows computed by hand. The only
//! installed files the tests need are the ONNX Runtime library and, for `Models::load`, the
//! models `make setup` installs.

mod support;

use std::path::PathBuf;

use glint_vision::{Models, OnnxTextEncoder, TextEncoder, TextTowerSpec, VisionError};
use image::{Rgb, RgbImage};
use serde_json::{json, Value};
use tempfile::TempDir;

use support::colour_plugin::{self, table, word_level_tokenizer, BLUE, GREEN, PAD, RED, UNK};
use support::onnx_writer::{text_model, Elem};
use support::{models_dir, runtime};

// ---------------------------------------------------------------------------------------------
// A word-level vocabulary and the embedding table of the tiny towers.
// ---------------------------------------------------------------------------------------------

/// The unit vector of the sum of `rows` of `table`: what a tower that averages (or sums under
/// its mask) the rows of a text's tokens gives once normalised.
fn expected(table: &[Vec<f32>], rows: &[usize]) -> Vec<f32> {
    let mut v = vec![0.0f64; table[0].len()];
    for &r in rows {
        for (x, t) in v.iter_mut().zip(&table[r]) {
            *x += f64::from(*t);
        }
    }
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    assert!(norm > 1e-6, "rows {rows:?} sum to zero");
    v.iter().map(|x| (x / norm) as f32).collect()
}

fn assert_close(actual: &[f32], expected: &[f32], what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: {actual:?} vs {expected:?}");
    for (a, e) in actual.iter().zip(expected) {
        assert!((a - e).abs() < 1e-5, "{what}: got {actual:?}, expected {expected:?}");
    }
    let norm = actual.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-5, "{what}: norm {norm}");
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

// ---------------------------------------------------------------------------------------------
// A plug-in with a text tower: image model, text model, tokenizer and spec in one folder.
// ---------------------------------------------------------------------------------------------

struct Plugin {
    dir: TempDir,
    /// The encoder spec, as JSON, to be tweaked before [`Plugin::write_spec`].
    spec: Value,
    table: Vec<Vec<f32>>,
}

impl Plugin {
    /// The mean-colour image encoder (0..1 pixels, no mean or std: a solid image's vector is its
    /// colour) with a text tower over `table`: int64 ids, padding `[PAD]`, and an attention
    /// mask when `with_mask`.
    fn new(table: Vec<Vec<f32>>, with_mask: bool) -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let spec = colour_plugin::write(dir.path(), &table, with_mask);
        Self { dir, spec, table }
    }

    /// Writes the spec (as it stands now) and returns its path.
    fn write_spec(&self) -> PathBuf {
        let path = self.dir.path().join("encoder.json");
        std::fs::write(&path, serde_json::to_string_pretty(&self.spec).unwrap()).expect("write spec");
        path
    }

    fn text_spec(&self) -> TextTowerSpec {
        serde_json::from_value(self.spec["text"].clone()).expect("text spec parses")
    }

    /// Loads the text tower alone, as `Models::load` does for the spec's `text`.
    fn load_tower(&self) -> Result<OnnxTextEncoder, VisionError> {
        let dim = self.spec["dim"].as_u64().unwrap() as usize;
        OnnxTextEncoder::load(runtime(), "tiny-colors", dim, self.text_spec(), self.dir.path())
    }

    /// Every model, the image encoder and its text tower from this plug-in's spec.
    fn load_models(&self) -> Result<Models, VisionError> {
        let spec = self.write_spec();
        runtime(); // fails with a clear message when `make setup` has not run
        Models::load(&models_dir(), Some(&spec))
    }
}

fn tower_err(plugin: &Plugin) -> VisionError {
    match plugin.load_tower() {
        Ok(_) => panic!("text spec {} should not load", plugin.spec["text"]),
        Err(e) => e,
    }
}

// ---------------------------------------------------------------------------------------------
// The tower loads and embeds.
// ---------------------------------------------------------------------------------------------

#[test]
fn models_load_takes_the_text_tower_from_the_spec() {
    let plugin = Plugin::new(table([0.0; 3]), false);
    let models = plugin.load_models().expect("models load");
    let text = models.text_encoder.as_deref().expect("the spec names a text tower");
    assert_eq!(text.name(), "tiny-colors");
    assert_eq!(text.name(), models.image_encoder.name(), "both towers name one space");
    assert_eq!(text.dim(), 3);
    let red = text.encode(&["red"]).expect("encode").remove(0);
    assert_close(&red, &[1.0, 0.0, 0.0], "red");
}

#[test]
fn red_embeds_to_its_table_row() {
    let plugin = Plugin::new(table([0.0; 3]), false);
    let tower = plugin.load_tower().expect("tower loads");
    assert_eq!(tower.name(), "tiny-colors");
    assert_eq!(tower.dim(), 3);
    for (text, rows) in [("red", vec![RED]), ("Green", vec![GREEN]), ("  BLUE ", vec![BLUE])] {
        let v = tower.encode(&[text]).expect("encode").remove(0);
        assert_close(&v, &expected(&plugin.table, &rows), text);
    }
    assert!(tower.encode(&[]).expect("an empty batch").is_empty());
}

#[test]
fn a_batch_embeds_each_text_as_alone() {
    let plugin = Plugin::new(table([0.0; 3]), false);
    let tower = plugin.load_tower().expect("tower loads");
    let cases: [(&str, Vec<usize>); 5] = [
        ("red", vec![RED]),
        ("red green", vec![RED, GREEN]),
        // "," and "!" are words of their own, unknown to the vocabulary.
        ("blue, red red!", vec![BLUE, UNK, RED, RED, UNK]),
        ("purple", vec![UNK]),
        ("green purple blue", vec![GREEN, UNK, BLUE]),
    ];
    let texts: Vec<&str> = cases.iter().map(|(t, _)| *t).collect();
    let batch = tower.encode(&texts).expect("encode batch");
    assert_eq!(batch.len(), texts.len());
    for ((text, rows), v) in cases.iter().zip(&batch) {
        assert_close(v, &expected(&plugin.table, rows), &format!("{text:?} in a batch"));
        let alone = tower.encode(&[text]).expect("encode one").remove(0);
        assert_close(&alone, v, &format!("{text:?} alone"));
    }
}

#[test]
fn texts_longer_than_max_length_are_truncated() {
    let mut plugin = Plugin::new(table([0.0; 3]), false);
    plugin.spec["text"]["max_length"] = json!(2);
    let tower = plugin.load_tower().expect("tower loads");
    let v = tower.encode(&["red red blue green"]).unwrap().remove(0);
    assert_close(&v, &expected(&plugin.table, &[RED, RED]), "first two tokens");
}

#[test]
fn the_attention_mask_keeps_padding_out() {
    // A padding row that would pull every vector towards (1, 1, 1) if the mask let it in.
    let pad_row = [5.0, 5.0, 5.0];
    for ids_type in ["int64", "int32"] {
        let mut plugin = Plugin::new(table(pad_row), true);
        if ids_type == "int32" {
            let elem = Elem::Int32;
            std::fs::write(
                plugin.dir.path().join("text.onnx"),
                text_model(&plugin.table, elem, true),
            )
            .unwrap();
            plugin.spec["text"]["ids_type"] = json!("int32");
        }
        let tower = plugin.load_tower().expect("tower loads");
        let batch = tower.encode(&["red", "green blue"]).expect("encode");
        assert_close(&batch[0], &expected(&plugin.table, &[RED]), &format!("{ids_type}: red"));
        assert_close(
            &batch[1],
            &expected(&plugin.table, &[GREEN, BLUE]),
            &format!("{ids_type}: green blue"),
        );
    }

    // The same tower without its mask sees the padding: the test would catch a lost mask.
    let plugin = Plugin::new(table(pad_row), true);
    let mut spec = plugin.text_spec();
    spec.attention_mask = None;
    let err = OnnxTextEncoder::load(runtime(), "tiny-colors", 3, spec, plugin.dir.path())
        .expect_err("the graph needs its mask input");
    assert!(err.to_string().contains("takes input `attention_mask`"), "{err}");
}

#[test]
fn pad_token_names_the_padding_id() {
    // Without a mask the padding is averaged in: padded with a zero row the direction holds.
    let mut padded = table([0.0; 3]);
    padded.push(vec![0.0; 3]); // id 5, "[ZERO]"
    padded[PAD] = vec![0.0, 0.0, 9.0];
    let plugin = Plugin::new(padded.clone(), false);
    let mut tokenizer = word_level_tokenizer();
    tokenizer["model"]["vocab"]["[ZERO]"] = json!(5);
    std::fs::write(plugin.dir.path().join("tokenizer.json"), tokenizer.to_string()).unwrap();

    let by_default = plugin.load_tower().unwrap().encode(&["red"]).unwrap().remove(0);
    assert!(
        by_default[2] > 0.5,
        "padded with [PAD] (id 0), blue leaks in: {by_default:?}"
    );

    let mut plugin = plugin;
    plugin.spec["text"]["pad_token"] = json!("[ZERO]");
    let red = plugin.load_tower().unwrap().encode(&["red"]).unwrap().remove(0);
    assert_close(&red, &[1.0, 0.0, 0.0], "padded with [ZERO]");

    plugin.spec["text"]["pad_token"] = json!("<pad>");
    let err = tower_err(&plugin);
    assert!(err.to_string().contains("\"<pad>\""), "{err}");
}

#[test]
fn a_clip_style_bpe_tokenizer_loads() {
    // CLIP's tokenizer.json, cut down: NFC + whitespace + lower-case normaliser, CLIP's split
    // pattern (Unicode classes: needs the regex engine) then byte-level, BPE with `</w>`
    // word ends, start and end tokens added around every text.
    let vocab = [
        "b", "d</w>", "e", "e</w>", "l", "r", "u", "bl", "blu", "blue</w>", "re", "red</w>",
    ];
    let id = |word: &str| vocab.iter().position(|v| *v == word).expect("in the vocabulary");
    let (red, blue) = (id("red</w>"), id("blue</w>"));
    let (bos, eos) = (vocab.len(), vocab.len() + 1);
    let mut vocab_json: serde_json::Map<String, Value> = vocab
        .iter()
        .enumerate()
        .map(|(i, w)| (w.to_string(), json!(i)))
        .collect();
    vocab_json.insert("<|startoftext|>".into(), json!(bos));
    vocab_json.insert("<|endoftext|>".into(), json!(eos));
    let special = |id: usize, content: &str| {
        json!({ "id": id, "content": content, "single_word": false, "lstrip": false, "rstrip": false,
                "normalized": true, "special": true })
    };
    let tokenizer = json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": [special(bos, "<|startoftext|>"), special(eos, "<|endoftext|>")],
        "normalizer": { "type": "Sequence", "normalizers": [
            { "type": "NFC" },
            { "type": "Replace", "pattern": { "Regex": "\\s+" }, "content": " " },
            { "type": "Lowercase" }
        ]},
        "pre_tokenizer": { "type": "Sequence", "pretokenizers": [
            { "type": "Split",
              "pattern": { "Regex": "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+" },
              "behavior": "Removed", "invert": true },
            { "type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false }
        ]},
        "post_processor": { "type": "RobertaProcessing", "sep": ["<|endoftext|>", eos],
                            "cls": ["<|startoftext|>", bos], "trim_offsets": false, "add_prefix_space": false },
        "decoder": { "type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true },
        "model": { "type": "BPE", "dropout": null, "unk_token": "<|endoftext|>", "continuing_subword_prefix": "",
                   "end_of_word_suffix": "</w>", "fuse_unk": false, "byte_fallback": false,
                   "vocab": vocab_json, "merges": ["r e", "re d</w>", "b l", "bl u", "blu e</w>"] }
    });
    // Every sub-word row points nowhere in particular; the two whole words and the end token
    // point along the axes, so a text's vector shows which tokens it became.
    let mut rows = vec![vec![0.3, 0.3, 0.3]; vocab.len() + 2];
    rows[red] = vec![1.0, 0.0, 0.0];
    rows[blue] = vec![0.0, 0.0, 1.0];
    rows[bos] = vec![0.0, 0.0, 0.0];
    rows[eos] = vec![0.0, 2.0, 0.0];
    let mut plugin = Plugin::new(rows, true);
    std::fs::write(plugin.dir.path().join("tokenizer.json"), tokenizer.to_string()).unwrap();
    let tower = plugin.load_tower().expect("tower loads");
    let got = tower.encode(&["Red", "red  BLUE"]).expect("encode");
    assert_close(&got[0], &expected(&plugin.table, &[bos, red, eos]), "Red");
    assert_close(&got[1], &expected(&plugin.table, &[bos, red, blue, eos]), "red BLUE");

    // Truncated to 3 tokens, a text keeps its end token (CLIP pools there): <s> red </s>.
    plugin.spec["text"]["max_length"] = json!(3);
    let tower = plugin.load_tower().expect("tower loads");
    let got = tower.encode(&["red blue blue"]).unwrap().remove(0);
    assert_close(&got, &expected(&plugin.table, &[bos, red, eos]), "truncated");

    // Two special tokens leave no room in 2.
    plugin.spec["text"]["max_length"] = json!(2);
    let err = tower_err(&plugin);
    assert!(err.to_string().contains("max_length 2"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// The two towers meet in one space.
// ---------------------------------------------------------------------------------------------

#[test]
fn text_and_image_towers_meet_in_one_space() {
    let plugin = Plugin::new(table([0.0; 3]), true);
    let models = plugin.load_models().expect("models load");
    let text = models.text_encoder.as_deref().expect("text tower");
    assert_eq!(text.dim(), models.image_encoder.dim());

    let colours = [
        ("red", [210, 40, 30]),
        ("green", [30, 190, 60]),
        ("blue", [20, 50, 230]),
    ];
    let images: Vec<RgbImage> = colours
        .iter()
        .map(|(_, rgb)| RgbImage::from_pixel(40, 30, Rgb(*rgb)))
        .collect();
    let image_refs: Vec<&RgbImage> = images.iter().collect();
    let image_vectors: Vec<Vec<f32>> = models
        .image_encoder
        .encode(&image_refs)
        .expect("encode images")
        .into_iter()
        .map(|e| e.embedding)
        .collect();
    let words: Vec<&str> = colours.iter().map(|(w, _)| *w).collect();
    let text_vectors = text.encode(&words).expect("encode texts");

    // Each word finds its own colour's image first, and each image its own word.
    for (i, word) in words.iter().enumerate() {
        let scores: Vec<f32> = image_vectors.iter().map(|v| cosine(&text_vectors[i], v)).collect();
        let best = (0..scores.len())
            .max_by(|&a, &b| scores[a].total_cmp(&scores[b]))
            .unwrap();
        assert_eq!(best, i, "{word:?} scores the images {scores:?}");
        assert!(scores[i] > 0.9, "{word:?} and its image: {}", scores[i]);
        let scores: Vec<f32> = text_vectors.iter().map(|t| cosine(t, &image_vectors[i])).collect();
        let best = (0..scores.len())
            .max_by(|&a, &b| scores[a].total_cmp(&scores[b]))
            .unwrap();
        assert_eq!(best, i, "the {word} image scores the words {scores:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Without a tower, or with a wrong one.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_spec_without_text_has_no_text_encoder() {
    let mut plugin = Plugin::new(table([0.0; 3]), false);
    plugin.spec.as_object_mut().unwrap().remove("text");
    let models = plugin.load_models().expect("models load");
    assert!(models.text_encoder.is_none());
    assert_eq!(models.image_encoder.name(), "tiny-colors");
}

#[test]
fn a_tower_of_another_dimension_is_refused_at_load() {
    // The image encoder's vectors are 4 wide (as far as its spec says), the tower's 3.
    let mut plugin = Plugin::new(table([0.0; 3]), false);
    plugin.spec["dim"] = json!(4);
    let err = match plugin.load_models() {
        Ok(_) => panic!("a 3-d tower beside a 4-d encoder should not load"),
        Err(e) => e,
    };
    let msg = err.to_string();
    assert!(
        matches!(err, VisionError::Model { ref model, .. } if model == "tiny-colors text tower"),
        "{err:?}"
    );
    assert!(
        msg.contains("`text_embeds`") && msg.contains("[1, 3]") && msg.contains("dim 4"),
        "{msg}"
    );
    // Loaded alone the same.
    assert!(tower_err(&plugin).to_string().contains("dim 4"));
}

#[test]
fn a_missing_tokenizer_is_a_clear_error() {
    let mut plugin = Plugin::new(table([0.0; 3]), false);
    plugin.spec["text"]["tokenizer"] = json!("clip/tokenizer.json");
    let missing = plugin.dir.path().join("clip/tokenizer.json");
    let err = tower_err(&plugin);
    assert!(matches!(err, VisionError::Model { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains(&missing.display().to_string()) && msg.contains("missing"),
        "{msg}"
    );
    // Through Models::load too: a spec whose tower cannot load does not load.
    let err = plugin.load_models().err().expect("no tokenizer, no models");
    assert!(err.to_string().contains("tokenizer"), "{err}");

    // A file that is no tokenizer.json names the file as well.
    plugin.spec["text"]["tokenizer"] = json!("text.onnx");
    let msg = tower_err(&plugin).to_string();
    assert!(
        msg.contains("cannot read tokenizer") && msg.contains("text.onnx"),
        "{msg}"
    );
}

#[test]
fn wrong_tower_files_and_names_are_clear_errors() {
    let mut plugin = Plugin::new(table([0.0; 3]), false);
    plugin.spec["text"]["file"] = json!("nope.onnx");
    match tower_err(&plugin) {
        VisionError::ModelMissing { path } => assert_eq!(path, plugin.dir.path().join("nope.onnx")),
        other => panic!("expected ModelMissing, got {other:?}"),
    }

    let mut plugin = Plugin::new(table([0.0; 3]), false);
    plugin.spec["text"]["sha256"] = json!("0".repeat(64));
    assert!(matches!(tower_err(&plugin), VisionError::ChecksumMismatch { .. }));

    let mut plugin = Plugin::new(table([0.0; 3]), false);
    plugin.spec["text"]["input_ids"] = json!("ids");
    let msg = tower_err(&plugin).to_string();
    assert!(msg.contains("no input `ids`") && msg.contains("input_ids"), "{msg}");

    let mut plugin = Plugin::new(table([0.0; 3]), false);
    plugin.spec["text"]["output"] = json!("pooler_output");
    let msg = tower_err(&plugin).to_string();
    assert!(
        msg.contains("no output `pooler_output`") && msg.contains("text_embeds"),
        "{msg}"
    );
}

#[test]
fn a_malformed_text_spec_is_a_manifest_error() {
    for (key, value) in [
        ("max_length", json!(0)),
        ("ids_type", json!("int8")),
        ("tokenizer", json!("")),
    ] {
        let mut plugin = Plugin::new(table([0.0; 3]), false);
        plugin.spec["text"][key] = value.clone();
        let spec_path = plugin.write_spec();
        match glint_vision::EncoderSpec::from_file(&spec_path) {
            Err(VisionError::Manifest { path, .. }) => assert_eq!(path, spec_path),
            other => panic!("text.{key} = {value}: expected a Manifest error, got {other:?}"),
        }
    }
    let mut plugin = Plugin::new(table([0.0; 3]), false);
    plugin.spec["text"].as_object_mut().unwrap().remove("output");
    assert!(matches!(
        glint_vision::EncoderSpec::from_file(&plugin.write_spec()),
        Err(VisionError::Manifest { .. })
    ));
}

#[test]
fn blank_text_is_bad_input() {
    let plugin = Plugin::new(table([0.0; 3]), false);
    let tower = plugin.load_tower().expect("tower loads");
    for text in ["", "   "] {
        match tower.encode(&["red", text]) {
            Err(VisionError::BadInput(msg)) => assert!(msg.contains("no words"), "{msg}"),
            other => panic!("{text:?}: expected BadInput, got {other:?}"),
        }
    }
}
