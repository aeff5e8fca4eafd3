//! A box on a detected object (issue 18): the viewer dragged a square around a handbag; the
//! object detector sees the handbag there, with tighter edges than a hand draws. The item route
//! then also searches with the object's own region, described as ingest describes a detected
//! object (its crop encoded whole, with its colour), and — when ingest followed that object
//! through the video — with the mean of its track's stored views, as face search expands a face
//! with its track ([`crate::expansion`]). The object's class names what was searched ("handbag"),
//! and hits on object tracks say what they show.

use glint_media::RgbImage;
use glint_store::Store;
use glint_types::BBox;
use glint_vision::Models;
use serde::Serialize;

use crate::{expansion, Prepared, SearchError};

/// Overlap between the query box and a detected object at which the box is "on" the object: a
/// hand-drawn square around an object, or the object's hotspot tapped, overlaps it at least this
/// much, while a box around a whole table does not take the cup on it for the query.
const ON_OBJECT_IOU: f32 = 0.5;
/// A box covering at least this share of the picture is the picture itself (an uploaded photo
/// searched whole, a whole-frame box). An object the box is on would have to fill half of it;
/// its crop then shows what the whole-picture window already searches (measured on grocery
/// store photos, where half the queries are on a carton: the same recall either way), and the
/// detector would be the query's costliest model.
const WHOLE_PICTURE: f32 = 0.9;
/// Cosine similarity a stored view of the object's track needs to join the query: the
/// tracker's own bar for linking an object across frames.
const SAME_OBJECT_SIMILARITY: f32 = 0.7;

/// The detected object a search box was on.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QueryObject {
    /// The detector's class name, e.g. "handbag".
    pub label: String,
    /// The detector's score.
    pub score: f32,
    /// `[x, y, w, h]` in source pixels.
    #[serde(rename = "box")]
    #[schema(schema_with = glint_types::xywh_schema)]
    pub bbox: [f32; 4],
}

/// What the object adds to the item route's query.
pub(crate) struct ObjectQuery {
    pub object: QueryObject,
    /// The object's vector, expanded with its stored track when there is one.
    pub vector: Vec<f32>,
    /// The stored track ingest followed the object in (its sightings are the query itself).
    pub track: Option<u64>,
}

/// Whether the query box is the whole picture ([`WHOLE_PICTURE`]): no object is looked for.
pub(crate) fn on_whole_picture(prepared: &Prepared) -> bool {
    prepared.box_covers(WHOLE_PICTURE)
}

/// The detected object the query box is on, if any, described for the item route. `shrink`
/// brings a crop of `prepared.image` to the scale ingest described the source at.
pub(crate) fn describe(
    models: &Models,
    store: &Store,
    prepared: &Prepared,
    shrink: &(dyn Fn(RgbImage) -> RgbImage + Sync),
) -> Result<Option<ObjectQuery>, SearchError> {
    let Some(detector) = models.object_detector.as_deref() else {
        return Ok(None);
    };
    let image_box = prepared.image_box();
    let Some(found) = detector
        .detect(&prepared.image)?
        .into_iter()
        .map(|o| (o.bbox.iou(&image_box), o))
        .filter(|(iou, _)| *iou >= ON_OBJECT_IOU)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, o)| o)
    else {
        return Ok(None);
    };
    let (w, h) = (prepared.image.width() as f32, prepared.image.height() as f32);
    let Some(on_image) = found.bbox.clamp_to(w, h) else {
        return Ok(None);
    };
    let region = shrink(crate::route::crop(&prepared.image, &on_image));
    let vector = glint_describe::analyze::windows(models, &region)?.swap_remove(0).1;
    let source_box = on_image.scaled(1.0 / prepared.scale);
    let track = stored_track(prepared, found.label, &source_box);
    let vector = match track {
        Some(track) => expansion::expand(
            store,
            &glint_describe::item_space(models),
            &[track],
            &vector,
            SAME_OBJECT_SIMILARITY,
        )?,
        None => vector,
    };
    Ok(Some(ObjectQuery {
        object: QueryObject {
            label: found.label.to_string(),
            score: found.score,
            bbox: [source_box.x, source_box.y, source_box.w, source_box.h],
        },
        vector,
        track,
    }))
}

/// The stored object track at the queried moment (`Prepared::objects_here`) of this class that
/// overlaps `source_box` the most, at least [`ON_OBJECT_IOU`].
fn stored_track(prepared: &Prepared, label: &str, source_box: &BBox) -> Option<u64> {
    prepared
        .objects_here
        .iter()
        .filter(|o| o.label == label)
        .map(|o| (o.track, o.bbox.iou(source_box)))
        .filter(|(_, iou)| *iou >= ON_OBJECT_IOU)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(track, _)| track)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::{StoredObject, VideoMoment};

    fn prepared(objects_here: Vec<StoredObject>) -> Prepared<'static> {
        Prepared {
            image: std::borrow::Cow::Owned(RgbImage::new(64, 36)),
            scale: 0.1,
            source_size: (640, 360),
            video: Some(VideoMoment {
                media_id: "m".into(),
                t: 6.0,
                whole_frame_track: None,
            }),
            bbox: BBox::new(100.0, 100.0, 100.0, 100.0),
            own_tracks: HashSet::new(),
            own_media: None,
            objects_here,
        }
    }

    fn stored(track: u64, label: &str, x: f32) -> StoredObject {
        StoredObject {
            track,
            label: label.into(),
            bbox: BBox::new(x, 100.0, 100.0, 100.0),
        }
    }

    #[test]
    fn issue18_the_stored_track_is_the_same_class_overlapping_most() {
        let p = prepared(vec![
            stored(1, "person", 100.0), // the same place, another class
            stored(2, "handbag", 140.0),
            stored(3, "handbag", 110.0),
            stored(4, "handbag", 400.0),
        ]);
        let boxed = BBox::new(100.0, 100.0, 100.0, 100.0);
        assert_eq!(stored_track(&p, "handbag", &boxed), Some(3));
        assert_eq!(stored_track(&p, "person", &boxed), Some(1));
        // Overlapping less than half (IoU 0.43): not the object's track.
        assert_eq!(
            stored_track(&p, "handbag", &BBox::new(160.0, 100.0, 100.0, 100.0)),
            Some(2)
        );
        assert_eq!(
            stored_track(&p, "handbag", &BBox::new(220.0, 100.0, 100.0, 100.0)),
            None
        );
        assert_eq!(stored_track(&p, "cup", &boxed), None);
    }

    #[test]
    fn issue14_no_object_is_looked_for_on_the_whole_picture() {
        let mut p = prepared(Vec::new());
        assert!(!on_whole_picture(&p), "a 100x100 box on a 640x360 frame");
        p.bbox = BBox::new(0.0, 0.0, 640.0, 360.0);
        assert!(on_whole_picture(&p), "the whole frame");
        p.bbox = BBox::new(10.0, 5.0, 620.0, 350.0);
        assert!(on_whole_picture(&p), "all but a thin edge");
        p.bbox = BBox::new(0.0, 0.0, 480.0, 360.0);
        assert!(!on_whole_picture(&p), "three quarters of it");
    }
}
