//! Still-image decoding with EXIF orientation and pixel-count limits.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use image::{DynamicImage, ImageDecoder, ImageReader, RgbImage};

use crate::MediaError;

/// Bounds that keep a hostile file from exhausting memory.
#[derive(Debug, Clone, Copy)]
pub struct DecodeLimits {
    /// Largest accepted width x height. The default, 100 megapixels, admits any camera photo.
    pub max_pixels: u64,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self {
            max_pixels: 100_000_000,
        }
    }
}

/// Reads and decodes the image at `path`; see [`decode_image_bytes`].
pub fn load_image(path: &Path, limits: DecodeLimits) -> Result<RgbImage, MediaError> {
    let bytes = std::fs::read(path).map_err(|source| MediaError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    decode_image_bytes(&bytes, path, limits)
}

/// Decodes an encoded image into upright 8-bit RGB. The format is sniffed from the bytes, never
/// from the file name; `label` only names the file in errors.
pub fn decode_image_bytes(bytes: &[u8], label: &Path, limits: DecodeLimits) -> Result<RgbImage, MediaError> {
    let path = || label.to_path_buf();
    if bytes.is_empty() {
        return Err(MediaError::Empty { path: path() });
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|source| MediaError::Io { path: path(), source })?;
    if reader.format().is_none() {
        return Err(MediaError::UnknownFormat { path: path() });
    }
    let mut decoder = reader.into_decoder().map_err(|e| corrupt(path(), e))?;
    let (width, height) = decoder.dimensions();
    // Checked before any pixel buffer is allocated, so a bomb costs only its header.
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(MediaError::TooLarge {
            path: path(),
            width,
            height,
            limit: limits.max_pixels,
        });
    }
    let orientation = decoder.orientation().map_err(|e| corrupt(path(), e))?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| corrupt(path(), e))?;
    image.apply_orientation(orientation);
    Ok(image.into_rgb8())
}

fn corrupt(path: PathBuf, e: image::ImageError) -> MediaError {
    match e {
        image::ImageError::Unsupported(_) => MediaError::UnknownFormat { path },
        other => MediaError::Corrupt {
            path,
            reason: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_bytes(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 7]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn decodes_by_content_not_extension() {
        let img = decode_image_bytes(&png_bytes(4, 3), Path::new("photo.jpg"), DecodeLimits::default()).unwrap();
        assert_eq!(img.dimensions(), (4, 3));
        assert_eq!(img.get_pixel(2, 1).0, [2, 1, 7]);
    }

    #[test]
    fn empty_and_unknown_and_truncated_inputs_are_clear_errors() {
        let l = DecodeLimits::default();
        let p = Path::new("x");
        assert!(matches!(decode_image_bytes(&[], p, l), Err(MediaError::Empty { .. })));
        assert!(matches!(
            decode_image_bytes(b"hello, not an image", p, l),
            Err(MediaError::UnknownFormat { .. })
        ));
        let png = png_bytes(64, 64);
        let err = decode_image_bytes(&png[..png.len() / 2], p, l).unwrap_err();
        assert!(matches!(err, MediaError::Corrupt { .. }), "{err}");
    }

    #[test]
    fn pixel_limit_rejects_before_decoding() {
        let err = decode_image_bytes(
            &png_bytes(100, 100),
            Path::new("big.png"),
            DecodeLimits { max_pixels: 9_999 },
        )
        .unwrap_err();
        assert!(err.to_string().contains("100x100"), "{err}");
    }

    #[test]
    fn missing_file_names_the_path() {
        let err = load_image(Path::new("/nonexistent/glint.png"), DecodeLimits::default()).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/glint.png"));
    }
}
