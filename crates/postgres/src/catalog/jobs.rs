//! The durable ingest queue in PostgreSQL: one job per file, `queued -> running -> done | failed`.
//!
//! A claim is one statement that picks the oldest claimable row with `FOR UPDATE SKIP LOCKED`
//! and leases it to the worker, so any number of processes on any number of machines claim
//! side by side and never take the same job while its lease is live.

use std::time::Duration;

use glint_catalog::backend::now;
use glint_catalog::{CatalogError, Job, JobQueue, JobState};
use postgres::Row;

use super::{db, PgCatalog};

const JOB_COLUMNS: &str = "id, path, state, outcome, error, media_uid, fps, created_at, updated_at";

fn job_row(r: &Row) -> Job {
    Job {
        id: r.get(0),
        path: r.get(1),
        state: JobState::parse(r.get::<_, &str>(2)),
        outcome: r.get(3),
        error: r.get(4),
        media_id: r.get(5),
        fps: r.get(6),
        created_at: r.get(7),
        updated_at: r.get(8),
    }
}

/// When a lease taken at `t` runs out (whole seconds, as in every backend); a lease too long to
/// count saturates instead of wrapping into the past.
fn lease_end(t: i64, lease: Duration) -> i64 {
    t.saturating_add(i64::try_from(lease.as_secs()).unwrap_or(i64::MAX))
}

impl JobQueue for PgCatalog {
    fn enqueue(&self, paths: &[String], fps: f64) -> Result<Vec<i64>, CatalogError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(db)?;
        let stmt = tx
            .prepare(
                "INSERT INTO jobs (path, state, fps, created_at, updated_at) VALUES ($1, 'queued', $2, $3, $3) \
                 RETURNING id",
            )
            .map_err(db)?;
        let t = now();
        let mut ids = Vec::with_capacity(paths.len());
        for p in paths {
            ids.push(tx.query_one(&stmt, &[p, &fps, &t]).map_err(db)?.get(0));
        }
        tx.commit().map_err(db)?;
        Ok(ids)
    }

    fn requeue_interrupted(&self) -> Result<usize, CatalogError> {
        let n = self
            .conn()?
            .execute(
                "UPDATE jobs SET state = 'queued', worker = NULL, lease_until = NULL, updated_at = $1 \
                 WHERE state = 'running'",
                &[&now()],
            )
            .map_err(db)?;
        Ok(n as usize)
    }

    fn claim_next_job(&self, worker: &str, lease: Duration) -> Result<Option<Job>, CatalogError> {
        let t = now();
        // SKIP LOCKED: a row another claim has locked is passed over rather than waited for, so
        // concurrent claims each get a different job (or none) without blocking one another.
        let sql = format!(
            "UPDATE jobs SET state = 'running', worker = $1, lease_until = $2, updated_at = $3 \
             WHERE id = (SELECT id FROM jobs WHERE state = 'queued' \
             OR (state = 'running' AND lease_until IS NOT NULL AND lease_until < $3) \
             ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING {JOB_COLUMNS}"
        );
        let row = self
            .conn()?
            .query_opt(&sql, &[&worker, &lease_end(t, lease), &t])
            .map_err(db)?;
        Ok(row.as_ref().map(job_row))
    }

    fn heartbeat(&self, id: i64, worker: &str, lease: Duration) -> Result<bool, CatalogError> {
        let t = now();
        let changed = self
            .conn()?
            .execute(
                "UPDATE jobs SET lease_until = $1, updated_at = $2 WHERE id = $3 AND worker = $4 AND state = 'running'",
                &[&lease_end(t, lease), &t, &id, &worker],
            )
            .map_err(db)?;
        Ok(changed == 1)
    }

    fn finish_job(&self, id: i64, outcome: &str, media_uid: &str) -> Result<(), CatalogError> {
        self.conn()?
            .execute(
                "UPDATE jobs SET state = 'done', outcome = $1, media_uid = $2, error = NULL, lease_until = NULL, \
                 updated_at = $3 WHERE id = $4",
                &[&outcome, &media_uid, &now(), &id],
            )
            .map_err(db)?;
        Ok(())
    }

    fn fail_job(&self, id: i64, error: &str) -> Result<(), CatalogError> {
        self.conn()?
            .execute(
                "UPDATE jobs SET state = 'failed', error = $1, lease_until = NULL, updated_at = $2 WHERE id = $3",
                &[&error, &now(), &id],
            )
            .map_err(db)?;
        Ok(())
    }

    fn jobs(&self) -> Result<Vec<Job>, CatalogError> {
        let rows = self
            .conn()?
            .query(&format!("SELECT {JOB_COLUMNS} FROM jobs ORDER BY id DESC"), &[])
            .map_err(db)?;
        Ok(rows.iter().map(job_row).collect())
    }

    fn job(&self, id: i64) -> Result<Option<Job>, CatalogError> {
        let row = self
            .conn()?
            .query_opt(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"), &[&id])
            .map_err(db)?;
        Ok(row.as_ref().map(job_row))
    }

    fn remove_job(&self, id: i64) -> Result<Option<Job>, CatalogError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(db)?;
        // The row lock keeps a worker from claiming the job between the look and the delete.
        let job = tx
            .query_opt(
                &format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1 FOR UPDATE"),
                &[&id],
            )
            .map_err(db)?
            .as_ref()
            .map(job_row);
        match &job {
            Some(j) if j.state == JobState::Running => return Err(CatalogError::JobRunning(id)),
            Some(_) => {
                tx.execute("DELETE FROM jobs WHERE id = $1", &[&id]).map_err(db)?;
            }
            None => {}
        }
        tx.commit().map_err(db)?;
        Ok(job)
    }

    fn prune_jobs(&self, before: i64) -> Result<usize, CatalogError> {
        let n = self
            .conn()?
            .execute(
                "DELETE FROM jobs WHERE state IN ('done', 'failed') AND updated_at < $1",
                &[&before],
            )
            .map_err(db)?;
        Ok(n as usize)
    }
}
