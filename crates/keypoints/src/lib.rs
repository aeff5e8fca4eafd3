//! Local features for geometric verification: SIFT keypoints, descriptor matching and RANSAC.
//!
//! Global descriptors (one vector per region) find candidates; they cannot tell two juice
//! cartons of the same brand apart. [`extract`] finds up to a few hundred SIFT keypoints with
//! RootSIFT descriptors ([`LocalFeatures`], stored compactly by [`LocalFeatures::encode`]);
//! [`matches`] pairs a query's descriptors with a candidate's (nearest neighbour + Lowe's ratio
//! test); [`verify`] fits an affine map to those pairs with RANSAC ([`Verified`]): the number of
//! pairs that agree with one geometric transform is strong evidence of the same object, and the
//! transform maps the query box onto the candidate (a refined box).
//!
//! Detection runs in Debian's OpenCV (`cpp/sift.cpp`, a 50-line C shim compiled by `build.rs`);
//! matching and RANSAC are plain Rust.

mod features;
mod geometry;
mod matching;

pub use features::{
    extract, extract_within, working_scale, working_scale_within, KeypointError, LocalFeatures, DESCRIPTOR_LEN,
    MAX_WORKING_SIDE,
};
pub use geometry::{verify, Affine, Verified};
pub use matching::matches;
