//! Face privacy in PostgreSQL: the opt-out registry (identity vectors as little-endian f32
//! `BYTEA`) and the face-search audit log.

use glint_catalog::backend::{blob_to_f32s, f32s_to_blob, now};
use glint_catalog::{CatalogError, FaceSearchLogEntry, OptOut, PrivacyCatalog};
use postgres::Row;

use super::{db, snapshot, PgCatalog};

const OPT_OUT_SELECT: &str = "SELECT o.id, o.created_at, o.note, \
     (SELECT COUNT(*) FROM opt_out_faces f WHERE f.opt_out_id = o.id) FROM opt_outs o";

fn opt_out_row(r: &Row) -> OptOut {
    OptOut {
        id: r.get(0),
        created_at: r.get(1),
        note: r.get(2),
        faces: r.get::<_, i64>(3) as u32,
    }
}

impl PrivacyCatalog for PgCatalog {
    fn add_opt_out(&self, faces: &[Vec<f32>], note: Option<&str>) -> Result<i64, CatalogError> {
        self.import_opt_out(now(), note, faces)
    }

    fn import_opt_out(&self, created_at: i64, note: Option<&str>, faces: &[Vec<f32>]) -> Result<i64, CatalogError> {
        if faces.is_empty() {
            return Err(CatalogError::EmptyOptOut);
        }
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(db)?;
        let id: i64 = tx
            .query_one(
                "INSERT INTO opt_outs (created_at, note) VALUES ($1, $2) RETURNING id",
                &[&created_at, &note],
            )
            .map_err(db)?
            .get(0);
        let stmt = tx
            .prepare("INSERT INTO opt_out_faces (opt_out_id, embedding) VALUES ($1, $2)")
            .map_err(db)?;
        for face in faces {
            tx.execute(&stmt, &[&id, &f32s_to_blob(face)]).map_err(db)?;
        }
        tx.commit().map_err(db)?;
        Ok(id)
    }

    fn list_opt_outs(&self) -> Result<Vec<OptOut>, CatalogError> {
        let rows = self
            .conn()?
            .query(&format!("{OPT_OUT_SELECT} ORDER BY o.id"), &[])
            .map_err(db)?;
        Ok(rows.iter().map(opt_out_row).collect())
    }

    fn export_opt_outs(&self) -> Result<Vec<(OptOut, Vec<Vec<f32>>)>, CatalogError> {
        let mut conn = self.conn()?;
        // One snapshot for the opt-outs and their faces.
        let mut tx = snapshot(&mut conn)?;
        let opt_outs: Vec<OptOut> = tx
            .query(&format!("{OPT_OUT_SELECT} ORDER BY o.id"), &[])
            .map_err(db)?
            .iter()
            .map(opt_out_row)
            .collect();
        let faces = tx
            .prepare("SELECT embedding FROM opt_out_faces WHERE opt_out_id = $1 ORDER BY id")
            .map_err(db)?;
        let mut out = Vec::with_capacity(opt_outs.len());
        for o in opt_outs {
            let vectors = tx
                .query(&faces, &[&o.id])
                .map_err(db)?
                .iter()
                .map(|r| blob_to_f32s(r.get::<_, &[u8]>(0)))
                .collect();
            out.push((o, vectors));
        }
        tx.commit().map_err(db)?;
        Ok(out)
    }

    fn import_face_search(&self, entry: &FaceSearchLogEntry) -> Result<(), CatalogError> {
        self.conn()?
            .execute(
                "INSERT INTO face_search_log (at, route, query_kind, results) VALUES ($1, $2, $3, $4)",
                &[&entry.at, &entry.route, &entry.query_kind, &i64::from(entry.results)],
            )
            .map_err(db)?;
        Ok(())
    }

    fn remove_opt_out(&self, id: i64) -> Result<(), CatalogError> {
        // The faces go by ON DELETE CASCADE, which PostgreSQL always enforces.
        let removed = self
            .conn()?
            .execute("DELETE FROM opt_outs WHERE id = $1", &[&id])
            .map_err(db)?;
        if removed == 0 {
            return Err(CatalogError::UnknownOptOut(id));
        }
        Ok(())
    }

    fn opt_out_faces(&self) -> Result<Vec<Vec<f32>>, CatalogError> {
        let rows = self
            .conn()?
            .query("SELECT embedding FROM opt_out_faces ORDER BY id", &[])
            .map_err(db)?;
        Ok(rows.iter().map(|r| blob_to_f32s(r.get::<_, &[u8]>(0))).collect())
    }

    fn log_face_search(&self, route: &str, query_kind: &str, results: u32) -> Result<(), CatalogError> {
        self.conn()?
            .execute(
                "INSERT INTO face_search_log (at, route, query_kind, results) VALUES ($1, $2, $3, $4)",
                &[&now(), &route, &query_kind, &i64::from(results)],
            )
            .map_err(db)?;
        Ok(())
    }

    fn face_search_log(&self, limit: usize) -> Result<Vec<FaceSearchLogEntry>, CatalogError> {
        // PostgreSQL refuses a negative LIMIT, so a limit past i64 means "all".
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .conn()?
            .query(
                "SELECT at, route, query_kind, results FROM face_search_log ORDER BY id DESC LIMIT $1",
                &[&limit],
            )
            .map_err(db)?;
        Ok(rows
            .iter()
            .map(|r| FaceSearchLogEntry {
                at: r.get(0),
                route: r.get(1),
                query_kind: r.get(2),
                results: r.get::<_, i64>(3) as u32,
            })
            .collect())
    }
}
