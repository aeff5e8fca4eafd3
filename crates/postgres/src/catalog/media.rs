//! Media, shots, tracks, sightings and vectors in PostgreSQL. A media and everything it
//! contributes, its vectors' floats included (in their space tables), is one transaction.

use std::collections::{BTreeMap, HashSet};

use glint_catalog::backend::now;
use glint_catalog::{
    CatalogError, MediaCatalog, MediaKind, MediaRecord, NewMedia, Shot, Sighting, StoredVector, TrackKind, TrackRecord,
};
use glint_types::BBox;
use postgres::types::Type;
use postgres::Row;

use super::{db, words, PgCatalog};
use crate::vectors::{self, all_spaces, ensure_space};

const MEDIA_COLUMNS: &str = "m.id, m.uid, m.sha256, m.path, m.kind, m.width, m.height, m.duration_s, m.fps, \
     m.frames_sampled, m.decode_errors, m.added_at, \
     (SELECT COUNT(*) FROM tracks t WHERE t.media_id = m.id), \
     (SELECT COUNT(*) FROM tracks t WHERE t.media_id = m.id AND t.kind = 'face'), \
     (SELECT COUNT(*) FROM vectors v JOIN tracks t ON v.track_id = t.id WHERE t.media_id = m.id), \
     ARRAY(SELECT s.start_s FROM shots s WHERE s.media_id = m.id ORDER BY s.idx)";

/// A track with its sightings in time order, as aligned arrays: one round trip per track
/// (search looks up hundreds of tracks per query, and each round trip costs more than SQLite's
/// whole lookup).
const TRACK_COLUMNS: &str = "t.id, m.uid, t.ordinal, t.kind, t.shot_idx, t.score, t.label, \
     ARRAY(SELECT s.t FROM sightings s WHERE s.track_id = t.id ORDER BY s.t, s.ctid), \
     ARRAY(SELECT u.v FROM sightings s, LATERAL unnest(ARRAY[s.x, s.y, s.w, s.h]) WITH ORDINALITY AS u(v, k) \
           WHERE s.track_id = t.id ORDER BY s.t, s.ctid, u.k)";

fn index_error(e: glint_index::IndexError) -> CatalogError {
    CatalogError::Database(e.to_string())
}

impl MediaCatalog for PgCatalog {
    fn insert_media(&self, media: &NewMedia) -> Result<(MediaRecord, Vec<StoredVector>), CatalogError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(db)?;
        let uid = &media.sha256[..16.min(media.sha256.len())];
        let media_id: i64 = tx
            .query_one(
                "INSERT INTO media (uid, sha256, path, kind, width, height, duration_s, fps, frames_sampled, \
                 decode_errors, added_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                &[
                    &uid,
                    &media.sha256,
                    &media.path,
                    &media.kind.as_str(),
                    &i64::from(media.width),
                    &i64::from(media.height),
                    &media.duration_s,
                    &media.fps,
                    &(media.frames_sampled as i64),
                    &(media.decode_errors as i64),
                    &now(),
                ],
            )
            .map_err(db)?
            .get(0);
        let shot = tx
            .prepare("INSERT INTO shots (media_id, idx, start_s, start_frame) VALUES ($1, $2, $3, $4)")
            .map_err(db)?;
        for (idx, s) in media.shots.iter().enumerate() {
            tx.execute(&shot, &[&media_id, &(idx as i64), &s.start_s, &(s.start_frame as i64)])
                .map_err(db)?;
        }
        let track_stmt = tx
            .prepare(
                "INSERT INTO tracks (media_id, ordinal, kind, shot_idx, start_s, end_s, score, label) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .map_err(db)?;
        let sighting_stmt = tx
            .prepare("INSERT INTO sightings (track_id, t, x, y, w, h) VALUES ($1, $2, $3, $4, $5, $6)")
            .map_err(db)?;
        let vector_stmt = tx
            .prepare("INSERT INTO vectors (track_id, space) VALUES ($1, $2) RETURNING id")
            .map_err(db)?;
        let mut stored = Vec::new();
        // The stored id of each track in order: words name their track by its index.
        let mut track_ids = Vec::with_capacity(media.tracks.len());
        for (ordinal, track) in media.tracks.iter().enumerate() {
            let start = track.sightings.iter().filter_map(|s| s.t).reduce(f64::min);
            let end = track.sightings.iter().filter_map(|s| s.t).reduce(f64::max);
            let track_id: i64 = tx
                .query_one(
                    &track_stmt,
                    &[
                        &media_id,
                        &(ordinal as i64),
                        &track.kind.as_str(),
                        &i64::from(track.shot_idx),
                        &start,
                        &end,
                        &track.score,
                        &track.label,
                    ],
                )
                .map_err(db)?
                .get(0);
            track_ids.push(track_id);
            for s in &track.sightings {
                tx.execute(
                    &sighting_stmt,
                    &[&track_id, &s.t, &s.bbox.x, &s.bbox.y, &s.bbox.w, &s.bbox.h],
                )
                .map_err(db)?;
            }
            for (space, data) in &track.vectors {
                let id: i64 = tx.query_one(&vector_stmt, &[&track_id, space]).map_err(db)?.get(0);
                stored.push(StoredVector {
                    id: id as u64,
                    space: space.clone(),
                    data: data.clone(),
                });
            }
        }
        // In the same transaction: a word naming a track the media lacks fails the whole insert.
        words::insert_words(&mut tx, media_id, &track_ids, &media.words)?;
        // The floats, space by space, in the same transaction: catalog and index cannot part.
        let mut by_space: BTreeMap<&str, Vec<(i64, &[f32])>> = BTreeMap::new();
        for v in &stored {
            by_space.entry(&v.space).or_default().push((v.id as i64, &v.data));
        }
        for (space, rows) in by_space {
            let s = ensure_space(&mut tx, space, rows[0].1.len()).map_err(index_error)?;
            for (id, v) in &rows {
                glint_index::validate::vector_scale(space, s.dim, *id as u64, v).map_err(index_error)?;
            }
            vectors::write_rows(&mut tx, &s, &rows).map_err(db)?;
        }
        tx.commit().map_err(db)?;
        drop(conn);
        let record = self
            .media(uid)?
            .ok_or_else(|| CatalogError::UnknownMedia(uid.to_string()))?;
        Ok((record, stored))
    }

    fn media_by_sha256(&self, sha256: &str) -> Result<Option<String>, CatalogError> {
        let row = self
            .conn()?
            .query_opt("SELECT uid FROM media WHERE sha256 = $1", &[&sha256])
            .map_err(db)?;
        Ok(row.map(|r| r.get(0)))
    }

    fn media(&self, uid: &str) -> Result<Option<MediaRecord>, CatalogError> {
        let sql = format!("SELECT {MEDIA_COLUMNS} FROM media m WHERE m.uid = $1");
        // Typed: sent with its parameter types, so no separate prepare round trip.
        let row = self.conn()?.query_typed_opt(&sql, &[(&uid, Type::TEXT)]).map_err(db)?;
        Ok(row.map(|r| media_row(&r)))
    }

    fn shots(&self, uid: &str) -> Result<Vec<Shot>, CatalogError> {
        let rows = self
            .conn()?
            .query(
                "SELECT s.start_s, s.start_frame FROM shots s JOIN media m ON s.media_id = m.id WHERE m.uid = $1 \
                 ORDER BY s.idx",
                &[&uid],
            )
            .map_err(db)?;
        Ok(rows
            .iter()
            .map(|r| Shot {
                start_s: r.get(0),
                start_frame: r.get::<_, i64>(1) as u64,
            })
            .collect())
    }

    fn list_media(&self) -> Result<Vec<MediaRecord>, CatalogError> {
        let sql = format!("SELECT {MEDIA_COLUMNS} FROM media m ORDER BY m.id");
        let rows = self.conn()?.query(&sql, &[]).map_err(db)?;
        Ok(rows.iter().map(media_row).collect())
    }

    fn remove_media(&self, uid: &str) -> Result<Vec<(String, u64)>, CatalogError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(db)?;
        let id: i64 = tx
            .query_opt("SELECT id FROM media WHERE uid = $1 FOR UPDATE", &[&uid])
            .map_err(db)?
            .ok_or_else(|| CatalogError::UnknownMedia(uid.to_string()))?
            .get(0);
        let vectors: Vec<(String, u64)> = tx
            .query(
                "SELECT v.space, v.id FROM vectors v JOIN tracks t ON v.track_id = t.id WHERE t.media_id = $1 \
                 ORDER BY v.id",
                &[&id],
            )
            .map_err(db)?
            .iter()
            .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1) as u64))
            .collect();
        let spaces = all_spaces(&mut tx).map_err(db)?;
        let mut by_space: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
        for (space, vid) in &vectors {
            by_space.entry(space).or_default().push(*vid as i64);
        }
        for (space, ids) in by_space {
            if let Some(s) = spaces.get(space) {
                vectors::delete_rows(&mut tx, s, &ids).map_err(db)?;
            }
        }
        tx.execute("DELETE FROM media WHERE id = $1", &[&id]).map_err(db)?;
        tx.commit().map_err(db)?;
        Ok(vectors)
    }

    fn for_each_vector(&self, f: &mut dyn FnMut(StoredVector)) -> Result<(), CatalogError> {
        let mut conn = self.conn()?;
        let spaces = all_spaces(&mut *conn).map_err(db)?;
        // Space by space in id order, in pages, so a million vectors never sit in memory at once.
        let mut names: Vec<&String> = spaces.keys().collect();
        names.sort();
        for name in names {
            let s = &spaces[name];
            let mut after = i64::MIN;
            loop {
                let rows = conn
                    .query(
                        &format!(
                            "SELECT e.id, e.embedding FROM {} e JOIN vectors v ON v.id = e.id \
                             WHERE e.id > $1 ORDER BY e.id LIMIT 10000",
                            s.table
                        ),
                        &[&after],
                    )
                    .map_err(db)?;
                let Some(last) = rows.last() else { break };
                after = last.get(0);
                for r in &rows {
                    f(StoredVector {
                        id: r.get::<_, i64>(0) as u64,
                        space: name.clone(),
                        data: r.get::<_, pgvector::Vector>(1).to_vec(),
                    });
                }
            }
        }
        Ok(())
    }

    fn vector_counts(&self) -> Result<Vec<(String, u64)>, CatalogError> {
        let rows = self
            .conn()?
            .query("SELECT space, COUNT(*) FROM vectors GROUP BY space ORDER BY space", &[])
            .map_err(db)?;
        Ok(rows.iter().map(|r| (r.get(0), r.get::<_, i64>(1) as u64)).collect())
    }

    fn vector_ids_of_media(&self, uids: &[String]) -> Result<HashSet<u64>, CatalogError> {
        let rows = self
            .conn()?
            .query(
                "SELECT v.id FROM vectors v JOIN tracks t ON v.track_id = t.id JOIN media m ON t.media_id = m.id \
                 WHERE m.uid = ANY($1)",
                &[&uids],
            )
            .map_err(db)?;
        Ok(rows.iter().map(|r| r.get::<_, i64>(0) as u64).collect())
    }

    fn track_of_vector(&self, vector_id: u64) -> Result<Option<TrackRecord>, CatalogError> {
        let sql = format!(
            "SELECT {TRACK_COLUMNS} FROM vectors v JOIN tracks t ON v.track_id = t.id \
             JOIN media m ON t.media_id = m.id WHERE v.id = $1"
        );
        let row = self
            .conn()?
            .query_typed_opt(&sql, &[(&(vector_id as i64), Type::INT8)])
            .map_err(db)?;
        Ok(row.map(|r| track_row(&r)))
    }

    fn tracks_of_vectors(&self, vector_ids: &[u64]) -> Result<Vec<Option<TrackRecord>>, CatalogError> {
        let ids: Vec<i64> = vector_ids.iter().map(|&id| id as i64).collect();
        let sql = format!(
            "SELECT v.id, {TRACK_COLUMNS} FROM vectors v JOIN tracks t ON v.track_id = t.id \
             JOIN media m ON t.media_id = m.id WHERE v.id = ANY($1)"
        );
        let rows = self
            .conn()?
            .query_typed(&sql, &[(&ids, Type::INT8_ARRAY)])
            .map_err(db)?;
        // Keyed by vector id: each vector has one track (two views of a face are two rows).
        let mut found: std::collections::HashMap<i64, TrackRecord> =
            rows.iter().map(|r| (r.get::<_, i64>(0), track_row_at(r, 1))).collect();
        Ok(ids.iter().map(|id| found.remove(id)).collect())
    }

    fn track(&self, track_id: u64) -> Result<Option<TrackRecord>, CatalogError> {
        let sql = format!("SELECT {TRACK_COLUMNS} FROM tracks t JOIN media m ON t.media_id = m.id WHERE t.id = $1");
        let row = self
            .conn()?
            .query_typed_opt(&sql, &[(&(track_id as i64), Type::INT8)])
            .map_err(db)?;
        Ok(row.map(|r| track_row(&r)))
    }

    fn tracks(&self, uid: &str) -> Result<Vec<TrackRecord>, CatalogError> {
        let sql = format!(
            "SELECT {TRACK_COLUMNS} FROM tracks t JOIN media m ON t.media_id = m.id WHERE m.uid = $1 ORDER BY t.ordinal"
        );
        let rows = self.conn()?.query(&sql, &[&uid]).map_err(db)?;
        Ok(rows.iter().map(track_row).collect())
    }

    fn track_vectors(&self, track_id: u64, space: &str) -> Result<Vec<Vec<f32>>, CatalogError> {
        let mut conn = self.conn()?;
        let ids: Vec<i64> = conn
            .query(
                "SELECT id FROM vectors WHERE track_id = $1 AND space = $2 ORDER BY id",
                &[&(track_id as i64), &space],
            )
            .map_err(db)?
            .iter()
            .map(|r| r.get(0))
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let spaces = all_spaces(&mut *conn).map_err(db)?;
        let Some(s) = spaces.get(space) else {
            return Ok(Vec::new());
        };
        Ok(vectors::read_rows(&mut *conn, s, &ids)
            .map_err(db)?
            .into_iter()
            .map(|(_, v)| v)
            .collect())
    }
}

fn media_row(r: &Row) -> MediaRecord {
    MediaRecord {
        id: r.get(1),
        sha256: r.get(2),
        path: r.get(3),
        kind: MediaKind::parse(r.get::<_, &str>(4)),
        width: r.get::<_, i64>(5) as u32,
        height: r.get::<_, i64>(6) as u32,
        duration_s: r.get(7),
        fps: r.get(8),
        frames_sampled: r.get::<_, i64>(9) as u64,
        decode_errors: r.get::<_, i64>(10) as u64,
        added_at: r.get(11),
        tracks: r.get::<_, i64>(12) as u64,
        face_tracks: r.get::<_, i64>(13) as u64,
        vectors: r.get::<_, i64>(14) as u64,
        shots: r.get(15),
    }
}

fn track_row(r: &Row) -> TrackRecord {
    track_row_at(r, 0)
}

/// A track from the [`TRACK_COLUMNS`] starting at column `at`.
fn track_row_at(r: &Row, at: usize) -> TrackRecord {
    TrackRecord {
        id: r.get::<_, i64>(at) as u64,
        media_id: r.get(at + 1),
        ordinal: r.get::<_, i64>(at + 2) as u32,
        kind: TrackKind::parse(r.get::<_, &str>(at + 3)),
        shot_idx: r.get::<_, i64>(at + 4) as u32,
        score: r.get(at + 5),
        label: r.get(at + 6),
        sightings: r
            .get::<_, Vec<Option<f64>>>(at + 7)
            .into_iter()
            .zip(r.get::<_, Vec<f32>>(at + 8).chunks_exact(4))
            .map(|(t, b)| Sighting {
                t,
                bbox: BBox::new(b[0], b[1], b[2], b[3]),
            })
            .collect(),
    }
}
