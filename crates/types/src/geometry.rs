//! Boxes and points in pixel coordinates (origin top-left, x right, y down).

use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub x: f32,
    pub y: f32,
}

impl Point {
    pub fn new(x: f32, y: f32) -> Self {
        Self { x, y }
    }

    pub fn distance(self, other: Point) -> f32 {
        ((self.x - other.x).powi(2) + (self.y - other.y).powi(2)).sqrt()
    }
}

/// An axis-aligned box: top-left corner plus width and height.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BBox {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl BBox {
    pub fn new(x: f32, y: f32, w: f32, h: f32) -> Self {
        Self { x, y, w, h }
    }

    /// A box from two corners, in any order.
    pub fn from_corners(x1: f32, y1: f32, x2: f32, y2: f32) -> Self {
        let (l, r) = if x1 <= x2 { (x1, x2) } else { (x2, x1) };
        let (t, b) = if y1 <= y2 { (y1, y2) } else { (y2, y1) };
        Self::new(l, t, r - l, b - t)
    }

    pub fn right(&self) -> f32 {
        self.x + self.w
    }

    pub fn bottom(&self) -> f32 {
        self.y + self.h
    }

    pub fn area(&self) -> f32 {
        self.w.max(0.0) * self.h.max(0.0)
    }

    pub fn center(&self) -> Point {
        Point::new(self.x + self.w / 2.0, self.y + self.h / 2.0)
    }

    /// True when every coordinate is finite and the size is positive.
    pub fn is_valid(&self) -> bool {
        [self.x, self.y, self.w, self.h].iter().all(|v| v.is_finite()) && self.w > 0.0 && self.h > 0.0
    }

    pub fn intersection(&self, other: &BBox) -> f32 {
        let w = self.right().min(other.right()) - self.x.max(other.x);
        let h = self.bottom().min(other.bottom()) - self.y.max(other.y);
        w.max(0.0) * h.max(0.0)
    }

    /// Intersection over union, 0 for disjoint boxes.
    pub fn iou(&self, other: &BBox) -> f32 {
        let inter = self.intersection(other);
        let union = self.area() + other.area() - inter;
        if union > 0.0 {
            inter / union
        } else {
            0.0
        }
    }

    /// The part of the box inside a `width` x `height` frame, or `None` when nothing is left.
    pub fn clamp_to(&self, width: f32, height: f32) -> Option<BBox> {
        let x1 = self.x.max(0.0);
        let y1 = self.y.max(0.0);
        let x2 = self.right().min(width);
        let y2 = self.bottom().min(height);
        (x2 > x1 && y2 > y1).then(|| BBox::from_corners(x1, y1, x2, y2))
    }

    /// The box with every coordinate multiplied by `factor` (from one image's pixels to those of
    /// the same picture at another size).
    pub fn scaled(&self, factor: f32) -> BBox {
        BBox::new(self.x * factor, self.y * factor, self.w * factor, self.h * factor)
    }

    /// The box grown by `fraction` of its size on every side (0.2 adds 20% per side).
    pub fn expand(&self, fraction: f32) -> BBox {
        let dx = self.w * fraction;
        let dy = self.h * fraction;
        BBox::new(self.x - dx, self.y - dy, self.w + 2.0 * dx, self.h + 2.0 * dy)
    }
}

/// The OpenAPI schema of a box shown as `[x, y, w, h]` in source pixels, for fields that carry
/// one as `[f32; 4]` (`#[schema(schema_with = glint_types::xywh_schema)]`).
pub fn xywh_schema() -> utoipa::openapi::schema::Array {
    ArrayBuilder::new()
        .items(ObjectBuilder::new().schema_type(Type::Number))
        .min_items(Some(4))
        .max_items(Some(4))
        .description(Some("[x, y, w, h] in source pixels"))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iou_of_identical_boxes_is_one_and_disjoint_is_zero() {
        let a = BBox::new(0.0, 0.0, 10.0, 10.0);
        assert!((a.iou(&a) - 1.0).abs() < 1e-6);
        assert_eq!(a.iou(&BBox::new(20.0, 20.0, 5.0, 5.0)), 0.0);
        let half = BBox::new(5.0, 0.0, 10.0, 10.0);
        assert!((a.iou(&half) - 50.0 / 150.0).abs() < 1e-6);
    }

    #[test]
    fn clamp_drops_boxes_outside_the_frame() {
        let b = BBox::new(-5.0, -5.0, 10.0, 10.0);
        assert_eq!(b.clamp_to(100.0, 100.0), Some(BBox::new(0.0, 0.0, 5.0, 5.0)));
        assert_eq!(BBox::new(200.0, 0.0, 5.0, 5.0).clamp_to(100.0, 100.0), None);
    }

    #[test]
    fn invalid_boxes_are_detected() {
        assert!(!BBox::new(f32::NAN, 0.0, 1.0, 1.0).is_valid());
        assert!(!BBox::new(0.0, 0.0, 0.0, 1.0).is_valid());
        assert!(BBox::new(0.0, 0.0, 1.0, 1.0).is_valid());
    }
}
