//! What every catalog backend offers, split by concern.
//!
//! [`Catalog`] is the whole contract; its parts are separate traits so that each file of a
//! backend implements one of them. The embedded default is [`crate::SqliteCatalog`]; the
//! PostgreSQL backend (crate `glint-postgres`) implements the same traits, and the shared
//! contract tests (`glint_catalog::contract`) run against both. Methods on `dyn Catalog` need no
//! imports: a trait object's supertrait methods resolve like its own.

use std::collections::HashSet;
use std::time::Duration;

use crate::{
    CatalogError, CatalogFeed, FaceSearchLogEntry, ImportCounts, Job, MediaRecord, NewMedia, OptOut, ProductDetail,
    ProductOffers, ProductSummary, Scope, Shot, StoreSummary, StoredVector, TextCatalog, TokenRecord, TrackRecord,
};

/// Media, their shots, tracks, sightings and vectors.
pub trait MediaCatalog {
    /// Writes a media file with all its shots, tracks, sightings and vectors in one transaction
    /// and returns its record and the stored vectors (with the ids the index must use). The
    /// same content (sha256) inserted twice fails and writes nothing.
    fn insert_media(&self, media: &NewMedia) -> Result<(MediaRecord, Vec<StoredVector>), CatalogError>;

    /// The media whose content hash is `sha256`, if indexed.
    fn media_by_sha256(&self, sha256: &str) -> Result<Option<String>, CatalogError>;

    /// One media by its public id.
    fn media(&self, uid: &str) -> Result<Option<MediaRecord>, CatalogError>;

    /// The shots of a media (with their first frames), in order.
    fn shots(&self, uid: &str) -> Result<Vec<Shot>, CatalogError>;

    /// Every media, oldest first.
    fn list_media(&self) -> Result<Vec<MediaRecord>, CatalogError>;

    /// Deletes a media and everything it contributed; returns the ids of its vectors so that
    /// the caller can drop them from the vector index.
    fn remove_media(&self, uid: &str) -> Result<Vec<(String, u64)>, CatalogError>;

    /// Calls `f` for every stored vector, each space in id order (to rebuild the vector index
    /// from the catalog, or to copy a library).
    fn for_each_vector(&self, f: &mut dyn FnMut(StoredVector)) -> Result<(), CatalogError>;

    /// Number of vectors per space, to check the vector index against the catalog.
    fn vector_counts(&self) -> Result<Vec<(String, u64)>, CatalogError>;

    /// Ids of the vectors of the given media (by public id), e.g. to restrict a search.
    fn vector_ids_of_media(&self, uids: &[String]) -> Result<HashSet<u64>, CatalogError>;

    /// The track a vector belongs to, with its sightings in time order.
    fn track_of_vector(&self, vector_id: u64) -> Result<Option<TrackRecord>, CatalogError>;

    /// The tracks of many vectors at once (search ranks hundreds per query), in the order of
    /// `vector_ids`, None where a vector is gone. A database backend answers it in one round
    /// trip; the default asks [`MediaCatalog::track_of_vector`] for each.
    fn tracks_of_vectors(&self, vector_ids: &[u64]) -> Result<Vec<Option<TrackRecord>>, CatalogError> {
        vector_ids.iter().map(|&id| self.track_of_vector(id)).collect()
    }

    /// One track with its sightings in time order.
    fn track(&self, track_id: u64) -> Result<Option<TrackRecord>, CatalogError>;

    /// Every track of a media with its sightings, in order of appearance.
    fn tracks(&self, uid: &str) -> Result<Vec<TrackRecord>, CatalogError>;

    /// The stored vectors of a track in one space (a face track may keep two views).
    fn track_vectors(&self, track_id: u64, space: &str) -> Result<Vec<Vec<f32>>, CatalogError>;
}

/// The durable ingest queue: `queued -> running -> done | failed`.
///
/// A claim is a lease held by one worker: the worker renews it with [`JobQueue::heartbeat`]
/// while it works, and a job whose lease ran out (its worker was killed or lost the database) is
/// claimed again by the next worker that asks. Committing a media is one transaction keyed by
/// its content hash, so a job done twice cannot duplicate anything.
pub trait JobQueue {
    /// Queues one job per path, in order; returns their ids.
    fn enqueue(&self, paths: &[String], fps: f64) -> Result<Vec<i64>, CatalogError>;

    /// Puts jobs left `running` by a crashed or killed process back in the queue. For a
    /// single-process library at start-up; with several workers, leases do this instead.
    fn requeue_interrupted(&self) -> Result<usize, CatalogError>;

    /// Takes the oldest queued job (or one whose lease expired) for `worker`, leased for
    /// `lease`, and returns it marked running.
    fn claim_next_job(&self, worker: &str, lease: Duration) -> Result<Option<Job>, CatalogError>;

    /// Renews `worker`'s lease on job `id`; false when the job is no longer its own (the lease
    /// ran out and another worker took it, or it was finished).
    fn heartbeat(&self, id: i64, worker: &str, lease: Duration) -> Result<bool, CatalogError>;

    fn finish_job(&self, id: i64, outcome: &str, media_uid: &str) -> Result<(), CatalogError>;

    fn fail_job(&self, id: i64, error: &str) -> Result<(), CatalogError>;

    /// Every job, newest first.
    fn jobs(&self) -> Result<Vec<Job>, CatalogError>;

    fn job(&self, id: i64) -> Result<Option<Job>, CatalogError>;

    /// Removes job `id` unless a worker runs it: a queued job is cancelled (never ingested), a
    /// finished one leaves the list (its media stays). Returns the job as it was, `None` when
    /// there is no such job, [`CatalogError::JobRunning`] when it runs.
    fn remove_job(&self, id: i64) -> Result<Option<Job>, CatalogError>;

    /// Removes finished (done or failed) jobs last updated before `before` (unix seconds), so
    /// the queue does not grow with every file ever ingested; returns how many.
    fn prune_jobs(&self, before: i64) -> Result<usize, CatalogError>;
}

/// An opt-out with the identity vectors of its faces, as [`PrivacyCatalog::export_opt_outs`]
/// lists them.
type OptOutWithFaces = (OptOut, Vec<Vec<f32>>);

/// Face-search opt-outs and the audit log of face searches.
pub trait PrivacyCatalog {
    /// Registers an opt-out with the identity vectors of the submitted faces; returns its id.
    fn add_opt_out(&self, faces: &[Vec<f32>], note: Option<&str>) -> Result<i64, CatalogError>;

    /// Every opt-out, oldest first.
    fn list_opt_outs(&self) -> Result<Vec<OptOut>, CatalogError>;

    /// Removes an opt-out and its vectors: that person's face is searchable again.
    fn remove_opt_out(&self, id: i64) -> Result<(), CatalogError>;

    /// The identity vectors of every opted-out face (what the person route must never return).
    fn opt_out_faces(&self) -> Result<Vec<Vec<f32>>, CatalogError>;

    /// Appends one face search to the audit log.
    fn log_face_search(&self, route: &str, query_kind: &str, results: u32) -> Result<(), CatalogError>;

    /// The last `limit` face searches, newest first; `usize::MAX` reads the whole log.
    fn face_search_log(&self, limit: usize) -> Result<Vec<FaceSearchLogEntry>, CatalogError>;

    /// Every opt-out with the identity vectors of its faces (in the order they were added),
    /// oldest first: what a copy of the library must carry over, since an opt-out lost on the
    /// way would make an opted-out person searchable again.
    fn export_opt_outs(&self) -> Result<Vec<OptOutWithFaces>, CatalogError>;

    /// Registers an opt-out copied from another catalog, keeping its creation time and note;
    /// returns its id in this catalog (a new one). [`CatalogError::EmptyOptOut`] without faces.
    fn import_opt_out(&self, created_at: i64, note: Option<&str>, faces: &[Vec<f32>]) -> Result<i64, CatalogError>;

    /// Appends an audit log entry copied from another catalog, keeping its time (`at`). Entries
    /// imported oldest first keep their order.
    fn import_face_search(&self, entry: &FaceSearchLogEntry) -> Result<(), CatalogError>;
}

/// The merchant catalog: stores, products, their images and offers.
pub trait ShopCatalog {
    /// Applies a validated feed in one transaction: upserts its stores, upserts its products by
    /// `(store_id, product_id)` replacing their images and offers, and with `full` deletes the
    /// products of the feed's stores that the feed no longer lists. Unchanged rows are not
    /// written at all.
    fn apply_feed(&self, feed: &CatalogFeed, full: bool) -> Result<ImportCounts, CatalogError>;

    /// The products that show media `uid` in one of their images, each with its offers
    /// (in stock first, then cheapest).
    fn products_for_media(&self, media_uid: &str) -> Result<Vec<ProductOffers>, CatalogError>;

    /// One product with its offers (in stock first, then cheapest) and its images in feed order;
    /// `UnknownProduct` when the store does not list it.
    fn product(&self, store_id: &str, product_id: &str) -> Result<ProductDetail, CatalogError>;

    /// Whether media `uid` is the image of some product.
    fn is_product_media(&self, uid: &str) -> Result<bool, CatalogError>;

    /// Every media uid that is a product image (one query, for telling product images apart
    /// from people's own media while ranking).
    fn product_media_uids(&self) -> Result<HashSet<String>, CatalogError>;

    /// Every store with its product and offer counts, by id.
    fn list_stores(&self) -> Result<Vec<StoreSummary>, CatalogError>;

    /// Products (of one store, or all), by store then product id.
    fn list_products(&self, store_id: Option<&str>) -> Result<Vec<ProductSummary>, CatalogError>;

    /// Removes a store with its products, their images rows and every offer it made; returns
    /// how many products went. The indexed images stay (they are ordinary media).
    fn remove_store(&self, store_id: &str) -> Result<u32, CatalogError>;

    /// Removes one product with its images rows and offers.
    fn remove_product(&self, store_id: &str, product_id: &str) -> Result<(), CatalogError>;

    /// The whole merchant catalog as a feed: every store and every product (by store then
    /// product id) with its images in position order (status and media uid included) and its
    /// offers with their stored times (`updated_at: Some(..)`), `keep` empty. Applying it with
    /// `apply_feed(&feed, false)` to an empty catalog recreates the same rows.
    fn export_feed(&self) -> Result<CatalogFeed, CatalogError>;
}

/// API tokens, kept as SHA-256 hashes only.
pub trait TokenCatalog {
    /// Creates a token; returns its record and its secret, which is not kept and cannot be
    /// shown again.
    fn create_token(&self, name: &str, scopes: &[Scope]) -> Result<(TokenRecord, String), CatalogError>;

    /// Every token, revoked ones included, oldest first.
    fn list_tokens(&self) -> Result<Vec<TokenRecord>, CatalogError>;

    /// Whether any token was ever created (revoked ones count).
    fn has_tokens(&self) -> Result<bool, CatalogError>;

    /// Revokes a token at once; revoking it again keeps the first revocation time.
    fn revoke_token(&self, id: i64) -> Result<TokenRecord, CatalogError>;

    /// The live (not revoked) token whose secret this is, if any.
    fn verify_token(&self, secret: &str) -> Result<Option<TokenRecord>, CatalogError>;

    /// Every token with its stored SHA-256 hash (never a secret, which is not kept), oldest
    /// first, revoked ones included: what a copy of the library must carry over so that the
    /// secrets handed out keep working.
    fn export_tokens(&self) -> Result<Vec<(TokenRecord, Vec<u8>)>, CatalogError>;

    /// Stores a token copied from another catalog under a new id, keeping its name, scopes,
    /// creation and revocation times and hash. Returns false and writes nothing when a token
    /// with that hash is already here. A hash that is not 32 bytes is refused
    /// ([`CatalogError::Database`], as the schema would), an empty name or no scopes is
    /// [`CatalogError::BadToken`].
    fn import_token(&self, token: &TokenRecord, hash: &[u8]) -> Result<bool, CatalogError>;
}

/// A whole catalog backend. Shared as `Arc<dyn Catalog>` by ingest, search and the server.
pub trait Catalog:
    MediaCatalog + JobQueue + PrivacyCatalog + ShopCatalog + TokenCatalog + TextCatalog + Send + Sync
{
    /// Where the catalog lives, for messages: a file path, or a database URL without its
    /// password.
    fn location(&self) -> String;
}
