//! [`F16Copy`]: an f16 copy of a space's vectors, beside a graph that holds them as i8.
//!
//! Why: a graph walk at 1M vectors waits for memory, one stored vector per neighbour it
//! measures, so the bytes per stored vector set its speed. Walking on i8 vectors (256 bytes at
//! 256-d, against f16's 512) measured ~1.35x as many queries/s, and built faster, but i8 alone
//! ranks the nearest neighbours too coarsely (recall@10 at most 0.946 on the reference vectors,
//! exact search). The walk's short list (its whole beam) is therefore scored again against this
//! copy, which is f16 (exact search on f16 ranks within 0.001 of f32): only that list's vectors
//! are read from it, so it costs a few dozen reads per query.
//!
//! The copy written with the last snapshot ([`F16Copy::write`], checked like the graph on open)
//! is read row by row from its file (`pread`), not loaded: the page cache holds it, and the
//! process holds only its i8 graph (half of an f16 graph) and the id map. Mapping the file was
//! tried first: this kernel maps whole large folios on each fault, so re-scoring 300 candidates
//! per query window made the whole 2.9 GB copy of the 1M-region item space resident within a
//! few dozen queries. Vectors put since that snapshot live in memory until the next one.

use std::collections::HashMap;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use half::f16;

use crate::IndexError;

const MAGIC: &[u8; 4] = b"GLC1";
const HEADER: usize = 16;

/// Unit vectors stored as f16, by id.
pub(super) struct F16Copy {
    dim: usize,
    /// The copy written with the last snapshot, and the ids it still serves, by row.
    base: Option<OnDisk>,
    base_row_of: HashMap<u64, u32>,
    /// Vectors put since (new ids and replacements): `dim` f16 bit patterns per row.
    rows: Vec<u16>,
    row_of: HashMap<u64, u32>,
    free: Vec<u32>,
}

impl F16Copy {
    pub(super) fn new(dim: usize) -> Self {
        Self {
            dim,
            base: None,
            base_row_of: HashMap::new(),
            rows: Vec::new(),
            row_of: HashMap::new(),
            free: Vec::new(),
        }
    }

    /// Stores (or replaces) the vector of `id`.
    pub(super) fn put(&mut self, id: u64, unit: &[f32]) {
        debug_assert_eq!(unit.len(), self.dim);
        self.base_row_of.remove(&id);
        let row = match self.row_of.get(&id) {
            Some(&row) => row,
            None => {
                let row = self.free.pop().unwrap_or_else(|| {
                    self.rows.resize(self.rows.len() + self.dim, 0);
                    (self.rows.len() / self.dim - 1) as u32
                });
                self.row_of.insert(id, row);
                row
            }
        };
        let at = row as usize * self.dim;
        for (stored, &x) in self.rows[at..at + self.dim].iter_mut().zip(unit) {
            *stored = f16::from_f32(x).to_bits();
        }
    }

    pub(super) fn remove(&mut self, id: u64) {
        self.base_row_of.remove(&id);
        if let Some(row) = self.row_of.remove(&id) {
            self.free.push(row);
        }
    }

    /// Vectors stored.
    pub(super) fn len(&self) -> usize {
        self.base_row_of.len() + self.row_of.len()
    }

    /// `with` applied to the stored vector of `id` (f16 bit patterns), if stored.
    fn with_row<R>(&self, id: u64, with: impl FnOnce(&[u16]) -> R) -> Result<Option<R>, IndexError> {
        if let Some(&row) = self.row_of.get(&id) {
            let at = row as usize * self.dim;
            return Ok(Some(with(&self.rows[at..at + self.dim])));
        }
        let (Some(&row), Some(base)) = (self.base_row_of.get(&id), &self.base) else {
            return Ok(None);
        };
        base.with_row(row as usize, self.dim, with).map(Some)
    }

    /// The dot product of `query` with the stored vector of `id`, if stored.
    pub(super) fn score(&self, id: u64, query: &[f32]) -> Result<Option<f32>, IndexError> {
        self.with_row(id, |row| dot_f16(query, row))
    }

    /// Bytes held in memory (the file's pages belong to the page cache).
    pub(super) fn memory_bytes(&self) -> usize {
        self.rows.capacity() * 2 + (self.row_of.capacity() + self.base_row_of.capacity()) * 16
    }

    /// Writes `GLC1`, dim (u32 LE), count (u64 LE), the ids in increasing order (u64 LE each),
    /// then each id's row (f16 LE each), to `path`, and syncs it. Returns the file's size and
    /// CRC-32, taken from the bytes as they are written (not read back). The rows still served
    /// by the previous copy's file are read from it in one sequential pass ([`Rows`]): at 1M
    /// 256-d vectors a read per row made the snapshot 1.9–3.1 s instead of 0.8–0.9 s.
    pub(super) fn write(&self, path: &Path) -> Result<(u64, u32), IndexError> {
        self.write_reading(path, ROWS_CHUNK_BYTES)
    }

    /// [`Self::write`], reading the previous copy's rows `chunk_bytes` at a time.
    fn write_reading(&self, path: &Path, chunk_bytes: usize) -> Result<(u64, u32), IndexError> {
        let file = std::fs::File::create(path).map_err(|e| IndexError::io(path, e))?;
        let mut out = std::io::BufWriter::with_capacity(1 << 22, file);
        let mut ids: Vec<u64> = self.base_row_of.keys().chain(self.row_of.keys()).copied().collect();
        ids.sort_unstable();
        let mut crc = crc32fast::Hasher::new();
        let mut written = 0u64;
        let mut put = |bytes: &[u8]| {
            crc.update(bytes);
            written += bytes.len() as u64;
            out.write_all(bytes).map_err(|e| IndexError::io(path, e))
        };
        put(MAGIC)?;
        put(&(self.dim as u32).to_le_bytes())?;
        put(&(ids.len() as u64).to_le_bytes())?;
        for id in &ids {
            put(&id.to_le_bytes())?;
        }
        let mut row_bytes = Vec::with_capacity(self.dim * 2);
        let mut base_rows = self.base.as_ref().map(|base| Rows::new(base, self.dim, chunk_bytes));
        for &id in &ids {
            if let Some(&row) = self.row_of.get(&id) {
                let at = row as usize * self.dim;
                row_bytes.clear();
                for bits in &self.rows[at..at + self.dim] {
                    row_bytes.extend_from_slice(&bits.to_le_bytes());
                }
                put(&row_bytes)?;
            } else {
                let row = self.base_row_of[&id] as usize;
                let base = base_rows.as_mut().expect("an id served by the base copy has one");
                put(base.row(row)?)?;
            }
        }
        out.into_inner()
            .map_err(|e| IndexError::io(path, e.into_error()))?
            .sync_all()
            .map_err(|e| IndexError::io(path, e))?;
        Ok((written, crc.finalize()))
    }

    /// Opens what [`Self::write`] wrote for a `dim`-d space: reads its ids, leaves its rows on
    /// disk.
    pub(super) fn open(path: &Path, dim: usize) -> Result<Self, IndexError> {
        let corrupt = |why: &str| IndexError::corrupt(path, format!("f16 copy: {why}"));
        let file = std::fs::File::open(path).map_err(|e| IndexError::io(path, e))?;
        let len = file.metadata().map_err(|e| IndexError::io(path, e))?.len();
        let mut header = [0u8; HEADER];
        if len < HEADER as u64 || file.read_exact_at(&mut header, 0).is_err() || &header[..4] != MAGIC {
            return Err(corrupt("bad header"));
        }
        let stored_dim = u32::from_le_bytes(header[4..8].try_into().expect("4 bytes")) as usize;
        if stored_dim != dim {
            return Err(corrupt(&format!("{stored_dim}-d rows in a {dim}-d space")));
        }
        let count = u64::from_le_bytes(header[8..16].try_into().expect("8 bytes"));
        let expected = count
            .checked_mul(8 + 2 * dim as u64)
            .and_then(|b| b.checked_add(HEADER as u64))
            .ok_or_else(|| corrupt("count overflows"))?;
        if len != expected {
            return Err(corrupt(&format!("{len} bytes, {count} rows need {expected}")));
        }
        let mut ids = vec![0u8; 8 * count as usize];
        file.read_exact_at(&mut ids, HEADER as u64)
            .map_err(|e| IndexError::io(path, e))?;
        let mut base_row_of = HashMap::with_capacity(count as usize);
        for (row, id) in ids.chunks_exact(8).enumerate() {
            let id = u64::from_le_bytes(id.try_into().expect("8 bytes"));
            if base_row_of.insert(id, row as u32).is_some() {
                return Err(corrupt(&format!("id {id} twice")));
            }
        }
        Ok(Self {
            dim,
            base: Some(OnDisk {
                file,
                path: path.to_path_buf(),
                rows_at: HEADER as u64 + 8 * count,
                rows: count as usize,
            }),
            base_row_of,
            rows: Vec::new(),
            row_of: HashMap::new(),
            free: Vec::new(),
        })
    }
}

/// A copy's file, whose rows start at `rows_at`. Glint never changes the file once written (a
/// new snapshot writes a new one), so an open handle keeps reading the same rows.
struct OnDisk {
    file: std::fs::File,
    path: PathBuf,
    rows_at: u64,
    /// Rows in the file.
    rows: usize,
}

impl OnDisk {
    /// `with` applied to row `row` of `dim` f16 values (the row comes from the file's own id
    /// list), read into a buffer of the calling thread's: a whole photo re-scores 14 x 300 rows,
    /// so each read costs one system call and no allocation.
    fn with_row<R>(&self, row: usize, dim: usize, with: impl FnOnce(&[u16]) -> R) -> Result<R, IndexError> {
        thread_local! {
            static ROW: std::cell::RefCell<Vec<u16>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        ROW.with_borrow_mut(|buffer| {
            buffer.resize(dim, 0);
            // SAFETY: the u16 buffer viewed as its 2 x dim bytes (u8 has no alignment needs).
            let bytes = unsafe { std::slice::from_raw_parts_mut(buffer.as_mut_ptr().cast::<u8>(), 2 * dim) };
            self.file
                .read_exact_at(bytes, self.rows_at + (row * 2 * dim) as u64)
                .map_err(|e| IndexError::io(&self.path, e))?;
            // The file is little-endian (a no-op on little-endian machines).
            buffer.iter_mut().for_each(|bits| *bits = u16::from_le(*bits));
            Ok(with(buffer))
        })
    }
}

/// Bytes of a copy's file read this many at a time by [`Rows`].
const ROWS_CHUNK_BYTES: usize = 4 << 20;

/// Rows of a copy's file as stored (little-endian f16), read a chunk of consecutive rows at a
/// time. A snapshot copies the rows the copy still serves in increasing id order, which is
/// the file's row order, so one sequential pass replaces a read per row (a million system
/// calls for a 1M-vector space); rows of removed ids inside a chunk are read and skipped.
struct Rows<'a> {
    disk: &'a OnDisk,
    row_bytes: usize,
    chunk_rows: usize,
    chunk: Vec<u8>,
    /// The row at the start of `chunk`, and the rows it holds.
    first: usize,
    held: usize,
}

impl<'a> Rows<'a> {
    fn new(disk: &'a OnDisk, dim: usize, chunk_bytes: usize) -> Self {
        Self {
            disk,
            row_bytes: 2 * dim,
            chunk_rows: (chunk_bytes / (2 * dim).max(1)).max(1),
            chunk: Vec::new(),
            first: 0,
            held: 0,
        }
    }

    /// The stored bytes of `row` (any order works; increasing order reads each chunk once).
    fn row(&mut self, row: usize) -> Result<&[u8], IndexError> {
        if row < self.first || row >= self.first + self.held {
            self.held = self.chunk_rows.min(self.disk.rows.saturating_sub(row));
            if self.held == 0 {
                return Err(IndexError::corrupt(&self.disk.path, format!("f16 copy: no row {row}")));
            }
            self.first = row;
            self.chunk.resize(self.held * self.row_bytes, 0);
            self.disk
                .file
                .read_exact_at(&mut self.chunk, self.disk.rows_at + (row * self.row_bytes) as u64)
                .map_err(|e| IndexError::io(&self.disk.path, e))?;
        }
        let at = (row - self.first) * self.row_bytes;
        Ok(&self.chunk[at..at + self.row_bytes])
    }
}

/// Dot product of an f32 query with an f16 row: F16C conversions and FMA where the CPU has them
/// (checked at run time), `half`'s conversion otherwise; both sum in f32.
fn dot_f16(query: &[f32], row: &[u16]) -> f32 {
    debug_assert_eq!(query.len(), row.len());
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("f16c") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: both features were just checked.
        return unsafe { dot_f16_f16c(query, row) };
    }
    query
        .iter()
        .zip(row)
        .map(|(&q, &r)| q * f16::from_bits(r).to_f32())
        .sum()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "f16c,fma,avx")]
unsafe fn dot_f16_f16c(query: &[f32], row: &[u16]) -> f32 {
    use std::arch::x86_64::*;
    let n = query.len().min(row.len());
    let mut acc = [_mm256_setzero_ps(); 4];
    let mut i = 0;
    // SAFETY (all loads): each reads 8 elements at `i + 8j < n` of slices at least `n` long.
    while i + 32 <= n {
        for (j, a) in acc.iter_mut().enumerate() {
            let at = i + 8 * j;
            let r = _mm256_cvtph_ps(_mm_loadu_si128(row.as_ptr().add(at).cast()));
            *a = _mm256_fmadd_ps(_mm256_loadu_ps(query.as_ptr().add(at)), r, *a);
        }
        i += 32;
    }
    while i + 8 <= n {
        let r = _mm256_cvtph_ps(_mm_loadu_si128(row.as_ptr().add(i).cast()));
        acc[0] = _mm256_fmadd_ps(_mm256_loadu_ps(query.as_ptr().add(i)), r, acc[0]);
        i += 8;
    }
    let sum = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
    let mut lanes = [0f32; 8];
    _mm256_storeu_ps(lanes.as_mut_ptr(), sum);
    let tail: f32 = (i..n).map(|k| query[k] * f16::from_bits(row[k]).to_f32()).sum();
    lanes.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A snapshot copies the previous copy's rows a chunk at a time: whatever the chunk size
    /// (one row, a few, all), the new copy holds the same vectors as one written from memory.
    #[test]
    fn issue14_a_snapshot_reads_the_previous_copy_in_chunks_with_the_same_rows() {
        let dim = 8;
        let dir = tempfile::tempdir().unwrap();
        let mut memory = F16Copy::new(dim);
        for id in 0..23 {
            memory.put(id * 3, &unit(id, dim));
        }
        let first = dir.path().join("first.f16");
        memory.write(&first).unwrap();
        let mut copy = F16Copy::open(&first, dim).unwrap();
        // Removed and replaced rows inside and at the ends of chunks, and new ids between them.
        for id in [0, 4 * 3, 5 * 3, 22 * 3] {
            copy.remove(id);
            memory.remove(id);
        }
        for (id, seed) in [(7 * 3, 70), (10, 100), (200, 2)] {
            copy.put(id, &unit(seed, dim));
            memory.put(id, &unit(seed, dim));
        }
        let expected = dir.path().join("expected.f16");
        let written = memory.write(&expected).unwrap();
        for chunk_bytes in [1, 2 * dim, 3 * 2 * dim, 5 * 2 * dim + 1, 1 << 20] {
            let path = dir.path().join(format!("chunk{chunk_bytes}.f16"));
            assert_eq!(
                copy.write_reading(&path, chunk_bytes).unwrap(),
                written,
                "chunk {chunk_bytes}"
            );
            assert_eq!(std::fs::read(&path).unwrap(), std::fs::read(&expected).unwrap());
        }
        // Rows asked for out of order are read again, not served from the wrong chunk.
        let base = copy.base.as_ref().unwrap();
        let mut rows = Rows::new(base, dim, 4 * 2 * dim);
        for row in [9, 2, 10, 22, 0, 21] {
            let got = rows.row(row).unwrap().to_vec();
            let mut want = vec![0u8; 2 * dim];
            base.file
                .read_exact_at(&mut want, base.rows_at + (row * 2 * dim) as u64)
                .unwrap();
            assert_eq!(got, want, "row {row}");
        }
        assert!(rows.row(23).is_err(), "a row past the file's end is an error");
    }

    fn unit(seed: u64, dim: usize) -> Vec<f32> {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let v: Vec<f32> = (0..dim)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state % 2001) as f32 / 1000.0 - 1.0
            })
            .collect();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.into_iter().map(|x| x / norm).collect()
    }

    #[test]
    fn scores_are_f32_dot_products_within_f16_rounding() {
        for dim in [3, 8, 37, 256, 1536] {
            let mut copy = F16Copy::new(dim);
            let (a, q) = (unit(1, dim), unit(2, dim));
            copy.put(7, &a);
            let exact: f32 = a.iter().zip(&q).map(|(x, y)| x * y).sum();
            let got = copy.score(7, &q).unwrap().unwrap();
            assert!((got - exact).abs() < 2e-3, "{dim}-d: {got} against {exact}");
            let portable: f32 = q
                .iter()
                .zip(&copy.rows[..dim])
                .map(|(&x, &r)| x * f16::from_bits(r).to_f32())
                .sum();
            assert!(
                (got - portable).abs() < 1e-5,
                "{dim}-d: SIMD {got}, portable {portable}"
            );
        }
    }

    #[test]
    fn rows_are_replaced_removed_reused_and_survive_a_round_trip() {
        let dim = 16;
        let mut copy = F16Copy::new(dim);
        for id in 0..5 {
            copy.put(id, &unit(id, dim));
        }
        copy.put(2, &unit(20, dim));
        copy.remove(3);
        copy.put(9, &unit(9, dim));
        assert_eq!(copy.rows.len(), 5 * dim, "the removed row is reused");
        assert!(copy.score(3, &unit(3, dim)).unwrap().is_none());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("copy.f16");
        let sealed = copy.write(&path).unwrap();
        assert_eq!(
            sealed,
            super::super::snapshot::checksum(&path).unwrap(),
            "size and CRC as written"
        );
        let mut back = F16Copy::open(&path, dim).unwrap();
        for id in [0, 1, 2, 4, 9] {
            let q = unit(100 + id, dim);
            assert_eq!(back.score(id, &q).unwrap(), copy.score(id, &q).unwrap(), "id {id}");
        }
        assert!(back.score(3, &unit(3, dim)).unwrap().is_none());
        assert!(
            (back.score(2, &unit(20, dim)).unwrap().unwrap() - 1.0).abs() < 2e-3,
            "the replacement is kept"
        );
        // Changes after the mapped snapshot: in memory, over the file.
        back.put(4, &unit(40, dim));
        back.remove(0);
        back.put(11, &unit(11, dim));
        assert_eq!(back.len(), 5);
        assert!(back.score(0, &unit(0, dim)).unwrap().is_none());
        assert!(
            (back.score(4, &unit(40, dim)).unwrap().unwrap() - 1.0).abs() < 2e-3,
            "the replacement wins"
        );
        let again = dir.path().join("again.f16");
        back.write(&again).unwrap();
        let again = F16Copy::open(&again, dim).unwrap();
        for id in [1, 2, 4, 9, 11] {
            let q = unit(200 + id, dim);
            assert_eq!(again.score(id, &q).unwrap(), back.score(id, &q).unwrap(), "id {id}");
        }
        assert_eq!(again.len(), 5);
        assert!(
            F16Copy::open(&path, dim + 1).is_err(),
            "a copy of another dimension is refused"
        );
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
        assert!(F16Copy::open(&path, dim).is_err(), "a truncated copy is refused");
    }
}
