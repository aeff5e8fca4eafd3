//! Routing: is there a face in the box (identity search), an item (appearance search), or both?

use std::borrow::Cow;

use glint_media::RgbImage;
use glint_types::BBox;
use glint_vision::{DetectOptions, Models};

use crate::SearchError;

/// A face covering less than this share of the box means the box holds more than the face
/// (a whole person, a person with a handbag): the item route runs too.
const FACE_SHARE_FOR_PERSON_ONLY: f32 = 0.25;
/// Context around the box in which the detector looks, so that a tight box around a face still
/// shows the detector a whole face.
const DETECT_MARGIN: f32 = 0.25;

pub(crate) struct Routes {
    /// The face in the box, when there is one.
    pub face: Option<BoxedFace>,
    pub item: bool,
}

/// The face the person route searches with.
pub(crate) struct BoxedFace {
    /// Its identity vector.
    pub vector: Vec<f32>,
    /// The detector's score of it: how sure it is that a whole, clear face is there (the person
    /// route's threshold depends on it, `Models::face_threshold_for`).
    pub detector_score: f32,
}

pub(crate) use glint_describe::analyze::crop;

/// The part of `image` inside `bbox`: the image itself when the box covers all of it (a whole
/// photo or frame is searched without copying it), else a copy of the part.
pub(crate) fn view<'a>(image: &'a RgbImage, bbox: &BBox) -> Cow<'a, RgbImage> {
    let whole = bbox.x < 1.0
        && bbox.y < 1.0
        && (bbox.x + bbox.w) as u32 >= image.width()
        && (bbox.y + bbox.h) as u32 >= image.height();
    match whole {
        true => Cow::Borrowed(image),
        false => Cow::Owned(crop(image, bbox)),
    }
}

/// `image` shrunk by `factor` (to at least 1x1 pixel); `None` when the factor does not shrink.
pub(crate) fn shrunk(image: &RgbImage, factor: f32) -> Option<RgbImage> {
    if factor >= 1.0 {
        return None;
    }
    let (w, h) = image.dimensions();
    let (nw, nh) = (
        ((w as f32 * factor).round() as u32).max(1),
        ((h as f32 * factor).round() as u32).max(1),
    );
    Some(glint_media::triangle_resize(image, nw, nh))
}

/// What the face detector found in the box, before any face is embedded: enough to know which
/// routes run, so that a face box never pays for the item description and an item box starts it
/// (and the object detector) as early as it can.
pub(crate) struct Plan<'a> {
    /// The face in the box and the context it was found in, when there is one.
    face: Option<(glint_types::Face, Cow<'a, RgbImage>)>,
    pub item: bool,
}

impl<'a> Plan<'a> {
    /// Detects the face in the box, if any (none is looked for when only the item route runs).
    pub fn detect(
        models: &Models,
        image: &'a RgbImage,
        bbox: &BBox,
        only: Option<crate::Route>,
    ) -> Result<Self, SearchError> {
        if only == Some(crate::Route::Item) {
            return Ok(Self { face: None, item: true });
        }
        let (w, h) = (image.width() as f32, image.height() as f32);
        let area = bbox.expand(DETECT_MARGIN).clamp_to(w, h).unwrap_or(*bbox);
        let context = view(image, &area);
        let local = BBox::new(bbox.x - area.x, bbox.y - area.y, bbox.w, bbox.h);
        let faces = models.face_detector.detect_with(&context, &DetectOptions::QUERY)?;
        let face = faces
            .into_iter()
            .filter(|f| {
                let c = f.bbox.center();
                c.x >= local.x && c.x <= local.right() && c.y >= local.y && c.y <= local.bottom()
            })
            .max_by(|a, b| a.bbox.area().total_cmp(&b.bbox.area()));
        let Some(face) = face else {
            return Ok(Self {
                face: None,
                item: only.is_none(),
            });
        };
        let share = face.bbox.intersection(&local) / local.area();
        Ok(Self {
            face: Some((face, context)),
            item: only.is_none() && share < FACE_SHARE_FOR_PERSON_ONLY,
        })
    }

    /// The routes, the face (if any) embedded.
    pub fn embed(self, models: &Models) -> Result<Routes, SearchError> {
        let face = match self.face {
            Some((face, context)) => {
                let vector = models
                    .face_embedder
                    .embed(&context, std::slice::from_ref(&face))?
                    .remove(0);
                Some(BoxedFace {
                    vector,
                    detector_score: face.score,
                })
            }
            None => None,
        };
        Ok(Routes { face, item: self.item })
    }
}

/// Vectors of a boxed region: the same windows (whole box first) that ingest stores for every
/// frame, so that an item filling only part of the box still meets the stored window that
/// frames it.
pub(crate) fn item_vectors(models: &Models, region: &RgbImage) -> Result<Vec<Vec<f32>>, SearchError> {
    Ok(glint_describe::analyze::windows(models, region)?
        .into_iter()
        .map(|(_, v)| v)
        .collect())
}
