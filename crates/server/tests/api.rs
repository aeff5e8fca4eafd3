//! The HTTP API, called in-process on a data directory holding real evaluation media.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;

use common::*;
use glint_server::ServerConfig;

#[tokio::test]
async fn healthz_answers_ok() {
    let r = get(&fixture().state, "/healthz").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["status"], "ok");
}

/// Issue 17: a version endpoint, and a JSON error (with `Allow`) for a method a path does not take.
#[tokio::test]
async fn issue17_version_and_wrong_methods_answer_in_json() {
    let state = &fixture().state;
    let v = get(state, "/api/version").await;
    assert_eq!(v.status, StatusCode::OK);
    let v = v.json();
    assert_eq!(v["name"], "glint");
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    let doc = get(state, "/api/openapi.json").await.json();
    assert_eq!(v["api"], doc["info"]["version"]);

    let put = Request::builder()
        .method("PUT")
        .uri("/api/search")
        .body(Body::empty())
        .unwrap();
    let r = call(state, put).await;
    r.assert_error(405, "method_not_allowed");
    assert!(r.header("allow").contains("POST"), "Allow: {:?}", r.header("allow"));
    assert!(r.json()["message"].as_str().unwrap().contains("PUT /api/search"));
    let codes = &doc["components"]["schemas"]["ErrorCode"]["enum"];
    assert!(codes.as_array().unwrap().contains(&"method_not_allowed".into()));
}

#[tokio::test]
async fn openapi_document_describes_exactly_the_routes_of_the_router() {
    let r = get(&fixture().state, "/api/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = r.json();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().unwrap();
    let routed: Vec<(String, String)> = glint_server::endpoints(&ServerConfig::default())
        .iter()
        .map(|e| (e.path.to_string(), e.method.as_str().to_ascii_lowercase()))
        .collect();
    for (path, method) in &routed {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} is not documented"
        );
    }
    let verbs = ["get", "post", "put", "delete", "patch", "head", "options"];
    for (path, item) in paths {
        for verb in item.as_object().unwrap().keys().filter(|k| verbs.contains(&k.as_str())) {
            assert!(
                routed.contains(&(path.clone(), verb.clone())),
                "{verb} {path} is documented but not routed"
            );
        }
    }
    // Every reference points at something the document defines.
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r.clone());
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("external ref {r}"));
        assert!(doc.pointer(pointer).is_some(), "dangling $ref {r}");
    }
}

#[tokio::test]
async fn media_are_listed_and_shown_with_their_tracks() {
    let state = &fixture().state;
    let list = get(state, "/api/media").await;
    assert_eq!(list.status, StatusCode::OK);
    let list = list.json();
    assert_eq!(
        (&list["offset"], &list["limit"], &list["total"]),
        (&0.into(), &50.into(), &4.into()),
        "{list}"
    );
    let media = list["results"].as_array().unwrap();
    assert_eq!(media.len(), 4, "{list}");
    let names: Vec<&str> = media.iter().map(|m| m["name"].as_str().unwrap()).collect();
    for name in ["bikes.mp4", "carphone_pristine.mp4", "obama.jpg", "obama2.jpg"] {
        assert!(names.contains(&name), "{names:?}");
    }
    assert!(media.iter().all(|m| m["uploaded"] == false && m["catalog"] == false));
    for m in media {
        assert!(m.get("path").is_none(), "no server paths in answers: {m}");
        let added = m["added_at"].as_str().unwrap();
        assert!(
            added.len() == 20 && added.as_bytes()[10] == b'T' && added.ends_with('Z'),
            "RFC 3339: {added}"
        );
    }
    assert!(
        !list.to_string().contains("/eval/"),
        "the files lie under ../shared/eval: {list}"
    );
    let carphone = media_id(state, "carphone_pristine.mp4").await;
    let shown = get(state, &format!("/api/media/{carphone}")).await;
    assert_eq!(shown.status, StatusCode::OK);
    let shown = shown.json();
    assert_eq!(shown["media"]["id"], carphone.as_str());
    assert_eq!(shown["media"]["kind"], "video");
    let tracks = shown["tracks"].as_array().unwrap();
    assert!(
        tracks.iter().any(|t| t["kind"] == "face"),
        "carphone has a face track: {shown}"
    );
}

#[tokio::test]
async fn media_file_serves_byte_ranges() {
    let state = &fixture().state;
    let id = media_id(state, "bikes.mp4").await;
    let bytes = std::fs::read(eval(BIKES)).unwrap();
    let len = bytes.len();
    let uri = format!("/api/media/{id}/file");
    let ranged = |range: String| {
        let uri = uri.clone();
        async move {
            let request = Request::get(&uri).header("range", range).body(Body::empty()).unwrap();
            call(state, request).await
        }
    };

    let full = get(state, &uri).await;
    assert_eq!(full.status, StatusCode::OK);
    assert_eq!(full.header("content-type"), "video/mp4");
    assert_eq!(full.header("accept-ranges"), "bytes");
    assert_eq!(full.body.as_ref(), bytes.as_slice());

    let part = ranged("bytes=1000-1999".into()).await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.header("content-range"), format!("bytes 1000-1999/{len}"));
    assert_eq!(part.header("content-length"), "1000");
    assert_eq!(part.body.as_ref(), &bytes[1000..2000]);

    let tail = ranged("bytes=-100".into()).await;
    assert_eq!(tail.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(tail.body.as_ref(), &bytes[len - 100..]);

    let open = ranged(format!("bytes={}-", len - 10)).await;
    assert_eq!(
        open.header("content-range"),
        format!("bytes {}-{}/{len}", len - 10, len - 1)
    );
    assert_eq!(open.body.as_ref(), &bytes[len - 10..]);

    for bad in [
        format!("bytes={len}-"),
        "bytes=20-10".to_string(),
        "bytes=abc".to_string(),
    ] {
        let r = ranged(bad.clone()).await;
        r.assert_error(416, "range_not_satisfiable");
        assert_eq!(r.header("content-range"), format!("bytes */{len}"), "{bad}");
    }

    let photo = media_id(state, "obama.jpg").await;
    assert_eq!(
        get(state, &format!("/api/media/{photo}/file"))
            .await
            .header("content-type"),
        "image/jpeg"
    );
}

#[tokio::test]
async fn issue17_media_files_carry_validators() {
    let state = &fixture().state;
    let id = media_id(state, "bikes.mp4").await;
    let bytes = std::fs::read(eval(BIKES)).unwrap();
    let uri = format!("/api/media/{id}/file");
    let with = |headers: Vec<(&'static str, String)>| {
        let uri = uri.clone();
        async move {
            let mut request = Request::get(&uri);
            for (k, v) in headers {
                request = request.header(k, v);
            }
            call(state, request.body(Body::empty()).unwrap()).await
        }
    };
    let full = get(state, &uri).await;
    let etag = full.header("etag").to_string();
    let modified = full.header("last-modified").to_string();
    assert!(etag.starts_with('"') && etag.len() > 10, "a strong tag: {etag}");
    assert!(modified.ends_with("GMT"), "{modified}");

    // A cached copy is still good: 304 without a body, by tag or by date.
    let cached = with(vec![("if-none-match", etag.clone())]).await;
    assert_eq!(cached.status, StatusCode::NOT_MODIFIED);
    assert!(cached.body.is_empty());
    assert_eq!(cached.header("etag"), etag);
    let by_date = with(vec![("if-modified-since", modified.clone())]).await;
    assert_eq!(by_date.status, StatusCode::NOT_MODIFIED);
    // Another tag: the whole file, even with a date that would have matched.
    let other = with(vec![
        ("if-none-match", "\"other\"".into()),
        ("if-modified-since", modified.clone()),
    ])
    .await;
    assert_eq!(other.status, StatusCode::OK);
    assert_eq!(other.body.len(), bytes.len());

    // If-Range: the range holds only for the same bytes, else the whole file comes.
    let range = || ("range", "bytes=0-99".to_string());
    let same = with(vec![range(), ("if-range", etag.clone())]).await;
    assert_eq!((same.status, same.body.len()), (StatusCode::PARTIAL_CONTENT, 100));
    let same_date = with(vec![range(), ("if-range", modified.clone())]).await;
    assert_eq!(same_date.status, StatusCode::PARTIAL_CONTENT);
    let changed = with(vec![range(), ("if-range", "\"old\"".into())]).await;
    assert_eq!((changed.status, changed.body.len()), (StatusCode::OK, bytes.len()));
}

#[tokio::test]
async fn thumbnails_and_frames_are_jpeg() {
    let state = &fixture().state;
    let id = media_id(state, "carphone_pristine.mp4").await;
    let is_jpeg = |r: &Reply| {
        r.status == StatusCode::OK && r.header("content-type") == "image/jpeg" && r.body.starts_with(&[0xFF, 0xD8])
    };
    assert!(is_jpeg(&get(state, &format!("/api/media/{id}/thumb")).await));
    let track = get(state, &format!("/api/media/{id}")).await.json()["tracks"][0]["id"]
        .as_u64()
        .unwrap();
    assert!(is_jpeg(&get(state, &format!("/api/tracks/{track}/thumb")).await));
    let frame = get(state, &format!("/api/media/{id}/frame?t=2.5&max=160")).await;
    assert!(is_jpeg(&frame));
    let decoded = image::load_from_memory(&frame.body).unwrap();
    assert_eq!(decoded.width().max(decoded.height()), 160);
    // Without `t`, a video's first frame.
    assert!(is_jpeg(&get(state, &format!("/api/media/{id}/frame")).await));
    get(state, &format!("/api/media/{id}/frame?max=65536"))
        .await
        .assert_error(400, "bad_request");
    get(state, &format!("/api/media/{id}/frame?t=-1"))
        .await
        .assert_error(400, "bad_request");
    get(state, &format!("/api/media/{id}/frame?t=nan"))
        .await
        .assert_error(400, "bad_request");
    let photo = media_id(state, "obama.jpg").await;
    assert!(is_jpeg(&get(state, &format!("/api/media/{photo}/frame")).await));
}

#[tokio::test]
async fn hotspots_offer_the_faces_and_objects_on_screen() {
    let state = &fixture().state;
    let id = media_id(state, "carphone_pristine.mp4").await;
    let shown = get(state, &format!("/api/media/{id}")).await.json();
    let face = shown["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "face")
        .unwrap();
    let sighting = &face["sightings"].as_array().unwrap()[face["sightings"].as_array().unwrap().len() / 2];
    let t = sighting["t"].as_f64().unwrap();
    let r = get(state, &format!("/api/media/{id}/hotspots?t={t}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let spots = r.json();
    assert_eq!(spots["width"], shown["media"]["width"]);
    let faces: Vec<&Value> = spots["hotspots"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["kind"] == "face")
        .collect();
    assert!(!faces.is_empty(), "{spots}");
    assert!(
        faces.iter().any(|f| f["track"] == face["id"]),
        "the stored face track is offered: {spots}"
    );
    for h in spots["hotspots"].as_array().unwrap() {
        let b: Vec<f64> = h["box"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert!(
            b[2] > 0.0 && b[3] > 0.0 && b[0] + b[2] <= spots["width"].as_f64().unwrap() + 0.5,
            "{h}"
        );
    }
    // Issue 18: items are the objects the detector finds, named by their class: the man.
    let items: Vec<&Value> = spots["hotspots"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["kind"] == "item")
        .collect();
    assert!(items.iter().any(|h| h["label"] == "person"), "{spots}");
    assert!(items.iter().all(|h| h["label"].is_string()), "{spots}");
    assert!(faces.iter().all(|h| h.get("label").is_none()), "{spots}");
    // Without `t`, the first frame's.
    let first = get(state, &format!("/api/media/{id}/hotspots")).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.json()["t"], 0.0);
}

/// A face box on a video frame, as the UI sends it.
async fn carphone_face(state: &glint_server::AppState) -> (String, f64, Vec<f64>) {
    let id = media_id(state, "carphone_pristine.mp4").await;
    let shown = get(state, &format!("/api/media/{id}")).await.json();
    let face = shown["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "face")
        .unwrap();
    let s = &face["sightings"][0];
    let b = &s["bbox"];
    let bbox = ["x", "y", "w", "h"].iter().map(|k| b[k].as_f64().unwrap()).collect();
    (id, s["t"].as_f64().unwrap(), bbox)
}

fn assert_search_shape(r: &Value) {
    assert!(r["route"].is_string(), "{r}");
    assert!(r["no_match"].is_boolean(), "{r}");
    assert!(r["latency_ms"].as_f64().is_some(), "{r}");
    for g in r["groups"].as_array().unwrap() {
        assert!(g["route"] == "person" || g["route"] == "item", "{g}");
        for hit in g["hits"].as_array().unwrap() {
            assert!(
                hit["media_id"].is_string()
                    && hit["name"].is_string()
                    && hit.get("path").is_none()
                    && hit["width"].is_number()
                    && hit["score"].is_number(),
                "{hit}"
            );
            for s in hit["sightings"].as_array().unwrap() {
                assert_eq!(s["box"].as_array().unwrap().len(), 4, "{s}");
            }
        }
    }
}

#[tokio::test]
async fn a_face_box_on_a_video_searches_for_the_person() {
    let state = &fixture().state;
    let (id, t, bbox) = carphone_face(state).await;
    let body = serde_json::json!({"video": id, "at": t, "box": bbox}).to_string();
    let r = post_json(state, "/api/search", &body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", String::from_utf8_lossy(&r.body));
    let r = r.json();
    assert_search_shape(&r);
    assert!(r["route"].as_str().unwrap().contains("person"), "{r}");
    // The query's own sighting is the query, never a result.
    for g in r["groups"].as_array().unwrap() {
        for hit in g["hits"].as_array().unwrap() {
            if hit["media_id"] == id.as_str() {
                assert!(hit["sightings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|s| (s["t"].as_f64().unwrap() - t).abs() > 0.3));
            }
        }
    }
    // "More like this" on a stored track answers the same shape.
    let shown = get(state, &format!("/api/media/{id}")).await.json();
    let track = shown["tracks"][0]["id"].as_u64().unwrap();
    let r = post_json(state, "/api/search", &format!("{{\"sighting\": {track}}}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_search_shape(&r.json());
}

#[tokio::test]
async fn a_photo_finds_the_same_person_among_indexed_photos() {
    let state = &fixture().state;
    // A copy of an indexed photo (say, the one on the user's phone), boxed around the face as a
    // user would draw it.
    let photo = std::fs::read(eval(OBAMA2)).unwrap();
    let image = glint_media::load_image(&eval(OBAMA2), Default::default()).unwrap();
    let face = models().face_detector.detect(&image).unwrap()[0].bbox;
    let face_box = format!("{},{},{},{}", face.x.max(0.0), face.y.max(0.0), face.w, face.h);
    let r = post_form(
        state,
        "/api/search/photo",
        &[("image", Some("query.jpg"), &photo), ("box", None, face_box.as_bytes())],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", String::from_utf8_lossy(&r.body));
    let r = r.json();
    assert_search_shape(&r);
    assert_eq!(r["route"], "person", "{r}");
    let person = &r["groups"][0]["hits"];
    assert_eq!(person[0]["name"], "obama2.jpg", "{r}");
    assert_eq!(person[0]["kind"], "image");

    // Without a box, the whole photo is the query.
    let whole = post_form(state, "/api/search/photo", &[("image", Some("q.jpg"), &photo)]).await;
    assert_eq!(whole.status, StatusCode::OK, "{}", String::from_utf8_lossy(&whole.body));
    assert_search_shape(&whole.json());

    // The box may come first, in brackets; then the errors of a bad box or of bytes that are no image.
    let boxed = post_form(
        state,
        "/api/search/photo",
        &[("box", None, b"[0,0,200,200]"), ("image", Some("q.jpg"), &photo)],
    )
    .await;
    assert_eq!(boxed.status, StatusCode::OK, "{}", String::from_utf8_lossy(&boxed.body));
    post_form(
        state,
        "/api/search/photo",
        &[("image", Some("q.jpg"), &photo), ("box", None, b"nan,0,10,10")],
    )
    .await
    .assert_error(400, "bad_request");
    post_form(
        state,
        "/api/search/photo",
        &[("image", Some("q.jpg"), b"not an image at all")],
    )
    .await
    .assert_error(422, "bad_image");
    post_form(state, "/api/search/photo", &[("box", None, b"0,0,10,10")])
        .await
        .assert_error(400, "bad_request");
}

#[tokio::test]
async fn malformed_searches_are_400_never_500() {
    let state = &fixture().state;
    let (id, t, _) = carphone_face(state).await;
    let bad_boxes = [
        serde_json::json!([1, 2, 3]),
        serde_json::json!([1, 2, 3, 4, 5]),
        serde_json::json!([-1, 0, 50, 50]),
        serde_json::json!([0, 0, 50, -5]),
        serde_json::json!(["NaN", 0, 50, 50]),
        serde_json::json!([1e300, 0, 50, 50]),
        serde_json::json!("0,0,50,50"),
        serde_json::json!(null),
    ];
    for b in bad_boxes {
        let body = serde_json::json!({"video": id, "at": t, "box": b}).to_string();
        post_json(state, "/api/search", &body)
            .await
            .assert_error(400, "bad_request");
    }
    for body in [
        "{",
        "",
        "[]",
        r#"{"video": "abc"}"#,
        r#"{"media": "abc"}"#,
        r#"{"sighting": -4}"#,
        r#"{"sighting": "x"}"#,
        r#"{"video": "abc", "media": "abc", "box": [0,0,10,10]}"#,
        r#"{"colour": "red"}"#,
    ] {
        post_json(state, "/api/search", body)
            .await
            .assert_error(400, "bad_request");
    }
    // Well-formed but without area: nothing to search in (422, like a box off the frame).
    let flat = serde_json::json!({"video": id, "at": t, "box": [0, 0, 0, 50]}).to_string();
    post_json(state, "/api/search", &flat)
        .await
        .assert_error(422, "bad_query");
    let at = |at: f64| serde_json::json!({"video": id, "at": at, "box": [0, 0, 50, 50]}).to_string();
    post_json(state, "/api/search", &at(-3.0))
        .await
        .assert_error(400, "bad_request");
    // Well-formed, but outside the 176x144 frame: the searcher's own verdict.
    let outside = serde_json::json!({"video": id, "at": t, "box": [5000, 5000, 50, 50]}).to_string();
    post_json(state, "/api/search", &outside)
        .await
        .assert_error(422, "bad_query");
}

#[tokio::test]
async fn unknown_ids_are_404() {
    let state = &fixture().state;
    for uri in [
        "/api/media/0123456789abcdef",
        "/api/media/not-an-id",
        "/api/media/0123456789abcdef/file",
        "/api/media/0123456789abcdef/thumb",
        "/api/media/0123456789abcdef/frame?t=1",
        "/api/media/0123456789abcdef/hotspots?t=1",
    ] {
        get(state, uri).await.assert_error(404, "unknown_media");
    }
    get(state, "/api/tracks/987654321/thumb")
        .await
        .assert_error(404, "unknown_sighting");
    get(state, "/api/tracks/abc/thumb")
        .await
        .assert_error(400, "bad_request");
    get(state, "/api/jobs/987654321").await.assert_error(404, "unknown_job");
    get(state, "/api/nothing/here").await.assert_error(404, "no_route");
    delete_as(state, "/api/media/0123456789abcdef", Some(&writer(state)))
        .await
        .assert_error(404, "unknown_media");
    let video = serde_json::json!({"video": "0123456789abcdef", "at": 1.0, "box": [0, 0, 50, 50]}).to_string();
    post_json(state, "/api/search", &video)
        .await
        .assert_error(404, "unknown_media");
    post_json(state, "/api/search", r#"{"sighting": 987654321}"#)
        .await
        .assert_error(404, "unknown_sighting");
}

#[tokio::test]
async fn an_upload_over_the_limit_is_413_and_leaves_nothing() {
    let (dir, state) = empty_state(ServerConfig {
        max_upload_bytes: 1024,
        ..ServerConfig::default()
    });
    let secret = writer(&state);
    let token = Some(secret.as_str());
    let big = vec![7u8; 4096];
    let r = post_form_as(&state, "/api/media", &[("file", Some("big.mp4"), &big)], token).await;
    r.assert_error(413, "too_large");
    // Just over the limit, within what the multipart framing allowance lets through.
    let over = vec![7u8; 1025];
    post_form_as(&state, "/api/media", &[("file", Some("a.mp4"), &over)], token)
        .await
        .assert_error(413, "too_large");
    assert_eq!(std::fs::read_dir(dir.path().join("uploads")).unwrap().count(), 0);
    assert_eq!(get(&state, "/api/jobs").await.json()["total"], 0);
    post_form_as(&state, "/api/media", &[("other", None, b"x")], token)
        .await
        .assert_error(400, "bad_request");
    let request = Request::post("/api/media")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {secret}"))
        .body(Body::from("{}"))
        .unwrap();
    call(&state, request).await.assert_error(400, "bad_request");
}

#[tokio::test]
async fn an_uploaded_photo_is_ingested_in_the_background_then_deleted() {
    let (dir, state) = empty_state(ServerConfig::default());
    let token = writer(&state);
    let token = Some(token.as_str());
    let photo = std::fs::read(eval(OBAMA)).unwrap();
    let r = post_form_as(
        &state,
        "/api/media",
        &[("file", Some("../../secret/My Photo.JPG"), &photo)],
        token,
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", String::from_utf8_lossy(&r.body));
    let job_id = r.json()["job_id"].as_i64().unwrap();
    let job = loop_until_done(&state, job_id).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["outcome"], "ingested", "{job}");
    let media = get(&state, "/api/media").await.json();
    let m = &media["results"][0];
    assert_eq!(m["name"], "My_Photo.jpg", "{m}");
    assert_eq!(m["uploaded"], true);
    let kept: Vec<_> = std::fs::read_dir(dir.path().join("uploads"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let path = kept[0].clone();
    assert!(path.to_string_lossy().ends_with("--My_Photo.jpg"), "{}", path.display());
    let jobs = get(&state, "/api/jobs").await.json();
    assert!(jobs["results"][0]["progress"] == 1.0, "{jobs}");
    assert_eq!(jobs["results"][0]["name"], "My_Photo.jpg", "{jobs}");
    assert!(jobs["results"][0].get("path").is_none(), "{jobs}");

    // The same bytes again: skipped, and the duplicate upload is not kept.
    let again = post_form_as(&state, "/api/media", &[("file", Some("copy.jpg"), &photo)], token)
        .await
        .json();
    let job = loop_until_done(&state, again["job_id"].as_i64().unwrap()).await;
    assert_eq!(job["outcome"], "skipped", "{job}");
    assert_eq!(std::fs::read_dir(dir.path().join("uploads")).unwrap().count(), 1);

    let id = m["id"].as_str().unwrap();
    let r = delete_as(&state, &format!("/api/media/{id}"), token).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(!path.exists(), "the uploaded file goes with its media");
    get(&state, &format!("/api/media/{id}"))
        .await
        .assert_error(404, "unknown_media");
}

async fn loop_until_done(state: &glint_server::AppState, job_id: i64) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    loop {
        let job = get(state, &format!("/api/jobs/{job_id}")).await.json();
        if job["state"] == "done" || job["state"] == "failed" {
            return job;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "job {job_id} did not finish: {job}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_ui_is_served_from_the_binary() {
    let state = &fixture().state;
    let index = get(state, "/").await;
    assert_eq!(index.status, StatusCode::OK);
    assert!(index.header("content-type").starts_with("text/html"));
    let html = String::from_utf8_lossy(&index.body);
    for asset in ["/assets/app.js", "/assets/style.css"] {
        assert!(html.contains(asset), "index links {asset}");
        assert_eq!(get(state, asset).await.status, StatusCode::OK);
    }
}

/// Issue 17: jobs can be cancelled while queued (the upload goes too) and removed once
/// finished, never while running.
#[tokio::test]
async fn issue17_jobs_are_cancelled_or_removed_but_not_while_running() {
    // No ingest thread here: uploads stay queued until a worker claims them.
    let (_dir, state) = empty_state(ServerConfig {
        ingest_worker: false,
        ..ServerConfig::default()
    });
    let secret = writer(&state);
    let photo = std::fs::read(eval(OBAMA)).unwrap();
    let upload = |name: &'static str| {
        let (state, secret, photo) = (state.clone(), secret.clone(), photo.clone());
        async move {
            let r = post_form_as(&state, "/api/media", &[("file", Some(name), &photo)], Some(&secret)).await;
            assert_eq!(r.status, StatusCode::ACCEPTED, "{}", String::from_utf8_lossy(&r.body));
            r.json()["job_id"].as_i64().unwrap()
        }
    };
    let (first, second) = (upload("a.jpg").await, upload("b.jpg").await);
    let queued_file = state.store().catalog.job(first).unwrap().unwrap().path;
    assert!(std::path::Path::new(&queued_file).is_file());

    // Writing needs the write scope.
    delete_as(&state, &format!("/api/jobs/{first}"), None)
        .await
        .assert_error(401, "unauthorized");
    let cancelled = delete_as(&state, &format!("/api/jobs/{first}"), Some(&secret)).await;
    assert_eq!(
        cancelled.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&cancelled.body)
    );
    assert_eq!(cancelled.json()["state"], "queued");
    assert!(
        !std::path::Path::new(&queued_file).exists(),
        "a cancelled upload leaves no file"
    );
    get(&state, &format!("/api/jobs/{first}"))
        .await
        .assert_error(404, "unknown_job");
    delete_as(&state, &format!("/api/jobs/{first}"), Some(&secret))
        .await
        .assert_error(404, "unknown_job");

    // A worker takes the second: it cannot be removed while it runs, and can once failed.
    let running = state
        .store()
        .catalog
        .claim_next_job("elsewhere", std::time::Duration::from_secs(60))
        .unwrap()
        .unwrap();
    assert_eq!(running.id, second);
    delete_as(&state, &format!("/api/jobs/{second}"), Some(&secret))
        .await
        .assert_error(409, "job_running");
    state.store().catalog.fail_job(second, "stopped by the test").unwrap();
    let removed = delete_as(&state, &format!("/api/jobs/{second}"), Some(&secret)).await;
    assert_eq!(removed.json()["state"], "failed");
    assert_eq!(get(&state, "/api/jobs").await.json()["total"], 0);
}

#[tokio::test]
async fn issue17_lists_are_paged_and_filtered() {
    let state = &fixture().state;
    let page = |q: &'static str| async move { get(state, &format!("/api/media?{q}")).await.json() };
    let all: Vec<Value> = page("").await["results"].as_array().unwrap().clone();
    // Pages walk the same order without gaps or repeats.
    let mut walked = Vec::new();
    for offset in [0, 3] {
        let p = get(state, &format!("/api/media?limit=3&offset={offset}")).await.json();
        assert_eq!(p["total"], 4, "{p}");
        walked.extend(p["results"].as_array().unwrap().iter().map(|m| m["id"].clone()));
    }
    assert_eq!(walked, all.iter().map(|m| m["id"].clone()).collect::<Vec<_>>());
    let totals = page("limit=0").await;
    assert_eq!(
        (totals["total"].clone(), totals["results"].as_array().unwrap().len()),
        (4.into(), 0)
    );
    let videos = page("kind=video").await;
    assert_eq!(videos["total"], 2, "{videos}");
    assert!(videos["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["kind"] == "video"));
    assert_eq!(page("kind=image").await["total"], 2);
    assert_eq!(page("scope=catalog").await["total"], 0, "no merchant images here");
    assert_eq!(page("scope=all").await["total"], 4);
    for bad in [
        "limit=-1",
        "limit=abc",
        "limit=100000",
        "offset=x",
        "kind=audio",
        "scope=everything",
    ] {
        get(state, &format!("/api/media?{bad}"))
            .await
            .assert_error(400, "bad_request");
    }
    let jobs = get(state, "/api/jobs?limit=1").await.json();
    assert!(jobs["results"].is_array() && jobs["total"].is_number(), "{jobs}");
}

#[tokio::test]
async fn issue17_answers_are_gzipped_but_media_bytes_are_not() {
    let state = &fixture().state;
    let gzip = |uri: String| async move {
        let request = Request::get(&uri)
            .header("accept-encoding", "gzip")
            .body(Body::empty())
            .unwrap();
        call(state, request).await
    };
    let doc = gzip("/api/openapi.json".into()).await;
    assert_eq!(doc.header("content-encoding"), "gzip");
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(doc.body.as_ref()), &mut text).unwrap();
    assert!(serde_json::from_str::<Value>(&text).unwrap()["paths"].is_object());
    let id = media_id(state, "bikes.mp4").await;
    let video = gzip(format!("/api/media/{id}/file")).await;
    assert_eq!(video.status, StatusCode::OK);
    assert_eq!(video.header("content-encoding"), "", "video bytes go as they are");
    assert_eq!(video.body.len(), std::fs::read(eval(BIKES)).unwrap().len());
}

#[tokio::test]
async fn issue17_cors_only_for_configured_origins() {
    let (_dir, state) = empty_state(ServerConfig {
        cors_origins: vec!["https://app.example".into()],
        ..ServerConfig::default()
    });
    let preflight = |origin: &'static str| {
        Request::builder()
            .method("OPTIONS")
            .uri("/api/media")
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .body(Body::empty())
            .unwrap()
    };
    let allowed = call(&state, preflight("https://app.example")).await;
    assert_eq!(allowed.header("access-control-allow-origin"), "https://app.example");
    let other = call(&state, preflight("https://evil.example")).await;
    assert_eq!(other.header("access-control-allow-origin"), "");
    // Without configured origins, no CORS headers at all.
    let plain = call(&fixture().state, preflight("https://app.example")).await;
    assert_eq!(plain.header("access-control-allow-origin"), "");
}
