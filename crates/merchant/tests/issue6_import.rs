//! Issue #6: importing merchant feeds on real images from ../shared/eval/products_grocery_store,
//! with the real models (faces off), into a fresh data directory per test.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use glint_catalog::{Availability, ImageStatus};
use glint_ingest::Store;
use glint_merchant::{demo::write_demo_feed, import, prepare, ImportOptions, ImportReport, RowError};
use glint_vision::Models;

/// The grocery set; panics clearly when it is missing (a silently skipped test would pass
/// without checking anything), like the other tests on ../shared.
fn grocery() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/eval/products_grocery_store");
    assert!(p.exists(), "evaluation data {} is missing", p.display());
    p
}

fn models() -> Models {
    static MODELS: OnceLock<Models> = OnceLock::new();
    MODELS
        .get_or_init(|| Models::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models"), None).unwrap())
        .clone()
}

const JUICE: &str =
    "dataset/iconic-images-and-descriptions/Packages/Juice/Bravo-Apple-Juice/Bravo-Apple-Juice_Iconic.jpg";
const APPLE: &str = "dataset/iconic-images-and-descriptions/Fruit/Apple/Granny-Smith/Granny-Smith_Iconic.jpg";
const PEAR: &str = "dataset/iconic-images-and-descriptions/Fruit/Pear/Conference/Conference_Iconic.jpg";

/// A feed folder holding `images/<name>` copies of the given grocery images and `feed.csv`.
fn feed_dir(images: &[&str], csv: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("images")).unwrap();
    for rel in images {
        let name = Path::new(rel).file_name().unwrap();
        std::fs::copy(grocery().join(rel), dir.path().join("images").join(name)).unwrap();
    }
    let feed = dir.path().join("feed.csv");
    std::fs::write(&feed, csv).unwrap();
    (dir, feed)
}

const HEADER: &str = "store_id,store_name,product_id,title,image,price,currency,url,availability,store_url,extra\n";

fn fields(errors: &[RowError]) -> Vec<(usize, &str)> {
    errors.iter().map(|e| (e.row, e.field.as_str())).collect()
}

#[test]
fn issue6_demo_feed_imported_twice_changes_nothing_the_second_time() {
    let out = tempfile::tempdir().unwrap();
    let summary = write_demo_feed(&grocery(), out.path()).unwrap();
    assert_eq!((summary.products, summary.images), (81, 81));
    assert!(summary.offers > 81 && summary.offers <= 3 * 81, "{}", summary.offers);
    let csv = std::fs::read_to_string(out.path().join("feed.csv")).unwrap();
    assert!(!csv.contains("shared"), "the feed references its own copies only");
    assert!(csv.contains("Bravo Apple Juice") && csv.contains("(demo data)") && csv.contains("out_of_stock"));

    let data = tempfile::tempdir().unwrap();
    let store = Store::open(data.path()).unwrap();
    let first = import(
        &store,
        &models(),
        &out.path().join("feed.csv"),
        &ImportOptions::default(),
    )
    .unwrap();
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    assert_eq!(
        first.products_created as usize, summary.offers,
        "one product per store that sells it"
    );
    assert_eq!(first.media_added, 81);
    assert_eq!(first.stores_created, 3);
    let before = snapshot(&store);

    let second = import(
        &store,
        &models(),
        &out.path().join("feed.csv"),
        &ImportOptions {
            full: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        (
            second.products_created,
            second.products_updated,
            second.products_deleted,
            second.media_added
        ),
        (0, 0, 0, 0),
        "{second:?}"
    );
    assert_eq!(second.products_unchanged as usize, summary.offers);
    assert_eq!(second.stores_created + second.stores_updated, 0);
    assert_eq!(snapshot(&store), before);
    assert_eq!(store.catalog.list_media().unwrap().len(), 81);

    // The JSON twin of the feed says the same: importing it changes nothing either.
    let json = import(
        &store,
        &models(),
        &out.path().join("feed.json"),
        &ImportOptions::default(),
    )
    .unwrap();
    assert!(json.errors.is_empty(), "{:?}", json.errors);
    assert_eq!((json.products_created, json.products_updated), (0, 0), "{json:?}");

    // Every product image is a product media, and its offers say where to buy it.
    let uids = store.catalog.product_media_uids().unwrap();
    assert_eq!(uids.len(), 81);
    let juice = store
        .catalog
        .list_media()
        .unwrap()
        .into_iter()
        .find(|m| {
            m.path.ends_with(".jpg") && store.catalog.products_for_media(&m.id).unwrap()[0].title == "Bravo Apple Juice"
        })
        .expect("the juice is indexed");
    let products = store.catalog.products_for_media(&juice.id).unwrap();
    assert!(!products.is_empty() && products.len() <= 3);
    for p in &products {
        assert_eq!(p.category.as_deref(), Some("Packages/Juice"));
        assert_eq!(p.brand.as_deref(), Some("Bravo"));
        assert!(p
            .offers
            .iter()
            .all(|o| o.currency == "SEK" && o.store_name.contains("demo data")));
    }
}

fn snapshot(
    store: &Store,
) -> (
    Vec<glint_catalog::StoreSummary>,
    Vec<glint_catalog::ProductSummary>,
    Vec<Vec<glint_catalog::ProductOffers>>,
) {
    let mut uids: Vec<String> = store.catalog.product_media_uids().unwrap().into_iter().collect();
    uids.sort();
    (
        store.catalog.list_stores().unwrap(),
        store.catalog.list_products(None).unwrap(),
        uids.iter()
            .map(|u| store.catalog.products_for_media(u).unwrap())
            .collect(),
    )
}

#[test]
fn issue6_malformed_rows_are_reported_and_good_rows_imported() {
    let long_title = "x".repeat(501);
    let csv = format!(
        "{HEADER}\
         s1,Shop One,juice,Bravo Apple Juice,images/Bravo-Apple-Juice_Iconic.jpg,24.95,SEK,https://example.com/s1/juice,in_stock,https://example.com/s1,whatever\n\
         s1,Shop One,remote,Remote Thing,https://example.com/img/remote.jpg,10,sek,https://example.com/s1/remote,preorder,,\n\
         s1,Shop One,p3,Bad Price,images/Granny-Smith_Iconic.jpg,abc,SEK,https://example.com/s1/p3,in_stock,,\n\
         s1,Shop One,p4,Bad Currency,images/Granny-Smith_Iconic.jpg,5,SE,https://example.com/s1/p4,in_stock,,\n\
         s1,Shop One,p5,,images/Granny-Smith_Iconic.jpg,5,SEK,https://example.com/s1/p5,in_stock,,\n\
         s1,Shop One,p6,Passwd,../../etc/passwd,5,SEK,https://example.com/s1/p6,in_stock,,\n\
         s1,Shop One,p7,Missing File,images/nothing.jpg,5,SEK,https://example.com/s1/p7,in_stock,,\n\
         s1,Shop One,p8,Odd Stock,images/Granny-Smith_Iconic.jpg,5,SEK,https://example.com/s1/p8,maybe,,\n\
         s1,Shop One,p9,Negative,images/Granny-Smith_Iconic.jpg,-1,SEK,https://example.com/s1/p9,in_stock,,\n\
         s1,Shop One,p10,Absurd,images/Granny-Smith_Iconic.jpg,2e12,SEK,https://example.com/s1/p10,in_stock,,\n\
         s1,Shop One,p11,Ftp Link,images/Granny-Smith_Iconic.jpg,5,SEK,ftp://example.com/p11,in_stock,,\n\
         s1,Shop One,p12,{long_title},images/Granny-Smith_Iconic.jpg,5,SEK,https://example.com/s1/p12,in_stock,,\n\
         s1,Shop One,p13,Not An Image,images/notes.jpg,5,SEK,https://example.com/s1/p13,in_stock,,\n\
         s1,Shop One,apple,Granny Smith,images/Granny-Smith_Iconic.jpg,3.5,EUR,https://example.com/s1/apple,out_of_stock,,\n\
         s1,Shop One,p15,Made-Up Money,images/Granny-Smith_Iconic.jpg,5,ABC,https://example.com/s1/p15,in_stock,,\n\
         s1,Shop One,p16,Half A Yen,images/Granny-Smith_Iconic.jpg,1200.5,JPY,https://example.com/s1/p16,in_stock,,\n\
         s1,Shop One,p17,Tenth Of An Ore,images/Granny-Smith_Iconic.jpg,12.345,SEK,https://example.com/s1/p17,in_stock,,\n"
    );
    let (dir, feed) = feed_dir(&[JUICE, APPLE], &csv);
    std::fs::write(dir.path().join("images/notes.jpg"), "not a picture").unwrap();
    let data = tempfile::tempdir().unwrap();
    let store = Store::open(data.path()).unwrap();
    let report = import(&store, &models(), &feed, &ImportOptions::default()).unwrap();
    assert_eq!(
        fields(&report.errors),
        vec![
            (3, "price"),
            (4, "currency"),
            (5, "title"),
            (6, "image"),
            (7, "image"),
            (8, "availability"),
            (9, "price"),
            (10, "price"),
            (11, "url"),
            (12, "title"),
            (13, "image"),
            (15, "currency"),
            (16, "price"),
            (17, "price"),
        ],
        "{:#?}",
        report.errors
    );
    // Each reason says what is wrong (issue 17: ISO 4217 codes in use, prices in the
    // currency's smallest unit).
    for (i, says) in [
        (3, "escapes"),
        (4, "not found"),
        (10, "decodable"),
        (11, "ISO 4217"),
        (12, "JPY has (0)"),
    ] {
        assert!(report.errors[i].reason.contains(says), "{}", report.errors[i].reason);
    }
    assert_eq!(
        (report.rows, report.rows_rejected, report.products_created),
        (17, 14, 3)
    );
    assert_eq!((report.images_indexed, report.images_not_fetched), (2, 1));
    let products = store.catalog.list_products(None).unwrap();
    let ids: Vec<&str> = products.iter().map(|p| p.product_id.as_str()).collect();
    assert_eq!(ids, vec!["apple", "juice", "remote"]);
    let remote = products.iter().find(|p| p.product_id == "remote").unwrap();
    assert_eq!(
        (remote.images, remote.indexed_images),
        (1, 0),
        "URL images are recorded, not fetched"
    );
    // Currency codes are stored upper case.
    let stores = store.catalog.list_stores().unwrap();
    assert_eq!(stores[0].offers, 3);
    assert_eq!(
        store.catalog.list_media().unwrap().len(),
        2,
        "rejected rows index nothing of their own"
    );
}

#[test]
fn issue6_full_import_deletes_missing_products_partial_keeps_them() {
    let row = |id: &str, img: &str| {
        format!("s1,Shop One,{id},Title {id},images/{img},5,SEK,https://example.com/s1/{id},in_stock,,\n")
    };
    let all = format!(
        "{HEADER}{}{}{}",
        row("juice", "Bravo-Apple-Juice_Iconic.jpg"),
        row("apple", "Granny-Smith_Iconic.jpg"),
        row("pear", "Conference_Iconic.jpg")
    );
    let (_dir, feed) = feed_dir(&[JUICE, APPLE, PEAR], &all);
    let data = tempfile::tempdir().unwrap();
    let store = Store::open(data.path()).unwrap();
    assert_eq!(
        import(&store, &models(), &feed, &ImportOptions::default())
            .unwrap()
            .products_created,
        3
    );

    // Without the pear, and with the apple row broken: partial keeps both.
    let fewer = format!(
        "{HEADER}{}s1,Shop One,apple,Title apple,images/Granny-Smith_Iconic.jpg,oops,SEK,https://example.com/s1/apple,in_stock,,\n",
        row("juice", "Bravo-Apple-Juice_Iconic.jpg")
    );
    std::fs::write(&feed, &fewer).unwrap();
    let partial = import(&store, &models(), &feed, &ImportOptions::default()).unwrap();
    assert_eq!((partial.products_deleted, partial.products_unchanged), (0, 1));
    assert_eq!(store.catalog.list_products(Some("s1")).unwrap().len(), 3);

    // Full deletes the pear, but not the apple whose row was only rejected.
    let full = import(
        &store,
        &models(),
        &feed,
        &ImportOptions {
            full: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(full.products_deleted, 1, "{full:?}");
    let ids: Vec<String> = store
        .catalog
        .list_products(None)
        .unwrap()
        .into_iter()
        .map(|p| p.product_id)
        .collect();
    assert_eq!(ids, vec!["apple", "juice"]);
    assert_eq!(
        store.catalog.list_media().unwrap().len(),
        3,
        "deleting a product keeps its media"
    );
}

#[test]
fn issue6_a_killed_import_leaves_the_previous_catalog_intact() {
    let row = |id: &str, img: &str, price: &str, stock: &str| {
        format!("s1,Shop One,{id},Title {id},images/{img},{price},SEK,https://example.com/s1/{id},{stock},,\n")
    };
    let v1 = format!(
        "{HEADER}{}",
        row("juice", "Bravo-Apple-Juice_Iconic.jpg", "20", "in_stock")
    );
    let (_dir, feed) = feed_dir(&[JUICE, APPLE], &v1);
    let data = tempfile::tempdir().unwrap();
    let store = Store::open(data.path()).unwrap();
    import(&store, &models(), &feed, &ImportOptions::default()).unwrap();
    let before = snapshot(&store);

    let v2 = format!(
        "{HEADER}{}{}",
        row("juice", "Bravo-Apple-Juice_Iconic.jpg", "2000", "out_of_stock"),
        row("apple", "Granny-Smith_Iconic.jpg", "3", "in_stock")
    );
    std::fs::write(&feed, &v2).unwrap();

    // Killed after the images are indexed, before the transaction: nothing of v2 is in the catalog.
    let prepared = prepare(
        &store,
        &models(),
        &feed,
        &ImportOptions {
            full: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(prepared.report().media_added, 1);
    assert!(prepared.feed().products[1].images[0].status == ImageStatus::Indexed);
    drop(prepared);
    assert_eq!(snapshot(&store), before);

    // The transaction fails midway (an injected SQLite error on the second product's offer):
    // the juice update written before it is rolled back too.
    {
        let conn = rusqlite::Connection::open(data.path().join("catalog.sqlite3")).unwrap();
        conn.execute_batch(
            "CREATE TRIGGER injected_failure BEFORE INSERT ON offers WHEN NEW.price < 10 \
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
        )
        .unwrap();
    }
    let err = import(
        &store,
        &models(),
        &feed,
        &ImportOptions {
            full: true,
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("injected failure"), "{err}");
    assert_eq!(snapshot(&store), before);
    let juice = &before.2[0][0];
    assert_eq!(
        (juice.offers[0].price, juice.offers[0].availability),
        (20.0, Availability::InStock)
    );

    // Once the cause is gone the same import goes through; the images are not indexed again.
    {
        let conn = rusqlite::Connection::open(data.path().join("catalog.sqlite3")).unwrap();
        conn.execute_batch("DROP TRIGGER injected_failure;").unwrap();
    }
    let report: ImportReport = import(
        &store,
        &models(),
        &feed,
        &ImportOptions {
            full: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        (report.products_created, report.products_updated, report.media_added),
        (1, 1, 0)
    );
}

#[test]
fn issue6_json_feeds_are_validated_per_product() {
    let json = r#"{
      "stores": [{"store_id": "s1", "name": "Shop One", "url": "https://example.com/s1", "country": "se"},
                 {"store_id": "s2", "url": "not a url"}],
      "products": [
        {"store_id": "s1", "product_id": "juice", "title": "Bravo Apple Juice", "brand": "Bravo",
         "images": ["images/Bravo-Apple-Juice_Iconic.jpg"],
         "offers": [{"price": 24.95, "currency": "SEK", "url": "https://example.com/s1/juice", "availability": "in_stock", "updated_at": 1700000000}]},
        {"store_id": "s2", "product_id": "x", "title": "Orphan", "images": ["https://example.com/x.jpg"],
         "offers": [{"price": 1, "currency": "SEK", "url": "https://example.com/x", "availability": "in_stock"}]},
        {"store_id": "s1", "product_id": "y", "title": "Bad offer", "images": ["https://example.com/y.jpg"],
         "offers": [{"price": 1, "currency": "SEK", "url": "https://example.com/y", "availability": "in_stock"},
                    {"price": "NaN", "currency": "SEK", "url": "https://example.com/y", "availability": "in_stock"}]}
      ]}"#;
    let (dir, _) = feed_dir(&[JUICE], "");
    let feed = dir.path().join("feed.json");
    std::fs::write(&feed, json).unwrap();
    let data = tempfile::tempdir().unwrap();
    let store = Store::open(data.path()).unwrap();
    let report = import(&store, &models(), &feed, &ImportOptions::default()).unwrap();
    assert_eq!(
        fields(&report.errors),
        vec![
            (0, "stores[1].name"),
            (0, "stores[1].url"),
            (2, "store_id"),
            (3, "offers[1].price")
        ],
        "{:#?}",
        report.errors
    );
    assert_eq!(report.products_created, 1);
    let stores = store.catalog.list_stores().unwrap();
    assert_eq!((stores.len(), stores[0].country.as_deref()), (1, Some("SE")));

    // A bare feed (no folder of images, as in a plain upload) may only use URL images.
    let bare = import(
        &store,
        &models(),
        &feed,
        &ImportOptions {
            local_images: false,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(bare.errors[2].field, "images[0]", "{:#?}", bare.errors);
    assert!(bare.errors[2].reason.contains("ZIP"));
}
