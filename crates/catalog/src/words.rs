//! Words on what was seen (issue 16): searchable text kept with the media it came from.
//!
//! Ingest attaches [`NewWord`]s to a media ([`crate::NewMedia::words`]): the classes the image
//! encoder is sure a frame or an object shows (tied to that item track), text read in a frame by
//! OCR and subtitle cues (tied to a time span, and a box where OCR gave one). They are written
//! with the media in its one transaction and go with it. A [`TextQuery`] (the user's words,
//! parsed the same way for every backend) finds them through the backend's full-text index
//! ([`TextCatalog::search_words`]: SQLite FTS5 here, PostgreSQL's text search there) and finds
//! merchants' products by title, brand, category and description
//! ([`TextCatalog::search_products`]).

use glint_types::BBox;
use rusqlite::{params, Row};
use serde::{Deserialize, Serialize};

use crate::{CatalogError, SqliteCatalog};

/// Where a word came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WordSource {
    /// A class the image encoder was sure of ("espresso"), with everyday synonyms.
    Label,
    /// Text read in the frame or photo.
    Ocr,
    /// A subtitle cue of the video.
    Subtitle,
}

impl WordSource {
    pub fn as_str(self) -> &'static str {
        match self {
            WordSource::Label => "label",
            WordSource::Ocr => "ocr",
            WordSource::Subtitle => "subtitle",
        }
    }

    /// The stored text back (the schema's CHECK constraint admits only these).
    pub fn parse(s: &str) -> Self {
        match s {
            "ocr" => WordSource::Ocr,
            "subtitle" => WordSource::Subtitle,
            _ => WordSource::Label,
        }
    }
}

/// Searchable text seen in a media, as ingest writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewWord {
    pub source: WordSource,
    pub text: String,
    /// How sure the source is (class probability, OCR confidence; 1 for subtitles), 0..1.
    pub score: f32,
    /// The span of a video it belongs to; `None` for images.
    pub start_s: Option<f64>,
    pub end_s: Option<f64>,
    /// Where in the frame, in source pixels, when known.
    pub bbox: Option<BBox>,
    /// The item track it names, as an index into [`crate::NewMedia::tracks`] (labels).
    pub track: Option<usize>,
}

/// A stored word that matched a text query.
#[derive(Debug, Clone, PartialEq)]
pub struct WordHit {
    pub media_uid: String,
    /// The stored track the word names (labels), whose sightings are where it was seen.
    pub track_id: Option<u64>,
    pub source: WordSource,
    pub text: String,
    pub score: f32,
    /// How well the text fits the query, higher is better; comparable within one answer only.
    pub relevance: f32,
    pub start_s: Option<f64>,
    pub end_s: Option<f64>,
    pub bbox: Option<BBox>,
}

/// A merchant's product whose words fit a text query.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductMatch {
    pub store_id: String,
    pub product_id: String,
    pub title: String,
    /// Higher is better; comparable within one answer only.
    pub relevance: f32,
}

/// Words too common to narrow a search; dropped so "bottle of juice" means "bottle juice".
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "the", "of", "with", "for", "in", "on", "to", "or", "by",
];
/// A query longer than this many words is cut (a pasted paragraph is not a query).
pub const MAX_TERMS: usize = 12;
/// Longest word kept, in characters.
const MAX_TERM_CHARS: usize = 48;

/// A user's text query: lower-case words (letters and digits), every one required. Parsed once,
/// so each backend builds its own full-text expression from plain words and no user input is
/// ever spliced into query syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextQuery {
    terms: Vec<String>,
}

impl TextQuery {
    /// The words of `text`; `None` when it holds none worth searching for.
    pub fn parse(text: &str) -> Option<Self> {
        let terms: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| w.to_lowercase().chars().take(MAX_TERM_CHARS).collect::<String>())
            .filter(|w| !STOP_WORDS.contains(&w.as_str()))
            .fold(Vec::new(), |mut acc, w| {
                if !acc.contains(&w) {
                    acc.push(w);
                }
                acc
            });
        let terms: Vec<String> = terms.into_iter().take(MAX_TERMS).collect();
        (!terms.is_empty()).then_some(Self { terms })
    }

    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// The FTS5 expression: each word a quoted string (so none is read as an operator), all
    /// required.
    pub(crate) fn fts5(&self) -> String {
        self.terms
            .iter()
            .map(|t| format!("\"{}\"", t.replace('"', "")))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Text search over what was seen and over the merchant catalog.
pub trait TextCatalog {
    /// Stored words that contain every word of `query` (stemmed: "juices" finds "juice"), most
    /// relevant first, at most `limit`.
    fn search_words(&self, query: &TextQuery, limit: usize) -> Result<Vec<WordHit>, CatalogError>;

    /// Products whose title, brand, category or description contain every word of `query`,
    /// most relevant first, at most `limit`.
    fn search_products(&self, query: &TextQuery, limit: usize) -> Result<Vec<ProductMatch>, CatalogError>;

    /// Every word of media `uid` as ingest wrote it (track indexes by the media's track order),
    /// to copy a library.
    fn media_words(&self, uid: &str) -> Result<Vec<NewWord>, CatalogError>;
}

/// Columns a [`WordHit`] is read from, after the media uid and before the relevance.
const WORD_COLUMNS: &str = "w.track_id, w.source, w.text, w.score, w.start_s, w.end_s, w.x, w.y, w.w, w.h";

fn bbox_at(row: &Row, first: usize) -> rusqlite::Result<Option<BBox>> {
    let x: Option<f32> = row.get(first)?;
    let y: Option<f32> = row.get(first + 1)?;
    let w: Option<f32> = row.get(first + 2)?;
    let h: Option<f32> = row.get(first + 3)?;
    Ok(match (x, y, w, h) {
        (Some(x), Some(y), Some(w), Some(h)) => Some(BBox::new(x, y, w, h)),
        _ => None,
    })
}

/// The stored id of the track `word` names, given the stored ids of its media's tracks in order
/// (every backend writes words alike); a word naming a track the media lacks is
/// [`CatalogError::BadMedia`].
pub fn word_track(word: &NewWord, track_ids: &[i64]) -> Result<Option<i64>, CatalogError> {
    word.track
        .map(|i| {
            track_ids
                .get(i)
                .copied()
                .ok_or_else(|| CatalogError::BadMedia(format!("a word names track {i} of {}", track_ids.len())))
        })
        .transpose()
}

/// Writes the words of a media whose row id is `media_id`; `track_ids` are the stored ids of its
/// tracks in order.
pub(crate) fn insert_words(
    tx: &rusqlite::Transaction<'_>,
    media_id: i64,
    track_ids: &[i64],
    words: &[NewWord],
) -> Result<(), CatalogError> {
    let mut stmt = tx.prepare(
        "INSERT INTO words (media_id, track_id, source, text, score, start_s, end_s, x, y, w, h) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    for word in words {
        let track = word_track(word, track_ids)?;
        let b = word.bbox;
        stmt.execute(params![
            media_id,
            track,
            word.source.as_str(),
            word.text,
            word.score,
            word.start_s,
            word.end_s,
            b.map(|b| b.x),
            b.map(|b| b.y),
            b.map(|b| b.w),
            b.map(|b| b.h),
        ])?;
    }
    Ok(())
}

impl TextCatalog for SqliteCatalog {
    fn search_words(&self, query: &TextQuery, limit: usize) -> Result<Vec<WordHit>, CatalogError> {
        let conn = self.read();
        let sql = format!(
            "SELECT m.uid, {WORD_COLUMNS}, -bm25(words_fts) FROM words_fts \
             JOIN words w ON w.id = words_fts.rowid JOIN media m ON m.id = w.media_id \
             WHERE words_fts MATCH ?1 ORDER BY bm25(words_fts) LIMIT ?2"
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![query.fts5(), limit as i64], |r| {
            Ok(WordHit {
                media_uid: r.get(0)?,
                track_id: r.get::<_, Option<i64>>(1)?.map(|t| t as u64),
                source: WordSource::parse(&r.get::<_, String>(2)?),
                text: r.get(3)?,
                score: r.get(4)?,
                start_s: r.get(5)?,
                end_s: r.get(6)?,
                bbox: bbox_at(r, 7)?,
                relevance: r.get::<_, f64>(11)? as f32,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn search_products(&self, query: &TextQuery, limit: usize) -> Result<Vec<ProductMatch>, CatalogError> {
        let conn = self.read();
        // Title words weigh most, then brand and category, then the description.
        let mut stmt = conn.prepare_cached(
            "SELECT p.store_id, p.product_id, p.title, -bm25(products_fts, 4.0, 1.0, 2.0, 2.0) FROM products_fts \
             JOIN products p ON p.id = products_fts.rowid WHERE products_fts MATCH ?1 \
             ORDER BY bm25(products_fts, 4.0, 1.0, 2.0, 2.0), p.store_id, p.product_id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![query.fts5(), limit as i64], |r| {
            Ok(ProductMatch {
                store_id: r.get(0)?,
                product_id: r.get(1)?,
                title: r.get(2)?,
                relevance: r.get::<_, f64>(3)? as f32,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn media_words(&self, uid: &str) -> Result<Vec<NewWord>, CatalogError> {
        let conn = self.read();
        let mut stmt = conn.prepare(&format!(
            "SELECT {WORD_COLUMNS}, (SELECT t.ordinal FROM tracks t WHERE t.id = w.track_id) FROM words w \
             JOIN media m ON m.id = w.media_id WHERE m.uid = ?1 ORDER BY w.id"
        ))?;
        let rows = stmt.query_map([uid], |r| {
            Ok(NewWord {
                source: WordSource::parse(&r.get::<_, String>(1)?),
                text: r.get(2)?,
                score: r.get(3)?,
                start_s: r.get(4)?,
                end_s: r.get(5)?,
                bbox: bbox_at(r, 6)?,
                track: r.get::<_, Option<i64>>(10)?.map(|o| o as usize),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue16_a_query_is_plain_words() {
        let q = TextQuery::parse("  Bottle of APPLE-juice \"OR\" * NEAR(").unwrap();
        assert_eq!(q.terms(), ["bottle", "apple", "juice", "near"]);
        assert_eq!(q.fts5(), "\"bottle\" \"apple\" \"juice\" \"near\"");
        assert!(TextQuery::parse(" -- the ** ").is_none());
        assert!(TextQuery::parse("").is_none());
        assert_eq!(TextQuery::parse("juice juice Juice").unwrap().terms(), ["juice"]);
        assert_eq!(
            TextQuery::parse("a b c d e f g h i j k l m n o p")
                .unwrap()
                .terms()
                .len(),
            MAX_TERMS
        );
    }
}
