//! [`FlatIndex`]: exact search by scanning every stored vector.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use crate::kernel::score_rows;
use crate::storage::{self, StoredSpace};
use crate::topk::TopK;
use crate::validate::{batch_scales, check_k, check_new_space, read, same_dim, unit_query, write};
use crate::{Filter, Hit, IndexError, SpaceInfo, VectorRead, VectorWrite};

/// Rows scored per block before their scores go to the top-k selection: small enough to stay in
/// L1 next to the query, large enough that the selection loop does not interrupt the scoring one.
const BLOCK_ROWS: usize = 256;
/// Below this many stored floats (16 MiB) a search stays on the calling thread: spawning costs
/// tens of microseconds, which only pays off for scans that take milliseconds.
const PARALLEL_MIN_FLOATS: usize = 1 << 22;

/// Exact cosine search over vectors kept in memory, optionally persisted to a directory.
///
/// Each space is one contiguous `Vec<f32>` of unit vectors (row `slot` at `slot * dim`), the id
/// of each slot, and an id → slot map; removal moves the last row into the hole, so the block
/// stays dense. A search scores every row with a vectorised dot product and keeps the best `k`;
/// at 100k × 512-d that is a ~200 MB scan, which is why larger collections want an ANN backend.
///
/// Locking: a map lock guards the set of spaces and one lock guards each space, so searches
/// share read locks, an upsert blocks only searches of its own space, and [`flush`] holds only a
/// read lock (searches go on while it writes).
///
/// [`flush`]: VectorWrite::flush
pub struct FlatIndex {
    spaces: RwLock<HashMap<String, Arc<RwLock<Space>>>>,
    /// Where spaces are persisted; `None` for an in-memory index.
    dir: Option<PathBuf>,
    search_threads: usize,
}

struct Space {
    name: String,
    dim: usize,
    /// Unit vectors, `ids.len() * dim` floats.
    data: Vec<f32>,
    /// The id stored in each slot.
    ids: Vec<u64>,
    slots: HashMap<u64, usize>,
    /// Bumped by every change; compared with `flushed` to skip clean spaces on flush.
    generation: u64,
    /// The generation last written to disk. Atomic because flush holds only a read lock.
    flushed: AtomicU64,
}

impl FlatIndex {
    /// An index that lives only in memory; [`flush`](VectorWrite::flush) does nothing.
    pub fn in_memory() -> Self {
        Self {
            spaces: RwLock::new(HashMap::new()),
            dir: None,
            search_threads: 1,
        }
    }

    /// Opens (creating it if needed) the index persisted in `dir`, loading every space file.
    /// A space file that is truncated or fails its checksum is an [`IndexError::Corrupt`]; a
    /// temporary left by an interrupted flush is deleted, since the file it was replacing is
    /// still intact.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, IndexError> {
        let dir = dir.as_ref();
        let started = Instant::now();
        std::fs::create_dir_all(dir).map_err(|e| IndexError::io(dir, e))?;
        let mut spaces = HashMap::new();
        let mut entries = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| IndexError::io(dir, e))? {
            entries.push(entry.map_err(|e| IndexError::io(dir, e))?.path());
        }
        entries.sort();
        let mut vectors = 0;
        for path in entries {
            if storage::is_temporary(&path) {
                tracing::warn!(path = %path.display(), "removing temporary left by an interrupted flush");
                std::fs::remove_file(&path).map_err(|e| IndexError::io(&path, e))?;
                continue;
            }
            if path.extension().is_none_or(|ext| ext != storage::EXTENSION) {
                continue;
            }
            let stored = storage::read_space(&path)?;
            let name = stored.name.clone();
            let space = Space::from_stored(stored, &path)?;
            vectors += space.ids.len();
            if spaces.insert(name.clone(), Arc::new(RwLock::new(space))).is_some() {
                return Err(IndexError::corrupt(&path, format!("a second file for space {name:?}")));
            }
        }
        tracing::info!(
            dir = %dir.display(),
            spaces = spaces.len(),
            vectors,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "opened flat index"
        );
        Ok(Self {
            spaces: RwLock::new(spaces),
            dir: Some(dir.to_path_buf()),
            search_threads: 1,
        })
    }

    /// Lets one search of a large space use up to `threads` threads. The default, 1, suits a
    /// server whose concurrent searches already keep the cores busy; more helps a lone query.
    pub fn with_search_threads(mut self, threads: usize) -> Self {
        self.search_threads = threads.max(1);
        self
    }

    /// Bytes of heap held by vectors, ids and id maps: what the index adds to resident memory.
    pub fn memory_bytes(&self) -> usize {
        let spaces = read(&self.spaces);
        spaces
            .values()
            .map(|space| {
                let s = read(space);
                // A hashbrown entry is the (u64, usize) pair plus one control byte, at up to 7/8 load.
                let map = s.slots.capacity() * (std::mem::size_of::<(u64, usize)>() + 1);
                s.data.capacity() * 4 + s.ids.capacity() * 8 + map
            })
            .sum()
    }

    /// Every `(id, unit vector)` of a space, in slot order (for moving it to another backend).
    pub fn export(&self, name: &str) -> Result<Vec<(u64, Vec<f32>)>, IndexError> {
        let space = self.space(name)?;
        let s = read(&space);
        Ok(s.ids
            .iter()
            .zip(s.data.chunks_exact(s.dim))
            .map(|(&id, row)| (id, row.to_vec()))
            .collect())
    }

    /// Whether the index holds `name` (a map lookup, unlike [`VectorRead::spaces`]).
    pub fn has_space(&self, name: &str) -> bool {
        read(&self.spaces).contains_key(name)
    }

    /// Removes a space and its file.
    pub fn drop_space(&self, name: &str) -> Result<(), IndexError> {
        if write(&self.spaces).remove(name).is_none() {
            return Ok(());
        }
        if let Some(dir) = &self.dir {
            let path = dir.join(storage::file_name(name));
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(IndexError::io(&path, e)),
                _ => storage::sync_dir(dir)?,
            }
        }
        Ok(())
    }

    fn space(&self, name: &str) -> Result<Arc<RwLock<Space>>, IndexError> {
        read(&self.spaces)
            .get(name)
            .cloned()
            .ok_or_else(|| IndexError::UnknownSpace(name.to_string()))
    }
}

impl Space {
    fn new(name: &str, dim: usize) -> Self {
        Self {
            name: name.to_string(),
            dim,
            data: Vec::new(),
            ids: Vec::new(),
            slots: HashMap::new(),
            // Born dirty, so that flush persists a new space even while it is still empty.
            generation: 1,
            flushed: AtomicU64::new(0),
        }
    }

    fn from_stored(stored: StoredSpace, path: &Path) -> Result<Self, IndexError> {
        let mut slots = HashMap::with_capacity(stored.ids.len());
        for (slot, &id) in stored.ids.iter().enumerate() {
            if slots.insert(id, slot).is_some() {
                return Err(IndexError::corrupt(path, format!("id {id} is stored twice")));
            }
        }
        Ok(Self {
            name: stored.name,
            dim: stored.dim,
            data: stored.data,
            ids: stored.ids,
            slots,
            generation: 0,
            flushed: AtomicU64::new(0),
        })
    }

    /// Scores every row against the unit `query` and keeps the best `k` that pass `filter`.
    fn search(&self, query: &[f32], k: usize, filter: Option<Filter<'_>>, threads: usize) -> Vec<Hit> {
        let (rows, dim) = (self.ids.len(), self.dim);
        let mut top = TopK::new(k, rows, filter);
        if threads > 1 && self.data.len() >= PARALLEL_MIN_FLOATS {
            // Threads only score; selection stays on this thread.
            let mut scores = vec![0.0f32; rows];
            let rows_per_thread = rows.div_ceil(threads);
            std::thread::scope(|scope| {
                let parts = self
                    .data
                    .chunks(rows_per_thread * dim)
                    .zip(scores.chunks_mut(rows_per_thread));
                for (data, out) in parts {
                    scope.spawn(move || {
                        for (rows, out) in data.chunks(BLOCK_ROWS * dim).zip(out.chunks_mut(BLOCK_ROWS)) {
                            score_rows(query, rows, out);
                        }
                    });
                }
            });
            for (&id, &score) in self.ids.iter().zip(&scores) {
                top.offer(id, score);
            }
        } else {
            let mut scores = [0.0f32; BLOCK_ROWS];
            for (data, ids) in self.data.chunks(BLOCK_ROWS * dim).zip(self.ids.chunks(BLOCK_ROWS)) {
                let scores = &mut scores[..ids.len()];
                score_rows(query, data, scores);
                for (&id, &score) in ids.iter().zip(scores.iter()) {
                    top.offer(id, score);
                }
            }
        }
        top.into_hits()
    }

    /// Writes each item's unit vector; the items were validated and `scales` holds 1 / norm.
    fn apply_upsert(&mut self, items: &[(u64, Vec<f32>)], scales: &[f64]) {
        for ((id, vector), &scale) in items.iter().zip(scales) {
            let slot = match self.slots.get(id) {
                Some(&slot) => slot,
                None => {
                    let slot = self.ids.len();
                    self.ids.push(*id);
                    self.data.resize(self.data.len() + self.dim, 0.0);
                    self.slots.insert(*id, slot);
                    slot
                }
            };
            let row = &mut self.data[slot * self.dim..(slot + 1) * self.dim];
            for (out, &x) in row.iter_mut().zip(vector) {
                *out = (f64::from(x) * scale) as f32;
            }
        }
        self.generation += 1;
    }

    /// Removes `ids`, filling each hole with the last row. Returns how many were stored.
    fn apply_remove(&mut self, ids: &[u64]) -> usize {
        let mut removed = 0;
        for id in ids {
            let Some(slot) = self.slots.remove(id) else { continue };
            let last = self.ids.len() - 1;
            if slot != last {
                let moved = self.ids[last];
                self.ids[slot] = moved;
                self.data
                    .copy_within(last * self.dim..(last + 1) * self.dim, slot * self.dim);
                self.slots.insert(moved, slot);
            }
            self.ids.truncate(last);
            self.data.truncate(last * self.dim);
            removed += 1;
        }
        if removed > 0 {
            self.generation += 1;
        }
        removed
    }
}

impl VectorRead for FlatIndex {
    fn search(&self, space: &str, query: &[f32], k: usize, filter: Option<Filter<'_>>) -> Result<Vec<Hit>, IndexError> {
        check_k(k)?;
        let space = self.space(space)?;
        let space = read(&space);
        let unit = unit_query(&space.name, space.dim, query)?;
        Ok(space.search(&unit, k, filter, self.search_threads))
    }

    fn len(&self, space: &str) -> usize {
        self.space(space).map_or(0, |s| read(&s).ids.len())
    }

    fn contains(&self, space: &str, id: u64) -> bool {
        self.space(space).is_ok_and(|s| read(&s).slots.contains_key(&id))
    }

    fn spaces(&self) -> Vec<SpaceInfo> {
        let mut infos: Vec<SpaceInfo> = read(&self.spaces)
            .values()
            .map(|space| {
                let s = read(space);
                SpaceInfo {
                    name: s.name.clone(),
                    dim: s.dim,
                    len: s.ids.len(),
                }
            })
            .collect();
        infos.sort_by(|a, b| a.name.cmp(&b.name));
        infos
    }
}

impl VectorWrite for FlatIndex {
    fn create_space(&self, name: &str, dim: usize) -> Result<(), IndexError> {
        check_new_space(name, dim)?;
        let mut spaces = write(&self.spaces);
        if let Some(existing) = spaces.get(name) {
            return same_dim(name, read(existing).dim, dim);
        }
        spaces.insert(name.to_string(), Arc::new(RwLock::new(Space::new(name, dim))));
        tracing::debug!(space = name, dim, "created vector space");
        Ok(())
    }

    fn upsert(&self, space: &str, items: &[(u64, Vec<f32>)]) -> Result<(), IndexError> {
        let space = self.space(space)?;
        // Validate (the expensive part for big batches) before taking the write lock. The
        // dimension cannot change under us: a space's dim is fixed at creation.
        let (name, dim) = {
            let s = read(&space);
            (s.name.clone(), s.dim)
        };
        let scales = batch_scales(&name, dim, items)?;
        if !items.is_empty() {
            write(&space).apply_upsert(items, &scales);
        }
        Ok(())
    }

    fn remove(&self, space: &str, ids: &[u64]) -> Result<(), IndexError> {
        let space = self.space(space)?;
        let removed = write(&space).apply_remove(ids);
        tracing::trace!(requested = ids.len(), removed, "removed vectors");
        Ok(())
    }

    fn flush(&self) -> Result<(), IndexError> {
        let Some(dir) = &self.dir else { return Ok(()) };
        let spaces: Vec<Arc<RwLock<Space>>> = read(&self.spaces).values().cloned().collect();
        for space in spaces {
            // A read lock: searches continue during the write, changes to this space wait.
            let s = read(&space);
            if s.flushed.load(Ordering::Acquire) == s.generation {
                continue;
            }
            let started = Instant::now();
            let (path, bytes) = storage::write_space(dir, &s.name, s.dim, &s.ids, &s.data)?;
            s.flushed.store(s.generation, Ordering::Release);
            tracing::info!(
                space = %s.name,
                vectors = s.ids.len(),
                bytes,
                path = %path.display(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "flushed vector space"
            );
        }
        Ok(())
    }
}

impl Drop for FlatIndex {
    fn drop(&mut self) {
        if self.dir.is_none() {
            return;
        }
        let spaces = read(&self.spaces);
        let dirty: Vec<&str> = spaces
            .iter()
            .filter(|(_, space)| {
                let s = read(space);
                s.flushed.load(Ordering::Acquire) != s.generation
            })
            .map(|(name, _)| name.as_str())
            .collect();
        if !dirty.is_empty() {
            // Not flushed here: drop cannot report an error, and callers decide when to pay for I/O.
            tracing::warn!(spaces = ?dirty, "flat index dropped with unflushed changes");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots_consistent(space: &Space) {
        assert_eq!(space.ids.len(), space.slots.len());
        assert_eq!(space.data.len(), space.ids.len() * space.dim);
        for (slot, id) in space.ids.iter().enumerate() {
            assert_eq!(space.slots[id], slot);
        }
    }

    #[test]
    fn swap_remove_keeps_rows_with_their_ids() {
        let index = FlatIndex::in_memory();
        index.create_space("s", 3).unwrap();
        let items: Vec<(u64, Vec<f32>)> = (0..6).map(|i| (i, vec![1.0, i as f32, 0.0])).collect();
        index.upsert("s", &items).unwrap();
        index.remove("s", &[0, 3, 42, 5]).unwrap();
        let space = index.space("s").unwrap();
        let space = read(&space);
        slots_consistent(&space);
        assert_eq!(space.ids.len(), 3);
        for (slot, &id) in space.ids.iter().enumerate() {
            // Row `slot` must still be the unit form of [1, id, 0].
            let n = (1.0 + (id * id) as f32).sqrt();
            let row = &space.data[slot * 3..slot * 3 + 3];
            assert!(
                (row[0] - 1.0 / n).abs() < 1e-6 && (row[1] - id as f32 / n).abs() < 1e-6,
                "{id}: {row:?}"
            );
        }
    }

    #[test]
    fn clean_spaces_are_not_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let index = FlatIndex::open(dir.path()).unwrap();
        index.create_space("a", 2).unwrap();
        index.create_space("b", 2).unwrap();
        index.flush().unwrap();
        let path_a = dir.path().join(storage::file_name("a"));
        let path_b = dir.path().join(storage::file_name("b"));
        let stamp_a = std::fs::metadata(&path_a).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        index.upsert("b", &[(1, vec![1.0, 0.0])]).unwrap();
        index.flush().unwrap();
        assert_eq!(std::fs::metadata(&path_a).unwrap().modified().unwrap(), stamp_a);
        assert_eq!(storage::read_space(&path_b).unwrap().ids, vec![1]);
    }

    #[test]
    fn parallel_scan_equals_serial_scan() {
        let dim = 64;
        let rows = PARALLEL_MIN_FLOATS / dim + 1000;
        let mut space = Space::new("p", dim);
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let items: Vec<(u64, Vec<f32>)> = (0..rows as u64)
            .map(|id| {
                let v = (0..dim)
                    .map(|_| {
                        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                        (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
                    })
                    .collect();
                (id, v)
            })
            .collect();
        let scales: Vec<f64> = items
            .iter()
            .map(|(_, v)| crate::validate::unit_scale(v).unwrap())
            .collect();
        space.apply_upsert(&items, &scales);
        let query: Vec<f32> = space.data[5 * dim..6 * dim].to_vec();
        let serial = space.search(&query, 20, None, 1);
        let parallel = space.search(&query, 20, None, 2);
        assert_eq!(serial, parallel);
        assert_eq!(serial[0].id, 5);
    }
}
