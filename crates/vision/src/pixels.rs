//! Float images and the few resampling operations the models need.
//!
//! Detectors and encoders want float tensors at fixed sizes, often from a crop that reaches past
//! the frame edge. [`FloatImage`] is interleaved RGB f32 in 0..255; a [`View`] borrows one, or
//! an 8-bit frame as it was decoded, and reads either as the same floats; [`resize`] is separable
//! and antialiased (area averaging when shrinking, bilinear when enlarging), which matches what
//! the reference implementations (OpenCV's INTER_AREA, dlib's pyramid) feed their networks much
//! better than point sampling would.

use image::RgbImage;

/// Interleaved RGB, row-major, values 0..255 as f32.
#[derive(Debug, Clone, PartialEq)]
pub struct FloatImage {
    pub width: usize,
    pub height: usize,
    pub data: Vec<f32>,
}

impl FloatImage {
    pub fn zeros(width: usize, height: usize) -> Self {
        Self {
            width,
            height,
            data: vec![0.0; width * height * 3],
        }
    }

    pub fn from_rgb(image: &RgbImage) -> Self {
        Self {
            width: image.width() as usize,
            height: image.height() as usize,
            data: image.as_raw().iter().map(|&v| f32::from(v)).collect(),
        }
    }

    #[inline]
    pub fn pixel(&self, x: usize, y: usize) -> [f32; 3] {
        let i = (y * self.width + x) * 3;
        [self.data[i], self.data[i + 1], self.data[i + 2]]
    }

    /// Bilinear sample at continuous coordinates (pixel centres at integer + 0.5 is NOT used:
    /// pixel (x, y) is at exactly (x, y)); black outside the image.
    pub fn sample(&self, x: f32, y: f32) -> [f32; 3] {
        let (w, h) = (self.width as isize, self.height as isize);
        let x0 = x.floor() as isize;
        let y0 = y.floor() as isize;
        let fx = x - x0 as f32;
        let fy = y - y0 as f32;
        let mut out = [0.0f32; 3];
        for (dy, wy) in [(0, 1.0 - fy), (1, fy)] {
            for (dx, wx) in [(0, 1.0 - fx), (1, fx)] {
                let (px, py) = (x0 + dx, y0 + dy);
                let weight = wx * wy;
                if weight == 0.0 || px < 0 || py < 0 || px >= w || py >= h {
                    continue;
                }
                let p = self.pixel(px as usize, py as usize);
                for c in 0..3 {
                    out[c] += weight * p[c];
                }
            }
        }
        out
    }

    pub fn view(&self) -> View<'_, f32> {
        View {
            width: self.width,
            height: self.height,
            data: &self.data,
        }
    }
}

/// A borrowed picture, interleaved RGB, row-major, whose values are f32 (a [`FloatImage`]) or u8
/// (a decoded frame, [`rgb_view`]): the operations below read either and give the same floats,
/// so a detector can work from a frame without first converting all of it.
#[derive(Debug, Clone, Copy)]
pub struct View<'a, T> {
    pub width: usize,
    pub height: usize,
    pub data: &'a [T],
}

/// An 8-bit image as a [`View`].
pub fn rgb_view(image: &RgbImage) -> View<'_, u8> {
    View {
        width: image.width() as usize,
        height: image.height() as usize,
        data: image.as_raw(),
    }
}

impl<T: Copy + Into<f32>> View<'_, T> {
    /// The `width` x `height` window whose top-left corner is at (`x`, `y`) in this picture, as
    /// floats, with black where the window leaves the picture.
    pub fn crop_padded(&self, x: i64, y: i64, width: usize, height: usize) -> FloatImage {
        let mut out = FloatImage::zeros(width, height);
        for oy in 0..height {
            let sy = y + oy as i64;
            if sy < 0 || sy >= self.height as i64 {
                continue;
            }
            let x_start = x.max(0);
            let x_end = (x + width as i64).min(self.width as i64);
            if x_start >= x_end {
                continue;
            }
            let src = (sy as usize * self.width + x_start as usize) * 3;
            let dst = (oy * width + (x_start - x) as usize) * 3;
            let n = (x_end - x_start) as usize * 3;
            for (o, &v) in out.data[dst..dst + n].iter_mut().zip(&self.data[src..src + n]) {
                *o = v.into();
            }
        }
        out
    }

    /// This picture at half its width and height (rounded down, at least 1x1), each pixel the
    /// mean of a 2x2 block: a cheap first step for resizes to a small fraction of a large image.
    /// Unlike [`resize`] to half the size, an odd last column or row is dropped, not spread, so
    /// the copy stays at exactly half the scale (MTCNN maps its boxes back by that factor).
    pub fn halved(&self) -> FloatImage {
        let (w, h) = ((self.width / 2).max(1), (self.height / 2).max(1));
        let mut out = FloatImage::zeros(w, h);
        let stride = self.width * 3;
        // Row slices instead of a clamped lookup per value (this ran on every sampled video frame,
        // at 1280 px); a 1-pixel-wide or -high image repeats its only column or row, as the clamp did.
        let step_x = usize::from(self.width > 1) * 3;
        let step_y = usize::from(self.height > 1) * stride;
        for (y, out_row) in out.data.chunks_exact_mut(w * 3).enumerate() {
            let top = &self.data[2 * y * stride..];
            let bottom = &self.data[2 * y * stride + step_y..];
            for (x, px) in out_row.chunks_exact_mut(3).enumerate() {
                let i = 2 * x * 3;
                for c in 0..3 {
                    // The same four values summed in the same order as before: the same result.
                    let sum = top[i + c].into()
                        + top[i + step_x + c].into()
                        + bottom[i + c].into()
                        + bottom[i + step_x + c].into();
                    px[c] = sum / 4.0;
                }
            }
        }
        out
    }

    /// [`resize`] of this picture.
    pub fn resized(&self, out_w: usize, out_h: usize) -> FloatImage {
        resize(self.data, self.width, self.height, out_w, out_h)
    }
}

/// One output sample's contributing source indices and weights along one axis.
struct Taps {
    start: usize,
    weights: Vec<f32>,
}

/// Resampling weights from `src` samples to `dst` samples along one axis.
fn axis_taps(src: usize, dst: usize) -> Vec<Taps> {
    let scale = src as f64 / dst as f64;
    (0..dst)
        .map(|i| {
            if scale >= 1.0 {
                // Area: average the source interval [i*scale, (i+1)*scale) with partial ends.
                let lo = i as f64 * scale;
                let hi = ((i + 1) as f64 * scale).min(src as f64);
                let start = lo.floor() as usize;
                let end = (hi.ceil() as usize).min(src);
                let weights: Vec<f32> = (start..end)
                    .map(|s| ((s as f64 + 1.0).min(hi) - (s as f64).max(lo)) / scale)
                    .map(|w| w as f32)
                    .collect();
                Taps { start, weights }
            } else {
                // Bilinear between the two nearest source samples, centres aligned.
                let pos = ((i as f64 + 0.5) * scale - 0.5).clamp(0.0, (src - 1) as f64);
                let start = (pos.floor() as usize).min(src.saturating_sub(2));
                let frac = (pos - start as f64) as f32;
                if src == 1 {
                    Taps {
                        start: 0,
                        weights: vec![1.0],
                    }
                } else {
                    Taps {
                        start,
                        weights: vec![1.0 - frac, frac],
                    }
                }
            }
        })
        .collect()
}

/// Resamples interleaved RGB (`u8` or `f32`) of `width` x `height` to `out_w` x `out_h`.
pub fn resize<T: Copy + Into<f32>>(data: &[T], width: usize, height: usize, out_w: usize, out_h: usize) -> FloatImage {
    assert_eq!(data.len(), width * height * 3, "buffer does not match its size");
    assert!(width > 0 && height > 0 && out_w > 0 && out_h > 0, "empty image");
    let xt = axis_taps(width, out_w);
    let yt = axis_taps(height, out_h);
    // Horizontal pass first: `height` rows of `out_w` pixels.
    let mut tmp = vec![0.0f32; height * out_w * 3];
    for y in 0..height {
        let row = &data[y * width * 3..(y + 1) * width * 3];
        let out_row = &mut tmp[y * out_w * 3..(y + 1) * out_w * 3];
        // Slices and whole pixels instead of indexing: no bounds check per tap (this loop is a
        // tenth of photo ingest, in MTCNN's image pyramid); the sums keep their order.
        for (taps, out) in xt.iter().zip(out_row.chunks_exact_mut(3)) {
            let src = &row[taps.start * 3..(taps.start + taps.weights.len()) * 3];
            let (mut r, mut g, mut b) = (0.0f32, 0.0f32, 0.0f32);
            for (w, px) in taps.weights.iter().zip(src.chunks_exact(3)) {
                r += w * px[0].into();
                g += w * px[1].into();
                b += w * px[2].into();
            }
            out.copy_from_slice(&[r, g, b]);
        }
    }
    let mut out = FloatImage::zeros(out_w, out_h);
    let stride = out_w * 3;
    for (oy, taps) in yt.iter().enumerate() {
        let out_row = &mut out.data[oy * stride..(oy + 1) * stride];
        for (k, w) in taps.weights.iter().enumerate() {
            let src = &tmp[(taps.start + k) * stride..(taps.start + k + 1) * stride];
            for (o, s) in out_row.iter_mut().zip(src) {
                *o += w * s;
            }
        }
    }
    out
}

/// Resizes an 8-bit RGB image.
pub fn resize_rgb(image: &RgbImage, out_w: usize, out_h: usize) -> FloatImage {
    resize(
        image.as_raw(),
        image.width() as usize,
        image.height() as usize,
        out_w,
        out_h,
    )
}

/// Resizes a float image.
pub fn resize_float(image: &FloatImage, out_w: usize, out_h: usize) -> FloatImage {
    resize(&image.data, image.width, image.height, out_w, out_h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 10) as u8, (y * 10) as u8, 100]))
    }

    #[test]
    fn halving_a_float_image_is_resizing_it_to_half() {
        let img = FloatImage::from_rgb(&gradient(8, 6));
        let (a, b) = (img.view().halved(), resize_float(&img, 4, 3));
        assert_eq!((a.width, a.height), (4, 3));
        assert!(a.data.iter().zip(&b.data).all(|(x, y)| (x - y).abs() < 1e-4));
    }

    /// The clamped lookup halving used before, kept to check the row-slice version.
    fn halve_by_lookup(image: &FloatImage) -> FloatImage {
        let (w, h) = ((image.width / 2).max(1), (image.height / 2).max(1));
        let mut out = FloatImage::zeros(w, h);
        let at = |x: usize, y: usize, c: usize| {
            let (x, y) = (x.min(image.width - 1), y.min(image.height - 1));
            image.data[(y * image.width + x) * 3 + c]
        };
        for y in 0..h {
            for x in 0..w {
                for c in 0..3 {
                    let sum = at(2 * x, 2 * y, c)
                        + at(2 * x + 1, 2 * y, c)
                        + at(2 * x, 2 * y + 1, c)
                        + at(2 * x + 1, 2 * y + 1, c);
                    out.data[(y * w + x) * 3 + c] = sum / 4.0;
                }
            }
        }
        out
    }

    #[test]
    fn issue14_halving_by_rows_is_the_clamped_lookup_exactly() {
        for (w, h) in [(8, 6), (7, 5), (1, 9), (9, 1), (1, 1), (1280, 720), (33, 2)] {
            let img = FloatImage::from_rgb(&RgbImage::from_fn(w, h, |x, y| {
                image::Rgb([(x * 37 + y * 11) as u8, (x ^ y) as u8, (x * y) as u8])
            }));
            let once = img.view().halved();
            assert_eq!(once, halve_by_lookup(&img), "{w}x{h}");
            assert_eq!(once.view().halved(), halve_by_lookup(&once), "{w}x{h} halved twice");
        }
    }

    #[test]
    fn issue14_an_rgb_view_crops_and_halves_as_its_float_copy() {
        for (w, h) in [(1280, 720), (7, 5), (1, 9), (9, 1)] {
            let rgb = RgbImage::from_fn(w, h, |x, y| {
                image::Rgb([(x * 37 + y * 11) as u8, (x ^ y) as u8, (x * y) as u8])
            });
            let float = FloatImage::from_rgb(&rgb);
            let view = rgb_view(&rgb);
            assert_eq!(view.halved(), float.view().halved(), "{w}x{h}");
            assert_eq!(
                view.crop_padded(-3, 2, 11, 6),
                float.view().crop_padded(-3, 2, 11, 6),
                "{w}x{h}"
            );
            assert_eq!(view.resized(5, 4), resize_float(&float, 5, 4), "{w}x{h}");
        }
    }

    #[test]
    fn halving_averages_pixel_pairs() {
        let img = gradient(4, 2);
        let out = resize_rgb(&img, 2, 1);
        // Columns 0,1 average to 5; rows 0,1 average to 5.
        assert_eq!(out.pixel(0, 0), [5.0, 5.0, 100.0]);
        assert_eq!(out.pixel(1, 0), [25.0, 5.0, 100.0]);
    }

    #[test]
    fn constant_image_stays_constant_at_any_scale() {
        let img = RgbImage::from_pixel(7, 5, image::Rgb([9, 99, 199]));
        for (w, h) in [(3, 2), (7, 5), (20, 13), (1, 1)] {
            let out = resize_rgb(&img, w, h);
            for y in 0..h {
                for x in 0..w {
                    let p = out.pixel(x, y);
                    assert!((p[0] - 9.0).abs() < 1e-3 && (p[1] - 99.0).abs() < 1e-3 && (p[2] - 199.0).abs() < 1e-3);
                }
            }
        }
    }

    #[test]
    fn crop_pads_with_black_outside_the_frame() {
        let img = FloatImage::from_rgb(&gradient(3, 3));
        let c = img.view().crop_padded(-1, 1, 3, 3);
        assert_eq!(c.pixel(0, 0), [0.0, 0.0, 0.0]);
        assert_eq!(c.pixel(1, 0), img.pixel(0, 1));
        assert_eq!(c.pixel(2, 1), img.pixel(1, 2));
        assert_eq!(c.pixel(1, 2), [0.0, 0.0, 0.0]);
    }

    #[test]
    fn bilinear_sample_interpolates() {
        let img = FloatImage::from_rgb(&gradient(3, 3));
        assert_eq!(img.sample(0.5, 1.0), [5.0, 10.0, 100.0]);
        assert_eq!(img.sample(-5.0, -5.0), [0.0, 0.0, 0.0]);
    }
}
