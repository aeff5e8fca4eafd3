//! Issue 16, text seen in pictures: Tesseract reads the words really printed on real product
//! images of ../shared/eval/products_grocery_store (a shop image, a hand-held store photo), with
//! boxes where the words are, and reads nothing on a photo without text.

use std::path::{Path, PathBuf};

use glint_ocr::{Tesseract, TextLine, TextReader};

fn repo(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel);
    assert!(p.exists(), "{} is missing (make setup / ../shared/eval)", p.display());
    p
}

fn grocery(rel: &str) -> PathBuf {
    repo(&format!("../shared/eval/products_grocery_store/dataset/{rel}"))
}

fn read(reader: &Tesseract, path: &Path) -> (Vec<TextLine>, (u32, u32)) {
    let image = image::open(path).unwrap().to_rgb8();
    (reader.read(&image).unwrap(), image.dimensions())
}

/// The line holding `word` (any case), if one was read.
fn line_with<'a>(lines: &'a [TextLine], word: &str) -> Option<&'a TextLine> {
    lines.iter().find(|l| {
        l.text
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| w.eq_ignore_ascii_case(word))
    })
}

#[test]
fn issue16_reads_the_words_printed_on_shop_images() {
    let reader = Tesseract::new().unwrap();
    // 198 px shop images (enlarged before reading): the flavour printed across the Bravo pack,
    // the brand on the Alpro soy drink.
    for (image, word, near) in [
        (
            "iconic-images-and-descriptions/Packages/Juice/Bravo-Apple-Juice/Bravo-Apple-Juice_Iconic.jpg",
            "apple",
            // Where "APPLE" is printed: the middle of the carton's front.
            (100.0, 78.0),
        ),
        (
            "iconic-images-and-descriptions/Packages/Soy-Milk/Alpro-Fresh-Soy-Milk/Alpro-Fresh-Soy-Milk_Iconic.jpg",
            "alpro",
            (99.0, 52.0),
        ),
    ] {
        let (lines, (w, h)) = read(&reader, &grocery(image));
        let line = line_with(&lines, word).unwrap_or_else(|| panic!("{word} not read on {image}: {lines:?}"));
        assert!(line.confidence >= 0.6 && line.confidence <= 1.0, "{line:?}");
        // The box is in the pixels of the image given (not of the enlarged copy read), and on
        // the word.
        let b = line.bbox;
        assert!(
            b.x >= 0.0 && b.y >= 0.0 && b.right() <= w as f32 && b.bottom() <= h as f32,
            "{line:?}"
        );
        assert!(b.w > 10.0 && b.h > 4.0 && b.w < 0.8 * w as f32, "{line:?}");
        let c = b.center();
        assert!((c.x - near.0).abs() < 30.0 && (c.y - near.1).abs() < 20.0, "{line:?}");
    }
}

#[test]
fn issue16_reads_the_brand_on_a_hand_held_store_photo() {
    let reader = Tesseract::new().unwrap();
    let (lines, _) = read(
        &reader,
        &grocery("val/Packages/Juice/God-Morgon-Orange-Juice/God-Morgon-Orange-Juice_002.jpg"),
    );
    assert!(line_with(&lines, "god").is_some(), "{lines:?}");
}

#[test]
fn issue16_a_photo_without_text_gives_no_line() {
    let reader = Tesseract::new().unwrap();
    let (lines, _) = read(&reader, &repo("models/samples/chelsea.png"));
    assert!(lines.is_empty(), "a cat has no text: {lines:?}");
}

#[test]
fn issue16_readers_share_engines_across_threads() {
    let reader = Tesseract::new().unwrap();
    let image = image::open(grocery(
        "iconic-images-and-descriptions/Packages/Juice/Bravo-Apple-Juice/Bravo-Apple-Juice_Iconic.jpg",
    ))
    .unwrap()
    .to_rgb8();
    let alone = reader.read(&image).unwrap();
    let together: Vec<Vec<TextLine>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..3).map(|_| s.spawn(|| reader.read(&image).unwrap())).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for lines in together {
        assert_eq!(lines, alone, "the same image reads the same on any engine of the pool");
    }
    assert!(reader.read(&image::RgbImage::new(0, 0)).unwrap().is_empty());
}
