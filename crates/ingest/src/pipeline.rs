//! One file in, one committed media out: hash, decode, analyse sampled frames, track, write.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use glint_catalog::{MediaKind, MediaRecord, NewMedia};
use glint_media::{decode_image_bytes, RgbImage};
use glint_vision::{DetectOptions, Models};

use crate::analyze::{faces, items, objects, shrink, Observations};
use crate::local::{self, FrameFeatures};
use crate::tracker::{TrackOut, Tracker};
use crate::{face_space, item_space, IngestConfig, IngestError, Progress, Store};

/// Longest side of a media thumbnail.
pub(crate) const MEDIA_THUMB_SIDE: u32 = 320;

/// What happened to one file.
#[derive(Debug, Clone)]
pub enum Outcome {
    Ingested(MediaRecord),
    /// The same content is already indexed under this media id.
    Skipped(String),
}

/// SHA-256 of a file's content: the identity of a media file.
pub fn content_hash(path: &Path) -> Result<String, IngestError> {
    let mut file = std::fs::File::open(path).map_err(|e| IngestError::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|e| IngestError::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Whether the bytes start like an image format Glint decodes as a still (content, not name).
pub fn looks_like_image(path: &Path) -> Result<bool, IngestError> {
    let mut head = [0u8; 64];
    let mut file = std::fs::File::open(path).map_err(|e| IngestError::io(path, e))?;
    let n = file.read(&mut head).map_err(|e| IngestError::io(path, e))?;
    Ok(image::guess_format(&head[..n]).is_ok())
}

/// Analyses and commits one file. Skips content that is already indexed.
pub fn ingest_file(
    store: &Store,
    models: &Models,
    config: &IngestConfig,
    path: &Path,
    progress: &dyn Progress,
) -> Result<Outcome, IngestError> {
    if !path.is_file() {
        return Err(IngestError::NotAFile(path.to_path_buf()));
    }
    let sha256 = content_hash(path)?;
    if let Some(uid) = store.catalog.media_by_sha256(&sha256)? {
        return Ok(Outcome::Skipped(uid));
    }
    let uid = sha256[..16].to_string();
    let thumbs = store.thumbs_dir(&uid);
    std::fs::create_dir_all(&thumbs).map_err(|e| IngestError::io(&thumbs, e))?;
    let analysed = if looks_like_image(path)? {
        progress.media_started(path, None);
        analyse_image(models, config, path, &sha256)?
    } else {
        let proxy = config.seek_proxies.then(|| store.proxy_path(&uid));
        crate::video::analyse_video(models, config, path, &sha256, proxy, progress)?
    };
    // Thumbnails first: a crash after them but before the commit only leaves files that the
    // retry overwrites.
    save_thumbnails(&thumbs, &analysed.thumb, &analysed.tracks)?;
    if let Some(copy) = &analysed.photo_copy {
        glint_media::photo_copy::write_copy(copy, &store.photo_copy_path(&uid))?;
    }
    local::save(&store.local_features_path(&uid), &analysed.local)?;
    let mut media = analysed.media;
    media.words.extend(crate::words::label_words(
        models.image_classes.as_deref(),
        &analysed.tracks,
    ));
    media.tracks = analysed.tracks.into_iter().map(|t| t.track).collect();
    let record = match store.add_media(&media) {
        Ok((record, _)) => record,
        Err(e) => {
            // Another worker committed the same content while this one analysed it.
            return match store.catalog.media_by_sha256(&sha256)? {
                Some(uid) => Ok(Outcome::Skipped(uid)),
                None => Err(e.into()),
            };
        }
    };
    // No flush here: rewriting the index files after every file would cost O(corpus) per file.
    // The queue flushes periodically and at the end; a crash before that is repaired from the
    // catalog when the store is next opened.
    Ok(Outcome::Ingested(record))
}

pub(crate) struct Analysed {
    pub(crate) media: NewMedia,
    pub(crate) tracks: Vec<TrackOut>,
    pub(crate) thumb: RgbImage,
    pub(crate) local: Vec<FrameFeatures>,
    /// A photo slow to decode, at its analysis size, for queries on it (`glint_media::photo_copy`).
    pub(crate) photo_copy: Option<RgbImage>,
}

fn analyse_image(models: &Models, config: &IngestConfig, path: &Path, sha256: &str) -> Result<Analysed, IngestError> {
    let bytes = std::fs::read(path).map_err(|e| IngestError::io(path, e))?;
    let image = decode_image_bytes(&bytes, path, config.image_limits)?;
    let (width, height) = image.dimensions();
    let work = shrink(&image, glint_describe::PHOTO_ITEM_SIDE);
    let to_source = width as f32 / work.width() as f32;
    // Faces from the full image (the detector shrinks internally, the chip is cut sharp);
    // items from the working copy.
    let faces = if config.faces {
        faces(models, &image, 1.0, &DetectOptions::PHOTO)?
    } else {
        Vec::new()
    };
    let mut items = items(models, &work, to_source)?;
    if config.object_regions_every > 0 {
        items.extend(objects(models, &work, to_source)?);
    }
    let obs = Observations { faces, items };
    // Text is read on the working copy: on the store photos (348 px) it is the image itself,
    // and a larger photo's text is no smaller than Tesseract needs at 1600 px a side, where the
    // read costs a bounded time (docs/benchmarks.md).
    let words = match config.ocr {
        true => {
            let reader = crate::text_reader()?;
            let lines = reader.read(&work)?;
            crate::words::ocr_words(&lines, to_source, (width, height), None)
        }
        false => Vec::new(),
    };
    let local = vec![FrameFeatures {
        t: None,
        features: local::extract_frame(&work, to_source, local::PHOTO_KEYPOINTS)?,
    }];
    let mut tracker = Tracker::new(
        &face_space(models),
        &item_space(models),
        models.face_embedder.distances(),
    );
    tracker.push(None, obs, &work, to_source);
    Ok(Analysed {
        media: NewMedia {
            sha256: sha256.to_string(),
            path: path.display().to_string(),
            kind: MediaKind::Image,
            width,
            height,
            duration_s: None,
            fps: None,
            frames_sampled: 1,
            decode_errors: 0,
            shots: Vec::new(),
            tracks: Vec::new(),
            words,
        },
        tracks: tracker.finish(),
        thumb: shrink(&image, MEDIA_THUMB_SIDE),
        local,
        photo_copy: glint_media::photo_copy::worth_a_copy(&bytes, (width, height), glint_describe::PHOTO_ITEM_SIDE)
            .then_some(work),
    })
}

/// Tracks from which [`save_thumbnails`] encodes on two threads.
const THUMBS_ON_TWO_THREADS: usize = 8;

/// The media's thumbnail (`media.jpg`) and each track's (`t{ordinal}.jpg`) in `dir`. A video
/// has dozens of tracks, and encoding their JPEGs (~10 ms for a 5 s clip's 50) is the only work
/// left once it is analysed, so from [`THUMBS_ON_TWO_THREADS`] tracks on half of them are
/// encoded on a second thread.
fn save_thumbnails(dir: &Path, media: &RgbImage, tracks: &[TrackOut]) -> Result<(), IngestError> {
    let save_tracks = |from: usize, tracks: &[TrackOut]| {
        tracks
            .iter()
            .enumerate()
            .try_for_each(|(i, t)| save_jpeg(&t.thumb, &dir.join(format!("t{}.jpg", from + i))))
    };
    if tracks.len() < THUMBS_ON_TWO_THREADS {
        save_jpeg(media, &dir.join("media.jpg"))?;
        return save_tracks(0, tracks);
    }
    let half = tracks.len() / 2;
    let (first, second) = tracks.split_at(half);
    std::thread::scope(|scope| {
        let other = scope.spawn(|| save_tracks(half, second));
        let mine = save_jpeg(media, &dir.join("media.jpg")).and_then(|()| save_tracks(0, first));
        let theirs = other
            .join()
            .map_err(|_| IngestError::Internal("the thumbnail thread panicked".into()))?;
        mine.and(theirs)
    })
}

fn save_jpeg(image: &RgbImage, path: &Path) -> Result<(), IngestError> {
    let file = std::fs::File::create(path).map_err(|e| IngestError::io(path, e))?;
    let mut w = std::io::BufWriter::new(file);
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut w, 80)
        .encode_image(image)
        .map_err(|e| IngestError::io(path, std::io::Error::other(e)))
}
