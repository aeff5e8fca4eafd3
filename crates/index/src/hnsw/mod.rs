//! [`HnswIndex`]: approximate search over a navigable small-world graph, for large spaces.
//!
//! Each space is one usearch HNSW graph (a kept C++ library, not ours; built from
//! `third_party/usearch`, patched only so that its graph walk prefetches the vectors and nodes it
//! reads next, which made one thread ~1.6x faster at 1M vectors) holding its vectors in
//! the chosen [`Quantization`] (by default, up to 512-d, i8 in the graph, which the walk reads,
//! and an f16 copy, read from disk, that re-scores each walk's short list: [`rescore`]; f16
//! above),
//! plus this crate's durability around it: a write-ahead log of every change ([`wal`]) and, once
//! the log has grown, a snapshot of the whole graph ([`snapshot`]). Opening loads the snapshot
//! and applies the log's later records, so a 1M-vector space opens in seconds, not a rebuild,
//! and a process killed mid-upsert loses at most the batch it was writing.
//!
//! Concurrency: each usearch call runs on one of a fixed number of per-thread contexts ([`Slots`]
//! hands them out). Searches share the graph's read lock; inserts take the write lock 512 vectors
//! at a time (inserting those on several threads), so searches run between chunks; usearch's own
//! claim that searches may overlap inserts did not hold in our concurrency test. A per-space log
//! mutex puts writers (and snapshots) in one order.
//!
//! Filters: a selective [`Filter::Only`] set is scored directly (the graph walk would reach few
//! of its members); any other filter is applied inside the walk, with the beam widened by the
//! share of ids it rejects.

mod huge_pages;
mod rescore;
mod slots;
mod snapshot;
mod wal;

pub use huge_pages::wait_for_huge_pages;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use usearch::{Index, IndexOptions, MetricKind, ScalarKind};

use crate::kernel::score_rows;
use crate::storage::is_temporary;
use crate::topk::TopK;
use crate::validate::{batch_scales, check_k, check_new_space, read, same_dim, scaled, unit_query, write};
use crate::{Filter, Hit, IndexError, SpaceInfo, VectorRead, VectorWrite};
use rescore::F16Copy;
use slots::Slots;
use snapshot::{CopyFile, Description, Paths, SnapshotFile, COPY_EXTENSION, DESCRIPTION_SUFFIX};
use wal::{Change, Wal};

/// Per-thread search contexts reserved in each graph: the most calls that run in it at once.
const CONTEXTS: usize = 32;
/// An `Only` filter of at most this many ids is scored exactly, id by id: a few milliseconds,
/// and exact whatever the graph would have reached.
const EXACT_FILTER_MAX: usize = 50_000;
/// The widest beam a filtered walk may use.
const MAX_WANTED: usize = 8_192;
/// Chunks at least this large are inserted on several threads.
const PARALLEL_BATCH: usize = 256;
/// Inserts hold the write lock for this many vectors at a time (~0.1 s on two cores at 1M).
const INSERT_CHUNK: usize = 512;
/// Nearest neighbours in which a vector just inserted must find itself (duplicates may outrank
/// it; a lost node is found by none), see [`Space::relink_unreachable`].
const SELF_CHECK_K: usize = 4;
/// Beam widths of that check: a narrow beam finds nearly every reachable vector cheaply, and
/// only what one width misses is looked for with the next. At 1M vectors the beam of 8 misses
/// about 1 in 20 reachable ones (49,200 of 1M); with a single wide second look at those, on one
/// thread, the 1M build took 1,589 s (a compile shared the cores for five minutes), with this
/// ladder 957 s (docs/benchmarks.md).
const SELF_CHECK_BEAMS: [usize; 3] = [8, 40, 256];
/// usearch marks free nodes with the largest key, so no vector may have it as id.
const RESERVED_ID: u64 = u64::MAX;
/// A snapshot is taken at flush once the log holds this many vectors and also 1/50 of the graph:
/// replaying the log on open then costs at most a few seconds.
const SNAPSHOT_MIN_VECTORS: u64 = 4_096;
const SNAPSHOT_SHARE: u64 = 50;
/// Removals do not grow the count above, so the log's bytes also trigger a snapshot.
const SNAPSHOT_MAX_LOG_BYTES: u64 = 256 << 20;

/// How vectors are stored in the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Quantization {
    F32,
    F16,
    I8,
    /// i8 in the graph, which the walk reads (half of f16's bytes per neighbour measured), and
    /// an f16 copy that re-scores the walk's short list ([`rescore`]).
    #[serde(rename = "i8+f16")]
    I8F16,
}

impl Quantization {
    fn scalar(self) -> ScalarKind {
        match self {
            Quantization::F32 => ScalarKind::F32,
            Quantization::F16 => ScalarKind::F16,
            Quantization::I8 | Quantization::I8F16 => ScalarKind::I8,
        }
    }

    /// Parses `f32`, `f16`, `i8` or `i8+f16`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "f32" => Some(Self::F32),
            "f16" => Some(Self::F16),
            "i8" => Some(Self::I8),
            "i8+f16" => Some(Self::I8F16),
            _ => None,
        }
    }

    /// The f16 copy a new `dim`-d space of this precision keeps beside its graph, if any.
    fn new_copy(self, dim: usize) -> Option<F16Copy> {
        (self == Quantization::I8F16).then(|| F16Copy::new(dim))
    }
}

/// Spaces wider than this keep f16 in the graph where the parameters say i8+f16: their rows are
/// large to re-read from disk (3 KB at 1536-d) and region queries re-score 300 candidates per
/// query window. At 1M regions that cost whole photos (14 windows) ~20 ms at p95 against an f16
/// item graph (docs/benchmarks.md, "Vector index at scale", fifteenth pass).
pub const I8F16_MAX_DIM: usize = 512;

/// The graph's shape; fixed per space when it is created (recorded in its description), except
/// `expansion_search`, which [`HnswIndex::set_expansion_search`] changes at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HnswParams {
    /// Neighbours per node (HNSW's M); the bottom layer keeps twice as many.
    pub connectivity: usize,
    /// Beam width while inserting (efConstruction).
    pub expansion_add: usize,
    /// Beam width while searching (ef); a search for `k` uses at least `k`.
    pub expansion_search: usize,
    pub quantization: Quantization,
}

impl HnswParams {
    /// The parameters a new `dim`-d space gets: i8+f16 becomes f16 above [`I8F16_MAX_DIM`].
    pub fn for_dim(self, dim: usize) -> Self {
        match self.quantization {
            Quantization::I8F16 if dim > I8F16_MAX_DIM => Self {
                quantization: Quantization::F16,
                ..self
            },
            _ => self,
        }
    }
}

impl Default for HnswParams {
    /// Chosen with `glint bench index` on 1M clustered 256-d vectors (docs/benchmarks.md):
    /// M 32 / efConstruction 128 builds in ~10 min on 2 cores and reaches recall@10 0.98 at
    /// ef 28-32, where M 16 needed ef 96 (and was slower at equal recall). i8+f16 against f16:
    /// ~1.4x the queries/s at the same beam, recall within 0.005, 0.7 of the resident memory
    /// (for spaces up to [`I8F16_MAX_DIM`] wide; wider ones are f16, [`HnswParams::for_dim`]).
    fn default() -> Self {
        Self {
            connectivity: 32,
            expansion_add: 128,
            expansion_search: 32,
            quantization: Quantization::I8F16,
        }
    }
}

/// Approximate cosine search, one HNSW graph per space, optionally persisted to a directory.
pub struct HnswIndex {
    spaces: RwLock<HashMap<String, Arc<Space>>>,
    dir: Option<PathBuf>,
    /// For spaces created from now on.
    params: HnswParams,
    insert_threads: usize,
}

struct Space {
    name: String,
    dim: usize,
    graph: RwLock<Graph>,
    log: Mutex<Log>,
    slots: Slots,
}

struct Graph {
    index: Index,
    capacity: usize,
    /// Nodes freed by removals, which usearch reuses before growing: its node count is
    /// `size() + free`, and that is what must stay within `capacity`.
    free: usize,
    /// The f16 copy that re-scores the walk's short list (`Quantization::I8F16` only); it holds
    /// exactly the graph's ids.
    copy: Option<F16Copy>,
}

/// The writer's side of a space: its log and the sequence number of the last change.
struct Log {
    seq: u64,
    /// `None` for an in-memory index.
    files: Option<Files>,
}

struct Files {
    paths: Paths,
    wal: Wal,
    description: Description,
}

impl HnswIndex {
    /// An index that lives only in memory.
    pub fn in_memory(params: HnswParams) -> Self {
        Self {
            spaces: RwLock::new(HashMap::new()),
            dir: None,
            params,
            insert_threads: default_threads(),
        }
    }

    /// Opens (creating it if needed) the index persisted in `dir`: each space's snapshot is
    /// loaded (its checksum verified) and the changes logged after it applied again. Files left
    /// by an interrupted snapshot are deleted. `params` applies to spaces created from now on;
    /// existing ones keep theirs.
    pub fn open(dir: impl AsRef<Path>, params: HnswParams) -> Result<Self, IndexError> {
        let dir = dir.as_ref();
        let started = Instant::now();
        std::fs::create_dir_all(dir).map_err(|e| IndexError::io(dir, e))?;
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| IndexError::io(dir, e))? {
            files.push(entry.map_err(|e| IndexError::io(dir, e))?.path());
        }
        files.sort();
        let index = Self {
            spaces: RwLock::new(HashMap::new()),
            dir: Some(dir.to_path_buf()),
            params,
            insert_threads: default_threads(),
        };
        let mut named = Vec::new();
        for path in &files {
            let is_description = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(DESCRIPTION_SUFFIX));
            if !is_description {
                continue;
            }
            let description = Description::read(path)?;
            let space = index.load_space(dir, description)?;
            named.push(space.files_named());
            let name = space.name.clone();
            if write(&index.spaces).insert(name.clone(), Arc::new(space)).is_some() {
                return Err(IndexError::corrupt(
                    path,
                    format!("a second description of space {name:?}"),
                ));
            }
        }
        remove_strays(&files, &named)?;
        let vectors: usize = read(&index.spaces).values().map(|s| s.len()).sum();
        tracing::info!(
            dir = %dir.display(),
            spaces = read(&index.spaces).len(),
            vectors,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "opened graph index"
        );
        Ok(index)
    }

    /// Inserts big batches on up to `threads` threads (default: every core).
    pub fn with_insert_threads(mut self, threads: usize) -> Self {
        self.insert_threads = threads.max(1);
        self
    }

    /// Changes the search beam width of every space (and of spaces created later): wider finds
    /// more of the true neighbours and costs more. Not persisted.
    pub fn set_expansion_search(&mut self, expansion: usize) {
        self.params.expansion_search = expansion.max(1);
        for space in read(&self.spaces).values() {
            write(&space.graph).index.change_expansion_search(expansion.max(1));
        }
    }

    /// The SIMD kernels usearch picked on this CPU for `space` (e.g. "sapphire" or "serial").
    pub fn kernels(&self, space: &str) -> Option<String> {
        self.space(space)
            .ok()
            .map(|s| read(&s.graph).index.hardware_acceleration())
    }

    /// Bytes held by the graphs (nodes, links and vectors).
    pub fn memory_bytes(&self) -> usize {
        read(&self.spaces)
            .values()
            .map(|s| {
                let graph = read(&s.graph);
                graph.index.memory_usage() + graph.copy.as_ref().map_or(0, F16Copy::memory_bytes)
            })
            .sum()
    }

    /// Whether the index holds `name` (a map lookup, unlike [`VectorRead::spaces`]).
    pub fn has_space(&self, name: &str) -> bool {
        read(&self.spaces).contains_key(name)
    }

    /// Removes a space and its files.
    pub fn drop_space(&self, name: &str) -> Result<(), IndexError> {
        let Some(space) = write(&self.spaces).remove(name) else {
            return Ok(());
        };
        let log = lock(&space.log);
        if let Some(files) = &log.files {
            for path in [files.paths.description(), files.paths.wal()] {
                remove_if_present(&path)?;
            }
            if let Some(snapshot) = &files.description.snapshot {
                for file in snapshot.files() {
                    remove_if_present(&files.paths.dir.join(file))?;
                }
            }
        }
        Ok(())
    }

    fn space(&self, name: &str) -> Result<Arc<Space>, IndexError> {
        read(&self.spaces)
            .get(name)
            .cloned()
            .ok_or_else(|| IndexError::UnknownSpace(name.to_string()))
    }

    fn load_space(&self, dir: &Path, description: Description) -> Result<Space, IndexError> {
        let paths = Paths::new(dir, &description.name);
        let before = huge_pages::Mappings::now();
        let graph = new_graph(description.dim, &description.params)?;
        let mut after = 0;
        if let Some(snapshot) = &description.snapshot {
            let path = dir.join(&snapshot.file);
            snapshot::verify(&path, snapshot.bytes, snapshot.crc32)?;
            graph
                .load(path_str(&path)?)
                .map_err(|e| IndexError::corrupt(&path, format!("usearch could not load it: {e}")))?;
            if graph.dimensions() != description.dim {
                return Err(IndexError::corrupt(&path, "its dimension differs from its description"));
            }
            // Beam widths are not part of usearch's file.
            graph.change_expansion_add(description.params.expansion_add);
            graph.change_expansion_search(self.params.expansion_search);
            after = snapshot.seq;
        }
        let free = match &description.snapshot {
            Some(snapshot) => {
                let path = dir.join(&snapshot.file);
                Index::metadata(path_str(&path)?)
                    .map_err(|e| IndexError::corrupt(&path, format!("unreadable header: {e}")))?
                    .count_deleted as usize
            }
            None => 0,
        };
        let copy = load_copy(dir, &description, graph.size())?;
        let capacity = (graph.size() + free).max(1024);
        reserve(&graph, capacity, &paths.description())?;
        huge_pages::back_new_with_huge_pages(&before, &description.name);
        let (wal, changes) = Wal::open(&paths.wal(), description.dim, after)?;
        let seq = changes.last().map_or(after, |(seq, _)| *seq);
        let space = Space {
            name: description.name.clone(),
            dim: description.dim,
            graph: RwLock::new(Graph {
                index: graph,
                capacity,
                free,
                copy,
            }),
            log: Mutex::new(Log {
                seq,
                files: Some(Files {
                    paths,
                    wal,
                    description,
                }),
            }),
            slots: Slots::new(CONTEXTS),
        };
        let replayed = changes.len();
        for (_, change) in changes {
            space.apply(&change, self.insert_threads)?;
        }
        if replayed > 0 {
            tracing::info!(space = %space.name, records = replayed, "applied logged changes after the snapshot");
        }
        Ok(space)
    }
}

impl Space {
    fn len(&self) -> usize {
        read(&self.graph).index.size()
    }

    /// Every file this space's description names (kept when strays are cleaned up).
    fn files_named(&self) -> Vec<PathBuf> {
        let log = lock(&self.log);
        let Some(files) = &log.files else { return Vec::new() };
        let mut named = vec![files.paths.description(), files.paths.wal()];
        if let Some(snapshot) = &files.description.snapshot {
            named.extend(snapshot.files().map(|file| files.paths.dir.join(file)));
        }
        named
    }

    /// Applies a logged change to the graph.
    fn apply(&self, change: &Change, threads: usize) -> Result<(), IndexError> {
        match change {
            Change::Remove { ids } => {
                let mut graph = write(&self.graph);
                for &id in ids {
                    graph.free += graph.index.remove(id).map_err(|e| self.failed("remove", e))?;
                    if let Some(copy) = &mut graph.copy {
                        copy.remove(id);
                    }
                }
                Ok(())
            }
            Change::Upsert { ids, data } => self.insert(ids, data, threads),
        }
    }

    /// Inserts unit vectors (`ids` distinct), replacing the vectors of ids already stored.
    fn insert(&self, ids: &[u64], data: &[f32], threads: usize) -> Result<(), IndexError> {
        {
            let mut graph = write(&self.graph);
            for &id in ids {
                if graph.index.contains(id) {
                    graph.free += graph.index.remove(id).map_err(|e| self.failed("replace", e))?;
                }
            }
            // Inserts reuse freed nodes first; only the rest grow the graph.
            let reused = graph.free.min(ids.len());
            graph.free -= reused;
            let needed = graph.index.size() + reused + graph.free + (ids.len() - reused);
            if needed > graph.capacity {
                // Doubling keeps the number of (blocking) reservations logarithmic.
                let capacity = needed.max(graph.capacity * 2).max(1024);
                reserve(&graph.index, capacity, Path::new(&self.name))?;
                graph.capacity = capacity;
            }
        }
        // usearch does not support searches that overlap inserts (a search can follow a link to
        // a node that is not written yet and return nonsense; seen in our own concurrency test),
        // so inserts take the write lock, a chunk at a time: searches run between chunks.
        for (ids, rows) in ids.chunks(INSERT_CHUNK).zip(data.chunks(INSERT_CHUNK * self.dim)) {
            let mut graph = write(&self.graph);
            let threads = if ids.len() >= PARALLEL_BATCH {
                threads.clamp(1, CONTEXTS)
            } else {
                1
            };
            self.on_threads(ids, rows, threads, |ids, rows| self.add_each(&graph.index, ids, rows))?;
            if let Some(copy) = &mut graph.copy {
                for (&id, row) in ids.iter().zip(rows.chunks_exact(self.dim)) {
                    copy.put(id, row);
                }
            }
            if threads > 1 {
                self.relink_unreachable(&mut graph, ids, rows, threads)?;
            }
        }
        Ok(())
    }

    /// Adds each row under its id (usearch supports concurrent inserts among themselves).
    fn add_each(&self, graph: &Index, ids: &[u64], rows: &[f32]) -> Result<(), IndexError> {
        let _slot = self.slots.acquire();
        for (&id, row) in ids.iter().zip(rows.chunks_exact(self.dim)) {
            graph.add(id, row).map_err(|e| self.failed("insert", e))?;
        }
        Ok(())
    }

    /// Runs `work` over `ids` and their rows split in `threads` parts, side by side.
    fn on_threads<T: Send>(
        &self,
        ids: &[u64],
        rows: &[f32],
        threads: usize,
        work: impl Fn(&[u64], &[f32]) -> Result<T, IndexError> + Sync,
    ) -> Result<Vec<T>, IndexError> {
        in_parts(ids.len(), threads, |part| {
            work(&ids[part.clone()], &rows[part.start * self.dim..part.end * self.dim])
        })
    }

    /// usearch's concurrent inserts can leave a node that no search reaches, at any beam width
    /// (unum-cloud/USearch#735, open in 2.26: a node becomes a descent seed through its upper
    /// layers before its bottom-layer links exist, and pruning can then cut its last link). On
    /// 3,000 16-d vectors inserted on two threads, 1-5 were lost per build; on one thread, none.
    /// So each vector of a chunk inserted on several threads looks for itself among its nearest
    /// [`SELF_CHECK_K`], with ever wider beams ([`SELF_CHECK_BEAMS`]) for those not yet found, on
    /// the same threads; one that even the widest misses is removed and inserted again, alone.
    /// Returns how many were.
    fn relink_unreachable(
        &self,
        graph: &mut Graph,
        ids: &[u64],
        rows: &[f32],
        threads: usize,
    ) -> Result<usize, IndexError> {
        let index = &graph.index;
        let row = |at: usize| &rows[at * self.dim..(at + 1) * self.dim];
        // Searches wait on the write lock held here, so none sees these beams.
        let beam = index.expansion_search();
        let mut left: Vec<usize> = (0..ids.len()).collect();
        let looked = SELF_CHECK_BEAMS.iter().try_for_each(|&ef| {
            if left.is_empty() {
                return Ok(());
            }
            index.change_expansion_search(ef);
            let missed = in_parts(left.len(), threads, |part| {
                let _slot = self.slots.acquire();
                let mut missed = Vec::new();
                for &at in &left[part] {
                    let found = index
                        .search(row(at), SELF_CHECK_K)
                        .map_err(|e| self.failed("search", e))?;
                    if !found.keys.contains(&ids[at]) {
                        missed.push(at);
                    }
                }
                Ok(missed)
            })?;
            left = missed.concat();
            Ok(())
        });
        index.change_expansion_search(beam);
        looked?;
        for &at in &left {
            // The removed node is reused by the add: the node count, and so the capacity, holds.
            graph.free += graph.index.remove(ids[at]).map_err(|e| self.failed("relink", e))?;
            self.add_each(&graph.index, &ids[at..=at], row(at))?;
            graph.free = graph.free.saturating_sub(1);
        }
        if !left.is_empty() {
            tracing::debug!(space = %self.name, relinked = left.len(), of = ids.len(), "re-inserted unreachable vectors");
        }
        Ok(left.len())
    }

    fn failed(&self, what: &str, e: impl std::fmt::Display) -> IndexError {
        IndexError::Backend(format!("graph {what} in space {:?}: {e}", self.name))
    }

    /// Logs then applies a change, as record `seq + 1`.
    fn change(&self, change: Change, threads: usize) -> Result<(), IndexError> {
        let mut log = lock(&self.log);
        let seq = log.seq + 1;
        if let Some(files) = &mut log.files {
            files.wal.append(seq, &change)?;
        }
        log.seq = seq;
        self.apply(&change, threads)
    }

    fn search(&self, unit: &[f32], k: usize, filter: Option<Filter<'_>>) -> Result<Vec<Hit>, IndexError> {
        let graph = read(&self.graph);
        let stored = graph.index.size();
        if stored == 0 {
            return Ok(Vec::new());
        }
        if let Some(Filter::Only(ids)) = filter {
            if ids.len() <= EXACT_FILTER_MAX {
                return self.score_each(&graph, unit, k, ids.iter().copied());
            }
        }
        // With an f16 copy the walk's whole beam comes back, to be ranked again from the copy.
        let short_list = match graph.copy {
            Some(_) => k.max(graph.index.expansion_search()),
            None => k,
        };
        let _slot = self.slots.acquire();
        let matches = match filter {
            None => graph.index.search(unit, short_list),
            Some(filter) => {
                // The share of stored ids the filter lets through, to widen the beam by.
                let passing = match filter {
                    Filter::Only(ids) => ids.len().min(stored),
                    Filter::Except(ids) => stored.saturating_sub(ids.len()),
                };
                if passing == 0 {
                    return Ok(Vec::new());
                }
                let wanted = (k * stored).div_ceil(passing).clamp(k, MAX_WANTED.max(k));
                graph
                    .index
                    .filtered_search(unit, wanted.max(short_list), |id| filter.allows(id))
            }
        }
        .map_err(|e| self.failed("search", e))?;
        let mut hits = Vec::with_capacity(matches.keys.len());
        for (&id, &distance) in matches.keys.iter().zip(&matches.distances) {
            // usearch's inner-product distance is 1 - dot.
            let score = match &graph.copy {
                Some(copy) => copy.score(id, unit)?.unwrap_or(1.0 - distance),
                None => 1.0 - distance,
            };
            hits.push(Hit { id, score });
        }
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
        hits.truncate(k);
        Ok(hits)
    }

    /// Exact scores of the given ids (those stored), best `k` first: from the f16 copy where the
    /// space keeps one, from the graph's vectors otherwise.
    fn score_each(
        &self,
        graph: &Graph,
        unit: &[f32],
        k: usize,
        ids: impl Iterator<Item = u64>,
    ) -> Result<Vec<Hit>, IndexError> {
        if let Some(copy) = &graph.copy {
            let mut top = TopK::new(k, 64, None);
            for id in ids {
                if let Some(score) = copy.score(id, unit)? {
                    top.offer(id, score);
                }
            }
            return Ok(top.into_hits());
        }
        let graph = &graph.index;
        const BLOCK: usize = 256;
        let mut top = TopK::new(k, BLOCK, None);
        let mut rows = vec![0f32; BLOCK * self.dim];
        let mut block_ids = Vec::with_capacity(BLOCK);
        let mut scores = [0f32; BLOCK];
        let mut flush = |rows: &[f32], block_ids: &mut Vec<u64>, top: &mut TopK<'_>| {
            let n = block_ids.len();
            score_rows(unit, &rows[..n * self.dim], &mut scores[..n]);
            for (&id, &score) in block_ids.iter().zip(&scores[..n]) {
                top.offer(id, score);
            }
            block_ids.clear();
        };
        for id in ids {
            let at = block_ids.len() * self.dim;
            if matches!(graph.get(id, &mut rows[at..at + self.dim]), Ok(1)) {
                block_ids.push(id);
                if block_ids.len() == BLOCK {
                    flush(&rows, &mut block_ids, &mut top);
                }
            }
        }
        if !block_ids.is_empty() {
            flush(&rows, &mut block_ids, &mut top);
        }
        Ok(top.into_hits())
    }

    /// Takes a snapshot if the log has grown enough; makes the log durable either way.
    fn flush(&self) -> Result<(), IndexError> {
        let mut log = lock(&self.log);
        let seq = log.seq;
        let Some(files) = &mut log.files else { return Ok(()) };
        files.wal.sync()?;
        let stored = self.len() as u64;
        let grown = files.wal.vectors() >= SNAPSHOT_MIN_VECTORS.max(stored / SNAPSHOT_SHARE)
            || files.wal.bytes() >= SNAPSHOT_MAX_LOG_BYTES;
        let snapshot_seq = files.description.snapshot.as_ref().map_or(0, |s| s.seq);
        if !grown || seq == snapshot_seq {
            return Ok(());
        }
        let started = Instant::now();
        let name = files.paths.snapshot_name(seq);
        let path = files.paths.dir.join(&name);
        let temp = files.paths.dir.join(format!("{name}.tmp"));
        let copy_name = files.paths.copy_name(seq);
        let copy_temp = files.paths.dir.join(format!("{copy_name}.tmp"));
        let copy_sealed = {
            // Writers wait on the log lock; searches go on under the read lock.
            let graph = read(&self.graph);
            graph
                .index
                .save(path_str(&temp)?)
                .map_err(|e| IndexError::Backend(format!("saving a snapshot of space {:?}: {e}", self.name)))?;
            graph.copy.as_ref().map(|copy| copy.write(&copy_temp)).transpose()?
        };
        let (bytes, crc32) = snapshot::seal(&temp)?;
        std::fs::rename(&temp, &path).map_err(|e| IndexError::io(&path, e))?;
        let copy = match copy_sealed {
            None => None,
            Some((bytes, crc32)) => {
                let copy_path = files.paths.dir.join(&copy_name);
                std::fs::rename(&copy_temp, &copy_path).map_err(|e| IndexError::io(&copy_path, e))?;
                // The copy is served from the file from now on (no writer runs while the log
                // lock is held, so the file holds exactly what the copy in memory held).
                let on_disk = F16Copy::open(&copy_path, self.dim)?;
                write(&self.graph).copy = Some(on_disk);
                Some(CopyFile {
                    file: copy_name,
                    bytes,
                    crc32,
                })
            }
        };
        let old = files.description.snapshot.replace(SnapshotFile {
            file: name,
            seq,
            bytes,
            crc32,
            copy,
        });
        files.description.write(&files.paths.description())?;
        if let Some(old) = old {
            for file in old.files() {
                remove_if_present(&files.paths.dir.join(file))?;
            }
        }
        files.wal.reset()?;
        tracing::info!(
            space = %self.name,
            vectors = stored,
            bytes,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "wrote graph snapshot"
        );
        Ok(())
    }
}

impl VectorRead for HnswIndex {
    fn search(&self, space: &str, query: &[f32], k: usize, filter: Option<Filter<'_>>) -> Result<Vec<Hit>, IndexError> {
        check_k(k)?;
        let space = self.space(space)?;
        let unit = unit_query(&space.name, space.dim, query)?;
        space.search(&unit, k, filter)
    }

    fn len(&self, space: &str) -> usize {
        self.space(space).map_or(0, |s| s.len())
    }

    fn contains(&self, space: &str, id: u64) -> bool {
        self.space(space).is_ok_and(|s| read(&s.graph).index.contains(id))
    }

    fn spaces(&self) -> Vec<SpaceInfo> {
        let mut infos: Vec<SpaceInfo> = read(&self.spaces)
            .values()
            .map(|s| SpaceInfo {
                name: s.name.clone(),
                dim: s.dim,
                len: s.len(),
            })
            .collect();
        infos.sort_by(|a, b| a.name.cmp(&b.name));
        infos
    }
}

impl VectorWrite for HnswIndex {
    fn create_space(&self, name: &str, dim: usize) -> Result<(), IndexError> {
        check_new_space(name, dim)?;
        let mut spaces = write(&self.spaces);
        if let Some(existing) = spaces.get(name) {
            return same_dim(name, existing.dim, dim);
        }
        let params = self.params.for_dim(dim);
        let graph = new_graph(dim, &params)?;
        reserve(&graph, 1024, Path::new(name))?;
        let files = match &self.dir {
            None => None,
            Some(dir) => {
                let paths = Paths::new(dir, name);
                let description = Description::new(name, dim, params);
                // A log left by a space of this name that was dropped half-way goes first.
                remove_if_present(&paths.wal())?;
                let (wal, _) = Wal::open(&paths.wal(), dim, 0)?;
                description.write(&paths.description())?;
                Some(Files {
                    paths,
                    wal,
                    description,
                })
            }
        };
        let space = Space {
            name: name.to_string(),
            dim,
            graph: RwLock::new(Graph {
                index: graph,
                capacity: 1024,
                free: 0,
                copy: params.quantization.new_copy(dim),
            }),
            log: Mutex::new(Log { seq: 0, files }),
            slots: Slots::new(CONTEXTS),
        };
        spaces.insert(name.to_string(), Arc::new(space));
        tracing::debug!(space = name, dim, "created graph space");
        Ok(())
    }

    fn upsert(&self, space: &str, items: &[(u64, Vec<f32>)]) -> Result<(), IndexError> {
        let space = self.space(space)?;
        let scales = batch_scales(&space.name, space.dim, items)?;
        if items.iter().any(|(id, _)| *id == RESERVED_ID) {
            return Err(IndexError::BadVector {
                space: space.name.clone(),
                id: RESERVED_ID,
                reason: "this id is reserved by the graph index".into(),
            });
        }
        if items.is_empty() {
            return Ok(());
        }
        // A repeated id keeps its last vector: index each id's last position.
        let mut last: HashMap<u64, usize> = HashMap::with_capacity(items.len());
        for (i, (id, _)) in items.iter().enumerate() {
            last.insert(*id, i);
        }
        let mut ids = Vec::with_capacity(last.len());
        let mut data = Vec::with_capacity(last.len() * space.dim);
        for (i, ((id, vector), &scale)) in items.iter().zip(&scales).enumerate() {
            if last[id] == i {
                ids.push(*id);
                data.extend(scaled(vector, scale));
            }
        }
        space.change(Change::Upsert { ids, data }, self.insert_threads)
    }

    fn remove(&self, space: &str, ids: &[u64]) -> Result<(), IndexError> {
        let space = self.space(space)?;
        let present: Vec<u64> = {
            let graph = read(&space.graph);
            ids.iter().copied().filter(|&id| graph.index.contains(id)).collect()
        };
        if present.is_empty() {
            return Ok(());
        }
        space.change(Change::Remove { ids: present }, 1)
    }

    fn flush(&self) -> Result<(), IndexError> {
        let spaces: Vec<Arc<Space>> = read(&self.spaces).values().cloned().collect();
        spaces.iter().try_for_each(|s| s.flush())
    }
}

/// The f16 copy of a space described by `description` whose graph holds `stored` vectors: none
/// unless the space is i8+f16; empty before its first snapshot, else the snapshot's, checked.
fn load_copy(dir: &Path, description: &Description, stored: usize) -> Result<Option<F16Copy>, IndexError> {
    let Some(empty) = description.params.quantization.new_copy(description.dim) else {
        return Ok(None);
    };
    let Some(snapshot) = &description.snapshot else {
        return Ok(Some(empty));
    };
    let Some(file) = &snapshot.copy else {
        return Err(IndexError::corrupt(
            dir.join(&snapshot.file),
            "an i8+f16 space's snapshot without its f16 copy",
        ));
    };
    let path = dir.join(&file.file);
    snapshot::verify(&path, file.bytes, file.crc32)?;
    let copy = F16Copy::open(&path, description.dim)?;
    if copy.len() != stored {
        return Err(IndexError::corrupt(
            &path,
            format!("{} vectors in the f16 copy, {stored} in the graph", copy.len()),
        ));
    }
    Ok(Some(copy))
}

fn new_graph(dim: usize, params: &HnswParams) -> Result<Index, IndexError> {
    let options = IndexOptions {
        dimensions: dim,
        // Vectors are stored unit length, so the inner product is the cosine.
        metric: MetricKind::IP,
        quantization: params.quantization.scalar(),
        connectivity: params.connectivity,
        expansion_add: params.expansion_add,
        expansion_search: params.expansion_search,
        multi: false,
    };
    Index::new(&options).map_err(|e| IndexError::Backend(format!("creating a {dim}-d graph: {e}")))
}

fn reserve(graph: &Index, capacity: usize, what: &Path) -> Result<(), IndexError> {
    graph
        .reserve_capacity_and_threads(capacity, CONTEXTS)
        .map_err(|e| IndexError::Backend(format!("reserving {capacity} vectors for {}: {e}", what.display())))
}

/// `work` on `0..len` split into `threads` consecutive parts, each on a thread of its own (on
/// this one when there is one part), the parts' results in order.
fn in_parts<T: Send>(
    len: usize,
    threads: usize,
    work: impl Fn(std::ops::Range<usize>) -> Result<T, IndexError> + Sync,
) -> Result<Vec<T>, IndexError> {
    if threads <= 1 || len <= 1 {
        return Ok(vec![work(0..len)?]);
    }
    let per_part = len.div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..len)
            .step_by(per_part)
            .map(|start| {
                let work = &work;
                scope.spawn(move || work(start..(start + per_part).min(len)))
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn path_str(path: &Path) -> Result<&str, IndexError> {
    path.to_str().ok_or_else(|| {
        IndexError::io(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "the graph library needs a UTF-8 path"),
        )
    })
}

fn remove_if_present(path: &Path) -> Result<(), IndexError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(IndexError::io(path, e)),
        _ => Ok(()),
    }
}

/// Deletes temporaries and snapshots that no description names (left by an interrupted
/// snapshot or a dropped space).
fn remove_strays(files: &[PathBuf], named: &[Vec<PathBuf>]) -> Result<(), IndexError> {
    for path in files {
        let snapshot_like = path.extension().is_some_and(|e| e == "usearch" || e == COPY_EXTENSION);
        let stray = is_temporary(path)
            || path.to_str().is_some_and(|p| p.ends_with(".tmp"))
            || (snapshot_like && !named.iter().flatten().any(|n| n == path));
        if stray {
            tracing::warn!(path = %path.display(), "removing a file left by an interrupted snapshot");
            remove_if_present(path)?;
        }
    }
    Ok(())
}
