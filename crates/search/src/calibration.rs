//! Operating thresholds of each route: a hit below its route's threshold is not shown, and a
//! query with no hit above it is an honest "no match".
//!
//! Chosen from measured score distributions with `glint eval retrieval` (docs/benchmarks.md):
//! the face threshold keeps the open-set false-positive rate (a query whose person is absent
//! still returning a hit) at or below 5% on faces_celeba_dev; it belongs to the face embedder's
//! configuration (networks, weights, flip), so it is recorded beside it in
//! models/manifest.json and read as `Models::face_threshold` (issue 13). For items, a wrong product
//! of the same brand is comparable (it is what Pailitao would show next), so the no-match
//! threshold is the one that keeps photos showing *nothing* of the catalog quiet: at most 5%
//! of 100 such photos (faces_deepface_tests, objects_opencv_samples,
//! faces_face_recognition_examples) get any product hit, measured on the grocery *train*
//! split (`--negatives`); the val split and other negatives report it.

use glint_vision::Models;

use crate::Route;

/// The operating threshold of `route` with these models.
pub fn route_threshold(models: &Models, route: Route) -> f32 {
    match route {
        Route::Person => models.face_threshold,
        Route::Item => ITEM_MIN_SCORE,
        // Words are thresholded where they are made (a class's probability, OCR's confidence),
        // and a product's sightings by the item threshold above.
        Route::Text => 0.0,
    }
}

/// Item score (vector similarity plus the geometric bonus of `verify`) above which a region is
/// shown as the same item: the 5% point on the train split's 100 negatives (0.719, the same
/// rule as faces; docs/benchmarks.md): train TPIR 0.858 at FPIR 0.05, val TPIR 0.700 at FPIR
/// 0.019. A more cautious 0.77 was used before; it withheld right answers for little FPIR.
pub const ITEM_MIN_SCORE: f32 = 0.72;
