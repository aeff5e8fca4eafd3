//! Operating thresholds of each route: a hit below its route's threshold is not shown, and a
//! query with no hit above it is an honest "no match".
//!
//! Chosen from measured score distributions with `glint eval retrieval` (docs/benchmarks.md):
//! the face threshold keeps the open-set false-positive rate (a query whose person is absent
//! still returning a hit) at or below 5% on faces_deepface_tests. For items, a wrong product
//! of the same brand is comparable (it is what Pailitao would show next), so the no-match
//! threshold is the one that keeps photos showing *nothing* of the catalog quiet: at most 5%
//! of 100 such photos (faces_deepface_tests, objects_opencv_samples,
//! faces_face_recognition_examples) get any product hit, measured on the grocery *train*
//! split (`--negatives`); the val split and other negatives report it.

/// Cosine similarity of dlib face vectors above which two faces are taken as one person.
pub const FACE_MIN_SCORE: f32 = 0.97;
/// Item score (vector similarity plus the geometric bonus of `verify`) above which a region is
/// shown as the same item. The 5% point measured 0.719 on the train split; 0.77 keeps FPIR at
/// 0 there and on the val negatives for 0.3 points of TPIR (docs/benchmarks.md).
pub const ITEM_MIN_SCORE: f32 = 0.77;
