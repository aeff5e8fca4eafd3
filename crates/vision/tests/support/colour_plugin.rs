//! A plug-in image encoder with a text tower, written into a folder: the mean-colour image
//! model (a solid image's vector is its colour), a text tower over an embedding table, a
//! word-level `tokenizer.json` and the spec naming them. The text tower's tests and the end-to-end
//! test of `glint search --text` with a plugged-in tower (crates/cli/tests) share it.

use std::path::Path;

use serde_json::{json, Value};

use super::onnx_writer::{mean_color_model, text_model, Elem, Layout, SIDE};

/// Token ids of the word-level tokenizer, in table order.
pub const PAD: usize = 0;
pub const UNK: usize = 1;
pub const RED: usize = 2;
pub const GREEN: usize = 3;
pub const BLUE: usize = 4;
pub const WORDS: [&str; 5] = ["[PAD]", "[UNK]", "red", "green", "blue"];

/// Rows of the 3-d table: the colours along the axes of the mean-colour image encoder (R, G,
/// B), at lengths other than 1 so that the tower's normalisation is seen; unknown words grey.
pub fn table(pad_row: [f32; 3]) -> Vec<Vec<f32>> {
    vec![
        pad_row.to_vec(),
        vec![1.0, 1.0, 1.0],
        vec![2.0, 0.0, 0.0],
        vec![0.0, 3.0, 0.0],
        vec![0.0, 0.0, 0.5],
    ]
}

/// A Hugging Face tokenizer.json of a word-level model: lower-cased, split on whitespace and
/// punctuation, unknown words to `[UNK]`.
pub fn word_level_tokenizer() -> Value {
    let vocab: serde_json::Map<String, Value> = WORDS
        .iter()
        .enumerate()
        .map(|(i, w)| (w.to_string(), json!(i)))
        .collect();
    json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": [],
        "normalizer": { "type": "Lowercase" },
        "pre_tokenizer": { "type": "Whitespace" },
        "post_processor": null,
        "decoder": null,
        "model": { "type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]" }
    })
}

/// Writes the plug-in into `dir` and returns its spec (not yet written: callers tweak it): the
/// mean-colour image encoder (0..1 pixels, no mean or std) named "tiny-colors", with a text
/// tower over `table` (int64 ids, padding `[PAD]`, an attention mask when `with_mask`).
pub fn write(dir: &Path, table: &[Vec<f32>], with_mask: bool) -> Value {
    let write = |name: &str, bytes: &[u8]| std::fs::write(dir.join(name), bytes).expect("write file");
    write("image.onnx", &mean_color_model(Layout::Nchw));
    write("text.onnx", &text_model(table, Elem::Int64, with_mask));
    write("tokenizer.json", word_level_tokenizer().to_string().as_bytes());
    let mut text = json!({
        "file": "text.onnx",
        "tokenizer": "tokenizer.json",
        "input_ids": "input_ids",
        "output": "text_embeds",
        "max_length": 8
    });
    if with_mask {
        text["attention_mask"] = json!("attention_mask");
    }
    json!({
        "name": "tiny-colors",
        "file": "image.onnx",
        "input": "pixels",
        "width": SIDE,
        "height": SIDE,
        "color": "rgb",
        "layout": "nchw",
        "scale": 255.0,
        "mean": [0.0, 0.0, 0.0],
        "std": [1.0, 1.0, 1.0],
        "output": "embedding",
        "output_kind": "vector",
        "dim": 3,
        "text": text
    })
}
