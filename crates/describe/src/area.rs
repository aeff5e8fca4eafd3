//! Shrinking by area average, pixel for pixel what `image::imageops::thumbnail` gives, at a
//! fraction of its cost.
//!
//! Why: ingest and search shrink large photos to the analysis size with that filter, and its
//! generic per-pixel loop took 100-140 ms on a 12-megapixel photo, the largest single cost of a
//! whole-photo query (docs/benchmarks.md). Here each output row first sums its source rows into
//! one row of column sums, then each output pixel sums its columns of that row: the same integer
//! sums over the same blocks, so the same rounded means.

use glint_media::RgbImage;

/// `image` shrunk to `new_w` x `new_h` by the block means `image::imageops::thumbnail` takes
/// (block edges at the ceiling of each output pixel's source span, mean rounded half up).
/// Sizes where a block would be empty (enlarging along an axis) go to `thumbnail` itself.
pub fn area_average(image: &RgbImage, new_w: u32, new_h: u32) -> RgbImage {
    let (w, h) = image.dimensions();
    if w == 0 || h == 0 || new_w == 0 || new_h == 0 {
        return image::imageops::thumbnail(image, new_w, new_h);
    }
    let columns = spans(w, new_w);
    let rows = spans(h, new_h);
    let (Some(columns), Some(rows)) = (columns, rows) else {
        return image::imageops::thumbnail(image, new_w, new_h);
    };
    let widest = |s: &[(u32, u32)]| s.iter().map(|(a, b)| u64::from(b - a)).max().unwrap_or(0);
    if widest(&columns) * widest(&rows) * 255 > u64::from(u32::MAX) {
        // A block whose sum would overflow (shrinking thousands of times): left to `thumbnail`.
        return image::imageops::thumbnail(image, new_w, new_h);
    }
    let src = image.as_raw();
    let stride = w as usize * 3;
    // Output rows are independent: a large image is shrunk in two halves side by side (the
    // search shrinks an uploaded 12-megapixel photo before anything else can start).
    let out = if u64::from(w) * u64::from(h) >= PARALLEL_PIXELS {
        let (upper, lower) = rows.split_at(rows.len() / 2);
        std::thread::scope(|scope| {
            let lower = scope.spawn(|| shrink_rows(src, stride, lower, &columns));
            let mut out = shrink_rows(src, stride, upper, &columns);
            // A panic in the other half would be a bug here, not bad input: re-raise it.
            out.extend(lower.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
            out
        })
    } else {
        shrink_rows(src, stride, &rows, &columns)
    };
    RgbImage::from_raw(new_w, new_h, out).expect("buffer sized for the output")
}

/// Source pixels from which [`area_average`] shrinks on two threads.
const PARALLEL_PIXELS: u64 = 2_000_000;

/// The output rows `rows` (source row spans) of [`area_average`], each pixel the rounded mean of
/// its block.
fn shrink_rows(src: &[u8], stride: usize, rows: &[(u32, u32)], columns: &[(u32, u32)]) -> Vec<u8> {
    let mut sums = vec![0u32; stride];
    let mut out = Vec::with_capacity(rows.len() * columns.len() * 3);
    for &(bottom, top) in rows {
        sums.fill(0);
        for y in bottom..top {
            let row = &src[y as usize * stride..][..stride];
            for (s, &v) in sums.iter_mut().zip(row) {
                *s += u32::from(v);
            }
        }
        for &(left, right) in columns {
            let n = (right - left) * (top - bottom);
            let round = n / 2;
            let block = &sums[left as usize * 3..right as usize * 3];
            let mut rgb = [0u32; 3];
            for px in block.chunks_exact(3) {
                rgb[0] += px[0];
                rgb[1] += px[1];
                rgb[2] += px[2];
            }
            out.extend(rgb.map(|c| ((c + round) / n).min(255) as u8));
        }
    }
    out
}

/// Each output pixel's source span `[start, end)` along an axis of `len` pixels shrunk to
/// `new_len`, computed as `thumbnail` does (f32 ratio, ceilings, clamps); `None` when a span
/// would be empty (`thumbnail` then interpolates instead).
fn spans(len: u32, new_len: u32) -> Option<Vec<(u32, u32)>> {
    let ratio = len as f32 / new_len as f32;
    (0..new_len)
        .map(|i| {
            let startf = i as f32 * ratio;
            let endf = startf + ratio;
            let start = (startf.ceil() as u32).clamp(0, len - 1);
            let end = (endf.ceil() as u32).clamp(start, len);
            (start != end).then_some((start, end))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(w: u32, h: u32, seed: u32) -> RgbImage {
        let mut state = seed.wrapping_mul(2_654_435_761).max(1);
        RgbImage::from_fn(w, h, |_, _| {
            let mut next = || {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state >> 24) as u8
            };
            image::Rgb([next(), next(), next()])
        })
    }

    #[test]
    fn issue14_area_average_is_thumbnail_pixel_for_pixel() {
        // Integer and fractional ratios, odd sizes, one axis kept, and a 12-megapixel-like
        // aspect shrunk to the 1,600-px analysis side (in two halves, as large images are).
        let cases = [
            (64, 48, 32, 24),
            (101, 77, 40, 31),
            (640, 360, 213, 120),
            (300, 200, 300, 100),
            (999, 10, 7, 3),
            (4352, 2903, 1600, 1067),
            // Over PARALLEL_PIXELS, shrunk in two halves: an odd number of output rows.
            (1500, 1400, 700, 653),
        ];
        for (i, (w, h, nw, nh)) in cases.into_iter().enumerate() {
            let image = noise(w, h, i as u32 + 1);
            let fast = area_average(&image, nw, nh);
            let reference = image::imageops::thumbnail(&image, nw, nh);
            assert_eq!(fast.dimensions(), reference.dimensions());
            assert!(fast == reference, "{w}x{h} -> {nw}x{nh} differs from thumbnail");
        }
    }

    #[test]
    fn enlarging_falls_back_to_thumbnail() {
        let image = noise(10, 10, 7);
        assert!(area_average(&image, 20, 5) == image::imageops::thumbnail(&image, 20, 5));
    }
}
