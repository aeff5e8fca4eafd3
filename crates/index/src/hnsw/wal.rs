//! The write-ahead log of one graph space: every upsert and remove since the last snapshot.
//!
//! A graph cannot be rewritten on every commit (at 1M vectors its snapshot is ~700 MB), so a
//! change is appended here as one record before it touches the graph; a snapshot is taken only
//! once the log has grown, and the log starts again after it. On open the snapshot is loaded and
//! the records after it are applied again.
//!
//! Layout (little-endian): a header `GLINTWAL`, version `u32`, dim `u32`; then records
//!
//! | bytes         | field                                               |
//! |---------------|-----------------------------------------------------|
//! | 4             | length `n` of what follows the CRC                  |
//! | 4             | CRC-32 of those `n` bytes                           |
//! | 8             | sequence number (one more than the previous record) |
//! | 1             | kind: 1 upsert, 2 remove                            |
//! | 4             | count                                               |
//! | count × 8     | ids                                                 |
//! | count × 4 dim | unit vectors (upserts only)                         |
//!
//! A record is written with one `write` call, so a process killed mid-call leaves at worst a
//! torn last record: its length or CRC does not check, and opening cuts the log back to the last
//! whole record (that batch is lost whole, never half-applied). Records reach the disk itself
//! when the index is flushed (`fsync`); until then they survive a killed process but not a power
//! cut, like the catalog's own WAL between checkpoints.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::IndexError;

const MAGIC: &[u8; 8] = b"GLINTWAL";
const VERSION: u32 = 1;
const HEADER: u64 = 16;
const KIND_UPSERT: u8 = 1;
const KIND_REMOVE: u8 = 2;
/// Largest record accepted on read: far above any batch we write (a 1M-vector batch is split),
/// low enough that a corrupt length cannot ask for an absurd allocation.
const MAX_RECORD: u32 = 1 << 30;

/// One logged change.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Change {
    /// Unit vectors, `ids.len() * dim` floats.
    Upsert {
        ids: Vec<u64>,
        data: Vec<f32>,
    },
    Remove {
        ids: Vec<u64>,
    },
}

/// An open log, positioned at its end.
pub(crate) struct Wal {
    path: PathBuf,
    file: File,
    dim: usize,
    /// Bytes of records (the header excluded).
    bytes: u64,
    /// Vectors upserted by the records in the log: what a reopen would insert again.
    vectors: u64,
}

impl Wal {
    /// Opens the log at `path` (creating it for `dim`-float vectors if missing) and returns it
    /// with every whole record after sequence number `after`, in order. A torn tail is cut off.
    pub(crate) fn open(path: &Path, dim: usize, after: u64) -> Result<(Self, Vec<(u64, Change)>), IndexError> {
        let io = |e| IndexError::io(path, e);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        if len < HEADER {
            // New, or torn while its header was written: nothing was logged yet.
            file.set_len(0).map_err(io)?;
            let mut header = Vec::with_capacity(HEADER as usize);
            header.extend_from_slice(MAGIC);
            header.extend_from_slice(&VERSION.to_le_bytes());
            header.extend_from_slice(&(dim as u32).to_le_bytes());
            file.write_all(&header).map_err(io)?;
            file.sync_all().map_err(io)?;
            let wal = Self {
                path: path.to_path_buf(),
                file,
                dim,
                bytes: 0,
                vectors: 0,
            };
            return Ok((wal, Vec::new()));
        }
        let mut content = Vec::with_capacity(len as usize);
        file.read_to_end(&mut content).map_err(io)?;
        if &content[..8] != MAGIC {
            return Err(IndexError::corrupt(path, "not a Glint vector log (bad magic)"));
        }
        let version = u32::from_le_bytes(content[8..12].try_into().expect("4 bytes"));
        let stored_dim = u32::from_le_bytes(content[12..16].try_into().expect("4 bytes")) as usize;
        if version != VERSION || stored_dim != dim {
            return Err(IndexError::corrupt(
                path,
                format!("log version {version} for {stored_dim}-d vectors, expected version {VERSION} for {dim}-d"),
            ));
        }
        let mut changes = Vec::new();
        let mut at = HEADER as usize;
        let mut vectors = 0u64;
        while let Some((seq, change, next)) = parse_record(&content, at, dim) {
            if let Change::Upsert { ids, .. } = &change {
                vectors += ids.len() as u64;
            }
            if seq > after {
                changes.push((seq, change));
            }
            at = next;
        }
        if at < content.len() {
            tracing::warn!(
                path = %path.display(),
                kept = at,
                dropped = content.len() - at,
                "cutting a torn record off the end of the vector log (an interrupted write)"
            );
            file.set_len(at as u64).map_err(io)?;
        }
        file.seek(SeekFrom::Start(at as u64)).map_err(io)?;
        let wal = Self {
            path: path.to_path_buf(),
            file,
            dim,
            bytes: at as u64 - HEADER,
            vectors,
        };
        Ok((wal, changes))
    }

    /// Appends `change` as record `seq`, in one write.
    pub(crate) fn append(&mut self, seq: u64, change: &Change) -> Result<(), IndexError> {
        let (kind, ids, data): (u8, &[u64], &[f32]) = match change {
            Change::Upsert { ids, data } => (KIND_UPSERT, ids, data),
            Change::Remove { ids } => (KIND_REMOVE, ids, &[]),
        };
        debug_assert_eq!(data.len(), if kind == KIND_UPSERT { ids.len() * self.dim } else { 0 });
        let body_len = 8 + 1 + 4 + ids.len() * 8 + data.len() * 4;
        let mut record = Vec::with_capacity(8 + body_len);
        record.extend_from_slice(&(body_len as u32).to_le_bytes());
        record.extend_from_slice(&[0; 4]); // CRC, filled in below
        record.extend_from_slice(&seq.to_le_bytes());
        record.push(kind);
        record.extend_from_slice(&(ids.len() as u32).to_le_bytes());
        ids.iter().for_each(|id| record.extend_from_slice(&id.to_le_bytes()));
        data.iter().for_each(|x| record.extend_from_slice(&x.to_le_bytes()));
        let crc = crc32fast::hash(&record[8..]);
        record[4..8].copy_from_slice(&crc.to_le_bytes());
        self.file
            .write_all(&record)
            .map_err(|e| IndexError::io(&self.path, e))?;
        self.bytes += record.len() as u64;
        if kind == KIND_UPSERT {
            self.vectors += ids.len() as u64;
        }
        Ok(())
    }

    /// Makes every appended record durable.
    pub(crate) fn sync(&self) -> Result<(), IndexError> {
        self.file.sync_data().map_err(|e| IndexError::io(&self.path, e))
    }

    /// Empties the log (after a snapshot that holds all of it): a new empty log replaces it.
    pub(crate) fn reset(&mut self) -> Result<(), IndexError> {
        let temp = self.path.with_extension("wal.tmp");
        let _ = std::fs::remove_file(&temp);
        let (fresh, _) = Wal::open(&temp, self.dim, 0)?;
        std::fs::rename(&temp, &self.path).map_err(|e| IndexError::io(&self.path, e))?;
        self.file = fresh.file;
        self.bytes = 0;
        self.vectors = 0;
        Ok(())
    }

    /// Vectors upserted by the records in the log.
    pub(crate) fn vectors(&self) -> u64 {
        self.vectors
    }

    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }
}

/// The record at `at`, and where the next one starts; `None` at the end or at a torn record.
fn parse_record(content: &[u8], at: usize, dim: usize) -> Option<(u64, Change, usize)> {
    let head = content.get(at..at + 8)?;
    let len = u32::from_le_bytes(head[..4].try_into().ok()?);
    let crc = u32::from_le_bytes(head[4..8].try_into().ok()?);
    if !(13..=MAX_RECORD).contains(&len) {
        return None;
    }
    let body = content.get(at + 8..at + 8 + len as usize)?;
    if crc32fast::hash(body) != crc {
        return None;
    }
    let seq = u64::from_le_bytes(body[..8].try_into().ok()?);
    let kind = body[8];
    let count = u32::from_le_bytes(body[9..13].try_into().ok()?) as usize;
    let rest = &body[13..];
    let ids_end = count.checked_mul(8)?;
    let ids: Vec<u64> = rest
        .get(..ids_end)?
        .chunks_exact(8)
        .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
        .collect();
    let change = match kind {
        KIND_UPSERT => {
            let floats = rest.get(ids_end..)?;
            if floats.len() != count * dim * 4 {
                return None;
            }
            let data = floats
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
                .collect();
            Change::Upsert { ids, data }
        }
        KIND_REMOVE if rest.len() == ids_end => Change::Remove { ids },
        _ => return None,
    };
    Some((seq, change, at + 8 + len as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_come_back_in_order_and_a_torn_tail_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.wal");
        let (mut wal, none) = Wal::open(&path, 2, 0).unwrap();
        assert!(none.is_empty());
        let a = Change::Upsert {
            ids: vec![1, 2],
            data: vec![1.0, 0.0, 0.0, 1.0],
        };
        let b = Change::Remove { ids: vec![1] };
        wal.append(1, &a).unwrap();
        wal.append(2, &b).unwrap();
        wal.append(3, &a).unwrap();
        drop(wal);
        // Tear the last record.
        let len = std::fs::metadata(&path).unwrap().len();
        let f = OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len(len - 3).unwrap();
        drop(f);
        let (mut wal, changes) = Wal::open(&path, 2, 0).unwrap();
        assert_eq!(changes, vec![(1, a.clone()), (2, b.clone())]);
        assert_eq!(wal.vectors(), 2);
        // Appends continue after the last whole record.
        wal.append(3, &b).unwrap();
        drop(wal);
        let (_, changes) = Wal::open(&path, 2, 1).unwrap();
        assert_eq!(changes, vec![(2, b.clone()), (3, b)]);
    }

    #[test]
    fn a_flipped_byte_ends_the_log_there_and_another_dimension_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.wal");
        let (mut wal, _) = Wal::open(&path, 1, 0).unwrap();
        wal.append(
            1,
            &Change::Upsert {
                ids: vec![7],
                data: vec![1.0],
            },
        )
        .unwrap();
        wal.append(
            2,
            &Change::Upsert {
                ids: vec![8],
                data: vec![1.0],
            },
        )
        .unwrap();
        drop(wal);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 2;
        bytes[last] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        let (_, changes) = Wal::open(&path, 1, 0).unwrap();
        assert_eq!(changes.len(), 1);
        assert!(matches!(Wal::open(&path, 3, 0), Err(IndexError::Corrupt { .. })));
    }
}
