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
