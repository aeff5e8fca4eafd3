//! Issue #6 over HTTP: catalog import (ZIP with images, bare feeds), its safety limits, listing
//! and deletion, with access control.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};

use common::*;
use glint_server::{AppState, ServerConfig};

const JUICE: &str =
    "products_grocery_store/dataset/iconic-images-and-descriptions/Packages/Juice/Bravo-Apple-Juice/Bravo-Apple-Juice_Iconic.jpg";
const APPLE: &str =
    "products_grocery_store/dataset/iconic-images-and-descriptions/Fruit/Apple/Granny-Smith/Granny-Smith_Iconic.jpg";

const FEED: &str = "store_id,store_name,product_id,title,image,price,currency,url,availability\n\
    s1,Shop One,juice,Bravo Apple Juice,images/juice.jpg,24.95,SEK,https://example.com/s1/juice,in_stock\n\
    s1,Shop One,apple,Granny Smith,images/apple.jpg,3.50,SEK,https://example.com/s1/apple,out_of_stock\n\
    s2,Shop Two,juice,Bravo Apple Juice,images/juice.jpg|https://example.com/j.jpg,22.00,SEK,https://example.com/s2/juice,preorder\n\
    s2,Shop Two,bad,Bad Row,images/juice.jpg,free,SEK,https://example.com/s2/bad,in_stock\n";

fn demo_zip() -> Vec<u8> {
    let juice = std::fs::read(eval(JUICE)).unwrap();
    let apple = std::fs::read(eval(APPLE)).unwrap();
    zip_of(&[
        ("feed.csv", FEED.as_bytes()),
        ("images/juice.jpg", &juice),
        ("images/apple.jpg", &apple),
    ])
}

async fn import(state: &AppState, uri: &str, body: Vec<u8>, token: Option<&str>) -> Reply {
    let mut request = Request::post(uri).header("content-type", "application/zip");
    if let Some(t) = token {
        request = request.header("authorization", format!("Bearer {t}"));
    }
    call(state, request.body(Body::from(body)).unwrap()).await
}

#[tokio::test]
async fn issue6_a_zip_feed_is_imported_listed_and_deleted() {
    let (dir, state) = empty_state(ServerConfig::default());
    let write = writer(&state);
    // Writes need a token.
    import(&state, "/api/catalog/import", demo_zip(), None)
        .await
        .assert_error(401, "unauthorized");
    delete_as(&state, "/api/catalog/stores/s1", None)
        .await
        .assert_error(401, "unauthorized");
    assert!(state.store().catalog.list_stores().unwrap().is_empty());

    let r = import(&state, "/api/catalog/import?full=false", demo_zip(), Some(&write)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", String::from_utf8_lossy(&r.body));
    let report = r.json();
    assert_eq!(report["products_created"], 3, "{report}");
    assert_eq!(report["media_added"], 2, "{report}");
    assert_eq!(report["images_not_fetched"], 1, "{report}");
    assert_eq!(report["errors"][0]["row"], 4, "{report}");
    assert_eq!(report["errors"][0]["field"], "price", "{report}");
    // The unpacked upload is gone; the indexed images were kept under the data directory.
    let leftovers = std::fs::read_dir(dir.path().join("catalog-imports")).unwrap().count();
    assert_eq!(leftovers, 0);
    for m in state.store().catalog.list_media().unwrap() {
        assert!(std::path::Path::new(&m.path).exists(), "{}", m.path);
    }
    // Product images are the catalog's: kept out of the user's library view (issue 17).
    assert_eq!(get(&state, "/api/media").await.json()["total"], 0);
    let shop = get(&state, "/api/media?scope=catalog").await.json();
    assert_eq!(shop["total"], 2, "{shop}");
    assert!(
        shop["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["catalog"] == true && m["product"].is_string()),
        "product images are named by their product: {shop}"
    );

    // Again: nothing changes.
    let again = import(&state, "/api/catalog/import", demo_zip(), Some(&write))
        .await
        .json();
    assert_eq!(
        (&again["products_created"], &again["products_updated"]),
        (&0.into(), &0.into()),
        "{again}"
    );
    assert_eq!(again["products_unchanged"], 3);

    let list = get(&state, "/api/catalog").await;
    assert_eq!(list.status, StatusCode::OK);
    let list = list.json();
    assert_eq!(list["stores"].as_array().unwrap().len(), 2, "{list}");
    assert_eq!(list["products"].as_array().unwrap().len(), 3, "{list}");

    // Issue 16: the product page, with its offers and images; the library holds only product
    // images, which are never "seen in" results, so it was seen nowhere.
    let page = get(&state, "/api/catalog/stores/s2/products/juice").await;
    assert_eq!(page.status, StatusCode::OK, "{}", String::from_utf8_lossy(&page.body));
    let page = page.json();
    assert_eq!(page["title"], "Bravo Apple Juice", "{page}");
    assert_eq!(page["offers"][0]["price"], 22.0, "{page}");
    assert_eq!(page["images"].as_array().unwrap().len(), 2, "{page}");
    assert_eq!(page["images"][1]["status"], "not_fetched", "{page}");
    assert!(page["images"][1]["media_uid"].is_null(), "{page}");
    assert_eq!(page["seen_in"], serde_json::json!([]), "{page}");
    get(&state, "/api/catalog/stores/s2/products/nope")
        .await
        .assert_error(404, "unknown_product");

    let r = delete_as(&state, "/api/catalog/stores/s1/products/apple", Some(&write)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    delete_as(&state, "/api/catalog/stores/s1/products/apple", Some(&write))
        .await
        .assert_error(404, "unknown_product");
    let r = delete_as(&state, "/api/catalog/stores/s2", Some(&write)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    delete_as(&state, "/api/catalog/stores/s2", Some(&write))
        .await
        .assert_error(404, "unknown_store");
    let list = get(&state, "/api/catalog").await.json();
    assert_eq!(list["products"].as_array().unwrap().len(), 1, "{list}");
}

#[tokio::test]
async fn issue6_unsafe_zips_are_refused() {
    let (dir, state) = empty_state(ServerConfig::default());
    let write = writer(&state);
    let escaping = zip_of(&[("feed.csv", FEED.as_bytes()), ("../outside.jpg", b"x")]);
    let r = import(&state, "/api/catalog/import", escaping, Some(&write)).await;
    r.assert_error(422, "bad_feed");
    assert!(r.json()["message"].as_str().unwrap().contains("leaves the archive"));
    assert!(!dir.path().join("catalog-imports/outside.jpg").exists());

    // 64 MiB of zeros deflate to about 64 KiB: a thousandfold ratio.
    let bomb = zip_of(&[("feed.csv", FEED.as_bytes()), ("images/huge.jpg", &vec![0u8; 64 << 20])]);
    assert!(bomb.len() < 1 << 20);
    let r = import(&state, "/api/catalog/import", bomb, Some(&write)).await;
    r.assert_error(422, "bad_feed");
    assert!(r.json()["message"].as_str().unwrap().contains("bomb"));

    let feedless = zip_of(&[("images/a.jpg", b"x")]);
    import(&state, "/api/catalog/import", feedless, Some(&write))
        .await
        .assert_error(422, "bad_feed");
    import(&state, "/api/catalog/import?full=maybe", demo_zip(), Some(&write))
        .await
        .assert_error(400, "bad_request");
    assert!(state.store().catalog.list_stores().unwrap().is_empty());
    assert_eq!(
        std::fs::read_dir(dir.path().join("catalog-imports")).unwrap().count(),
        0
    );
}

#[tokio::test]
async fn issue6_a_bare_feed_records_url_images_and_rejects_local_paths() {
    let (_dir, state) = empty_state(ServerConfig::default());
    let write = writer(&state);
    let r = import(&state, "/api/catalog/import", FEED.as_bytes().to_vec(), Some(&write)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", String::from_utf8_lossy(&r.body));
    let report = r.json();
    // Only s2/juice has a URL image, but its row also names a local path: every row is refused.
    let rows: Vec<u64> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["row"].as_u64().unwrap())
        .collect();
    assert_eq!(rows, vec![1, 2, 3, 4, 4], "{report}");
    assert!(
        report["errors"][0]["reason"].as_str().unwrap().contains("ZIP"),
        "{report}"
    );

    let url_only = "store_id,store_name,product_id,title,image,price,currency,url,availability\n\
        s1,Shop One,juice,Bravo Apple Juice,https://example.com/j.jpg,24.95,SEK,https://example.com/s1/juice,in_stock\n";
    let report = import(
        &state,
        "/api/catalog/import",
        url_only.as_bytes().to_vec(),
        Some(&write),
    )
    .await
    .json();
    assert_eq!(
        (&report["products_created"], &report["images_not_fetched"]),
        (&1.into(), &1.into()),
        "{report}"
    );
    assert!(
        state.store().catalog.list_media().unwrap().is_empty(),
        "URLs are never fetched"
    );
    import(&state, "/api/catalog/import", b"hello".to_vec(), Some(&write))
        .await
        .assert_error(422, "bad_feed");
}

/// Issue 16: `GET /api/search?q=` finds products by the words of their titles (offers with
/// them), and through the words stored with their images (the encoder named the Granny Smith);
/// words nothing fits are "no match"; a missing, wordless or overlong `q` is a JSON error.
#[tokio::test]
async fn issue16_text_search_finds_products_by_their_words() {
    let (_dir, state) = empty_state(ServerConfig::default());
    let write = writer(&state);
    let r = import(&state, "/api/catalog/import", demo_zip(), Some(&write)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", String::from_utf8_lossy(&r.body));

    let r = get(&state, "/api/search?q=Bravo%20apple%20JUICE").await;
    assert_eq!(r.status, StatusCode::OK, "{}", String::from_utf8_lossy(&r.body));
    let answer = r.json();
    assert_eq!(answer["route"], "text", "{answer}");
    assert_eq!(answer["no_match"], false, "{answer}");
    let products: Vec<(String, String)> = answer["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["store_id"].as_str().unwrap().into(),
                p["product_id"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(products.len(), 2, "{answer}");
    assert!(products.iter().all(|(_, p)| p == "juice"), "{answer}");
    assert!(answer["products"][0]["offers"][0]["price"].is_f64(), "{answer}");
    assert!(
        answer["groups"].as_array().unwrap().is_empty(),
        "product images are not library hits"
    );

    let r = get(&state, "/api/search?q=apple&limit=5").await;
    let answer = r.json();
    let ids: Vec<&str> = answer["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["product_id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"juice") && ids.contains(&"apple"), "{answer}");

    let answer = get(&state, "/api/search?q=zeppelin").await.json();
    assert_eq!(answer["no_match"], true, "{answer}");
    assert!(answer["products"].as_array().unwrap().is_empty(), "{answer}");

    get(&state, "/api/search").await.assert_error(400, "bad_request");
    get(&state, "/api/search?q=%20...%20")
        .await
        .assert_error(422, "bad_query");
    let long = "juice%20".repeat(100);
    get(&state, &format!("/api/search?q={long}"))
        .await
        .assert_error(400, "bad_request");
    get(&state, "/api/search?q=juice&limit=x")
        .await
        .assert_error(400, "bad_request");
}
