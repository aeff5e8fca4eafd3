//! Vector spaces in PostgreSQL with pgvector: one table per space, searched by cosine distance.
//!
//! A space is a row of `vector_spaces` (name, dimension, table) and a table `vec_<n>` of
//! `(id BIGINT PRIMARY KEY, embedding vector(dim))` with an HNSW index (`vector_cosine_ops`;
//! pgvector indexes up to 2,000 dimensions, a wider space is scanned exactly). Vectors are
//! stored as given, since cosine distance needs no normalising, so a catalog that reads them back
//! gets the very floats it wrote.
//!
//! Filters are data, sent along with the query: a small `Only` set is scored exactly
//! (`id = ANY(..)`, ordered by an expression the HNSW index cannot serve), a large one or an
//! `Except` set walks the graph with pgvector's iterative scan so a filter that removes most
//! neighbours still fills `k`. Inputs are checked by `glint_index::validate`, the same checks
//! as the embedded backends, so every backend refuses the same things the same way.

use std::collections::HashMap;
use std::sync::RwLock;

use glint_index::validate::{batch_scales, check_k, check_new_space, same_dim, unit_query};
use glint_index::{Filter, Hit, IndexError, SpaceInfo, VectorRead, VectorWrite};
use pgvector::Vector;
use postgres::GenericClient;

use crate::Database;

/// An `Only` filter up to this many ids is scored exactly instead of walking the graph.
const EXACT_FILTER_MAX: usize = 20_000;
/// pgvector's HNSW indexes hold at most this many dimensions of `vector`.
const HNSW_MAX_DIM: usize = 2_000;
/// The graph's search beam. Search asks for up to 300 neighbours per query vector; a beam that
/// wide costs 10x a beam of 100 in pgvector (90 vs 9 ms on 20k 1536-d rows), so the beam stays
/// at 100 and the iterative scan (`relaxed_order`) walks on until `k` rows are found.
const EF_SEARCH: usize = 100;

/// A registered space.
#[derive(Debug, Clone)]
pub(crate) struct Space {
    pub(crate) dim: usize,
    pub(crate) table: String,
}

/// The vector backend over a [`Database`].
pub struct PgVectors {
    db: Database,
    /// Spaces never change dimension or table once registered, so they are cached per process.
    known: RwLock<HashMap<String, Space>>,
}

impl PgVectors {
    pub(crate) fn new(db: Database) -> Self {
        Self {
            db,
            known: RwLock::new(HashMap::new()),
        }
    }

    fn conn(&self) -> Result<crate::Conn, IndexError> {
        self.db.conn().map_err(IndexError::Backend)
    }

    /// The space `name`, from the cache or the database.
    fn space(&self, client: &mut impl GenericClient, name: &str) -> Result<Option<Space>, IndexError> {
        if let Some(s) = self.known.read().unwrap_or_else(|p| p.into_inner()).get(name) {
            return Ok(Some(s.clone()));
        }
        let found = lookup(client, name)?;
        if let Some(s) = &found {
            self.known
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .insert(name.to_string(), s.clone());
        }
        Ok(found)
    }

    fn existing(&self, client: &mut impl GenericClient, name: &str) -> Result<Space, IndexError> {
        self.space(client, name)?
            .ok_or_else(|| IndexError::UnknownSpace(name.to_string()))
    }
}

pub(crate) fn backend(e: postgres::Error) -> IndexError {
    IndexError::Backend(e.to_string())
}

fn lookup(client: &mut impl GenericClient, name: &str) -> Result<Option<Space>, IndexError> {
    let row = client
        .query_opt("SELECT dim, tbl FROM vector_spaces WHERE name = $1", &[&name])
        .map_err(backend)?;
    Ok(row.map(|r| Space {
        dim: r.get::<_, i32>(0) as usize,
        table: r.get(1),
    }))
}

/// Registers space `name` of `dim` floats with its table and index, unless it exists (then the
/// dimension must agree). Safe against other processes creating it at the same moment.
pub(crate) fn ensure_space(client: &mut impl GenericClient, name: &str, dim: usize) -> Result<Space, IndexError> {
    if let Some(s) = lookup(client, name)? {
        same_dim(name, s.dim, dim)?;
        return Ok(s);
    }
    check_new_space(name, dim)?;
    let mut tx = client.transaction().map_err(backend)?;
    // Serialises creators of this name; the loser finds the winner's row below.
    tx.execute("SELECT pg_advisory_xact_lock(hashtext('glint space ' || $1))", &[&name])
        .map_err(backend)?;
    if let Some(s) = lookup(&mut tx, name)? {
        same_dim(name, s.dim, dim)?;
        tx.commit().map_err(backend)?;
        return Ok(s);
    }
    let n: i64 = tx
        .query_one("SELECT nextval('vector_space_tables')", &[])
        .map_err(backend)?
        .get(0);
    let table = format!("vec_{n}");
    let mut ddl = format!("CREATE TABLE {table} (id BIGINT PRIMARY KEY, embedding vector({dim}) NOT NULL);");
    if dim <= HNSW_MAX_DIM {
        // PLAIN: a vector over 2 KB would otherwise be compressed out of line (TOAST), and every
        // distance the query computes from the row would first fetch and unpack it: 2-4x slower
        // (measured on 20k 1536-d rows). Up to 2,000 floats a row still fits a page.
        ddl.push_str(&format!(
            "ALTER TABLE {table} ALTER COLUMN embedding SET STORAGE PLAIN; \
             CREATE INDEX {table}_hnsw ON {table} USING hnsw (embedding vector_cosine_ops);"
        ));
    }
    tx.batch_execute(&ddl).map_err(backend)?;
    tx.execute(
        "INSERT INTO vector_spaces (name, dim, tbl) VALUES ($1, $2, $3)",
        &[&name, &(dim as i32), &table],
    )
    .map_err(backend)?;
    tx.commit().map_err(backend)?;
    Ok(Space { dim, table })
}

/// Inserts or replaces `(id, vector)` rows of a space (already checked, ids distinct), a
/// thousand rows per statement: one round trip instead of one per vector.
pub(crate) fn write_rows(
    client: &mut impl GenericClient,
    space: &Space,
    rows: &[(i64, &[f32])],
) -> Result<(), postgres::Error> {
    let stmt = client.prepare(&format!(
        "INSERT INTO {} (id, embedding) SELECT * FROM unnest($1::bigint[], $2::vector[]) \
         ON CONFLICT (id) DO UPDATE SET embedding = EXCLUDED.embedding",
        space.table
    ))?;
    for chunk in rows.chunks(1000) {
        let ids: Vec<i64> = chunk.iter().map(|(id, _)| *id).collect();
        let vectors: Vec<Vector> = chunk.iter().map(|(_, v)| Vector::from(v.to_vec())).collect();
        client.execute(&stmt, &[&ids, &vectors])?;
    }
    Ok(())
}

/// Deletes rows of a space by id.
pub(crate) fn delete_rows(client: &mut impl GenericClient, space: &Space, ids: &[i64]) -> Result<u64, postgres::Error> {
    client.execute(&format!("DELETE FROM {} WHERE id = ANY($1)", space.table), &[&ids])
}

/// Reads the floats of the given ids of a space, in id order.
pub(crate) fn read_rows(
    client: &mut impl GenericClient,
    space: &Space,
    ids: &[i64],
) -> Result<Vec<(i64, Vec<f32>)>, postgres::Error> {
    let rows = client.query(
        &format!(
            "SELECT id, embedding FROM {} WHERE id = ANY($1) ORDER BY id",
            space.table
        ),
        &[&ids],
    )?;
    Ok(rows
        .iter()
        .map(|r| (r.get::<_, i64>(0), r.get::<_, Vector>(1).to_vec()))
        .collect())
}

/// The registered spaces by name (cheap: for catalogs reading their vectors).
pub(crate) fn all_spaces(client: &mut impl GenericClient) -> Result<HashMap<String, Space>, postgres::Error> {
    let rows = client.query("SELECT name, dim, tbl FROM vector_spaces", &[])?;
    Ok(rows
        .iter()
        .map(|r| {
            (
                r.get::<_, String>(0),
                Space {
                    dim: r.get::<_, i32>(1) as usize,
                    table: r.get(2),
                },
            )
        })
        .collect())
}

fn as_i64s(ids: &std::collections::HashSet<u64>) -> Vec<i64> {
    ids.iter().map(|&id| id as i64).collect()
}

/// The `k` rows of `table` nearest to `query` in the given order, with the filter applied in SQL.
fn nearest(
    client: &mut impl GenericClient,
    table: &str,
    order: &str,
    query: &Vector,
    k: usize,
    filter: Option<Filter<'_>>,
) -> Result<Vec<postgres::Row>, IndexError> {
    let select = format!("SELECT id, 1 - (embedding <=> $1) FROM {table}");
    let limit = k as i64;
    match filter {
        Some(Filter::Only(ids)) => client.query(
            &format!("{select} WHERE id = ANY($3) {order} LIMIT $2"),
            &[query, &limit, &as_i64s(ids)],
        ),
        Some(Filter::Except(ids)) => client.query(
            &format!("{select} WHERE id <> ALL($3) {order} LIMIT $2"),
            &[query, &limit, &as_i64s(ids)],
        ),
        None => client.query(&format!("{select} {order} LIMIT $2"), &[query, &limit]),
    }
    .map_err(backend)
}

impl VectorRead for PgVectors {
    fn search(&self, space: &str, query: &[f32], k: usize, filter: Option<Filter<'_>>) -> Result<Vec<Hit>, IndexError> {
        check_k(k)?;
        let mut conn = self.conn()?;
        let s = self.existing(&mut *conn, space)?;
        let query = Vector::from(unit_query(space, s.dim, query)?);
        let exact_only = match filter {
            Some(Filter::Only(ids)) => ids.len() <= EXACT_FILTER_MAX || s.dim > HNSW_MAX_DIM,
            _ => s.dim > HNSW_MAX_DIM,
        };
        let rows = if exact_only {
            // `+ 0` keeps the planner off the HNSW index: these candidates are scored exactly.
            nearest(
                &mut *conn,
                &s.table,
                "ORDER BY (embedding <=> $1) + 0, id",
                &query,
                k,
                filter,
            )?
        } else {
            let mut tx = conn.transaction().map_err(backend)?;
            tx.batch_execute(&format!(
                "SET LOCAL hnsw.ef_search = {EF_SEARCH}; SET LOCAL hnsw.iterative_scan = relaxed_order"
            ))
            .map_err(backend)?;
            let rows = nearest(&mut tx, &s.table, "ORDER BY embedding <=> $1", &query, k, filter)?;
            tx.commit().map_err(backend)?;
            rows
        };
        let mut hits: Vec<Hit> = rows
            .iter()
            .map(|r| Hit {
                id: r.get::<_, i64>(0) as u64,
                score: r.get::<_, f64>(1) as f32,
            })
            .collect();
        // The relaxed graph scan may return near-ties out of order: best first, ties to the lower id.
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
        hits.truncate(k);
        Ok(hits)
    }

    fn len(&self, space: &str) -> usize {
        let count = || -> Result<usize, IndexError> {
            let mut conn = self.conn()?;
            let Some(s) = self.space(&mut *conn, space)? else {
                return Ok(0);
            };
            let n: i64 = conn
                .query_one(&format!("SELECT count(*) FROM {}", s.table), &[])
                .map_err(backend)?
                .get(0);
            Ok(n as usize)
        };
        count().unwrap_or_else(|e| {
            tracing::warn!(space, error = %e, "cannot count a vector space");
            0
        })
    }

    fn is_empty(&self, space: &str) -> bool {
        let empty = || -> Result<bool, IndexError> {
            let mut conn = self.conn()?;
            let Some(s) = self.space(&mut *conn, space)? else {
                return Ok(true);
            };
            let row = conn
                .query_opt(&format!("SELECT 1 FROM {} LIMIT 1", s.table), &[])
                .map_err(backend)?;
            Ok(row.is_none())
        };
        empty().unwrap_or_else(|e| {
            tracing::warn!(space, error = %e, "cannot look into a vector space");
            true
        })
    }

    fn contains(&self, space: &str, id: u64) -> bool {
        let found = || -> Result<bool, IndexError> {
            let mut conn = self.conn()?;
            let Some(s) = self.space(&mut *conn, space)? else {
                return Ok(false);
            };
            let row = conn
                .query_opt(&format!("SELECT 1 FROM {} WHERE id = $1", s.table), &[&(id as i64)])
                .map_err(backend)?;
            Ok(row.is_some())
        };
        found().unwrap_or_else(|e| {
            tracing::warn!(space, error = %e, "cannot look up a vector");
            false
        })
    }

    fn spaces(&self) -> Vec<SpaceInfo> {
        let list = || -> Result<Vec<SpaceInfo>, IndexError> {
            let mut conn = self.conn()?;
            let spaces = all_spaces(&mut *conn).map_err(backend)?;
            let mut out = Vec::with_capacity(spaces.len());
            for (name, s) in spaces {
                let n: i64 = conn
                    .query_one(&format!("SELECT count(*) FROM {}", s.table), &[])
                    .map_err(backend)?
                    .get(0);
                out.push(SpaceInfo {
                    name,
                    dim: s.dim,
                    len: n as usize,
                });
            }
            out.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(out)
        };
        list().unwrap_or_else(|e| {
            tracing::warn!(error = %e, "cannot list vector spaces");
            Vec::new()
        })
    }
}

impl VectorWrite for PgVectors {
    fn create_space(&self, name: &str, dim: usize) -> Result<(), IndexError> {
        let mut conn = self.conn()?;
        let s = ensure_space(&mut *conn, name, dim)?;
        self.known
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_string(), s);
        Ok(())
    }

    fn upsert(&self, space: &str, items: &[(u64, Vec<f32>)]) -> Result<(), IndexError> {
        let mut conn = self.conn()?;
        let s = self.existing(&mut *conn, space)?;
        batch_scales(space, s.dim, items)?;
        // Within one batch a repeated id keeps its last vector.
        let mut last: HashMap<u64, usize> = HashMap::with_capacity(items.len());
        for (i, (id, _)) in items.iter().enumerate() {
            last.insert(*id, i);
        }
        let rows: Vec<(i64, &[f32])> = items
            .iter()
            .enumerate()
            .filter(|(i, (id, _))| last[id] == *i)
            .map(|(_, (id, v))| (*id as i64, v.as_slice()))
            .collect();
        let mut tx = conn.transaction().map_err(backend)?;
        write_rows(&mut tx, &s, &rows).map_err(backend)?;
        tx.commit().map_err(backend)
    }

    fn remove(&self, space: &str, ids: &[u64]) -> Result<(), IndexError> {
        let mut conn = self.conn()?;
        let s = self.existing(&mut *conn, space)?;
        let ids: Vec<i64> = ids.iter().map(|&id| id as i64).collect();
        delete_rows(&mut *conn, &s, &ids).map_err(backend)?;
        Ok(())
    }

    fn flush(&self) -> Result<(), IndexError> {
        // Every write above is its own committed transaction.
        Ok(())
    }
}
