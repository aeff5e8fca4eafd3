//! Words on what was seen and text search over them and over products (issue 16), with
//! PostgreSQL's full-text search: each table's generated `tsv` column (schema v3) is its index,
//! kept by PostgreSQL itself on every write, so a media's words and a feed's products are
//! searchable as soon as their transaction commits and go with their rows.
//!
//! A [`TextQuery`] is already plain lower-case words; they reach the server as one bind parameter
//! and `plainto_tsquery('english', …)` turns them into lexemes ANDed together, stemmed as the
//! columns were. It never reads operators, so no user input is ever taken as query syntax. Words
//! PostgreSQL's English dictionary drops as stop words ("who", "not") are in no `tsv` and a query
//! of only those finds nothing.

use glint_catalog::backend::word_track;
use glint_catalog::{CatalogError, NewWord, ProductMatch, TextCatalog, TextQuery, WordHit, WordSource};
use glint_types::BBox;
use postgres::types::Type;
use postgres::Row;

use super::{db, PgCatalog};

/// Columns a [`WordHit`] or [`NewWord`] is read from, in this order, after any leading ones.
const WORD_COLUMNS: &str = "w.track_id, w.source, w.text, w.score, w.start_s, w.end_s, w.x, w.y, w.w, w.h";

/// `ts_rank`'s weights for D, C, B, A: the proportions of SQLite's bm25 column weights
/// (description 1, brand and category 2, title 4), so both backends order products alike. The
/// default ({0.1, 0.2, 0.4, 1.0}) would weigh the title five times the description.
const PRODUCT_WEIGHTS: &str = "'{0.1, 0.25, 0.5, 1.0}'";

/// The query's words as `plainto_tsquery` reads them: separated by spaces, every one required.
fn plain(query: &TextQuery) -> String {
    query.terms().join(" ")
}

/// A box from the four columns starting at `first`; only a complete one is a box.
fn bbox_at(r: &Row, first: usize) -> Option<BBox> {
    let x: Option<f32> = r.get(first);
    let y: Option<f32> = r.get(first + 1);
    let w: Option<f32> = r.get(first + 2);
    let h: Option<f32> = r.get(first + 3);
    match (x, y, w, h) {
        (Some(x), Some(y), Some(w), Some(h)) => Some(BBox::new(x, y, w, h)),
        _ => None,
    }
}

/// Writes the words of the media whose row id is `media_id`, inside its insert's transaction;
/// `track_ids` are the stored ids of its tracks in order. A word naming a track index past them
/// is [`CatalogError::BadMedia`], which the caller's rollback turns into nothing written.
pub(crate) fn insert_words(
    tx: &mut postgres::Transaction<'_>,
    media_id: i64,
    track_ids: &[i64],
    words: &[NewWord],
) -> Result<(), CatalogError> {
    if words.is_empty() {
        return Ok(());
    }
    let stmt = tx
        .prepare(
            "INSERT INTO words (media_id, track_id, source, text, score, start_s, end_s, x, y, w, h) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .map_err(db)?;
    for word in words {
        let track = word_track(word, track_ids)?;
        let b = word.bbox;
        tx.execute(
            &stmt,
            &[
                &media_id,
                &track,
                &word.source.as_str(),
                &word.text,
                &word.score,
                &word.start_s,
                &word.end_s,
                &b.map(|b| b.x),
                &b.map(|b| b.y),
                &b.map(|b| b.w),
                &b.map(|b| b.h),
            ],
        )
        .map_err(db)?;
    }
    Ok(())
}

impl TextCatalog for PgCatalog {
    fn search_words(&self, query: &TextQuery, limit: usize) -> Result<Vec<WordHit>, CatalogError> {
        // `@@` on the generated column uses its GIN index; ties keep insertion order so an
        // answer is stable.
        let sql = format!(
            "SELECT m.uid, {WORD_COLUMNS}, ts_rank(w.tsv, q) AS relevance \
             FROM words w JOIN media m ON m.id = w.media_id, plainto_tsquery('english', $1) q \
             WHERE w.tsv @@ q ORDER BY relevance DESC, w.id LIMIT $2"
        );
        // Typed: sent with its parameter types, so no separate prepare round trip.
        let rows = self
            .conn()?
            .query_typed(&sql, &[(&plain(query), Type::TEXT), (&(limit as i64), Type::INT8)])
            .map_err(db)?;
        Ok(rows
            .iter()
            .map(|r| WordHit {
                media_uid: r.get(0),
                track_id: r.get::<_, Option<i64>>(1).map(|t| t as u64),
                source: WordSource::parse(r.get::<_, &str>(2)),
                text: r.get(3),
                score: r.get(4),
                start_s: r.get(5),
                end_s: r.get(6),
                bbox: bbox_at(r, 7),
                relevance: r.get(11),
            })
            .collect())
    }

    fn search_products(&self, query: &TextQuery, limit: usize) -> Result<Vec<ProductMatch>, CatalogError> {
        // The weights apply to the labels setweight gave each column in the schema; ties go by
        // store and product, as in SQLite.
        let sql = format!(
            "SELECT p.store_id, p.product_id, p.title, ts_rank({PRODUCT_WEIGHTS}, p.tsv, q) AS relevance \
             FROM products p, plainto_tsquery('english', $1) q \
             WHERE p.tsv @@ q ORDER BY relevance DESC, p.store_id, p.product_id LIMIT $2"
        );
        let rows = self
            .conn()?
            .query_typed(&sql, &[(&plain(query), Type::TEXT), (&(limit as i64), Type::INT8)])
            .map_err(db)?;
        Ok(rows
            .iter()
            .map(|r| ProductMatch {
                store_id: r.get(0),
                product_id: r.get(1),
                title: r.get(2),
                relevance: r.get(3),
            })
            .collect())
    }

    fn media_words(&self, uid: &str) -> Result<Vec<NewWord>, CatalogError> {
        // The track as its ordinal: the index into the media's tracks that ingest wrote, so a
        // copy into another library names the same track whatever ids that one gives.
        let sql = format!(
            "SELECT {WORD_COLUMNS}, t.ordinal FROM words w JOIN media m ON m.id = w.media_id \
             LEFT JOIN tracks t ON t.id = w.track_id WHERE m.uid = $1 ORDER BY w.id"
        );
        let rows = self.conn()?.query(&sql, &[&uid]).map_err(db)?;
        Ok(rows
            .iter()
            .map(|r| NewWord {
                source: WordSource::parse(r.get::<_, &str>(1)),
                text: r.get(2),
                score: r.get(3),
                start_s: r.get(4),
                end_s: r.get(5),
                bbox: bbox_at(r, 6),
                track: r.get::<_, Option<i64>>(10).map(|o| o as usize),
            })
            .collect())
    }
}
