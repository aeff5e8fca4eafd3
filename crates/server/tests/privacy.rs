//! The face privacy switch reaches the HTTP API: with face search off, a box on a face is an
//! item query and the answer has no person group.

mod common;

use axum::http::StatusCode;

use common::{eval, fixture, post_form, OBAMA};
use glint_server::{AppState, ServerConfig};

#[tokio::test]
async fn issue7_face_search_off_answers_a_face_box_with_items_only() {
    // Same data, a server configured with face search off.
    let store = fixture().state.store().clone();
    let state = AppState::new(
        store,
        common::models(),
        ServerConfig {
            face_search: false,
            ..ServerConfig::default()
        },
    )
    .unwrap();
    let photo = std::fs::read(eval(OBAMA)).unwrap();
    let r = post_form(&state, "/api/search/photo", &[("image", Some("q.jpg"), &photo)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", String::from_utf8_lossy(&r.body));
    let r = r.json();
    assert_eq!(r["route"], "item", "{r}");
    assert!(
        r["groups"].as_array().unwrap().iter().all(|g| g["route"] != "person"),
        "{r}"
    );
}

#[tokio::test]
async fn issue7_opt_out_over_http_needs_a_face_and_hides_the_person() {
    let (_dir, state) = common::empty_state(ServerConfig::default());
    // Index two photos of the same person, then opt out with one of them over HTTP.
    let store = state.store().clone();
    let ingestor = glint_ingest::Ingestor::new(store, common::models(), glint_ingest::IngestConfig::default());
    ingestor.enqueue(&[eval(OBAMA), eval(common::OBAMA2)]).unwrap();
    ingestor.run(&glint_ingest::NoProgress).unwrap();
    let photo = std::fs::read(eval(OBAMA)).unwrap();
    let before = post_form(&state, "/api/search/photo", &[("image", Some("q.jpg"), &photo)])
        .await
        .json();
    assert_eq!(
        before["route"].as_str().map(|r| r.contains("person")),
        Some(true),
        "{before}"
    );

    let token = common::writer(&state);
    let blank = {
        let mut png = std::io::Cursor::new(Vec::new());
        image::RgbImage::new(64, 64)
            .write_to(&mut png, image::ImageFormat::Png)
            .unwrap();
        png.into_inner()
    };
    let none = common::post_form_as(&state, "/api/optout", &[("image", Some("x.png"), &blank)], Some(&token)).await;
    none.assert_error(422, "bad_image");
    let denied = common::post_form_as(&state, "/api/optout", &[("image", Some("q.jpg"), &photo)], None).await;
    assert_eq!(denied.status, StatusCode::UNAUTHORIZED);
    let ok = common::post_form_as(&state, "/api/optout", &[("image", Some("q.jpg"), &photo)], Some(&token)).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&ok.body));

    let after = post_form(&state, "/api/search/photo", &[("image", Some("q.jpg"), &photo)])
        .await
        .json();
    let person_hits = after["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["route"] == "person")
        .map(|g| g["hits"].as_array().unwrap().len())
        .sum::<usize>();
    assert_eq!(person_hits, 0, "{after}");
}
