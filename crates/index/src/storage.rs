//! The on-disk form of one space: one file, replaced whole and atomically.
//!
//! Layout (little-endian throughout):
//!
//! | bytes             | field                                           |
//! |-------------------|-------------------------------------------------|
//! | 8                 | magic `GLINTVEC`                                |
//! | 4                 | format version (1)                              |
//! | 4                 | dim                                             |
//! | 8                 | count                                           |
//! | 2                 | name length `n`                                 |
//! | n                 | space name, UTF-8 (file names are sanitised)    |
//! | 8 × count         | ids, `u64`, in slot order                       |
//! | 4 × count × dim   | unit vectors, `f32`, row-major in slot order    |
//! | 4                 | CRC-32 of every preceding byte                  |
//!
//! The header fixes the file's exact length, so truncation is caught before anything big is
//! allocated, and the CRC catches torn or flipped bytes. A file is written beside its final name,
//! fsynced, then renamed over it (and the directory fsynced), so a crash leaves either the old
//! file or the new one, plus at worst a stray temporary that [`is_temporary`] recognises.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::IndexError;

pub(crate) const EXTENSION: &str = "vec";
const TEMP_SUFFIX: &str = ".vec.tmp";
const MAGIC: &[u8; 8] = b"GLINTVEC";
const VERSION: u32 = 1;
const FIXED_HEADER: u64 = 8 + 4 + 4 + 8 + 2;
/// Floats converted per write or read call: 256 KiB, large enough to amortise the calls.
const FLOATS_PER_BLOCK: usize = 1 << 16;

/// The largest dimension a space may have; far above any embedding model, low enough that a
/// corrupt header cannot ask for absurd allocations per row.
pub(crate) const MAX_DIM: usize = 1 << 16;

/// One space as stored: its vectors in slot order.
pub(crate) struct StoredSpace {
    pub name: String,
    pub dim: usize,
    pub ids: Vec<u64>,
    pub data: Vec<f32>,
}

/// The file name for `space`: the name with anything but `[A-Za-z0-9_.-]` made `_` (and capped),
/// plus a hash of the exact name so that `face:x` and `face_x` cannot collide.
pub(crate) fn file_name(space: &str) -> String {
    format!("{}.{EXTENSION}", file_stem(space))
}

/// [`file_name`] without its extension, for the other files a backend keeps per space.
pub(crate) fn file_stem(space: &str) -> String {
    let mut readable: String = space
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_.-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if readable.starts_with('.') {
        readable.replace_range(0..1, "_");
    }
    format!("{readable}-{:08x}", fnv1a32(space.as_bytes()))
}

/// Whether `path` is a temporary left behind by a write that did not finish.
pub(crate) fn is_temporary(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(TEMP_SUFFIX))
}

fn fnv1a32(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .fold(0x811c_9dc5u32, |h, &b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
}

/// Writes a space to `dir/<file_name(name)>` atomically; returns the path and its size in bytes.
pub(crate) fn write_space(
    dir: &Path,
    name: &str,
    dim: usize,
    ids: &[u64],
    data: &[f32],
) -> Result<(PathBuf, u64), IndexError> {
    debug_assert_eq!(ids.len() * dim, data.len());
    let file_name = file_name(name);
    let path = dir.join(&file_name);
    let temp = dir.join(format!("{file_name}.tmp"));
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&temp)
        .map_err(|e| IndexError::io(&temp, e))?;
    let mut out = ChecksumWriter {
        inner: BufWriter::with_capacity(1 << 20, file),
        crc: crc32fast::Hasher::new(),
        written: 0,
    };
    let result = (|| {
        out.put(MAGIC)?;
        out.put(&VERSION.to_le_bytes())?;
        out.put(&(dim as u32).to_le_bytes())?;
        out.put(&(ids.len() as u64).to_le_bytes())?;
        out.put(&(name.len() as u16).to_le_bytes())?;
        out.put(name.as_bytes())?;
        let mut block = Vec::with_capacity(FLOATS_PER_BLOCK * 4);
        for chunk in ids.chunks(FLOATS_PER_BLOCK / 2) {
            block.clear();
            chunk.iter().for_each(|id| block.extend_from_slice(&id.to_le_bytes()));
            out.put(&block)?;
        }
        for chunk in data.chunks(FLOATS_PER_BLOCK) {
            block.clear();
            chunk.iter().for_each(|x| block.extend_from_slice(&x.to_le_bytes()));
            out.put(&block)?;
        }
        let crc = out.crc.clone().finalize();
        out.inner.write_all(&crc.to_le_bytes())?;
        out.written += 4;
        let file = out.inner.into_inner().map_err(|e| e.into_error())?;
        // The data must be on disk before the rename makes it the space's file.
        file.sync_all()?;
        Ok::<u64, std::io::Error>(out.written)
    })();
    let written = match result {
        Ok(written) => written,
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            return Err(IndexError::io(&temp, e));
        }
    };
    std::fs::rename(&temp, &path).map_err(|e| IndexError::io(&path, e))?;
    sync_dir(dir)?;
    Ok((path, written))
}

/// Makes a rename in `dir` durable; without it a crash can forget the new directory entry.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), IndexError> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| IndexError::io(dir, e))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

struct ChecksumWriter {
    inner: BufWriter<File>,
    crc: crc32fast::Hasher,
    written: u64,
}

impl ChecksumWriter {
    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.crc.update(bytes);
        self.written += bytes.len() as u64;
        self.inner.write_all(bytes)
    }
}

struct ChecksumReader {
    inner: BufReader<File>,
    crc: crc32fast::Hasher,
}

impl ChecksumReader {
    fn take(&mut self, buf: &mut [u8]) -> std::io::Result<()> {
        self.inner.read_exact(buf)?;
        self.crc.update(buf);
        Ok(())
    }

    fn array<const N: usize>(&mut self) -> std::io::Result<[u8; N]> {
        let mut buf = [0u8; N];
        self.take(&mut buf)?;
        Ok(buf)
    }
}

/// Reads and verifies one space file.
pub(crate) fn read_space(path: &Path) -> Result<StoredSpace, IndexError> {
    let corrupt = |reason: String| IndexError::corrupt(path, reason);
    let file = File::open(path).map_err(|e| IndexError::io(path, e))?;
    let file_len = file.metadata().map_err(|e| IndexError::io(path, e))?.len();
    if file_len < FIXED_HEADER + 4 {
        return Err(corrupt(format!("only {file_len} bytes, shorter than a header")));
    }
    let mut input = ChecksumReader {
        inner: BufReader::with_capacity(1 << 20, file),
        crc: crc32fast::Hasher::new(),
    };
    let io = |e: std::io::Error| IndexError::io(path, e);

    if &input.array::<8>().map_err(io)? != MAGIC {
        return Err(corrupt("not a Glint vector file (bad magic)".into()));
    }
    let version = u32::from_le_bytes(input.array().map_err(io)?);
    if version != VERSION {
        return Err(corrupt(format!("format version {version}, this build reads {VERSION}")));
    }
    let dim = u32::from_le_bytes(input.array().map_err(io)?) as usize;
    let count = u64::from_le_bytes(input.array().map_err(io)?);
    let name_len = u16::from_le_bytes(input.array().map_err(io)?);
    if dim == 0 || dim > MAX_DIM {
        return Err(corrupt(format!("dimension {dim} out of range")));
    }
    // Check the length the header implies before allocating anything it asks for.
    let expected_len = count
        .checked_mul(8 + 4 * dim as u64)
        .and_then(|body| body.checked_add(FIXED_HEADER + u64::from(name_len) + 4));
    if expected_len != Some(file_len) {
        return Err(corrupt(format!(
            "{file_len} bytes, but its header implies {} (torn write or truncation)",
            expected_len.map_or_else(|| "an impossible size".to_string(), |n| n.to_string())
        )));
    }
    let count = count as usize;

    let mut name = vec![0u8; usize::from(name_len)];
    input.take(&mut name).map_err(io)?;
    let mut ids = vec![0u64; count];
    let mut block = vec![0u8; FLOATS_PER_BLOCK * 4];
    for chunk in ids.chunks_mut(FLOATS_PER_BLOCK / 2) {
        let bytes = &mut block[..chunk.len() * 8];
        input.take(bytes).map_err(io)?;
        for (id, raw) in chunk.iter_mut().zip(bytes.chunks_exact(8)) {
            *id = u64::from_le_bytes(raw.try_into().expect("8-byte chunk"));
        }
    }
    let mut data = vec![0f32; count * dim];
    for chunk in data.chunks_mut(FLOATS_PER_BLOCK) {
        let bytes = &mut block[..chunk.len() * 4];
        input.take(bytes).map_err(io)?;
        for (x, raw) in chunk.iter_mut().zip(bytes.chunks_exact(4)) {
            *x = f32::from_le_bytes(raw.try_into().expect("4-byte chunk"));
        }
    }
    let actual = input.crc.clone().finalize();
    let mut stored = [0u8; 4];
    input.inner.read_exact(&mut stored).map_err(io)?;
    let stored = u32::from_le_bytes(stored);
    if stored != actual {
        return Err(corrupt(format!(
            "checksum {actual:08x} does not match the stored {stored:08x}"
        )));
    }
    let name = String::from_utf8(name).map_err(|_| corrupt("space name is not UTF-8".into()))?;
    Ok(StoredSpace { name, dim, ids, data })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe_and_distinct() {
        let a = file_name("face:dlib128");
        let b = file_name("face_dlib128");
        assert!(a.starts_with("face_dlib128-") && a.ends_with(".vec"), "{a}");
        assert_ne!(a, b);
        let odd = file_name("../../etc/passwd");
        assert!(!odd.contains('/') && !odd.starts_with('.'), "{odd}");
        assert!(is_temporary(Path::new("x/face_dlib128-0a1b2c3d.vec.tmp")));
        assert!(!is_temporary(Path::new("x/face_dlib128-0a1b2c3d.vec")));
    }

    #[test]
    fn round_trip_keeps_every_bit() {
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<f32> = (0..3 * 5).map(|i| i as f32 * 0.25 - 1.0).collect();
        let (path, size) = write_space(dir.path(), "item:x", 5, &[9, 2, u64::MAX], &data).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), size);
        let back = read_space(&path).unwrap();
        assert_eq!(back.name, "item:x");
        assert_eq!(back.dim, 5);
        assert_eq!(back.ids, vec![9, 2, u64::MAX]);
        assert_eq!(back.data, data);
    }
}
