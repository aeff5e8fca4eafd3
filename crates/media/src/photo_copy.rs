//! Analysis copies of photos: the photo counterpart of a video's seek proxy.
//!
//! Why: a box drawn on an indexed photo is searched from the photo's pixels, and decoding the
//! original costs more than the rest of the search on a large or progressive JPEG (a
//! 4352x2903 progressive JPEG takes ~155 ms, a 3061x4600 one ~210 ms; a 1536x1152 progressive
//! one still ~33 ms, a baseline JPEG of 2048x1365 ~10 ms). A query only ever looks at a photo
//! at its analysis size (items at 1,600 px a side, faces at 320 px a box), so ingest keeps the
//! photo at that size, upright, as a baseline JPEG of high quality: ~6 ms to decode, whatever
//! the original was. Like the proxy, the copy holds the pixels ingest analysed (up to JPEG's
//! small error), and a missing or unreadable copy only means the original is decoded again.

use std::io::Write;
use std::path::Path;

use image::RgbImage;

use crate::{load_image, DecodeLimits, MediaError};

/// JPEG quality of a copy: at 95 a copy differs from the pixels it was made of by about one
/// grey level on average, far below what moves a search (the seek proxy allows four).
const COPY_QUALITY: u8 = 95;

/// Photos of at most this many pixels are decoded quickly whatever their format: no copy.
const SMALL_PHOTO_PIXELS: u64 = 500_000;

/// Whether a photo decoded from `bytes` to `size` (upright) is worth a copy at `analysis_side`
/// pixels a side: when it is larger than that (a query would decode and shrink every pixel),
/// or when it is not a small photo and not a baseline JPEG (progressive JPEGs, PNGs, WebPs
/// decode several times slower than a baseline JPEG of the same size).
pub fn worth_a_copy(bytes: &[u8], size: (u32, u32), analysis_side: u32) -> bool {
    let (w, h) = size;
    let pixels = u64::from(w) * u64::from(h);
    w.max(h) > analysis_side || (pixels > SMALL_PHOTO_PIXELS && !is_baseline_jpeg(bytes))
}

/// Writes `image` as the copy at `path`, through a temporary file renamed into place, so that a
/// copy that exists is whole.
pub fn write_copy(image: &RgbImage, path: &Path) -> Result<(), MediaError> {
    let io = |source| MediaError::Io {
        path: path.to_path_buf(),
        source,
    };
    // A name of its own per writer: two queries may make the copy of one photo at once.
    static WRITERS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let writer = WRITERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("{}-{writer}.tmp", std::process::id()));
    let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp).map_err(io)?);
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, COPY_QUALITY)
        .encode_image(image)
        .map_err(|e| io(std::io::Error::other(e)))?;
    out.flush().map_err(io)?;
    drop(out);
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })
}

/// The copy at `path`, if there is one that decodes.
pub fn load_copy(path: &Path) -> Option<RgbImage> {
    if !path.is_file() {
        return None;
    }
    match load_image(path, DecodeLimits::default()) {
        Ok(image) => Some(image),
        Err(e) => {
            tracing::warn!(path = %path.display(), "unreadable analysis copy, the original is decoded: {e}");
            None
        }
    }
}

/// Whether `bytes` are a baseline (sequential, Huffman) JPEG: its first frame header is SOF0 or
/// SOF1. Reads marker segments up to that header; anything else (another format, a progressive
/// or arithmetic-coded JPEG, a truncated file) is not.
fn is_baseline_jpeg(bytes: &[u8]) -> bool {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return false;
    }
    let mut at = 2;
    while at + 4 <= bytes.len() {
        if bytes[at] != 0xFF {
            return false;
        }
        let marker = bytes[at + 1];
        match marker {
            // Fill bytes before a marker.
            0xFF => at += 1,
            0xC0 | 0xC1 => return true,
            // Every other start of frame: progressive, lossless, arithmetic, hierarchical.
            0xC2..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => return false,
            // Start of scan or end of image before any frame header.
            0xDA | 0xD9 => return false,
            _ => {
                let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
                at += 2 + length;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn encoded(image: &RgbImage, format: image::ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    fn photo(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x + y) % 256) as u8])
        })
    }

    #[test]
    fn issue14_baseline_jpeg_is_told_from_progressive_and_other_formats() {
        let baseline = encoded(&photo(64, 48), image::ImageFormat::Jpeg);
        assert!(is_baseline_jpeg(&baseline));
        // The same header with its frame marker turned into SOF2 (progressive).
        let mut progressive = baseline.clone();
        let sof = progressive.windows(2).position(|m| m == [0xFF, 0xC0]).unwrap();
        progressive[sof + 1] = 0xC2;
        assert!(!is_baseline_jpeg(&progressive));
        assert!(!is_baseline_jpeg(&encoded(&photo(64, 48), image::ImageFormat::Png)));
        assert!(!is_baseline_jpeg(&baseline[..20]));
        assert!(!is_baseline_jpeg(&[]));
    }

    #[test]
    fn issue14_copies_for_large_photos_and_slow_formats_only() {
        let small_png = encoded(&photo(64, 48), image::ImageFormat::Png);
        let baseline = encoded(&photo(64, 48), image::ImageFormat::Jpeg);
        assert!(
            worth_a_copy(&baseline, (2000, 1500), 1600),
            "larger than the analysis size"
        );
        assert!(!worth_a_copy(&baseline, (1200, 900), 1600), "a baseline JPEG within it");
        assert!(worth_a_copy(&small_png, (1200, 900), 1600), "a PNG of a megapixel");
        assert!(!worth_a_copy(&small_png, (600, 400), 1600), "a small photo");
    }

    #[test]
    fn issue14_a_copy_round_trips_close_to_its_pixels_and_a_bad_one_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("analysis.jpg");
        let image = photo(320, 200);
        write_copy(&image, &path).unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["analysis.jpg"], "no temporary file is left");
        let back = load_copy(&path).unwrap();
        assert_eq!(back.dimensions(), image.dimensions());
        let error: f64 = back
            .as_raw()
            .iter()
            .zip(image.as_raw())
            .map(|(a, b)| (f64::from(*a) - f64::from(*b)).abs())
            .sum::<f64>()
            / image.as_raw().len() as f64;
        assert!(error < 4.0, "mean error {error}");
        std::fs::write(&path, b"not a jpeg").unwrap();
        assert!(load_copy(&path).is_none());
        assert!(load_copy(&dir.path().join("absent.jpg")).is_none());
    }
}
