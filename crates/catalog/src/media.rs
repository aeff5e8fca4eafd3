//! Media, shots, tracks, sightings and vectors: written together, read for listing and search.

use std::collections::HashSet;

use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;

use glint_types::BBox;

use crate::{CatalogError, MediaCatalog, NewWord, SqliteCatalog};

/// A two-valued kind stored as text: the enum, its SQL text, and the parse back (the schema's
/// CHECK constraints guarantee only these texts are stored).
macro_rules! text_kind {
    ($(#[$doc:meta])* $name:ident { $first:ident = $first_text:literal, $second:ident = $second_text:literal }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $first,
            $second,
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self {
                    $name::$first => $first_text,
                    $name::$second => $second_text,
                }
            }

            pub fn parse(s: &str) -> Self {
                if s == $first_text {
                    $name::$first
                } else {
                    $name::$second
                }
            }
        }
    };
}

text_kind!(
    /// Whether a media is a video or a still image.
    MediaKind { Video = "video", Image = "image" }
);
text_kind!(
    /// Whether a track follows a face or an item region.
    TrackKind { Face = "face", Item = "item" }
);

/// Where a shot starts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Shot {
    pub start_s: f64,
    pub start_frame: u64,
}

/// Where a track was seen: the time (None for a still image) and the box in source pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Sighting {
    pub t: Option<f64>,
    pub bbox: BBox,
}

/// A track to be written: a face or item region followed through one shot.
#[derive(Debug, Clone)]
pub struct NewTrack {
    pub kind: TrackKind,
    pub shot_idx: u32,
    pub score: f32,
    /// What a detected object's track shows, as the detector names it ("handbag"); `None` for
    /// faces and the encoder's windows.
    pub label: Option<String>,
    pub sightings: Vec<Sighting>,
    /// Representative vectors, each in a named space (e.g. "face:dlib128").
    pub vectors: Vec<(String, Vec<f32>)>,
}

/// Everything one media file contributes to the catalog.
#[derive(Debug, Clone)]
pub struct NewMedia {
    pub sha256: String,
    pub path: String,
    pub kind: MediaKind,
    pub width: u32,
    pub height: u32,
    pub duration_s: Option<f64>,
    pub fps: Option<f64>,
    pub frames_sampled: u64,
    pub decode_errors: u64,
    pub shots: Vec<Shot>,
    pub tracks: Vec<NewTrack>,
    /// Searchable words seen in it (labels name tracks by their index in `tracks`).
    pub words: Vec<NewWord>,
}

/// A media file as the catalog knows it.
#[derive(Debug, Clone, Serialize)]
pub struct MediaRecord {
    pub id: String,
    pub sha256: String,
    pub path: String,
    pub kind: MediaKind,
    pub width: u32,
    pub height: u32,
    pub duration_s: Option<f64>,
    pub fps: Option<f64>,
    pub frames_sampled: u64,
    pub decode_errors: u64,
    /// Shot start times in seconds.
    pub shots: Vec<f64>,
    pub tracks: u64,
    pub face_tracks: u64,
    pub vectors: u64,
    pub added_at: i64,
}

/// A stored vector with the index id it carries.
#[derive(Debug, Clone)]
pub struct StoredVector {
    pub id: u64,
    pub space: String,
    pub data: Vec<f32>,
}

/// A stored track with its sightings, for search results and the UI.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Track)]
pub struct TrackRecord {
    pub id: u64,
    pub media_id: String,
    pub ordinal: u32,
    pub kind: TrackKind,
    pub shot_idx: u32,
    pub score: f32,
    /// The detector's class name of an object track ("handbag").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub sightings: Vec<Sighting>,
}

/// Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

pub fn f32s_to_blob(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub fn blob_to_f32s(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

const MEDIA_COLUMNS: &str = "m.id, m.uid, m.sha256, m.path, m.kind, m.width, m.height, m.duration_s, m.fps, \
     m.frames_sampled, m.decode_errors, m.added_at, \
     (SELECT COUNT(*) FROM tracks t WHERE t.media_id = m.id), \
     (SELECT COUNT(*) FROM tracks t WHERE t.media_id = m.id AND t.kind = 'face'), \
     (SELECT COUNT(*) FROM vectors v JOIN tracks t ON v.track_id = t.id WHERE t.media_id = m.id)";

impl MediaCatalog for SqliteCatalog {
    /// Writes a media file with all its shots, tracks, sightings and vectors in one transaction
    /// and returns its record and the stored vectors (with the ids the index must use).
    fn insert_media(&self, media: &NewMedia) -> Result<(MediaRecord, Vec<StoredVector>), CatalogError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let uid = &media.sha256[..16.min(media.sha256.len())];
        tx.execute(
            "INSERT INTO media (uid, sha256, path, kind, width, height, duration_s, fps, frames_sampled, \
             decode_errors, added_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                uid,
                media.sha256,
                media.path,
                media.kind.as_str(),
                media.width,
                media.height,
                media.duration_s,
                media.fps,
                media.frames_sampled,
                media.decode_errors,
                now()
            ],
        )?;
        let media_id = tx.last_insert_rowid();
        for (idx, shot) in media.shots.iter().enumerate() {
            tx.execute(
                "INSERT INTO shots (media_id, idx, start_s, start_frame) VALUES (?1, ?2, ?3, ?4)",
                params![media_id, idx as i64, shot.start_s, shot.start_frame as i64],
            )?;
        }
        let mut stored = Vec::new();
        let mut track_ids = Vec::with_capacity(media.tracks.len());
        {
            let mut track_stmt = tx.prepare(
                "INSERT INTO tracks (media_id, ordinal, kind, shot_idx, start_s, end_s, score, label) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            let mut sighting_stmt =
                tx.prepare("INSERT INTO sightings (track_id, t, x, y, w, h) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
            let mut vector_stmt = tx.prepare("INSERT INTO vectors (track_id, space, data) VALUES (?1, ?2, ?3)")?;
            for (ordinal, track) in media.tracks.iter().enumerate() {
                let start = track.sightings.iter().filter_map(|s| s.t).reduce(f64::min);
                let end = track.sightings.iter().filter_map(|s| s.t).reduce(f64::max);
                track_stmt.execute(params![
                    media_id,
                    ordinal as i64,
                    track.kind.as_str(),
                    track.shot_idx,
                    start,
                    end,
                    track.score,
                    track.label
                ])?;
                let track_id = tx.last_insert_rowid();
                track_ids.push(track_id);
                for s in &track.sightings {
                    sighting_stmt.execute(params![track_id, s.t, s.bbox.x, s.bbox.y, s.bbox.w, s.bbox.h])?;
                }
                for (space, data) in &track.vectors {
                    vector_stmt.execute(params![track_id, space, f32s_to_blob(data)])?;
                    stored.push(StoredVector {
                        id: tx.last_insert_rowid() as u64,
                        space: space.clone(),
                        data: data.clone(),
                    });
                }
            }
        }
        crate::words::insert_words(&tx, media_id, &track_ids, &media.words)?;
        tx.commit()?;
        drop(conn);
        let record = self
            .media(uid)?
            .ok_or_else(|| CatalogError::UnknownMedia(uid.to_string()))?;
        Ok((record, stored))
    }

    /// The media whose content hash is `sha256`, if indexed.
    fn media_by_sha256(&self, sha256: &str) -> Result<Option<String>, CatalogError> {
        Ok(self
            .conn()
            .query_row("SELECT uid FROM media WHERE sha256 = ?1", [sha256], |r| r.get(0))
            .optional()?)
    }

    /// One media by its public id.
    fn media(&self, uid: &str) -> Result<Option<MediaRecord>, CatalogError> {
        let conn = self.read();
        let sql = format!("SELECT {MEDIA_COLUMNS} FROM media m WHERE m.uid = ?1");
        // Cached statements: search looks up dozens of media and hundreds of tracks per query.
        let row = conn.prepare_cached(&sql)?.query_row([uid], media_row).optional()?;
        row.map(|(id, rec)| with_shots(&conn, id, rec)).transpose()
    }

    fn shots(&self, uid: &str) -> Result<Vec<Shot>, CatalogError> {
        let conn = self.read();
        let mut stmt = conn.prepare(
            "SELECT s.start_s, s.start_frame FROM shots s JOIN media m ON s.media_id = m.id WHERE m.uid = ?1 \
             ORDER BY s.idx",
        )?;
        let rows = stmt.query_map([uid], |r| {
            Ok(Shot {
                start_s: r.get(0)?,
                start_frame: r.get::<_, i64>(1)? as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every media, oldest first.
    fn list_media(&self) -> Result<Vec<MediaRecord>, CatalogError> {
        let conn = self.read();
        let sql = format!("SELECT {MEDIA_COLUMNS} FROM media m ORDER BY m.id");
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map([], media_row)?.collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().map(|(id, rec)| with_shots(&conn, id, rec)).collect()
    }

    /// Deletes a media and everything it contributed; returns the ids of its vectors so that
    /// the caller can drop them from the vector index.
    fn remove_media(&self, uid: &str) -> Result<Vec<(String, u64)>, CatalogError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let id: i64 = tx
            .query_row("SELECT id FROM media WHERE uid = ?1", [uid], |r| r.get(0))
            .optional()?
            .ok_or_else(|| CatalogError::UnknownMedia(uid.to_string()))?;
        let vectors = {
            let mut stmt = tx.prepare(
                "SELECT v.space, v.id FROM vectors v JOIN tracks t ON v.track_id = t.id WHERE t.media_id = ?1",
            )?;
            let rows = stmt.query_map([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)))?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        tx.execute("DELETE FROM media WHERE id = ?1", [id])?;
        tx.commit()?;
        Ok(vectors)
    }

    /// Calls `f` for every stored vector (to rebuild the vector index from the catalog).
    fn for_each_vector(&self, f: &mut dyn FnMut(StoredVector)) -> Result<(), CatalogError> {
        let conn = self.read();
        let mut stmt = conn.prepare("SELECT id, space, data FROM vectors ORDER BY id")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            f(StoredVector {
                id: r.get::<_, i64>(0)? as u64,
                space: r.get(1)?,
                data: blob_to_f32s(&r.get::<_, Vec<u8>>(2)?),
            });
        }
        Ok(())
    }

    /// Number of vectors per space, to check the vector index against the catalog.
    fn vector_counts(&self) -> Result<Vec<(String, u64)>, CatalogError> {
        let conn = self.read();
        let mut stmt = conn.prepare("SELECT space, COUNT(*) FROM vectors GROUP BY space ORDER BY space")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Ids of the vectors of the given media (by public id), e.g. to restrict a search.
    fn vector_ids_of_media(&self, uids: &[String]) -> Result<HashSet<u64>, CatalogError> {
        let conn = self.read();
        let mut stmt = conn.prepare(
            "SELECT v.id FROM vectors v JOIN tracks t ON v.track_id = t.id JOIN media m ON t.media_id = m.id \
             WHERE m.uid = ?1",
        )?;
        let mut out = std::collections::HashSet::new();
        for uid in uids {
            for id in stmt.query_map([uid], |r| r.get::<_, i64>(0))? {
                out.insert(id? as u64);
            }
        }
        Ok(out)
    }

    /// The track a vector belongs to, with its sightings in time order.
    fn track_of_vector(&self, vector_id: u64) -> Result<Option<TrackRecord>, CatalogError> {
        let track_id: Option<i64> = self
            .conn()
            .prepare_cached("SELECT track_id FROM vectors WHERE id = ?1")?
            .query_row([vector_id as i64], |r| r.get(0))
            .optional()?;
        match track_id {
            Some(id) => self.track(id as u64),
            None => Ok(None),
        }
    }

    /// One track with its sightings in time order.
    fn track(&self, track_id: u64) -> Result<Option<TrackRecord>, CatalogError> {
        let conn = self.read();
        let row = conn
            .prepare_cached(
                "SELECT t.id, m.uid, t.ordinal, t.kind, t.shot_idx, t.score, t.label FROM tracks t \
                 JOIN media m ON t.media_id = m.id WHERE t.id = ?1",
            )?
            .query_row([track_id as i64], track_row)
            .optional()?;
        let Some(row) = row else { return Ok(None) };
        let sightings = sightings(&conn, track_id as i64)?;
        Ok(Some(TrackRecord { sightings, ..row }))
    }

    /// Every track of a media with its sightings, in order of appearance.
    fn tracks(&self, uid: &str) -> Result<Vec<TrackRecord>, CatalogError> {
        let conn = self.read();
        let mut stmt = conn.prepare(
            "SELECT t.id, m.uid, t.ordinal, t.kind, t.shot_idx, t.score, t.label FROM tracks t \
             JOIN media m ON t.media_id = m.id WHERE m.uid = ?1 ORDER BY t.ordinal",
        )?;
        let rows = stmt.query_map([uid], track_row)?.collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|t| {
                Ok(TrackRecord {
                    sightings: sightings(&conn, t.id as i64)?,
                    ..t
                })
            })
            .collect()
    }

    /// The stored vectors of a track in one space (a face track may keep two views).
    fn track_vectors(&self, track_id: u64, space: &str) -> Result<Vec<Vec<f32>>, CatalogError> {
        let conn = self.read();
        let mut stmt = conn.prepare("SELECT data FROM vectors WHERE track_id = ?1 AND space = ?2 ORDER BY id")?;
        let rows = stmt.query_map(params![track_id as i64, space], |r| r.get::<_, Vec<u8>>(0))?;
        Ok(rows.map(|b| b.map(|b| blob_to_f32s(&b))).collect::<Result<_, _>>()?)
    }
}

fn track_row(r: &Row<'_>) -> rusqlite::Result<TrackRecord> {
    Ok(TrackRecord {
        id: r.get::<_, i64>(0)? as u64,
        media_id: r.get(1)?,
        ordinal: r.get(2)?,
        kind: TrackKind::parse(&r.get::<_, String>(3)?),
        shot_idx: r.get(4)?,
        score: r.get(5)?,
        label: r.get(6)?,
        sightings: Vec::new(),
    })
}

fn sightings(conn: &rusqlite::Connection, track_id: i64) -> Result<Vec<Sighting>, CatalogError> {
    let mut stmt = conn.prepare_cached("SELECT t, x, y, w, h FROM sightings WHERE track_id = ?1 ORDER BY t")?;
    let rows = stmt.query_map([track_id], |r| {
        Ok(Sighting {
            t: r.get(0)?,
            bbox: BBox::new(r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?),
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

fn media_row(r: &Row<'_>) -> rusqlite::Result<(i64, MediaRecord)> {
    Ok((
        r.get(0)?,
        MediaRecord {
            id: r.get(1)?,
            sha256: r.get(2)?,
            path: r.get(3)?,
            kind: MediaKind::parse(&r.get::<_, String>(4)?),
            width: r.get(5)?,
            height: r.get(6)?,
            duration_s: r.get(7)?,
            fps: r.get(8)?,
            frames_sampled: r.get::<_, i64>(9)? as u64,
            decode_errors: r.get::<_, i64>(10)? as u64,
            added_at: r.get(11)?,
            tracks: r.get::<_, i64>(12)? as u64,
            face_tracks: r.get::<_, i64>(13)? as u64,
            vectors: r.get::<_, i64>(14)? as u64,
            shots: Vec::new(),
        },
    ))
}

fn with_shots(conn: &rusqlite::Connection, id: i64, rec: MediaRecord) -> Result<MediaRecord, CatalogError> {
    let mut stmt = conn.prepare_cached("SELECT start_s FROM shots WHERE media_id = ?1 ORDER BY idx")?;
    let shots = stmt.query_map([id], |r| r.get(0))?.collect::<Result<Vec<f64>, _>>()?;
    Ok(MediaRecord { shots, ..rec })
}
