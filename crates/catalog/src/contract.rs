//! The behaviour every catalog backend must show, as functions over `&dyn Catalog`.
//!
//! Each function takes a fresh, empty catalog and panics on the first difference. The SQLite
//! backend runs them in `tests/contract.rs`, the PostgreSQL backend (crate `glint-postgres`)
//! in its own tests against a private cluster: one contract, every backend. [`ALL`] lists them so
//! that a backend cannot silently skip one. [`PAIRS`] lists the checks that take two fresh
//! catalogs (what one exports, the other imports, as `glint migrate` does); they run on two
//! catalogs of each backend and across backends.

use std::collections::HashSet;
use std::time::Duration;

use glint_types::BBox;

use crate::{
    Availability, Catalog, CatalogError, CatalogFeed, FaceSearchLogEntry, FeedImage, FeedOffer, FeedProduct, FeedStore,
    ImageStatus, JobState, MediaKind, NewMedia, NewTrack, NewWord, Scope, Shot, Sighting, TextQuery, TokenRecord,
    TrackKind, WordSource,
};

/// A contract check: its name and the function, to be called with a fresh catalog.
pub type Check = (&'static str, fn(&dyn Catalog));

/// Every check, in a stable order.
pub const ALL: &[Check] = &[
    (
        "insert_list_lookup_and_remove_round_trip",
        insert_list_lookup_and_remove_round_trip,
    ),
    (
        "the_same_content_cannot_be_inserted_twice",
        the_same_content_cannot_be_inserted_twice,
    ),
    ("track_vectors_and_ids_of_media", track_vectors_and_ids_of_media),
    (
        "issue18_object_tracks_keep_their_label",
        issue18_object_tracks_keep_their_label,
    ),
    (
        "issue16_a_product_has_its_offers_and_images",
        issue16_a_product_has_its_offers_and_images,
    ),
    (
        "issue16_words_are_found_and_go_with_their_media",
        issue16_words_are_found_and_go_with_their_media,
    ),
    (
        "issue16_products_are_found_by_their_words",
        issue16_products_are_found_by_their_words,
    ),
    ("jobs_flow_through_their_states", jobs_flow_through_their_states),
    (
        "issue17_jobs_are_cancelled_removed_and_pruned",
        issue17_jobs_are_cancelled_removed_and_pruned,
    ),
    ("an_expired_lease_is_claimed_again", an_expired_lease_is_claimed_again),
    ("opt_outs_round_trip", opt_outs_round_trip),
    ("face_search_log_lists_newest_first", face_search_log_lists_newest_first),
    (
        "tokens_are_created_verified_and_revoked",
        tokens_are_created_verified_and_revoked,
    ),
    ("reapplying_a_feed_changes_nothing", reapplying_a_feed_changes_nothing),
    (
        "offers_come_in_stock_first_then_cheapest",
        offers_come_in_stock_first_then_cheapest,
    ),
    (
        "full_deletes_missing_products_partial_keeps_them",
        full_deletes_missing_products_partial_keeps_them,
    ),
    (
        "a_change_updates_and_a_failing_feed_changes_nothing",
        a_change_updates_and_a_failing_feed_changes_nothing,
    ),
    ("stores_and_products_are_removed", stores_and_products_are_removed),
    (
        "exports_and_imports_keep_their_rules",
        exports_and_imports_keep_their_rules,
    ),
];

/// A contract check over two catalogs: its name and the function, to be called with two fresh
/// catalogs (the source, then the target; of one backend or of two).
pub type PairCheck = (&'static str, fn(&dyn Catalog, &dyn Catalog));

/// Every two-catalog check, in a stable order.
pub const PAIRS: &[PairCheck] = &[(
    "a_catalog_exports_what_another_imports",
    a_catalog_exports_what_another_imports,
)];

const LEASE: Duration = Duration::from_secs(60);

pub fn sample(sha: &str) -> NewMedia {
    NewMedia {
        sha256: sha.to_string(),
        path: "/videos/a.mp4".into(),
        kind: MediaKind::Video,
        width: 640,
        height: 360,
        duration_s: Some(10.0),
        fps: Some(25.0),
        frames_sampled: 20,
        decode_errors: 0,
        shots: vec![
            Shot {
                start_s: 0.0,
                start_frame: 0,
            },
            Shot {
                start_s: 4.0,
                start_frame: 100,
            },
        ],
        tracks: vec![NewTrack {
            kind: TrackKind::Face,
            shot_idx: 1,
            score: 0.9,
            label: None,
            sightings: vec![
                Sighting {
                    t: Some(4.5),
                    bbox: BBox::new(1.0, 2.0, 3.0, 4.0),
                },
                Sighting {
                    t: Some(4.0),
                    bbox: BBox::new(1.0, 2.0, 3.0, 4.0),
                },
            ],
            vectors: vec![("face:test".into(), vec![0.5, -0.25])],
        }],
        words: Vec::new(),
    }
}

pub fn insert_list_lookup_and_remove_round_trip(c: &dyn Catalog) {
    let sha = "ab".repeat(32);
    let (rec, vectors) = c.insert_media(&sample(&sha)).unwrap();
    assert_eq!(rec.id, &sha[..16]);
    assert_eq!(rec.shots, vec![0.0, 4.0]);
    assert_eq!(c.shots(&rec.id).unwrap(), sample(&sha).shots);
    assert_eq!((rec.tracks, rec.face_tracks, rec.vectors), (1, 1, 1));
    assert_eq!(vectors.len(), 1);
    assert_eq!(c.media_by_sha256(&sha).unwrap().as_deref(), Some(&sha[..16]));
    let track = c.track_of_vector(vectors[0].id).unwrap().unwrap();
    assert_eq!(track.media_id, rec.id);
    assert_eq!(
        track.sightings.iter().map(|s| s.t.unwrap()).collect::<Vec<_>>(),
        vec![4.0, 4.5]
    );
    let mut seen = Vec::new();
    c.for_each_vector(&mut |v| seen.push(v)).unwrap();
    assert_eq!(seen[0].data, vec![0.5, -0.25]);
    assert_eq!(c.vector_counts().unwrap(), vec![("face:test".to_string(), 1)]);
    let removed = c.remove_media(&rec.id).unwrap();
    assert_eq!(removed, vec![("face:test".to_string(), vectors[0].id)]);
    assert!(c.list_media().unwrap().is_empty());
    assert!(c.track_of_vector(vectors[0].id).unwrap().is_none());
    assert!(matches!(c.remove_media(&rec.id), Err(CatalogError::UnknownMedia(_))));
}

pub fn the_same_content_cannot_be_inserted_twice(c: &dyn Catalog) {
    let sha = "cd".repeat(32);
    c.insert_media(&sample(&sha)).unwrap();
    assert!(c.insert_media(&sample(&sha)).is_err());
    assert_eq!(c.list_media().unwrap().len(), 1);
}

fn store(id: &str) -> FeedStore {
    FeedStore {
        store_id: id.into(),
        name: format!("Store {id}"),
        url: Some(format!("https://example.com/{id}")),
        country: Some("SE".into()),
        verified: false,
    }
}

fn product(store_id: &str, id: &str, price: f64, availability: Availability, media: &str) -> FeedProduct {
    FeedProduct {
        store_id: store_id.into(),
        product_id: id.into(),
        title: format!("Product {id}"),
        description: None,
        category: Some("Juice".into()),
        brand: None,
        images: vec![FeedImage {
            source: format!("images/{id}.jpg"),
            status: ImageStatus::Indexed,
            media_uid: Some(media.into()),
        }],
        offers: vec![FeedOffer {
            store_id: store_id.into(),
            price,
            currency: "SEK".into(),
            url: format!("https://example.com/{store_id}/{id}"),
            availability,
            updated_at: None,
        }],
    }
}

pub fn feed() -> CatalogFeed {
    CatalogFeed {
        stores: vec![store("a"), store("b")],
        products: vec![
            product("a", "juice", 20.0, Availability::InStock, "m1"),
            product("b", "juice", 15.0, Availability::OutOfStock, "m1"),
            product("a", "milk", 12.0, Availability::InStock, "m2"),
        ],
        keep: Vec::new(),
    }
}

pub fn reapplying_a_feed_changes_nothing(c: &dyn Catalog) {
    let first = c.apply_feed(&feed(), false).unwrap();
    assert_eq!((first.stores_created, first.created, first.offers), (2, 3, 3));
    let before = c.products_for_media("m1").unwrap();
    let again = c.apply_feed(&feed(), true).unwrap();
    assert_eq!(
        (again.created, again.updated, again.unchanged, again.deleted),
        (0, 0, 3, 0)
    );
    assert_eq!(again.stores_unchanged, 2);
    assert_eq!(c.products_for_media("m1").unwrap(), before, "times kept too");
}

/// The product page's record: the product with its offers sorted as search lists them, and its
/// images in feed order (a URL image not fetched has no media); an unknown product is an error.
pub fn issue16_a_product_has_its_offers_and_images(c: &dyn Catalog) {
    let mut f = feed();
    let first = f.products[0].offers[0].clone();
    f.products[0].offers.push(FeedOffer {
        price: 9.0,
        availability: Availability::OutOfStock,
        ..first
    });
    f.products[0].images.push(FeedImage {
        source: "https://example.com/juice-side.jpg".into(),
        status: ImageStatus::NotFetched,
        media_uid: None,
    });
    c.apply_feed(&f, false).unwrap();
    let page = c.product("a", "juice").unwrap();
    assert_eq!(
        (page.product.title.as_str(), page.product.category.as_deref()),
        ("Product juice", Some("Juice"))
    );
    let offers: Vec<(f64, Availability, &str)> = page
        .product
        .offers
        .iter()
        .map(|o| (o.price, o.availability, o.store_name.as_str()))
        .collect();
    assert_eq!(
        offers,
        vec![
            (20.0, Availability::InStock, "Store a"),
            (9.0, Availability::OutOfStock, "Store a")
        ]
    );
    let images: Vec<(&str, Option<&str>)> = page
        .images
        .iter()
        .map(|i| (i.source.as_str(), i.media_uid.as_deref()))
        .collect();
    assert_eq!(
        images,
        vec![
            ("images/juice.jpg", Some("m1")),
            ("https://example.com/juice-side.jpg", None)
        ]
    );
    assert_eq!(c.product("b", "juice").unwrap().product.offers[0].price, 15.0);
    assert!(matches!(
        c.product("a", "nope"),
        Err(CatalogError::UnknownProduct { .. })
    ));
    assert!(matches!(
        c.product("zz", "juice"),
        Err(CatalogError::UnknownProduct { .. })
    ));
}

pub fn offers_come_in_stock_first_then_cheapest(c: &dyn Catalog) {
    let mut f = feed();
    let base = f.products[0].offers[0].clone();
    f.products[0].offers.push(FeedOffer {
        price: 9.0,
        availability: Availability::Preorder,
        ..base.clone()
    });
    f.products[0].offers.push(FeedOffer {
        price: 5.0,
        availability: Availability::Unknown,
        ..base.clone()
    });
    f.products[0].offers.push(FeedOffer {
        price: 18.0,
        ..base.clone()
    });
    c.apply_feed(&f, false).unwrap();
    let found = c.products_for_media("m1").unwrap();
    assert_eq!(found.len(), 2);
    let order: Vec<(Availability, f64)> = found[0].offers.iter().map(|o| (o.availability, o.price)).collect();
    assert_eq!(
        order,
        vec![
            (Availability::InStock, 18.0),
            (Availability::InStock, 20.0),
            (Availability::Preorder, 9.0),
            (Availability::Unknown, 5.0)
        ]
    );
    assert_eq!(found[0].offers[0].store_name, "Store a");
    assert!(c.is_product_media("m2").unwrap());
    assert!(!c.is_product_media("m3").unwrap());
    assert_eq!(
        c.product_media_uids().unwrap(),
        HashSet::from(["m1".to_string(), "m2".to_string()])
    );
}

pub fn full_deletes_missing_products_partial_keeps_them(c: &dyn Catalog) {
    c.apply_feed(&feed(), false).unwrap();
    let mut smaller = feed();
    smaller.products.truncate(2); // without a/milk
    let partial = c.apply_feed(&smaller, false).unwrap();
    assert_eq!(partial.deleted, 0);
    assert_eq!(c.list_products(Some("a")).unwrap().len(), 2);
    let mut kept = smaller.clone();
    kept.keep.push(("a".into(), "milk".into()));
    assert_eq!(
        c.apply_feed(&kept, true).unwrap().deleted,
        0,
        "a rejected row protects its product"
    );
    let full = c.apply_feed(&smaller, true).unwrap();
    assert_eq!(full.deleted, 1);
    assert_eq!(c.list_products(Some("a")).unwrap().len(), 1);
    assert!(!c.is_product_media("m2").unwrap());
}

pub fn a_change_updates_and_a_failing_feed_changes_nothing(c: &dyn Catalog) {
    c.apply_feed(&feed(), false).unwrap();
    let mut changed = feed();
    changed.products[0].offers[0].price = 21.0;
    let counts = c.apply_feed(&changed, false).unwrap();
    assert_eq!((counts.updated, counts.unchanged), (1, 2));
    // A transaction that fails midway (the currency CHECK of the last product) rolls back
    // the stores and products it had already written.
    let mut broken = changed.clone();
    broken.stores[0].name = "Renamed".into();
    broken.products[0].offers[0].price = 99.0;
    broken.products[2].offers[0].currency = "sek".into();
    assert!(c.apply_feed(&broken, true).is_err());
    assert_eq!(c.list_stores().unwrap()[0].name, "Store a");
    let juice = &c.products_for_media("m1").unwrap()[0];
    assert_eq!(juice.offers[0].price, 21.0);
    assert_eq!(c.list_products(None).unwrap().len(), 3);
}

pub fn stores_and_products_are_removed(c: &dyn Catalog) {
    c.apply_feed(&feed(), false).unwrap();
    assert_eq!(c.list_stores().unwrap()[0].products, 2);
    c.remove_product("a", "milk").unwrap();
    assert!(matches!(
        c.remove_product("a", "milk"),
        Err(CatalogError::UnknownProduct { .. })
    ));
    assert_eq!(c.remove_store("b").unwrap(), 1);
    assert!(matches!(c.remove_store("b"), Err(CatalogError::UnknownStore(_))));
    assert_eq!(c.products_for_media("m1").unwrap().len(), 1);
}

pub fn track_vectors_and_ids_of_media(c: &dyn Catalog) {
    let mut m = sample(&"ef".repeat(32));
    m.tracks[0].vectors.push(("face:test".into(), vec![0.0, 1.0]));
    m.tracks[0].vectors.push(("item:test".into(), vec![1.0, 1.0, 0.0]));
    let (rec, vectors) = c.insert_media(&m).unwrap();
    let other = c.insert_media(&sample(&"01".repeat(32))).unwrap();
    assert_eq!(vectors.len(), 3);
    let track = c.track_of_vector(vectors[2].id).unwrap().unwrap();
    assert_eq!(
        c.track_vectors(track.id, "face:test").unwrap(),
        vec![vec![0.5, -0.25], vec![0.0, 1.0]]
    );
    assert_eq!(
        c.track_vectors(track.id, "item:test").unwrap(),
        vec![vec![1.0, 1.0, 0.0]]
    );
    assert_eq!(c.tracks(&rec.id).unwrap().len(), 1);
    let batch = c
        .tracks_of_vectors(&[vectors[2].id, 987_654_321, vectors[0].id])
        .unwrap();
    assert_eq!(batch.len(), 3);
    assert_eq!(batch[0].as_ref().map(|t| t.id), Some(track.id));
    assert!(batch[1].is_none());
    assert_eq!(
        batch[2].as_ref().map(|t| (t.id, t.sightings.len())),
        Some((track.id, 2))
    );
    assert_eq!(c.track(track.id).unwrap().unwrap().sightings.len(), 2);
    let ids = c.vector_ids_of_media(std::slice::from_ref(&rec.id)).unwrap();
    assert_eq!(ids, vectors.iter().map(|v| v.id).collect::<HashSet<_>>());
    assert!(!ids.contains(&other.1[0].id));
    assert_eq!(
        c.vector_counts().unwrap(),
        vec![("face:test".to_string(), 3), ("item:test".to_string(), 1)]
    );
    assert_eq!(c.media(&rec.id).unwrap().unwrap().vectors, 3);
    assert!(c.media("nope").unwrap().is_none());
}

/// An object track keeps the detector's class name through every read; other tracks have none.
pub fn issue18_object_tracks_keep_their_label(c: &dyn Catalog) {
    let mut m = sample(&"18".repeat(32));
    let mut object = m.tracks[0].clone();
    object.kind = TrackKind::Item;
    object.label = Some("handbag".into());
    object.vectors = vec![("item:test".into(), vec![1.0, 0.0, 0.0])];
    m.tracks.push(object);
    let (rec, vectors) = c.insert_media(&m).unwrap();
    let labels: Vec<Option<String>> = c.tracks(&rec.id).unwrap().into_iter().map(|t| t.label).collect();
    assert_eq!(labels, vec![None, Some("handbag".to_string())]);
    let by_vector = c.track_of_vector(vectors[1].id).unwrap().unwrap();
    assert_eq!(by_vector.label.as_deref(), Some("handbag"));
    assert_eq!(
        c.track(by_vector.id).unwrap().unwrap().label.as_deref(),
        Some("handbag")
    );
    let batch = c.tracks_of_vectors(&[vectors[0].id, vectors[1].id]).unwrap();
    assert_eq!(
        batch
            .iter()
            .map(|t| t.as_ref().and_then(|t| t.label.clone()))
            .collect::<Vec<_>>(),
        vec![None, Some("handbag".to_string())]
    );
}

fn word(source: WordSource, text: &str, score: f32, track: Option<usize>, at: Option<f64>) -> NewWord {
    NewWord {
        source,
        text: text.into(),
        score,
        start_s: at,
        end_s: at.map(|t| t + 2.0),
        bbox: at.map(|_| BBox::new(10.0, 20.0, 30.0, 40.0)),
        track,
    }
}

fn words(c: &dyn Catalog, query: &str) -> Vec<(String, String)> {
    let q = TextQuery::parse(query).unwrap();
    c.search_words(&q, 50)
        .unwrap()
        .into_iter()
        .map(|h| (h.media_uid, h.text))
        .collect()
}

/// Words written with a media are found by any of their words (stemmed, any case), every word
/// of the query required, most relevant first; they name their track or carry their span and
/// box; they go when the media goes; a word naming a track the media lacks writes nothing.
pub fn issue16_words_are_found_and_go_with_their_media(c: &dyn Catalog) {
    let mut a = sample(&"a1".repeat(32));
    a.words = vec![
        word(WordSource::Label, "espresso, coffee cup drink", 0.8, Some(0), None),
        word(WordSource::Ocr, "Bravo Apple Juice 1L", 0.9, None, Some(4.0)),
    ];
    let (rec_a, _) = c.insert_media(&a).unwrap();
    let mut b = sample(&"b2".repeat(32));
    b.words = vec![word(
        WordSource::Subtitle,
        "Who drinks orange juices at night?",
        1.0,
        None,
        Some(1.5),
    )];
    let (rec_b, _) = c.insert_media(&b).unwrap();

    let juice = words(c, "JUICE");
    assert_eq!(juice.len(), 2, "{juice:?}");
    assert!(juice.iter().any(|(m, _)| *m == rec_a.id) && juice.iter().any(|(m, _)| *m == rec_b.id));
    assert_eq!(
        words(c, "apple juice"),
        vec![(rec_a.id.clone(), "Bravo Apple Juice 1L".to_string())]
    );
    assert_eq!(
        words(c, "drinking").len(),
        2,
        "stemmed: the label's drink, the subtitle's drinks"
    );
    assert!(words(c, "apple night").is_empty(), "every word is required");
    assert!(words(c, "handbag").is_empty());

    let q = TextQuery::parse("coffee").unwrap();
    let hit = &c.search_words(&q, 10).unwrap()[0];
    assert_eq!((hit.source, hit.score), (WordSource::Label, 0.8));
    let track = c
        .track(hit.track_id.expect("a label names its track"))
        .unwrap()
        .unwrap();
    assert_eq!(track.media_id, rec_a.id);
    let q = TextQuery::parse("bravo").unwrap();
    let hit = &c.search_words(&q, 10).unwrap()[0];
    assert_eq!((hit.start_s, hit.end_s, hit.track_id), (Some(4.0), Some(6.0), None));
    assert_eq!(hit.bbox, Some(BBox::new(10.0, 20.0, 30.0, 40.0)));
    assert!(hit.relevance > 0.0);
    assert_eq!(c.media_words(&rec_a.id).unwrap(), a.words, "read back as written");

    c.remove_media(&rec_a.id).unwrap();
    assert_eq!(
        words(c, "juice"),
        vec![(rec_b.id.clone(), "Who drinks orange juices at night?".to_string())]
    );
    assert!(words(c, "coffee").is_empty(), "a removed media's words are gone");

    let mut bad = sample(&"c3".repeat(32));
    bad.words = vec![word(WordSource::Label, "purse", 0.5, Some(7), None)];
    assert!(c.insert_media(&bad).is_err());
    assert!(
        c.media_by_sha256(&"c3".repeat(32)).unwrap().is_none(),
        "nothing written"
    );
}

/// Products are found by the words of their title, brand, category or description; a renamed
/// product by its new title only; a removed one not at all.
pub fn issue16_products_are_found_by_their_words(c: &dyn Catalog) {
    let mut f = feed();
    f.products[0].title = "Bravo Apple Juice".into();
    f.products[0].brand = Some("Bravo".into());
    f.products[2].description = Some("Fresh whole milk from Swedish farms".into());
    c.apply_feed(&f, false).unwrap();
    let found = |q: &str| -> Vec<(String, String)> {
        let q = TextQuery::parse(q).unwrap();
        c.search_products(&q, 10)
            .unwrap()
            .into_iter()
            .map(|p| (p.store_id, p.product_id))
            .collect()
    };
    assert_eq!(found("apple juices"), vec![("a".to_string(), "juice".to_string())]);
    assert_eq!(found("juice").len(), 3, "category Juice counts too");
    assert_eq!(
        found("juice")[2],
        ("a".to_string(), "milk".to_string()),
        "a title's words weigh more than a category's"
    );
    assert_eq!(found("swedish milk"), vec![("a".to_string(), "milk".to_string())]);
    assert!(found("handbag").is_empty());
    f.products[0].title = "Bravo Orange Juice".into();
    c.apply_feed(&f, false).unwrap();
    assert!(found("apple").is_empty(), "renamed");
    assert_eq!(found("bravo orange").len(), 1);
    c.remove_store("a").unwrap();
    assert!(
        found("bravo").is_empty() && found("swedish").is_empty(),
        "removed with their store"
    );
}

pub fn jobs_flow_through_their_states(c: &dyn Catalog) {
    let ids = c.enqueue(&["a.mp4".into(), "b.jpg".into()], 2.0).unwrap();
    let first = c.claim_next_job("w1", LEASE).unwrap().unwrap();
    assert_eq!((first.id, first.state), (ids[0], JobState::Running));
    // What a restart of a single-process library does with a job left running.
    assert_eq!(c.requeue_interrupted().unwrap(), 1);
    let again = c.claim_next_job("w1", LEASE).unwrap().unwrap();
    assert_eq!(again.id, ids[0]);
    assert!(c.heartbeat(again.id, "w1", LEASE).unwrap());
    c.finish_job(again.id, "ingested", "0123456789abcdef").unwrap();
    assert!(
        !c.heartbeat(again.id, "w1", LEASE).unwrap(),
        "a finished job has no lease"
    );
    let second = c.claim_next_job("w2", LEASE).unwrap().unwrap();
    assert_eq!(second.id, ids[1]);
    assert!(!c.heartbeat(second.id, "w1", LEASE).unwrap(), "not w1's job");
    c.fail_job(second.id, "corrupt").unwrap();
    assert!(c.claim_next_job("w1", LEASE).unwrap().is_none());
    let jobs = c.jobs().unwrap();
    assert_eq!(jobs[0].state, JobState::Failed);
    assert_eq!(jobs[0].error.as_deref(), Some("corrupt"));
    assert_eq!(jobs[1].media_id.as_deref(), Some("0123456789abcdef"));
    assert_eq!(c.job(ids[1]).unwrap().unwrap().state, JobState::Failed);
    assert!(c.job(9999).unwrap().is_none());
}

pub fn issue17_jobs_are_cancelled_removed_and_pruned(c: &dyn Catalog) {
    let ids = c
        .enqueue(&["a.mp4".into(), "b.jpg".into(), "c.jpg".into()], 2.0)
        .unwrap();
    // A queued job is cancelled: no worker ever gets it.
    let cancelled = c.remove_job(ids[2]).unwrap().unwrap();
    assert_eq!((cancelled.id, cancelled.state), (ids[2], JobState::Queued));
    // A running job stays.
    let running = c.claim_next_job("w1", LEASE).unwrap().unwrap();
    assert!(matches!(c.remove_job(running.id), Err(CatalogError::JobRunning(id)) if id == running.id));
    c.finish_job(running.id, "ingested", "0123456789abcdef").unwrap();
    let failed = c.claim_next_job("w1", LEASE).unwrap().unwrap();
    c.fail_job(failed.id, "corrupt").unwrap();
    assert!(
        c.claim_next_job("w1", LEASE).unwrap().is_none(),
        "the cancelled job is gone"
    );
    // A finished job leaves the list; an unknown one is None.
    assert_eq!(c.remove_job(failed.id).unwrap().unwrap().state, JobState::Failed);
    assert!(c.remove_job(failed.id).unwrap().is_none());
    // Pruning takes finished jobs older than the cut only, never queued ones.
    let queued = c.enqueue(&["d.mp4".into()], 2.0).unwrap()[0];
    assert_eq!(c.prune_jobs(0).unwrap(), 0, "nothing finished before 1970");
    assert_eq!(c.prune_jobs(i64::MAX).unwrap(), 1, "the done job");
    let left: Vec<i64> = c.jobs().unwrap().iter().map(|j| j.id).collect();
    assert_eq!(left, vec![queued]);
}

pub fn an_expired_lease_is_claimed_again(c: &dyn Catalog) {
    let ids = c.enqueue(&["a.mp4".into()], 2.0).unwrap();
    let taken = c.claim_next_job("dead", Duration::ZERO).unwrap().unwrap();
    assert_eq!(taken.id, ids[0]);
    // Leases are whole seconds in every backend: wait past this one.
    std::thread::sleep(Duration::from_millis(1100));
    let retaken = c
        .claim_next_job("alive", LEASE)
        .unwrap()
        .expect("expired lease is claimable");
    assert_eq!(retaken.id, ids[0]);
    assert!(!c.heartbeat(ids[0], "dead", LEASE).unwrap(), "the dead worker lost it");
    assert!(c.heartbeat(ids[0], "alive", LEASE).unwrap());
    assert!(
        c.claim_next_job("third", LEASE).unwrap().is_none(),
        "a live lease is not taken"
    );
}

pub fn opt_outs_round_trip(c: &dyn Catalog) {
    assert!(matches!(c.add_opt_out(&[], None), Err(CatalogError::EmptyOptOut)));
    let id = c
        .add_opt_out(&[vec![1.0, 0.0], vec![0.0, 1.0]], Some("asked by mail"))
        .unwrap();
    let listed = c.list_opt_outs().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].id, listed[0].faces), (id, 2));
    assert_eq!(listed[0].note.as_deref(), Some("asked by mail"));
    assert_eq!(c.opt_out_faces().unwrap(), vec![vec![1.0, 0.0], vec![0.0, 1.0]]);
    c.remove_opt_out(id).unwrap();
    assert!(c.opt_out_faces().unwrap().is_empty());
    assert!(matches!(c.remove_opt_out(id), Err(CatalogError::UnknownOptOut(_))));
}

pub fn face_search_log_lists_newest_first(c: &dyn Catalog) {
    c.log_face_search("person", "image", 3).unwrap();
    c.log_face_search("person+item", "media", 0).unwrap();
    let log = c.face_search_log(10).unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!((log[0].route.as_str(), log[0].results), ("person+item", 0));
    assert_eq!(c.face_search_log(1).unwrap().len(), 1);
}

pub fn tokens_are_created_verified_and_revoked(c: &dyn Catalog) {
    assert!(!c.has_tokens().unwrap());
    let (w, secret) = c.create_token(" ci ", &[Scope::Write, Scope::Write]).unwrap();
    assert_eq!((w.name.as_str(), w.scopes.as_slice()), ("ci", &[Scope::Write][..]));
    assert!(secret.starts_with("glint_") && secret.len() == 6 + 32, "{secret}");
    assert!(secret[6..].chars().all(|c| c.is_ascii_hexdigit()));
    let (r, read_secret) = c.create_token("viewer", &[Scope::Read]).unwrap();
    assert_ne!(secret, read_secret);
    assert!(c.has_tokens().unwrap());

    assert_eq!(c.verify_token(&secret).unwrap(), Some(w.clone()));
    assert_eq!(c.verify_token(&read_secret).unwrap().map(|t| t.id), Some(r.id));
    assert_eq!(c.verify_token("glint_00000000000000000000000000000000").unwrap(), None);
    assert_eq!(c.verify_token("").unwrap(), None);
    assert_eq!(c.verify_token(&secret[..20]).unwrap(), None);

    assert!(w.allows(Scope::Read) && w.allows(Scope::Write) && !w.allows(Scope::Admin));
    assert!(r.allows(Scope::Read) && !r.allows(Scope::Write));
    let (a, _) = c.create_token("root", &[Scope::Admin]).unwrap();
    assert!(a.allows(Scope::Write) && a.allows(Scope::Read));

    let revoked = c.revoke_token(w.id).unwrap();
    assert!(revoked.is_revoked());
    assert_eq!(c.verify_token(&secret).unwrap(), None);
    assert_eq!(c.revoke_token(w.id).unwrap().revoked_at, revoked.revoked_at);
    assert!(matches!(c.revoke_token(999), Err(CatalogError::UnknownToken(999))));
    let all = c.list_tokens().unwrap();
    assert_eq!(all.iter().map(|t| t.id).collect::<Vec<_>>(), vec![w.id, r.id, a.id]);
    assert!(all[0].is_revoked() && !all[1].is_revoked());

    assert!(matches!(c.create_token("x", &[]), Err(CatalogError::BadToken)));
    assert!(matches!(
        c.create_token("  ", &[Scope::Read]),
        Err(CatalogError::BadToken)
    ));
    assert!("ADMIN".parse::<Scope>().is_ok() && "root".parse::<Scope>().is_err());
}

/// A secret in the shape `create_token` hands out, fixed so that a check can verify it.
fn known_secret(n: u8) -> String {
    format!("glint_{}", format!("{n:02x}").repeat(16))
}

pub fn exports_and_imports_keep_their_rules(c: &dyn Catalog) {
    // Tokens: a copied hash verifies its secret, a second copy of it is skipped, a hash that is
    // not a SHA-256 is refused.
    assert!(c.export_tokens().unwrap().is_empty());
    let secret = known_secret(7);
    let copied = TokenRecord {
        id: 999,
        name: "copied".into(),
        scopes: vec![Scope::Read, Scope::Write],
        created_at: 1_000,
        revoked_at: None,
    };
    let hash = crate::backend::hash_secret(&secret);
    assert!(c.import_token(&copied, &hash).unwrap());
    assert!(
        !c.import_token(&copied, &hash).unwrap(),
        "the same hash again is skipped"
    );
    assert!(matches!(
        c.import_token(&copied, &hash[..31]),
        Err(CatalogError::BadTokenHash(31))
    ));
    assert!(c.import_token(&copied, &[0u8; 33]).is_err());
    let no_scope = TokenRecord {
        scopes: Vec::new(),
        ..copied.clone()
    };
    assert!(matches!(
        c.import_token(&no_scope, &[1u8; 32]),
        Err(CatalogError::BadToken)
    ));
    let found = c.verify_token(&secret).unwrap().expect("a copied token verifies");
    assert_ne!(found.id, 999, "a copied token gets an id of this catalog");
    assert_eq!(
        (found.name.as_str(), found.scopes.as_slice(), found.created_at),
        ("copied", &[Scope::Read, Scope::Write][..], 1_000)
    );
    let (made, made_secret) = c.create_token("made", &[Scope::Admin]).unwrap();
    let made_hash = crate::backend::hash_secret(&made_secret);
    assert!(
        !c.import_token(&made, &made_hash).unwrap(),
        "a created token's hash is there"
    );
    let exported = c.export_tokens().unwrap();
    assert_eq!(exported.len(), 2);
    assert_eq!(exported[0].0, found);
    assert_eq!(exported[0].1, hash.to_vec());
    assert_eq!(exported[1], (made, made_hash.to_vec()));

    // Opt-outs keep their time, note and faces.
    assert!(matches!(c.import_opt_out(5, None, &[]), Err(CatalogError::EmptyOptOut)));
    assert!(c.export_opt_outs().unwrap().is_empty());
    let id = c
        .import_opt_out(5, Some("by mail"), &[vec![0.5, 0.25], vec![-1.0, 0.0]])
        .unwrap();
    let opt_outs = c.export_opt_outs().unwrap();
    assert_eq!(opt_outs.len(), 1);
    assert_eq!(
        (
            opt_outs[0].0.id,
            opt_outs[0].0.created_at,
            opt_outs[0].0.note.as_deref(),
            opt_outs[0].0.faces
        ),
        (id, 5, Some("by mail"), 2)
    );
    assert_eq!(opt_outs[0].1, vec![vec![0.5, 0.25], vec![-1.0, 0.0]]);
    assert_eq!(c.opt_out_faces().unwrap(), opt_outs[0].1);

    // Log entries keep their time; usize::MAX reads the whole log.
    let old = FaceSearchLogEntry {
        at: 7,
        route: "person".into(),
        query_kind: "image".into(),
        results: 4,
    };
    c.import_face_search(&old).unwrap();
    c.log_face_search("person+item", "media", 1).unwrap();
    let log = c.face_search_log(usize::MAX).unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[1], old);
    assert_eq!(c.face_search_log(usize::MAX - 1).unwrap(), log);

    // The exported feed is the catalog: applied again, it changes nothing.
    assert_eq!(c.export_feed().unwrap(), CatalogFeed::default());
    c.apply_feed(&feed(), false).unwrap();
    let exported = c.export_feed().unwrap();
    assert_eq!(exported.stores, feed().stores);
    assert_eq!(exported.products.len(), 3);
    assert!(exported.keep.is_empty());
    assert!(exported
        .products
        .iter()
        .flat_map(|p| &p.offers)
        .all(|o| o.updated_at.is_some()));
    let again = c.apply_feed(&exported, true).unwrap();
    assert_eq!(
        (again.created, again.updated, again.unchanged, again.deleted),
        (0, 0, 3, 0)
    );
    assert_eq!(c.export_feed().unwrap(), exported);
}

/// A merchant catalog that uses every column: a verified store without a URL, an image that is
/// a URL and one that failed, an offer with its own time, and an offer one store makes on
/// another store's product.
fn rich_feed() -> CatalogFeed {
    let mut f = feed();
    f.stores.push(FeedStore {
        store_id: "c".into(),
        name: "Store c".into(),
        url: None,
        country: None,
        verified: true,
    });
    let mut p = product("c", "bread", 30.5, Availability::Preorder, "m3");
    p.description = Some("Rye, 500 g".into());
    p.brand = Some("Baker".into());
    p.images.push(FeedImage {
        source: "https://cdn.example/bread.jpg".into(),
        status: ImageStatus::NotFetched,
        media_uid: None,
    });
    p.images.push(FeedImage {
        source: "images/broken.jpg".into(),
        status: ImageStatus::Failed,
        media_uid: None,
    });
    p.offers[0].updated_at = Some(1_234);
    p.offers.push(FeedOffer {
        store_id: "a".into(),
        price: 29.0,
        currency: "EUR".into(),
        url: "https://example.com/a/bread".into(),
        availability: Availability::InStock,
        updated_at: Some(5_678),
    });
    f.products.push(p);
    f
}

/// What a copy must keep of a token: everything but its id.
fn token_without_id((t, hash): &(TokenRecord, Vec<u8>)) -> (String, Vec<Scope>, i64, Option<i64>, Vec<u8>) {
    (
        t.name.clone(),
        t.scopes.clone(),
        t.created_at,
        t.revoked_at,
        hash.clone(),
    )
}

pub fn a_catalog_exports_what_another_imports(from: &dyn Catalog, to: &dyn Catalog) {
    // The source: tokens (one revoked), two opt-outs, an audit log, a merchant catalog.
    let (_, ci) = from.create_token("ci", &[Scope::Write]).unwrap();
    let (_, viewer) = from.create_token("viewer", &[Scope::Read]).unwrap();
    let (gone, gone_secret) = from.create_token("gone", &[Scope::Admin, Scope::Read]).unwrap();
    from.revoke_token(gone.id).unwrap();
    from.add_opt_out(&[vec![1.0, 0.0, 0.5], vec![0.0, 1.0, -0.5]], Some("ticket 12"))
        .unwrap();
    from.add_opt_out(&[vec![0.25, 0.25, 0.25]], None).unwrap();
    from.import_face_search(&FaceSearchLogEntry {
        at: 100,
        route: "person".into(),
        query_kind: "image".into(),
        results: 2,
    })
    .unwrap();
    from.log_face_search("person", "sighting", 0).unwrap();
    from.log_face_search("person+item", "media", 5).unwrap();
    from.apply_feed(&rich_feed(), false).unwrap();

    // The copy, as `glint migrate` makes it.
    let tokens = from.export_tokens().unwrap();
    for (t, hash) in &tokens {
        assert!(to.import_token(t, hash).unwrap());
    }
    let opt_outs = from.export_opt_outs().unwrap();
    for (o, faces) in &opt_outs {
        to.import_opt_out(o.created_at, o.note.as_deref(), faces).unwrap();
    }
    let log = from.face_search_log(usize::MAX).unwrap();
    for entry in log.iter().rev() {
        to.import_face_search(entry).unwrap();
    }
    let shop = from.export_feed().unwrap();
    let counts = to.apply_feed(&shop, false).unwrap();
    assert_eq!((counts.stores_created, counts.created, counts.offers), (3, 4, 5));

    // Tokens: the same records and hashes; the secrets work (or not) as before.
    assert_eq!(tokens.len(), 3);
    let copied = to.export_tokens().unwrap();
    assert_eq!(
        copied.iter().map(token_without_id).collect::<Vec<_>>(),
        tokens.iter().map(token_without_id).collect::<Vec<_>>()
    );
    assert_eq!(to.verify_token(&ci).unwrap().map(|t| t.name), Some("ci".to_string()));
    let v = to.verify_token(&viewer).unwrap().expect("viewer verifies");
    assert!(v.allows(Scope::Read) && !v.allows(Scope::Write));
    assert_eq!(to.verify_token(&gone_secret).unwrap(), None, "revoked stays revoked");
    let revoked = to
        .list_tokens()
        .unwrap()
        .into_iter()
        .find(|t| t.name == "gone")
        .unwrap();
    assert_eq!(revoked.revoked_at, from.list_tokens().unwrap()[2].revoked_at);
    for (t, hash) in &tokens {
        assert!(!to.import_token(t, hash).unwrap(), "copying again adds nothing");
    }
    assert_eq!(to.list_tokens().unwrap().len(), 3);

    // Opt-outs: the same times, notes and faces; the same faces are refused by search.
    type Kept = (i64, Option<String>, u32, Vec<Vec<f32>>);
    let strip = |list: &[(crate::OptOut, Vec<Vec<f32>>)]| -> Vec<Kept> {
        list.iter()
            .map(|(o, f)| (o.created_at, o.note.clone(), o.faces, f.clone()))
            .collect()
    };
    assert_eq!(opt_outs.len(), 2);
    assert_eq!(strip(&to.export_opt_outs().unwrap()), strip(&opt_outs));
    assert_eq!(to.opt_out_faces().unwrap(), from.opt_out_faces().unwrap());

    // The audit log: every entry, in order, with its time.
    assert_eq!(log.len(), 3);
    assert_eq!(log[2].at, 100);
    assert_eq!(to.face_search_log(usize::MAX).unwrap(), log);

    // The merchant catalog: the same rows, answering the same.
    assert_eq!(to.export_feed().unwrap(), shop);
    assert_eq!(shop.products.len(), 4);
    for uid in ["m1", "m2", "m3", "none"] {
        assert_eq!(
            to.products_for_media(uid).unwrap(),
            from.products_for_media(uid).unwrap(),
            "products of {uid}"
        );
    }
    let bread = &to.products_for_media("m3").unwrap()[0];
    assert_eq!(
        bread
            .offers
            .iter()
            .map(|o| (o.store_id.as_str(), o.updated_at))
            .collect::<Vec<_>>(),
        vec![("a", 5_678), ("c", 1_234)]
    );
    assert_eq!(to.list_stores().unwrap(), from.list_stores().unwrap());
    assert_eq!(to.list_products(None).unwrap(), from.list_products(None).unwrap());
    assert_eq!(to.product_media_uids().unwrap(), from.product_media_uids().unwrap());
}
