//! Face privacy: the opt-out registry and the face-search audit log.
//!
//! An opt-out keeps the identity vectors of the photos a person submitted, not the photos: the
//! search enforces it on every query by comparing candidates with these vectors, so it covers
//! media indexed later too and needs no re-index. The log records every search that used the
//! person route, so an operator can answer "who searched faces, and what came back".

use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::media::{blob_to_f32s, f32s_to_blob, now};
use crate::{CatalogError, PrivacyCatalog, SqliteCatalog};

/// A registered opt-out (never with its vectors).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptOut {
    pub id: i64,
    /// Unix seconds.
    pub created_at: i64,
    pub note: Option<String>,
    /// How many face vectors it holds.
    pub faces: u32,
}

/// One search that used the person route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FaceSearchLogEntry {
    /// Unix seconds.
    pub at: i64,
    pub route: String,
    pub query_kind: String,
    /// Person hits returned (media).
    pub results: u32,
}

const OPT_OUT_SELECT: &str = "SELECT o.id, o.created_at, o.note, \
     (SELECT COUNT(*) FROM opt_out_faces f WHERE f.opt_out_id = o.id) FROM opt_outs o";

fn opt_out_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OptOut> {
    Ok(OptOut {
        id: r.get(0)?,
        created_at: r.get(1)?,
        note: r.get(2)?,
        faces: r.get(3)?,
    })
}

impl PrivacyCatalog for SqliteCatalog {
    /// Registers an opt-out with the identity vectors of the submitted faces; returns its id.
    fn add_opt_out(&self, faces: &[Vec<f32>], note: Option<&str>) -> Result<i64, CatalogError> {
        self.import_opt_out(now(), note, faces)
    }

    /// Every opt-out, oldest first.
    fn list_opt_outs(&self) -> Result<Vec<OptOut>, CatalogError> {
        let conn = self.read();
        let mut stmt = conn.prepare(&format!("{OPT_OUT_SELECT} ORDER BY o.id"))?;
        let rows = stmt.query_map([], opt_out_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Removes an opt-out and its vectors: that person's face is searchable again.
    fn remove_opt_out(&self, id: i64) -> Result<(), CatalogError> {
        let conn = self.conn();
        let found: Option<i64> = conn
            .query_row("SELECT id FROM opt_outs WHERE id = ?1", [id], |r| r.get(0))
            .optional()?;
        if found.is_none() {
            return Err(CatalogError::UnknownOptOut(id));
        }
        // Explicit, so that removal does not depend on the foreign_keys pragma of this connection.
        conn.execute("DELETE FROM opt_out_faces WHERE opt_out_id = ?1", [id])?;
        conn.execute("DELETE FROM opt_outs WHERE id = ?1", [id])?;
        Ok(())
    }

    /// The identity vectors of every opted-out face (what the person route must never return).
    fn opt_out_faces(&self) -> Result<Vec<Vec<f32>>, CatalogError> {
        let conn = self.read();
        let mut stmt = conn.prepare("SELECT embedding FROM opt_out_faces ORDER BY rowid")?;
        let rows = stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))?;
        Ok(rows.map(|b| b.map(|b| blob_to_f32s(&b))).collect::<Result<_, _>>()?)
    }

    /// Appends one face search to the audit log.
    fn log_face_search(&self, route: &str, query_kind: &str, results: u32) -> Result<(), CatalogError> {
        self.conn().execute(
            "INSERT INTO face_search_log (at, route, query_kind, results) VALUES (?1, ?2, ?3, ?4)",
            params![now(), route, query_kind, results],
        )?;
        Ok(())
    }

    /// The last `limit` face searches, newest first.
    fn face_search_log(&self, limit: usize) -> Result<Vec<FaceSearchLogEntry>, CatalogError> {
        let conn = self.read();
        let mut stmt =
            conn.prepare("SELECT at, route, query_kind, results FROM face_search_log ORDER BY id DESC LIMIT ?1")?;
        // `usize::MAX as i64` would be -1, which SQLite reads as "no limit" only by accident.
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map([limit], |r| {
            Ok(FaceSearchLogEntry {
                at: r.get(0)?,
                route: r.get(1)?,
                query_kind: r.get(2)?,
                results: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every opt-out with its faces, oldest first.
    fn export_opt_outs(&self) -> Result<Vec<(OptOut, Vec<Vec<f32>>)>, CatalogError> {
        let mut conn = self.read();
        // One read transaction: the opt-outs and their faces from the same snapshot.
        let tx = conn.transaction()?;
        let opt_outs = {
            let mut stmt = tx.prepare(&format!("{OPT_OUT_SELECT} ORDER BY o.id"))?;
            let rows = stmt.query_map([], opt_out_row)?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        let mut stmt = tx.prepare("SELECT embedding FROM opt_out_faces WHERE opt_out_id = ?1 ORDER BY rowid")?;
        let mut out = Vec::with_capacity(opt_outs.len());
        for o in opt_outs {
            let faces = stmt
                .query_map([o.id], |r| r.get::<_, Vec<u8>>(0))?
                .map(|b| b.map(|b| blob_to_f32s(&b)))
                .collect::<Result<Vec<_>, _>>()?;
            out.push((o, faces));
        }
        Ok(out)
    }

    /// Registers a copied opt-out, keeping its creation time; returns its new id.
    fn import_opt_out(&self, created_at: i64, note: Option<&str>, faces: &[Vec<f32>]) -> Result<i64, CatalogError> {
        if faces.is_empty() {
            return Err(CatalogError::EmptyOptOut);
        }
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO opt_outs (created_at, note) VALUES (?1, ?2)",
            params![created_at, note],
        )?;
        let id = tx.last_insert_rowid();
        for face in faces {
            tx.execute(
                "INSERT INTO opt_out_faces (opt_out_id, embedding) VALUES (?1, ?2)",
                params![id, f32s_to_blob(face)],
            )?;
        }
        tx.commit()?;
        Ok(id)
    }

    /// Appends a copied audit log entry, keeping its time.
    fn import_face_search(&self, entry: &FaceSearchLogEntry) -> Result<(), CatalogError> {
        self.conn().execute(
            "INSERT INTO face_search_log (at, route, query_kind, results) VALUES (?1, ?2, ?3, ?4)",
            params![entry.at, entry.route, entry.query_kind, entry.results],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_v2_catalog_is_migrated_in_place() {
        let dir = tempfile::tempdir().unwrap();
        {
            let conn = rusqlite::Connection::open(dir.path().join("catalog.sqlite3")).unwrap();
            conn.execute_batch(&format!(
                "BEGIN; {} {} PRAGMA user_version = 2; COMMIT;",
                crate::schema::SCHEMA_V1,
                crate::schema::SCHEMA_V2
            ))
            .unwrap();
        }
        let c = SqliteCatalog::open(dir.path()).unwrap();
        let version: i64 = c.conn().pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(version, crate::schema::VERSION);
        c.add_opt_out(&[vec![1.0]], None).unwrap();
        c.log_face_search("person", "image", 1).unwrap();
    }
}
