//! The durable ingest queue: one job per file, `queued -> running -> done | failed`.
//!
//! Jobs live in the catalog database, so a crash or a kill loses nothing: on the next start
//! [`JobQueue::requeue_interrupted`] puts jobs that were running back in the queue, and a claim
//! is a lease (`worker`, `lease_until`) that another worker takes over once it runs out. Since a
//! media file is committed in one transaction, redoing it cannot duplicate anything.

use std::time::Duration;

use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;

use crate::media::now;
use crate::{CatalogError, JobQueue, SqliteCatalog};

/// Where a job is in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Queued,
    Running,
    Done,
    Failed,
}

impl JobState {
    /// Parses the stored spelling (anything unknown reads as queued).
    pub fn parse(s: &str) -> Self {
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

impl JobQueue for SqliteCatalog {
    /// Queues one job per path, in order; returns their ids.
    fn enqueue(&self, paths: &[String], fps: f64) -> Result<Vec<i64>, CatalogError> {
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
    fn requeue_interrupted(&self) -> Result<usize, CatalogError> {
        Ok(self.conn().execute(
            "UPDATE jobs SET state = 'queued', worker = NULL, lease_until = NULL, updated_at = ?1 \
             WHERE state = 'running'",
            [now()],
        )?)
    }

    fn claim_next_job(&self, worker: &str, lease: Duration) -> Result<Option<Job>, CatalogError> {
        let mut conn = self.conn();
        // IMMEDIATE: the write lock is taken before the read, so two processes on one library
        // cannot both see the same job as free.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let t = now();
        let sql = format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE state = 'queued' \
             OR (state = 'running' AND lease_until IS NOT NULL AND lease_until < ?1) ORDER BY id LIMIT 1"
        );
        let job = tx.query_row(&sql, [t], job_row).optional()?;
        if let Some(j) = &job {
            tx.execute(
                "UPDATE jobs SET state = 'running', worker = ?1, lease_until = ?2, updated_at = ?3 WHERE id = ?4",
                params![worker, t + lease.as_secs() as i64, t, j.id],
            )?;
        }
        tx.commit()?;
        Ok(job.map(|j| Job {
            state: JobState::Running,
            ..j
        }))
    }

    fn heartbeat(&self, id: i64, worker: &str, lease: Duration) -> Result<bool, CatalogError> {
        let t = now();
        let changed = self.conn().execute(
            "UPDATE jobs SET lease_until = ?1, updated_at = ?2 WHERE id = ?3 AND worker = ?4 AND state = 'running'",
            params![t + lease.as_secs() as i64, t, id, worker],
        )?;
        Ok(changed == 1)
    }

    fn finish_job(&self, id: i64, outcome: &str, media_uid: &str) -> Result<(), CatalogError> {
        self.conn().execute(
            "UPDATE jobs SET state = 'done', outcome = ?1, media_uid = ?2, error = NULL, lease_until = NULL, \
             updated_at = ?3 WHERE id = ?4",
            params![outcome, media_uid, now(), id],
        )?;
        Ok(())
    }

    fn fail_job(&self, id: i64, error: &str) -> Result<(), CatalogError> {
        self.conn().execute(
            "UPDATE jobs SET state = 'failed', error = ?1, lease_until = NULL, updated_at = ?2 WHERE id = ?3",
            params![error, now(), id],
        )?;
        Ok(())
    }

    /// Every job, newest first.
    fn jobs(&self) -> Result<Vec<Job>, CatalogError> {
        let conn = self.read();
        let mut stmt = conn.prepare(&format!("SELECT {JOB_COLUMNS} FROM jobs ORDER BY id DESC"))?;
        let rows = stmt.query_map([], job_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn job(&self, id: i64) -> Result<Option<Job>, CatalogError> {
        let conn = self.read();
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?1");
        Ok(conn.query_row(&sql, [id], job_row).optional()?)
    }

    fn remove_job(&self, id: i64) -> Result<Option<Job>, CatalogError> {
        let mut conn = self.conn();
        // IMMEDIATE: no worker can claim the job between the look and the delete.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?1");
        let job = tx.query_row(&sql, [id], job_row).optional()?;
        match &job {
            Some(j) if j.state == JobState::Running => return Err(CatalogError::JobRunning(id)),
            Some(_) => {
                tx.execute("DELETE FROM jobs WHERE id = ?1", [id])?;
            }
            None => {}
        }
        tx.commit()?;
        Ok(job)
    }

    fn prune_jobs(&self, before: i64) -> Result<usize, CatalogError> {
        Ok(self.conn().execute(
            "DELETE FROM jobs WHERE state IN ('done', 'failed') AND updated_at < ?1",
            [before],
        )?)
    }
}
