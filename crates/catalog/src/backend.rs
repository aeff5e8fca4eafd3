//! What the backends share beside the traits: clock, vector encoding, feed and token rules.
//!
//! A backend stores rows its own way but must decide the same things the same way (which feed
//! rows are unchanged, which products a full import deletes, how offers are ordered, how a
//! token is hashed), so those rules live here once and every backend calls them.

pub use crate::media::{blob_to_f32s, f32s_to_blob, now};
pub use crate::shop::{check_feed, listed_products, same_offer, same_product, sort_offers};
pub use crate::tokens::{
    check_hash as check_token_hash, hash as hash_secret, new_secret, parse_scopes, same_hash, token_request,
    SECRET_PREFIX,
};
pub use crate::words::word_track;
