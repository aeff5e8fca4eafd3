//! A box on a detected object (issue 18): the viewer dragged a square around a handbag; the
//! object detector, shown a square around the box ([`AROUND_BOX`], at [`AROUND_BOX_SIDE`] px),
//! sees the handbag there, with tighter edges than a hand draws. The item route
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
/// The detector looks at a square around the box this many times the box's longer side (cut at
/// the picture's edges): the object the box is on overlaps the box by half or more, so it lies
/// within, with some context around it.
const AROUND_BOX: f32 = 1.5;
/// ... seen at this many pixels a side instead of the 512 a whole picture is squeezed into: the
/// object then spans 256 input pixels or more, and the detector costs a bit over half as much
/// (issue 14: it was an item box's costliest model, ~45 ms of one core at 512). Chosen on the
/// issue 18 boxes (coffee.png's cup, a man in chaplin.mp4): at 384 the labels and boxes are the
/// whole picture's (box IoU with the hand-drawn one 0.92 and 0.88, against 0.96 and 0.89);
/// at 320, or with twice the box's side, the cup's box lost its lower edge (IoU 0.85–0.90).
const AROUND_BOX_SIDE: usize = 384;
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
    let (w, h) = (prepared.image.width() as f32, prepared.image.height() as f32);
    let around = square_around(&image_box, w, h);
    let seen = crate::route::crop(&prepared.image, &around);
    let Some(found) = detector
        .detect_all_at(&seen, detector.threshold(), AROUND_BOX_SIDE)?
        .into_iter()
        .map(|mut o| {
            o.bbox.x += around.x;
            o.bbox.y += around.y;
            (o.bbox.iou(&image_box), o)
        })
        .filter(|(iou, _)| *iou >= ON_OBJECT_IOU)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, o)| o)
    else {
        return Ok(None);
    };
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

/// The square [`AROUND_BOX`] times `image_box`'s longer side around its centre, moved inside a
/// `w` x `h` picture and cut where the picture is smaller, on whole pixels (as
/// [`crate::route::crop`] cuts).
fn square_around(image_box: &BBox, w: f32, h: f32) -> BBox {
    let side = image_box.w.max(image_box.h) * AROUND_BOX;
    let (sw, sh) = (side.min(w).floor().max(1.0), side.min(h).floor().max(1.0));
    let c = image_box.center();
    let x = (c.x - sw / 2.0).clamp(0.0, (w - sw).max(0.0)).floor();
    let y = (c.y - sh / 2.0).clamp(0.0, (h - sh).max(0.0)).floor();
    BBox::new(x, y, sw, sh)
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
    fn issue14_the_detector_sees_a_square_around_the_box_inside_the_picture() {
        // One and a half times the longer side, centred on the box.
        let around = square_around(&BBox::new(300.0, 100.0, 60.0, 100.0), 640.0, 360.0);
        assert_eq!(around, BBox::new(255.0, 75.0, 150.0, 150.0));
        // Near an edge: moved inside, not cut.
        let around = square_around(&BBox::new(10.0, 310.0, 50.0, 50.0), 640.0, 360.0);
        assert_eq!(around, BBox::new(0.0, 285.0, 75.0, 75.0));
        // Larger than the picture's height: cut to it, on whole pixels.
        let around = square_around(&BBox::new(200.5, 20.0, 150.0, 300.0), 640.0, 360.0);
        assert_eq!(around, BBox::new(50.0, 0.0, 450.0, 360.0));
        for b in [BBox::new(0.0, 0.0, 1.0, 1.0), BBox::new(639.0, 359.0, 1.0, 1.0)] {
            let a = square_around(&b, 640.0, 360.0);
            assert!(
                a.x >= 0.0 && a.y >= 0.0 && a.right() <= 640.0 && a.bottom() <= 360.0,
                "{a:?}"
            );
            assert!(a.w >= 1.0 && a.h >= 1.0);
        }
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
