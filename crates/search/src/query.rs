//! Turning a query into pixels and a box, and finding the tracks the box itself belongs to.

use std::borrow::Cow;
use std::collections::HashSet;

use glint_catalog::{MediaKind, MediaRecord, TrackKind, TrackRecord};
use glint_media::{decode_image_bytes, photo_copy, DecodeLimits, RgbImage};
use glint_store::Store;
use glint_types::BBox;

use crate::{Prepared, SearchError, StoredObject, VideoMoment};

/// What to search with.
#[derive(Debug, Clone)]
pub enum Query {
    /// An uploaded photo, optionally boxed.
    Image { image: RgbImage, bbox: Option<BBox> },
    /// A box on an indexed image, or on an indexed video at `at` seconds.
    Media { id: String, bbox: BBox, at: Option<f64> },
    /// "More like this": a stored sighting (track id), at its best moment.
    Sighting { track: u64 },
}

impl Query {
    /// What kind of query this is, as the face-search audit log records it.
    pub fn kind(&self) -> &'static str {
        match self {
            Query::Image { .. } => "image",
            Query::Media { .. } => "media",
            Query::Sighting { .. } => "sighting",
        }
    }
}

/// A query box must overlap the `w` x `h` frame; the part outside is cut off.
fn check_box(bbox: BBox, (w, h): (u32, u32)) -> Result<BBox, SearchError> {
    if !bbox.is_valid() {
        return Err(SearchError::BadQuery(format!(
            "box {},{},{},{} must have finite coordinates and a positive size",
            bbox.x, bbox.y, bbox.w, bbox.h
        )));
    }
    let (w, h) = (w as f32, h as f32);
    let clamped = bbox
        .clamp_to(w, h)
        .ok_or_else(|| SearchError::BadQuery(format!("box lies outside the {w}x{h} image")))?;
    if clamped.w < 8.0 || clamped.h < 8.0 {
        return Err(SearchError::BadQuery("box is smaller than 8x8 pixels".into()));
    }
    Ok(clamped)
}

pub(crate) fn prepare<'q>(store: &Store, query: &'q Query) -> Result<Prepared<'q>, SearchError> {
    match query {
        Query::Image { image, bbox } => {
            let full = BBox::new(0.0, 0.0, image.width() as f32, image.height() as f32);
            let bbox = check_box(bbox.unwrap_or(full), image.dimensions())?;
            let prepared = Prepared {
                // Borrowed: a 12-megapixel upload is not copied (~35 ms) to be searched.
                image: Cow::Borrowed(image),
                scale: 1.0,
                source_size: image.dimensions(),
                video: None,
                bbox,
                own_tracks: HashSet::new(),
                objects_here: Vec::new(),
                own_media: None,
            };
            Ok(at_analysis_size(prepared))
        }
        Query::Media { id, bbox, at } => media_query(store, id, *bbox, *at),
        Query::Sighting { track } => {
            let record = store
                .catalog
                .track(*track)?
                .ok_or(SearchError::UnknownSighting(*track))?;
            // The middle sighting: away from the edges of the track's time span.
            let s = record.sightings[record.sightings.len() / 2];
            media_query(store, &record.media_id, s.bbox, s.t)
        }
    }
}

fn media_query(store: &Store, id: &str, bbox: BBox, at: Option<f64>) -> Result<Prepared<'static>, SearchError> {
    let media = store
        .catalog
        .media(id)?
        .ok_or_else(|| SearchError::UnknownMedia(id.to_string()))?;
    let path = std::path::Path::new(&media.path);
    let (image, scale, source_size, t) = match media.kind {
        MediaKind::Image => {
            let (image, scale, size) = photo_pixels(store, &media)?;
            (image, scale, size, None)
        }
        MediaKind::Video => {
            let at = at.ok_or_else(|| SearchError::BadQuery("a video query needs a time (--at)".into()))?;
            if !at.is_finite() || at < 0.0 {
                return Err(SearchError::BadQuery(format!(
                    "time {at} is not a position in the video"
                )));
            }
            // Through the seek proxy ingest kept for a file slow to seek in: the frame then
            // comes at analysis size, which is all a query uses of it.
            let frame = glint_media::frame_at_via_proxy(path, &store.proxy_path(&media.id), at, 0)?;
            (frame.image, frame.scale as f32, frame.source_size, Some(frame.t))
        }
    };
    let bbox = check_box(bbox, source_size)?;
    // The query's own track(s): sightings at (about) this moment whose box is the query's, and
    // faces lying inside the box (a box drawn around a head and shoulders holds the face that
    // ingest embedded, perhaps from a sharper frame than the one decoded here).
    let tracks = store.catalog.tracks(id)?;
    let own_tracks = tracks
        .iter()
        .filter(|tr| {
            tr.sightings.iter().any(|s| {
                let same_time = match (s.t, t) {
                    (Some(a), Some(b)) => (a - b).abs() <= SAME_MOMENT_S,
                    _ => true,
                };
                let inside = tr.kind == TrackKind::Face && s.bbox.intersection(&bbox) >= 0.7 * s.bbox.area();
                same_time && (s.bbox.iou(&bbox) >= 0.3 || inside)
            })
        })
        .map(|tr| tr.id)
        .collect();
    let objects_here = match t {
        Some(t) => objects_at(&tracks, t),
        None => Vec::new(),
    };
    Ok(Prepared {
        video: t.map(|t| VideoMoment {
            media_id: media.id.clone(),
            t,
            whole_frame_track: crate::copies::whole_frame_track(&tracks, t, (media.width, media.height)),
        }),
        image: Cow::Owned(image),
        scale,
        source_size,
        bbox,
        own_tracks,
        objects_here,
        // An image has no other moments: the whole source is the query.
        own_media: (media.kind == MediaKind::Image).then(|| media.id.clone()),
    })
}

/// A box on most of an uploaded photo larger than the analysis size is searched on the photo
/// shrunk to that size, as a box on an indexed photo is (from its analysis copy, see
/// [`photo_pixels`]): the photo is shrunk once, and the face detector and the face's chips
/// work from 1,600 px instead of every pixel (on large photos the face route cost 85 ms of one
/// core from the full photo). A smaller box keeps the photo's own pixels: only the box is
/// shrunk then, which costs less than shrinking the photo.
fn at_analysis_size(prepared: Prepared<'_>) -> Prepared<'_> {
    let (w, h) = prepared.source_size;
    if w.max(h) <= glint_describe::PHOTO_ITEM_SIDE || !prepared.box_covers(crate::EARLY_DESCRIPTION_SHARE) {
        return prepared;
    }
    let work = glint_describe::analyze::shrink(&prepared.image, glint_describe::PHOTO_ITEM_SIDE);
    Prepared {
        scale: analysis_ratio(&work, prepared.source_size),
        image: Cow::Owned(work),
        ..prepared
    }
}

/// Pixels of `copy` per pixel of a photo of `size`, by the longer sides: the ratio
/// `glint_describe::photo_analysis_scale` gives, computed the same way, so that a copy at the
/// analysis size is not shrunk again.
fn analysis_ratio(copy: &RgbImage, size: (u32, u32)) -> f32 {
    copy.width().max(copy.height()) as f32 / size.0.max(size.1).max(1) as f32
}

/// A photo's pixels for a query on it, with their scale to the source and the source's size.
/// They come from the analysis copy ingest kept of a photo slow to decode, at the analysis size,
/// which is all a query uses of a photo (`glint_media::photo_copy`): ~6 ms instead of up to
/// ~200 ms for a large progressive JPEG. A photo indexed before copies were kept gets its copy
/// at its first query, so only that query decodes the original.
fn photo_pixels(store: &Store, media: &MediaRecord) -> Result<(RgbImage, f32, (u32, u32)), SearchError> {
    let copy_path = store.photo_copy_path(&media.id);
    let size = (media.width, media.height);
    if let Some(copy) = photo_copy::load_copy(&copy_path) {
        let scale = analysis_ratio(&copy, size);
        return Ok((copy, scale, size));
    }
    let path = std::path::Path::new(&media.path);
    let bytes = std::fs::read(path).map_err(|source| glint_media::MediaError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let original = decode_image_bytes(&bytes, path, DecodeLimits::default())?;
    // A file changed since it was indexed gets no copy: the copy stands for what ingest saw.
    if original.dimensions() != size || !photo_copy::worth_a_copy(&bytes, size, glint_describe::PHOTO_ITEM_SIDE) {
        let size = original.dimensions();
        return Ok((original, 1.0, size));
    }
    let copy = glint_describe::analyze::shrink(&original, glint_describe::PHOTO_ITEM_SIDE);
    if let Err(e) = photo_copy::write_copy(&copy, &copy_path) {
        tracing::debug!(media = %media.id, "no analysis copy kept: {e}");
    }
    let scale = analysis_ratio(&copy, size);
    Ok((copy, scale, size))
}

/// Within this many seconds of the queried moment, a stored sighting is at that moment.
const SAME_MOMENT_S: f64 = 0.3;

/// The detected objects ingest followed through the video that are in view at `t`: each object
/// track's sighting nearest `t`, if within [`SAME_MOMENT_S`].
fn objects_at(tracks: &[TrackRecord], t: f64) -> Vec<StoredObject> {
    tracks
        .iter()
        .filter_map(|tr| {
            let label = tr.label.clone()?;
            let nearest = tr
                .sightings
                .iter()
                .filter_map(|s| Some((s.t.map(|st| (st - t).abs())?, s.bbox)))
                .filter(|(dt, _)| *dt <= SAME_MOMENT_S)
                .min_by(|a, b| a.0.total_cmp(&b.0))?;
            Some(StoredObject {
                track: tr.id,
                label,
                bbox: nearest.1,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use glint_catalog::Sighting;

    use super::*;

    fn track(id: u64, label: Option<&str>, times: &[f64]) -> TrackRecord {
        TrackRecord {
            id,
            media_id: "m".into(),
            ordinal: id as u32,
            kind: TrackKind::Item,
            shot_idx: 0,
            score: 1.0,
            label: label.map(str::to_string),
            sightings: times
                .iter()
                .map(|&t| Sighting {
                    t: Some(t),
                    bbox: BBox::new(t as f32, 0.0, 10.0, 10.0),
                })
                .collect(),
        }
    }

    #[test]
    fn issue18_objects_in_view_are_labelled_tracks_seen_near_the_moment() {
        let tracks = [
            track(1, Some("handbag"), &[4.0, 5.9, 6.5]),
            track(2, None, &[6.0]),                // a window: no object
            track(3, Some("person"), &[2.0, 6.4]), // last seen 0.4 s away
            track(4, Some("cup"), &[6.2]),
        ];
        let here = objects_at(&tracks, 6.0);
        let found: Vec<(u64, &str, f32)> = here.iter().map(|o| (o.track, o.label.as_str(), o.bbox.x)).collect();
        // The handbag at its sighting nearest 6 s (5.9, not 6.5), the cup at 6.2.
        assert_eq!(found, vec![(1, "handbag", 5.9), (4, "cup", 6.2)]);
    }
}
