//! Face alignment: a similarity transform that puts the five detector landmarks where a face
//! network's chips have them (dlib's, FaceRes's), and the warp that cuts the chip out.

use image::RgbImage;

use glint_types::Point;

use crate::pixels::{resize_float, FloatImage};

/// A 2-D similarity transform `q = [[a, -b], [b, a]] p + t`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity {
    pub a: f32,
    pub b: f32,
    pub tx: f32,
    pub ty: f32,
}

impl Similarity {
    /// The least-squares similarity taking `src` onto `dst` (Umeyama's closed form in 2-D).
    /// `None` when the source points coincide.
    pub fn fit(src: &[Point], dst: &[Point]) -> Option<Self> {
        assert_eq!(src.len(), dst.len(), "point sets differ in length");
        let n = src.len() as f32;
        let mean = |pts: &[Point]| {
            let (sx, sy) = pts.iter().fold((0.0, 0.0), |(x, y), p| (x + p.x, y + p.y));
            Point::new(sx / n, sy / n)
        };
        let (ms, md) = (mean(src), mean(dst));
        let (mut dot, mut cross, mut norm) = (0.0f32, 0.0f32, 0.0f32);
        for (p, q) in src.iter().zip(dst) {
            let (px, py) = (p.x - ms.x, p.y - ms.y);
            let (qx, qy) = (q.x - md.x, q.y - md.y);
            dot += px * qx + py * qy;
            cross += px * qy - py * qx;
            norm += px * px + py * py;
        }
        if norm <= f32::EPSILON {
            return None;
        }
        let (a, b) = (dot / norm, cross / norm);
        Some(Self {
            a,
            b,
            tx: md.x - (a * ms.x - b * ms.y),
            ty: md.y - (b * ms.x + a * ms.y),
        })
    }

    pub fn apply(&self, p: Point) -> Point {
        Point::new(
            self.a * p.x - self.b * p.y + self.tx,
            self.b * p.x + self.a * p.y + self.ty,
        )
    }

    /// The inverse transform (maps destination back to source).
    pub fn inverse(&self) -> Self {
        let d = self.a * self.a + self.b * self.b;
        let (a, b) = (self.a / d, -self.b / d);
        Self {
            a,
            b,
            tx: -(a * self.tx - b * self.ty),
            ty: -(b * self.tx + a * self.ty),
        }
    }

    /// Destination pixels per source pixel.
    pub fn scale(&self) -> f32 {
        (self.a * self.a + self.b * self.b).sqrt()
    }
}

/// Cuts the `size` x `size` chip that `to_chip` (image -> chip coordinates) defines. When the
/// chip is much smaller than the face, the face region is first shrunk with area averaging so
/// that the bilinear warp does not alias.
pub fn extract_chip(image: &RgbImage, to_chip: &Similarity, size: usize) -> FloatImage {
    let to_image = to_chip.inverse();
    // Source region that the chip covers, with a pixel of margin for interpolation.
    let corners = [
        (0.0, 0.0),
        (size as f32, 0.0),
        (0.0, size as f32),
        (size as f32, size as f32),
    ]
    .map(|(x, y)| to_image.apply(Point::new(x, y)));
    let min_x = corners.iter().map(|p| p.x).fold(f32::INFINITY, f32::min).floor() - 1.0;
    let min_y = corners.iter().map(|p| p.y).fold(f32::INFINITY, f32::min).floor() - 1.0;
    let max_x = corners.iter().map(|p| p.x).fold(f32::NEG_INFINITY, f32::max).ceil() + 1.0;
    let max_y = corners.iter().map(|p| p.y).fold(f32::NEG_INFINITY, f32::max).ceil() + 1.0;
    let (rw, rh) = ((max_x - min_x) as usize, (max_y - min_y) as usize);
    let region = crop_rgb(image, min_x as i64, min_y as i64, rw, rh);
    let shrink = to_chip.scale();
    let (region, factor) = if shrink < 0.67 {
        let w = ((rw as f32 * shrink).round() as usize).max(1);
        let h = ((rh as f32 * shrink).round() as usize).max(1);
        (resize_float(&region, w, h), w as f32 / rw as f32)
    } else {
        (region, 1.0)
    };
    let mut chip = FloatImage::zeros(size, size);
    for v in 0..size {
        for u in 0..size {
            let p = to_image.apply(Point::new(u as f32, v as f32));
            // A reduced pixel j covers source pixels [j/f, (j+1)/f): centres shift by half a pixel.
            let rx = (p.x - min_x + 0.5) * factor - 0.5;
            let ry = (p.y - min_y + 0.5) * factor - 0.5;
            let px = region.sample(rx, ry);
            let i = (v * size + u) * 3;
            chip.data[i..i + 3].copy_from_slice(&px);
        }
    }
    chip
}

/// A window of an 8-bit image as floats, black outside the image. Only the window is converted,
/// so a chip from a 40-megapixel photo costs what the face costs.
fn crop_rgb(image: &RgbImage, x: i64, y: i64, width: usize, height: usize) -> FloatImage {
    let mut out = FloatImage::zeros(width, height);
    let (iw, ih) = (image.width() as i64, image.height() as i64);
    for oy in 0..height {
        let sy = y + oy as i64;
        if sy < 0 || sy >= ih {
            continue;
        }
        for ox in 0..width {
            let sx = x + ox as i64;
            if sx < 0 || sx >= iw {
                continue;
            }
            let p = image.get_pixel(sx as u32, sy as u32).0;
            let i = (oy * width + ox) * 3;
            out.data[i] = f32::from(p[0]);
            out.data[i + 1] = f32::from(p[1]);
            out.data[i + 2] = f32::from(p[2]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_recovers_a_known_similarity() {
        let truth = Similarity {
            a: 0.8,
            b: 0.3,
            tx: 5.0,
            ty: -2.0,
        };
        let src: Vec<Point> = [(1.0, 2.0), (10.0, 3.0), (4.0, 9.0), (7.0, 7.0)]
            .iter()
            .map(|&(x, y)| Point::new(x, y))
            .collect();
        let dst: Vec<Point> = src.iter().map(|p| truth.apply(*p)).collect();
        let fit = Similarity::fit(&src, &dst).unwrap();
        assert!((fit.a - truth.a).abs() < 1e-4 && (fit.b - truth.b).abs() < 1e-4);
        assert!((fit.tx - truth.tx).abs() < 1e-3 && (fit.ty - truth.ty).abs() < 1e-3);
        let back = fit.inverse().apply(fit.apply(Point::new(3.0, 4.0)));
        assert!((back.x - 3.0).abs() < 1e-4 && (back.y - 4.0).abs() < 1e-4);
    }

    #[test]
    fn coincident_points_have_no_fit() {
        let p = vec![Point::new(1.0, 1.0); 3];
        assert!(Similarity::fit(&p, &p).is_none());
    }

    #[test]
    fn identity_chip_copies_pixels_and_shrunk_chip_averages() {
        let img = RgbImage::from_fn(8, 8, |x, y| image::Rgb([(x * 20) as u8, (y * 20) as u8, 50]));
        let id = Similarity {
            a: 1.0,
            b: 0.0,
            tx: 0.0,
            ty: 0.0,
        };
        let chip = extract_chip(&img, &id, 8);
        assert_eq!(chip.pixel(3, 5), [60.0, 100.0, 50.0]);
        // A quarter-size chip of a larger image: interior pixels average a 4x4 source block.
        let big = RgbImage::from_fn(32, 32, |x, _| image::Rgb([(x * 8) as u8, 0, 50]));
        let quarter = Similarity { a: 0.25, ..id };
        let small = extract_chip(&big, &quarter, 8);
        let p = small.pixel(4, 4);
        assert!((p[2] - 50.0).abs() < 0.5, "{p:?}");
        // Chip x=4 is source x=16: red 128 there, and averaging keeps it near that.
        assert!((p[0] - 128.0).abs() < 8.0, "{p:?}");
    }
}
