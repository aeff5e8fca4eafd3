//! Copying a library's media between backends without re-ingesting (`glint migrate`).
//!
//! Every media is rebuilt from what the source catalog holds (shots, tracks, sightings and each
//! track's vectors in every space) and committed to the target with [`Store::add_media`], so the
//! target indexes exactly the vectors the source searched. Media the target already holds (same
//! content hash) are left alone, which makes an interrupted copy resumable. The files
//! (thumbnails, proxies, keypoints) are copied when the two libraries use different folders.
//! At the end every source media is checked on the target: same tracks, same vectors.

use std::path::Path;

use glint_catalog::{NewMedia, NewTrack};

use crate::{Store, StoreError};

/// What a copy did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyReport {
    /// Media written to the target.
    pub copied: usize,
    /// Media the target held already.
    pub present: usize,
    /// Tracks and vectors of every source media, as found on the target after the copy.
    pub tracks: u64,
    pub vectors: u64,
}

/// A media whose copy does not match its source.
#[derive(Debug, thiserror::Error)]
#[error("media {uid}: the source has {want_tracks} tracks and {want_vectors} vectors, the target {got_tracks} and {got_vectors}")]
pub struct CopyMismatch {
    pub uid: String,
    pub want_tracks: u64,
    pub want_vectors: u64,
    pub got_tracks: u64,
    pub got_vectors: u64,
}

/// Copies every media of `from` into `to`; `progress(done, total)` after each.
pub fn copy_media(from: &Store, to: &Store, progress: &mut dyn FnMut(usize, usize)) -> Result<CopyReport, StoreError> {
    let spaces: Vec<String> = from.catalog.vector_counts()?.into_iter().map(|(s, _)| s).collect();
    let media = from.catalog.list_media()?;
    let mut report = CopyReport::default();
    for (done, m) in media.iter().enumerate() {
        if to.catalog.media_by_sha256(&m.sha256)?.is_some() {
            report.present += 1;
        } else {
            let mut tracks = Vec::new();
            for t in from.catalog.tracks(&m.id)? {
                let mut vectors = Vec::new();
                for space in &spaces {
                    for v in from.catalog.track_vectors(t.id, space)? {
                        vectors.push((space.clone(), v));
                    }
                }
                tracks.push(NewTrack {
                    kind: t.kind,
                    shot_idx: t.shot_idx,
                    score: t.score,
                    sightings: t.sightings,
                    vectors,
                });
            }
            let new = NewMedia {
                sha256: m.sha256.clone(),
                path: m.path.clone(),
                kind: m.kind,
                width: m.width,
                height: m.height,
                duration_s: m.duration_s,
                fps: m.fps,
                frames_sampled: m.frames_sampled,
                decode_errors: m.decode_errors,
                shots: from.catalog.shots(&m.id)?,
                tracks,
            };
            to.add_media(&new)?;
            copy_files(&from.thumbs_dir(&m.id), &to.thumbs_dir(&m.id))?;
            report.copied += 1;
        }
        progress(done + 1, media.len());
    }
    to.index.flush()?;
    for m in &media {
        let got = to.catalog.media(&m.id)?;
        let (got_tracks, got_vectors) = got.map_or((0, 0), |g| (g.tracks, g.vectors));
        if (got_tracks, got_vectors) != (m.tracks, m.vectors) {
            return Err(StoreError::Copy(CopyMismatch {
                uid: m.id.clone(),
                want_tracks: m.tracks,
                want_vectors: m.vectors,
                got_tracks,
                got_vectors,
            }));
        }
        report.tracks += got_tracks;
        report.vectors += got_vectors;
    }
    Ok(report)
}

/// Copies a media's folder of files unless both libraries use the same one.
fn copy_files(from: &Path, to: &Path) -> Result<(), StoreError> {
    if !from.is_dir() || same_place(from, to) {
        return Ok(());
    }
    let io = |path: &Path, source: std::io::Error| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(to).map_err(|e| io(to, e))?;
    for entry in std::fs::read_dir(from).map_err(|e| io(from, e))? {
        let entry = entry.map_err(|e| io(from, e))?;
        if entry.file_type().map_err(|e| io(&entry.path(), e))?.is_file() {
            let target = to.join(entry.file_name());
            std::fs::copy(entry.path(), &target).map_err(|e| io(&target, e))?;
        }
    }
    Ok(())
}

fn same_place(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
