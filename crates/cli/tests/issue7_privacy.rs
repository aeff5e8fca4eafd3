//! Face-search privacy, through the `glint` binary on faces_deepface_tests: an opt-out from one
//! photo hides that person from every later face search (already indexed media included) while
//! other people stay findable; on video, a box on the opted-out face finds neither the person
//! nor the footage's copies; the `GLINT_FACES` switch turns face search or face indexing off.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use common::{eval, face_at, glint, json, media_id, media_list};

/// groundtruth.csv as identity → photo paths (relative to the dataset folder), in file order.
fn identities() -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(eval("faces_deepface_tests/groundtruth.csv")).unwrap();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let (path, group) = line.split_once(',').expect("path,group_id");
        out.entry(group.trim().to_string())
            .or_default()
            .push(path.trim().to_string());
    }
    out
}

/// Media ids of the indexed photos of one identity (a photo whose content duplicates another
/// file is indexed once, under that file, and has no id of its own here).
fn media_ids(data: &Path, photos: &[String]) -> HashSet<String> {
    let media = media_list(data);
    photos
        .iter()
        .filter_map(|p| {
            media
                .iter()
                .find(|m| m["path"].as_str().unwrap().ends_with(p.as_str()))
                .map(|m| m["id"].as_str().unwrap().to_string())
        })
        .collect()
}

fn photo(rel: &str) -> PathBuf {
    eval("faces_deepface_tests").join(rel)
}

fn search_image(data: &Path, file: &Path) -> Value {
    json(glint(data).arg("search").arg("--image").arg(file).arg("--json"))
}

/// Media ids in the person group of a response (none when the person route did not run).
fn person_hits(r: &Value) -> Vec<String> {
    r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["route"] == "person")
        .flat_map(|g| g["hits"].as_array().unwrap().iter())
        .map(|h| h["media_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn issue7_an_opt_out_hides_that_person_from_face_search_only() {
    let data = tempfile::tempdir().unwrap();
    json(
        glint(data.path())
            .args(["ingest", "--json"])
            .arg(eval("faces_deepface_tests")),
    );
    let ids = identities();
    // The identity with the most photos: one to opt out with, the rest to search with.
    let (target, photos) = ids.iter().max_by_key(|(_, p)| p.len()).unwrap();
    assert!(photos.len() >= 3, "{target} has too few photos");
    let target_media = media_ids(data.path(), photos);

    // Before: the target is findable by face, and so is some other person.
    let found_before = photos[1..]
        .iter()
        .filter(|p| {
            person_hits(&search_image(data.path(), &photo(p)))
                .iter()
                .any(|m| target_media.contains(m))
        })
        .count();
    assert!(found_before > 0, "{target} was not findable before the opt-out");
    let mut others = Vec::new(); // (query photo, its identity's media) that found its own person
    for (id, ps) in ids.iter().filter(|(id, ps)| *id != target && ps.len() >= 2) {
        let own = media_ids(data.path(), ps);
        for p in ps {
            if person_hits(&search_image(data.path(), &photo(p)))
                .iter()
                .any(|m| own.contains(m))
            {
                others.push((id.clone(), p.clone(), own.clone()));
                break;
            }
        }
        if others.len() >= 3 {
            break;
        }
    }
    assert!(!others.is_empty(), "no other identity was findable before the opt-out");

    // Opt out with ONE photo.
    let out = glint(data.path())
        .args(["optout", "add", "--note", "issue7"])
        .arg(photo(&photos[0]))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let opt_id: i64 = String::from_utf8_lossy(&out.stdout).trim().parse().expect("the id");
    let listed = json(glint(data.path()).args(["optout", "list", "--json"]));
    assert_eq!(listed[0]["id"], opt_id);

    // After: no other photo of the target finds any of the target's media.
    for p in &photos[1..] {
        let r = search_image(data.path(), &photo(p));
        let leaked: Vec<_> = person_hits(&r)
            .into_iter()
            .filter(|m| target_media.contains(m))
            .collect();
        assert!(leaked.is_empty(), "{p} still finds {target}: {leaked:?}");
    }
    // Other people still find themselves.
    let still = others
        .iter()
        .filter(|(_, p, own)| {
            person_hits(&search_image(data.path(), &photo(p)))
                .iter()
                .any(|m| own.contains(m))
        })
        .count();
    assert_eq!(still, others.len(), "an opt-out must not hide other people");

    // Every person-route search was audited.
    let log = json(glint(data.path()).args(["audit", "--json", "--last", "1000"]));
    assert!(log.as_array().unwrap().len() >= photos.len() - 1);
    assert!(log[0]["route"].as_str().unwrap().contains("person"));

    // Removing the opt-out makes the target findable again.
    json(glint(data.path()).args(["optout", "list", "--json"]));
    let out = glint(data.path())
        .args(["optout", "rm", &opt_id.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(photos[1..]
        .iter()
        .any(|p| person_hits(&search_image(data.path(), &photo(p)))
            .iter()
            .any(|m| target_media.contains(m))));
}

/// The scenes of one composited video: (t_start, t_end, photo relative to faces_celeba_dev).
fn composited_scenes(video: &str) -> Vec<(f64, f64, String)> {
    let text = std::fs::read_to_string(eval("videos_composited_faces/scenes.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[0] == video)
        .map(|f| (f[2].parse().unwrap(), f[3].parse().unwrap(), f[5].to_string()))
        .collect()
}

/// Media ids listed as copies of the queried footage.
fn copies(r: &Value) -> Vec<String> {
    r["copies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["media_id"].as_str().unwrap().to_string())
        .collect()
}

/// On video, "Same footage" would show where the clip, and so the opted-out person, appears
/// again: a box on their face finds neither them nor the clip's copies, while another person's
/// face in the same clip still finds both. The clip is a slideshow of still shots, whose copies
/// were missed when the copy's best single frame was a shot's last (glint-search `copies`).
#[test]
fn issue7_an_opted_out_face_in_a_video_finds_no_person_and_no_copies() {
    let data = tempfile::tempdir().unwrap();
    let clip = eval("videos_composited_faces/videos/v000.mp4");
    // A repost: downscaled to half and compressed again.
    let repost = data.path().join("repost.mp4");
    let out = std::process::Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-i"])
        .arg(&clip)
        .args(["-vf", "scale=640:360", "-c:v", "libx264", "-crf", "30", "-an"])
        .arg(&repost)
        .output()
        .expect("the ffmpeg command (scripts/apt-packages.txt) runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    json(glint(data.path()).args(["ingest", "--json"]).arg(&clip).arg(&repost));
    let (clip_id, repost_id) = (media_id(data.path(), "v000.mp4"), media_id(data.path(), "repost.mp4"));
    let scenes = composited_scenes("v000.mp4");
    // A box on the face shown in `scene`, at the scene's middle.
    let ask = |scene: usize| {
        let (start, end, _) = &scenes[scene];
        let (t, bx) = face_at(data.path(), &clip_id, (start + end) / 2.0);
        assert!(t >= *start && t < *end, "no face in scene {scene} (nearest at {t} s)");
        json(glint(data.path()).args([
            "search",
            "--video",
            &clip_id,
            "--at",
            &t.to_string(),
            "--box",
            &bx,
            "--json",
        ]))
    };
    // The answer lists the repost both as a copy of the footage and as showing the person.
    let finds_repost = |r: &Value, when: &str| {
        assert!(copies(r).contains(&repost_id), "{when}: the repost is not a copy: {r}");
        assert!(
            person_hits(r).contains(&repost_id),
            "{when}: the person is not found: {r}"
        );
    };
    for scene in [0, 1] {
        finds_repost(&ask(scene), &format!("scene {scene} before the opt-out"));
    }

    // Opt out with the photo that scene 0 shows.
    let out = glint(data.path())
        .args(["optout", "add", "--note", "issue7 video"])
        .arg(eval("faces_celeba_dev").join(&scenes[0].2))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let hidden = ask(0);
    assert!(
        person_hits(&hidden).is_empty(),
        "the opted-out person is still found: {hidden}"
    );
    assert!(
        copies(&hidden).is_empty(),
        "copies still shown for an opted-out face: {hidden}"
    );
    assert_eq!(hidden["no_match"], true, "{hidden}");
    finds_repost(&ask(1), "another person's face after the opt-out");
}

#[test]
fn issue7_faces_switch_turns_face_search_and_face_indexing_off() {
    let ids = identities();
    let photos = &ids["deepface_id01"];
    let data = tempfile::tempdir().unwrap();
    let mut cmd = glint(data.path());
    cmd.args(["ingest", "--json"]);
    for p in &photos[..3] {
        cmd.arg(photo(p));
    }
    json(&mut cmd);
    let on = search_image(data.path(), &photo(&photos[3]));
    assert!(on["route"].as_str().unwrap().contains("person"), "{on}");

    // search-off: the same face box goes to the item route only, and nothing is audited.
    let before = json(glint(data.path()).args(["audit", "--json"]))
        .as_array()
        .unwrap()
        .len();
    let off = json(
        glint(data.path())
            .env("GLINT_FACES", "search-off")
            .arg("search")
            .arg("--image")
            .arg(photo(&photos[3]))
            .arg("--json"),
    );
    assert_eq!(off["route"], "item", "{off}");
    assert!(off["groups"].as_array().unwrap().iter().all(|g| g["route"] == "item"));
    let after = json(glint(data.path()).args(["audit", "--json"]))
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before, after);

    // off: ingest stores no face tracks.
    let dark = tempfile::tempdir().unwrap();
    let mut cmd = glint(dark.path());
    cmd.env("GLINT_FACES", "off").args(["ingest", "--json"]);
    for p in &photos[..3] {
        cmd.arg(photo(p));
    }
    json(&mut cmd);
    let media = media_list(dark.path());
    assert_eq!(media.len(), 3);
    assert!(media.iter().all(|m| m["face_tracks"] == 0), "{media:?}");
    assert!(
        media.iter().all(|m| m["tracks"].as_u64().unwrap() > 0),
        "items are still indexed"
    );
}
