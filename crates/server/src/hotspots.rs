//! Hotspots: the boxes on one frame that the UI offers as one-click searches. Faces and objects
//! come from the detectors run on the frame now (so every visible face and everyday object is
//! offered, indexed or not); an object carries its class name (`label`: "person", "handbag",
//! "bottle", ...). Only a models folder without an object detector falls back to the item
//! windows ingest stored at that moment, best first. A detected face or object that matches a
//! stored sighting carries that track's id, so the UI can search "more like this" directly.

use std::path::Path;

use serde::Serialize;

use glint_catalog::{MediaKind, MediaRecord, TrackKind, TrackRecord};
use glint_media::{load_image, DecodeLimits};
use glint_store::Store;
use glint_types::BBox;
use glint_vision::{DetectOptions, Models, ObjectDetector};

use crate::ApiError;

/// Item hotspots offered on one frame: more would hide the picture.
const MAX_ITEMS: usize = 4;
/// Object hotspots offered on one frame, best first.
const MAX_OBJECTS: usize = 8;
/// A detected face belongs to a stored face track whose box overlaps it this much.
const FACE_TRACK_IOU: f32 = 0.3;
/// A detected object belongs to a stored item track whose box overlaps it this much.
const OBJECT_TRACK_IOU: f32 = 0.5;
/// An item box larger than this share of the frame is not offered.
const MAX_ITEM_FRACTION: f32 = 0.5;
/// Face hotspots offered on one frame.
const MAX_FACES: usize = 12;
/// A stored sighting counts as "on screen at t" within this many seconds: just over half the
/// ingest sampling interval at the default 2 frames a second.
const SIGHTING_TOLERANCE_S: f64 = 0.3;
/// Frames are decoded at most this large for detection; boxes are scaled back to source pixels.
const DETECT_SIDE: u32 = 960;

/// A box worth searching on the frame.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Hotspot {
    pub kind: TrackKind,
    /// `[x, y, w, h]` in source pixels.
    #[serde(rename = "box")]
    #[schema(schema_with = glint_types::xywh_schema)]
    pub bbox: [f32; 4],
    pub score: f32,
    /// The stored track this box belongs to, when ingest indexed it.
    pub track: Option<u64>,
    /// What the object is, for detected objects: a COCO class name ("person", "bicycle",
    /// "handbag", ...). Absent for faces and for stored item windows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// The boxes worth searching on one frame: detected faces and the best indexed items.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Hotspots {
    /// The time of the decoded frame (videos), which may differ slightly from the one asked.
    pub t: Option<f64>,
    pub width: u32,
    pub height: u32,
    pub hotspots: Vec<Hotspot>,
}

/// Hotspots of `media` at `t` (ignored for images).
pub fn find(store: &Store, models: &Models, media: &MediaRecord, t: Option<f64>) -> Result<Hotspots, ApiError> {
    let path = Path::new(&media.path);
    let (image, scale, frame_t, (width, height)) = match media.kind {
        MediaKind::Image => {
            let image = load_image(path, DecodeLimits::default()).map_err(ApiError::internal)?;
            let size = image.dimensions();
            (image, 1.0, None, size)
        }
        MediaKind::Video => {
            // Without `t`, the first frame (as `/frame` does).
            let t = t.unwrap_or(0.0);
            // Through the cache (and the seek proxy, as search does): the search that follows on
            // this paused frame finds it decoded.
            let frame = glint_media::frame_at_via_proxy(path, &store.proxy_path(&media.id), t, DETECT_SIDE)
                .map_err(ApiError::internal)?;
            (frame.image, frame.scale, Some(frame.t), frame.source_size)
        }
    };
    let stored = on_screen(&store.catalog.tracks(&media.id)?, frame_t);
    let mut faces: Vec<Hotspot> = models
        .face_detector
        .detect_with(&image, &DetectOptions::PHOTO)
        .map_err(ApiError::internal)?
        .into_iter()
        .filter_map(|f| {
            let b = f
                .bbox
                .scaled(1.0 / scale as f32)
                .clamp_to(width as f32, height as f32)?;
            Some(Hotspot {
                kind: TrackKind::Face,
                bbox: [b.x, b.y, b.w, b.h],
                score: f.score,
                track: overlapping_track(&stored, TrackKind::Face, &b, FACE_TRACK_IOU),
                label: None,
            })
        })
        .collect();
    faces.sort_by(|a, b| (b.bbox[2] * b.bbox[3]).total_cmp(&(a.bbox[2] * a.bbox[3])));
    faces.truncate(MAX_FACES);
    let items = match models.object_detector.as_deref() {
        Some(detector) => objects(detector, &image, scale as f32, (width, height), &stored)?,
        None => stored_windows(&stored, &faces, (width, height)),
    };
    faces.extend(items);
    Ok(Hotspots {
        t: frame_t,
        width,
        height,
        hotspots: faces,
    })
}

/// The objects the detector finds on the frame (`scale` = frame pixels per source pixel), best
/// first, boxed in source pixels; each with the stored item track it coincides with, if any.
fn objects(
    detector: &dyn ObjectDetector,
    image: &glint_media::RgbImage,
    scale: f32,
    (width, height): (u32, u32),
    stored: &[OnScreen],
) -> Result<Vec<Hotspot>, ApiError> {
    let found = detector.detect(image).map_err(ApiError::internal)?;
    Ok(found
        .into_iter()
        .filter_map(|o| {
            let b = o.bbox.scaled(1.0 / scale).clamp_to(width as f32, height as f32)?;
            Some(Hotspot {
                kind: TrackKind::Item,
                bbox: [b.x, b.y, b.w, b.h],
                score: o.score,
                track: overlapping_track(stored, TrackKind::Item, &b, OBJECT_TRACK_IOU),
                label: Some(o.label.to_string()),
            })
        })
        .take(MAX_OBJECTS)
        .collect())
}

/// Without an object detector: the best stored item windows on screen, none crowding another
/// hotspot and none covering most of the frame.
fn stored_windows(stored: &[OnScreen], faces: &[Hotspot], (width, height): (u32, u32)) -> Vec<Hotspot> {
    let mut items: Vec<Hotspot> = stored
        .iter()
        .filter(|s| s.kind == TrackKind::Item)
        .map(|s| Hotspot {
            kind: TrackKind::Item,
            bbox: [s.bbox.x, s.bbox.y, s.bbox.w, s.bbox.h],
            score: s.score,
            track: Some(s.track),
            label: None,
        })
        .collect();
    items.sort_by(|a, b| b.score.total_cmp(&a.score));
    let frame_area = width as f32 * height as f32;
    let mut kept: Vec<Hotspot> = Vec::new();
    for item in items {
        let b = to_bbox(&item.bbox);
        // Item regions overlap heavily (ingest looks at overlapping windows); offer the best of
        // each cluster, none that is mostly a face already offered, and none that is most of
        // the frame (that is "search the whole frame", not a hotspot).
        let crowded = kept.iter().chain(faces).any(|k| {
            let o = to_bbox(&k.bbox);
            b.iou(&o) > 0.3 || b.intersection(&o) > 0.6 * b.area().min(o.area())
        });
        if !crowded && b.area() <= MAX_ITEM_FRACTION * frame_area {
            kept.push(item);
        }
        if kept.len() == MAX_ITEMS {
            break;
        }
    }
    kept
}

/// The stored track of `kind` on screen whose box overlaps `b` most, at least `min_iou`.
fn overlapping_track(stored: &[OnScreen], kind: TrackKind, b: &BBox, min_iou: f32) -> Option<u64> {
    stored
        .iter()
        .filter(|s| s.kind == kind)
        .map(|s| (s.track, s.bbox.iou(b)))
        .filter(|(_, iou)| *iou >= min_iou)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(id, _)| id)
}

fn to_bbox(b: &[f32; 4]) -> BBox {
    BBox::new(b[0], b[1], b[2], b[3])
}

/// A stored track on screen at the frame's time.
struct OnScreen {
    kind: TrackKind,
    track: u64,
    bbox: BBox,
    score: f32,
}

/// Each track's box on screen at `t`: the nearest sighting within the tolerance (every sighting
/// of an image).
fn on_screen(tracks: &[TrackRecord], t: Option<f64>) -> Vec<OnScreen> {
    tracks
        .iter()
        .filter_map(|track| {
            let nearest = track
                .sightings
                .iter()
                .filter_map(|s| match (s.t, t) {
                    (Some(st), Some(t)) => Some(((st - t).abs(), s.bbox)),
                    (None, _) => Some((0.0, s.bbox)),
                    (Some(_), None) => None,
                })
                .min_by(|a, b| a.0.total_cmp(&b.0))?;
            (nearest.0 <= SIGHTING_TOLERANCE_S).then_some(OnScreen {
                kind: track.kind,
                track: track.id,
                bbox: nearest.1,
                score: track.score,
            })
        })
        .collect()
}
