//! Item regions: R-MAC-style windows over the encoder's feature map (Tolias et al. 2016).
//!
//! There is no object detector among the registry models, so items are found the way classic
//! instance search finds them: square-ish windows at three scales over the convolutional feature
//! map, each pooled into its own descriptor, plus the whole frame. An object that fills a window
//! then gets a descriptor dominated by itself, and a query box is matched against every window.

use glint_types::BBox;

/// A window in feature-map cells (`[x0, x1) x [y0, y1)`) and the image box it covers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Region {
    pub cells: (usize, usize, usize, usize),
    pub bbox: BBox,
}

/// Windows of a `width` x `height` cell map: the whole map, then at two finer scales windows of
/// about 3/5 and 2/5 of the shorter side with ~40% overlap. For a 7x7 map: 1 + 4 + 9 windows.
/// Boxes are in the pixels of an `image_w` x `image_h` image that the map was computed from.
pub fn regions(width: usize, height: usize, image_w: f32, image_h: f32) -> Vec<Region> {
    let cell_w = image_w / width as f32;
    let cell_h = image_h / height as f32;
    let mut out = Vec::new();
    let mut push = |x0: usize, y0: usize, x1: usize, y1: usize| {
        let r = Region {
            cells: (x0, y0, x1, y1),
            bbox: BBox::new(
                x0 as f32 * cell_w,
                y0 as f32 * cell_h,
                (x1 - x0) as f32 * cell_w,
                (y1 - y0) as f32 * cell_h,
            ),
        };
        if !out.contains(&r) {
            out.push(r);
        }
    };
    push(0, 0, width, height);
    let short = width.min(height);
    for (per_side, frac) in [(2usize, 0.6f32), (3, 0.43)] {
        let side = ((short as f32 * frac).round() as usize).clamp(1, short);
        for y0 in positions(height, side, per_side) {
            for x0 in positions(width, side, per_side) {
                push(x0, y0, x0 + side, y0 + side);
            }
        }
    }
    out
}

/// `count` evenly spread start positions of a window of `side` cells along `len` cells.
fn positions(len: usize, side: usize, count: usize) -> Vec<usize> {
    if len <= side || count <= 1 {
        return vec![0];
    }
    let span = len - side;
    let mut v: Vec<usize> = (0..count).map(|i| (i * span + (count - 1) / 2) / (count - 1)).collect();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_7x7_map_has_fourteen_windows_covering_the_frame() {
        let r = regions(7, 7, 700.0, 350.0);
        assert_eq!(r.len(), 14);
        assert_eq!(r[0].bbox, BBox::new(0.0, 0.0, 700.0, 350.0));
        for reg in &r {
            assert!(reg.bbox.right() <= 700.0 + 1e-3 && reg.bbox.bottom() <= 350.0 + 1e-3);
        }
        // The last window touches the bottom-right corner.
        let last = r.last().unwrap();
        assert_eq!((last.cells.2, last.cells.3), (7, 7));
    }

    #[test]
    fn tiny_maps_degrade_to_the_whole_frame() {
        let r = regions(1, 1, 10.0, 10.0);
        assert_eq!(r.len(), 1);
    }
}
