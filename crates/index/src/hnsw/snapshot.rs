//! A graph space's files: its description (`<stem>.hnsw.json`), the graph snapshot it names
//! (`<stem>-<seq>.usearch`, usearch's own format; with `<stem>-<seq>.f16`, the f16 copy of an
//! i8+f16 space) and its log (`<stem>.wal`).
//!
//! The description is the commit point. A snapshot is written under a new name, fsynced and
//! checksummed, and only then does a new description (written beside it and renamed over the old
//! one) name it; the old snapshot is deleted after that. A crash at any step leaves a description
//! that names a whole snapshot, plus at worst an unnamed file that opening deletes.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::HnswParams;
use crate::storage::{file_stem, sync_dir};
use crate::IndexError;

pub(crate) const DESCRIPTION_SUFFIX: &str = ".hnsw.json";
pub(crate) const COPY_EXTENSION: &str = "f16";
const FORMAT: u32 = 1;

/// What `<stem>.hnsw.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Description {
    pub format: u32,
    pub name: String,
    pub dim: usize,
    pub params: HnswParams,
    pub snapshot: Option<SnapshotFile>,
}

/// A whole graph as of log record `seq`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SnapshotFile {
    pub file: String,
    pub seq: u64,
    pub bytes: u64,
    pub crc32: u32,
    /// The f16 copy of the same moment, for an i8+f16 space.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copy: Option<CopyFile>,
}

/// An i8+f16 space's f16 copy (`super::rescore`), written with the snapshot.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CopyFile {
    pub file: String,
    pub bytes: u64,
    pub crc32: u32,
}

impl SnapshotFile {
    /// The files of this snapshot.
    pub(crate) fn files(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.file.as_str()).chain(self.copy.as_ref().map(|c| c.file.as_str()))
    }
}

/// Where one space's files live.
pub(crate) struct Paths {
    pub dir: PathBuf,
    pub stem: String,
}

impl Paths {
    pub(crate) fn new(dir: &Path, space: &str) -> Self {
        Self {
            dir: dir.to_path_buf(),
            stem: file_stem(space),
        }
    }

    pub(crate) fn description(&self) -> PathBuf {
        self.dir.join(format!("{}{DESCRIPTION_SUFFIX}", self.stem))
    }

    pub(crate) fn wal(&self) -> PathBuf {
        self.dir.join(format!("{}.wal", self.stem))
    }

    pub(crate) fn snapshot_name(&self, seq: u64) -> String {
        format!("{}-{seq}.usearch", self.stem)
    }

    pub(crate) fn copy_name(&self, seq: u64) -> String {
        format!("{}-{seq}.{COPY_EXTENSION}", self.stem)
    }
}

impl Description {
    pub(crate) fn new(name: &str, dim: usize, params: HnswParams) -> Self {
        Self {
            format: FORMAT,
            name: name.to_string(),
            dim,
            params,
            snapshot: None,
        }
    }

    pub(crate) fn read(path: &Path) -> Result<Self, IndexError> {
        let bytes = std::fs::read(path).map_err(|e| IndexError::io(path, e))?;
        let description: Self = serde_json::from_slice(&bytes)
            .map_err(|e| IndexError::corrupt(path, format!("unreadable description: {e}")))?;
        if description.format != FORMAT {
            return Err(IndexError::corrupt(
                path,
                format!("description format {}, this build reads {FORMAT}", description.format),
            ));
        }
        Ok(description)
    }

    /// Replaces the description at `path` atomically and durably.
    pub(crate) fn write(&self, path: &Path) -> Result<(), IndexError> {
        let temp = path.with_extension("json.tmp");
        let bytes = serde_json::to_vec_pretty(self).expect("a description serialises");
        write_synced(&temp, &bytes)?;
        std::fs::rename(&temp, path).map_err(|e| IndexError::io(path, e))?;
        sync_dir(path.parent().expect("a file in a directory"))
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), IndexError> {
    use std::io::Write;
    let mut file = std::fs::File::create(path).map_err(|e| IndexError::io(path, e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| IndexError::io(path, e))
}

/// Fsyncs a file just written by usearch and returns its size and CRC-32.
pub(crate) fn seal(path: &Path) -> Result<(u64, u32), IndexError> {
    let file = std::fs::File::open(path).map_err(|e| IndexError::io(path, e))?;
    file.sync_all().map_err(|e| IndexError::io(path, e))?;
    checksum(path)
}

/// Checks that the file at `path` has the size and CRC-32 its description recorded.
pub(crate) fn verify(path: &Path, bytes: u64, crc32: u32) -> Result<(), IndexError> {
    let (found, crc) = checksum(path)?;
    if (found, crc) != (bytes, crc32) {
        return Err(IndexError::corrupt(
            path,
            format!("{found} bytes with CRC {crc:08x}, its description says {bytes} bytes with {crc32:08x}"),
        ));
    }
    Ok(())
}

/// The size and CRC-32 of a file, read in 4 MiB blocks.
pub(crate) fn checksum(path: &Path) -> Result<(u64, u32), IndexError> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|e| IndexError::io(path, e))?;
    let mut hasher = crc32fast::Hasher::new();
    let mut block = vec![0u8; 1 << 22];
    let mut bytes = 0u64;
    loop {
        let n = file.read(&mut block).map_err(|e| IndexError::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&block[..n]);
        bytes += n as u64;
    }
    Ok((bytes, hasher.finalize()))
}
