//! The durable ingest queue: one job per file, `queued -> running -> done | failed`.
//!
//! Jobs live in the catalog database, so a crash or a kill loses nothing: on the next start
//! [`Catalog::requeue_interrupted`] puts jobs that were running back in the queue, and since a
//! media file is committed in one transaction, redoing it cannot duplicate anything.

use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;

use crate::media::now;
use crate::{Catalog, CatalogError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Queued,
    Running,
    Done,
    Failed,
}

impl JobState {
    fn parse(s: &str) -> Self {
        match s {
            "running" => JobState::Running,
            "done" => JobState::Done,
            "failed" => JobState::Failed,
            _ => JobState::Queued,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Job {
    pub id: i64,
    pub path: String,
    pub state: JobState,
    /// `ingested` or `skipped` (content already indexed) once done.
    pub outcome: Option<String>,
    pub error: Option<String>,
    pub media_id: Option<String>,
    pub fps: f64,
    pub created_at: i64,
    pub updated_at: i64,
}

const JOB_COLUMNS: &str = "id, path, state, outcome, error, media_uid, fps, created_at, updated_at";

fn job_row(r: &Row<'_>) -> rusqlite::Result<Job> {
    Ok(Job {
        id: r.get(0)?,
        path: r.get(1)?,
        state: JobState::parse(&r.get::<_, String>(2)?),
        outcome: r.get(3)?,
        error: r.get(4)?,
        media_id: r.get(5)?,
        fps: r.get(6)?,
        created_at: r.get(7)?,
        updated_at: r.get(8)?,
    })
}

impl Catalog {
    /// Queues one job per path, in order; returns their ids.
    pub fn enqueue(&self, paths: &[String], fps: f64) -> Result<Vec<i64>, CatalogError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut ids = Vec::with_capacity(paths.len());
        {
            let mut stmt = tx.prepare(
                "INSERT INTO jobs (path, state, fps, created_at, updated_at) VALUES (?1, 'queued', ?2, ?3, ?3)",
            )?;
            let t = now();
            for p in paths {
                stmt.execute(params![p, fps, t])?;
                ids.push(tx.last_insert_rowid());
            }
        }
        tx.commit()?;
        Ok(ids)
    }

    /// Puts jobs left `running` by a crashed or killed process back in the queue.
    pub fn requeue_interrupted(&self) -> Result<usize, CatalogError> {
        Ok(self.conn().execute(
            "UPDATE jobs SET state = 'queued', updated_at = ?1 WHERE state = 'running'",
            [now()],
        )?)
    }

    /// Marks the oldest queued job running and returns it.
    pub fn claim_next_job(&self) -> Result<Option<Job>, CatalogError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE state = 'queued' ORDER BY id LIMIT 1");
        let job = tx.query_row(&sql, [], job_row).optional()?;
        if let Some(j) = &job {
            tx.execute(
                "UPDATE jobs SET state = 'running', updated_at = ?1 WHERE id = ?2",
                params![now(), j.id],
            )?;
        }
        tx.commit()?;
        Ok(job.map(|j| Job {
            state: JobState::Running,
            ..j
        }))
    }

    pub fn finish_job(&self, id: i64, outcome: &str, media_uid: &str) -> Result<(), CatalogError> {
        self.conn().execute(
            "UPDATE jobs SET state = 'done', outcome = ?1, media_uid = ?2, error = NULL, updated_at = ?3 \
             WHERE id = ?4",
            params![outcome, media_uid, now(), id],
        )?;
        Ok(())
    }

    pub fn fail_job(&self, id: i64, error: &str) -> Result<(), CatalogError> {
        self.conn().execute(
            "UPDATE jobs SET state = 'failed', error = ?1, updated_at = ?2 WHERE id = ?3",
            params![error, now(), id],
        )?;
        Ok(())
    }

    /// Every job, newest first.
    pub fn jobs(&self) -> Result<Vec<Job>, CatalogError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!("SELECT {JOB_COLUMNS} FROM jobs ORDER BY id DESC"))?;
        let rows = stmt.query_map([], job_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    pub fn job(&self, id: i64) -> Result<Option<Job>, CatalogError> {
        let conn = self.conn();
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?1");
        Ok(conn.query_row(&sql, [id], job_row).optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_flow_through_their_states_and_survive_a_crash() {
        let dir = tempfile::tempdir().unwrap();
        let c = Catalog::open(dir.path()).unwrap();
        let ids = c.enqueue(&["a.mp4".into(), "b.jpg".into()], 2.0).unwrap();
        let first = c.claim_next_job().unwrap().unwrap();
        assert_eq!((first.id, first.state), (ids[0], JobState::Running));
        drop(c); // "crash" with a job running
        let c = Catalog::open(dir.path()).unwrap();
        assert_eq!(c.requeue_interrupted().unwrap(), 1);
        let again = c.claim_next_job().unwrap().unwrap();
        assert_eq!(again.id, ids[0]);
        c.finish_job(again.id, "ingested", "0123456789abcdef").unwrap();
        let second = c.claim_next_job().unwrap().unwrap();
        c.fail_job(second.id, "corrupt").unwrap();
        assert!(c.claim_next_job().unwrap().is_none());
        let jobs = c.jobs().unwrap();
        assert_eq!(jobs[0].state, JobState::Failed);
        assert_eq!(jobs[0].error.as_deref(), Some("corrupt"));
        assert_eq!(jobs[1].media_id.as_deref(), Some("0123456789abcdef"));
    }
}
