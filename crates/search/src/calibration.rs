//! Operating thresholds of each route: a hit below its route's threshold is not shown, and a
//! query with no hit above it is an honest "no match".
//!
//! Chosen from measured score distributions with `glint eval retrieval` (docs/benchmarks.md):
//! the face threshold keeps the open-set false-positive rate (a query whose person is absent
//! still returning a hit) at or below 5% on faces_deepface_tests; the item threshold is set the
//! same way on the grocery store→shop protocol.

/// Cosine similarity of dlib face vectors above which two faces are taken as one person.
pub const FACE_MIN_SCORE: f32 = 0.97;
/// Cosine similarity of item descriptors above which two regions are taken as one item.
pub const ITEM_MIN_SCORE: f32 = 0.65;
