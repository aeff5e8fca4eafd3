//! Shrinking with the triangle (bilinear) filter, pixel for pixel what
//! `image::imageops::resize(…, FilterType::Triangle)` gives, at a fraction of its cost.
//!
//! Why: every sampled video frame is halved this way before its keypoints are found
//! (`glint_describe::local::extract_video_frame`), paused frames and query pictures are shrunk
//! this way at search time, and the generic resize (a boxed kernel call per tap,
//! a bounds-checked pixel read per tap and channel, an alpha channel computed and dropped) took
//! 2.6 ms of a 640x360 frame. Here the same weights are computed by the same f32 expressions
//! and each output value sums the same products in the same order (the rows' pass first, into
//! f32, then the columns' pass, rounded), so the pixels are identical; only the loops differ:
//! the rows' pass runs along whole rows, which the compiler vectorises.

use image::RgbImage;

/// One output sample's first source index and weights (normalised as `image` normalises them).
struct Taps {
    left: usize,
    weights: Vec<f32>,
}

/// `image`'s triangle kernel with support 1, scaled to the source as `image` scales it.
fn taps(src: u32, dst: u32) -> Vec<Taps> {
    let ratio = src as f32 / dst as f32;
    let sratio = if ratio < 1.0 { 1.0 } else { ratio };
    let support = sratio; // the triangle filter's support (1) times `sratio`
    (0..dst)
        .map(|out| {
            let input = (out as f32 + 0.5) * ratio;
            let left = ((input - support).floor() as i64).clamp(0, i64::from(src) - 1);
            let right = ((input + support).ceil() as i64).clamp(left + 1, i64::from(src));
            let input = input - 0.5;
            let mut weights: Vec<f32> = (left..right)
                .map(|i| {
                    let x = (i as f32 - input) / sratio;
                    if x.abs() < 1.0 {
                        1.0 - x.abs()
                    } else {
                        0.0
                    }
                })
                .collect();
            let mut sum = 0.0f32;
            for w in &weights {
                sum += w;
            }
            for w in &mut weights {
                *w /= sum;
            }
            Taps {
                left: left as usize,
                weights,
            }
        })
        .collect()
}

/// `image` resized to `new_w` x `new_h` as `image::imageops::resize` with
/// `FilterType::Triangle` resizes it: the same pixels. Empty sizes and the same size go to that
/// function itself.
pub fn triangle_resize(image: &RgbImage, new_w: u32, new_h: u32) -> RgbImage {
    let (w, h) = image.dimensions();
    if w == 0 || h == 0 || new_w == 0 || new_h == 0 || (w, h) == (new_w, new_h) {
        return image::imageops::resize(image, new_w, new_h, image::imageops::FilterType::Triangle);
    }
    let src = image.as_raw();
    let stride = 3 * w as usize;
    // The columns' pass of `image` comes first: each output row is a weighted sum of source
    // rows, kept in f32 (`image` keeps an Rgba32F buffer; alpha is never read back for RGB).
    let mut rows = vec![0f32; stride * new_h as usize];
    for (out, t) in rows.chunks_exact_mut(stride).zip(taps(h, new_h)) {
        for (k, &weight) in t.weights.iter().enumerate() {
            let line = &src[(t.left + k) * stride..][..stride];
            for (o, &v) in out.iter_mut().zip(line) {
                *o += f32::from(v) * weight;
            }
        }
    }
    // Then each output pixel of a row is a weighted sum of that row's pixels, clamped and
    // rounded half away from zero (`image`'s `FloatNearest`).
    let columns = taps(w, new_w);
    let mut out = RgbImage::new(new_w, new_h);
    let out_stride = 3 * new_w as usize;
    for (dst, row) in out.chunks_exact_mut(out_stride).zip(rows.chunks_exact(stride)) {
        for (px, t) in dst.chunks_exact_mut(3).zip(&columns) {
            let mut sums = [0f32; 3];
            for (k, &weight) in t.weights.iter().enumerate() {
                let at = 3 * (t.left + k);
                for c in 0..3 {
                    sums[c] += row[at + c] * weight;
                }
            }
            for c in 0..3 {
                px[c] = sums[c].clamp(0.0, 255.0).round() as u8;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(w: u32, h: u32, seed: u32) -> RgbImage {
        let mut state = seed.wrapping_mul(2_654_435_761).max(1);
        RgbImage::from_fn(w, h, |x, y| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            // Smooth areas, edges and noise: every kind of value the filter meets.
            let base = ((x * 7 + y * 3) % 256) as u8;
            let edge = if (x / 9 + y / 5) % 2 == 0 { 0 } else { 120 };
            image::Rgb([base, base.wrapping_add(edge), (state % 256) as u8])
        })
    }

    #[test]
    fn issue14_triangle_resize_is_image_resize_pixel_for_pixel() {
        let sizes = [
            ((640, 360), (320, 180)), // a sampled 640-px frame halved for its keypoints
            ((639, 359), (319, 179)), // odd sizes
            ((1280, 720), (320, 180)),
            ((100, 80), (37, 23)),
            ((50, 40), (80, 70)), // enlarging
            ((7, 3), (2, 1)),
            ((1, 9), (1, 4)),
        ];
        for (i, ((w, h), (nw, nh))) in sizes.into_iter().enumerate() {
            let image = noise(w, h, i as u32 + 1);
            let ours = triangle_resize(&image, nw, nh);
            let theirs = image::imageops::resize(&image, nw, nh, image::imageops::FilterType::Triangle);
            assert_eq!(ours.dimensions(), theirs.dimensions(), "{w}x{h} -> {nw}x{nh}");
            assert!(ours.as_raw() == theirs.as_raw(), "{w}x{h} -> {nw}x{nh}: pixels differ");
        }
    }
}
