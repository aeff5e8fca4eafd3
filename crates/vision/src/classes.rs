//! Names for an image encoder's classes, so that what a frame or an object shows becomes words a
//! user can type ("espresso", "handbag").
//!
//! The encoder's classifier head ([`crate::EncodedImage::logits`]) scores ImageNet's 1,000
//! classes; [`ClassNames`] reads their names from the file the manifest's `labels` entry names
//! (one line per class, synonyms after commas, as ImageNet's lemmas read) and turns logits into
//! the few classes the encoder is sure of ([`ClassNames::confident`]). ImageNet's names are not
//! always what people type, so [`ClassNames::words`] adds everyday synonyms from a short table.

use std::path::Path;

use crate::{verify_file, VisionError};

/// The class names of an encoder's classifier head, in class order.
#[derive(Debug, Clone)]
pub struct ClassNames {
    names: Vec<String>,
}

/// Words people type for classes whose ImageNet name they would not (first name of the class →
/// extra words). Kept short: each entry is a name seen on the eval media or in the issue.
const SYNONYMS: &[(&str, &str)] = &[
    ("purse", "handbag bag"),
    ("mailbag", "bag satchel"),
    ("backpack", "bag rucksack"),
    ("pop bottle", "soda drink bottle"),
    ("water bottle", "drink bottle"),
    ("beer bottle", "beer drink"),
    ("wine bottle", "wine drink"),
    ("water jug", "jug drink"),
    ("coffee mug", "cup coffee"),
    ("cup", "cup drink"),
    ("espresso", "coffee cup drink"),
    ("carton", "package box"),
    ("packet", "package"),
    ("milk can", "milk"),
    ("grocery store", "supermarket shop groceries"),
    ("maillot", "swimsuit"),
    ("jersey", "shirt t-shirt"),
    ("sweatshirt", "hoodie"),
    ("cellular telephone", "phone smartphone mobile"),
    ("notebook", "laptop computer"),
    ("laptop", "computer"),
    ("desktop computer", "computer"),
    ("sunglasses", "glasses"),
    ("sunglass", "glasses"),
    ("running shoe", "shoe sneaker trainer"),
    ("loafer", "shoe"),
    ("cowboy boot", "boot shoe"),
    ("tabby", "cat"),
    ("tiger cat", "cat"),
    ("Egyptian cat", "cat"),
    ("Persian cat", "cat"),
    ("golden retriever", "dog"),
    ("Labrador retriever", "dog"),
    ("sports car", "car"),
    ("convertible", "car"),
    ("cab", "taxi car"),
    ("minivan", "car van"),
    ("streetcar", "tram"),
    ("mountain bike", "bicycle bike"),
    ("orange", "fruit"),
    ("Granny Smith", "apple fruit"),
    ("banana", "fruit"),
    ("lemon", "fruit"),
];

impl ClassNames {
    /// Reads a class-names file, checking its SHA-256 when one is given.
    pub fn load(path: &Path, sha256: Option<&str>) -> Result<Self, VisionError> {
        if let Some(sha) = sha256 {
            verify_file(path, sha)?;
        }
        let text = std::fs::read_to_string(path).map_err(|e| VisionError::Manifest {
            path: path.to_path_buf(),
            reason: format!("class names: {e}"),
        })?;
        Ok(Self::new(text.lines().map(|l| l.trim().to_string()).collect()))
    }

    pub fn new(names: Vec<String>) -> Self {
        Self { names }
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The class's first name ("pop bottle" for "pop bottle, soda bottle").
    pub fn name(&self, class: usize) -> Option<&str> {
        self.names.get(class).map(|n| n.split(',').next().unwrap_or(n).trim())
    }

    /// Every word a class answers to: its names from the file, then the synonyms table's.
    pub fn words(&self, class: usize) -> Option<String> {
        let line = self.names.get(class)?;
        let first = self.name(class)?;
        let mut words: Vec<&str> = line.split(',').map(str::trim).filter(|w| !w.is_empty()).collect();
        if let Some((_, extra)) = SYNONYMS.iter().find(|(name, _)| *name == first) {
            words.push(extra);
        }
        Some(words.join(", "))
    }

    /// The classes whose softmax probability is at least `min`, most probable first (at most
    /// `most`). Logits beyond the names are ignored: a head with more classes than names names
    /// only those it can.
    pub fn confident(&self, logits: &[f32], min: f32, most: usize) -> Vec<(usize, f32)> {
        let top = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        if !top.is_finite() {
            return Vec::new();
        }
        let exp: Vec<f32> = logits.iter().map(|l| (l - top).exp()).collect();
        let sum: f32 = exp.iter().sum();
        let mut found: Vec<(usize, f32)> = exp
            .iter()
            .enumerate()
            .map(|(c, e)| (c, e / sum))
            .filter(|&(c, p)| p >= min && c < self.names.len())
            .collect();
        found.sort_by(|a, b| b.1.total_cmp(&a.1));
        found.truncate(most);
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> ClassNames {
        ClassNames::new(vec!["tench, Tinca tinca".into(), "purse".into(), "espresso".into()])
    }

    #[test]
    fn confident_classes_are_the_softmax_peaks_best_first() {
        let found = names().confident(&[0.0, 5.0, 4.0], 0.2, 5);
        assert_eq!(found.iter().map(|c| c.0).collect::<Vec<_>>(), vec![1, 2]);
        assert!(found[0].1 > 0.7 && found[1].1 > 0.2, "{found:?}");
        assert!(
            names().confident(&[1.0, 1.0, 1.0], 0.5, 5).is_empty(),
            "nothing is sure"
        );
        assert!(
            names().confident(&[f32::NAN, 1.0], 0.1, 5).is_empty(),
            "a broken head names nothing"
        );
    }

    #[test]
    fn words_add_what_people_type() {
        let n = names();
        assert_eq!(n.name(0), Some("tench"));
        assert_eq!(n.words(0).as_deref(), Some("tench, Tinca tinca"));
        assert_eq!(n.words(1).as_deref(), Some("purse, handbag bag"));
        assert_eq!(n.words(9), None);
    }

    #[test]
    fn logits_past_the_names_are_not_named() {
        let found = names().confident(&[0.0, 0.0, 0.0, 9.0], 0.5, 5);
        assert!(found.is_empty(), "{found:?}");
    }
}
