//! Huge pages under a loaded graph.
//!
//! A search hops between nodes scattered over a graph of a gigabyte or more; with 4 KiB pages
//! nearly every hop also misses the TLB. Linux hands out transparent huge pages either always or
//! only where a program asks (`madvise`, the setting of this project's machines and of many
//! distributions); usearch maps its arenas itself and never asks. So once a space's graph is
//! loaded, the anonymous mappings that appeared while loading it are advised for huge pages, and
//! a background thread collapses their populated parts into huge pages (`MADV_COLLAPSE`, Linux
//! 6.1): about 3 s for a 1 GB graph on this project's machines, which the open does not wait for
//! (searches run meanwhile, on small pages). Measured on the 1M x 256 reference vectors
//! (`glint bench index`, docs/benchmarks.md): ~15% more queries per second on one thread.
//!
//! Best effort: a kernel that refuses (older than 6.1, or built without transparent huge pages)
//! leaves the memory as it was, logged at debug level. Another thread's memory mapped at the
//! same moment may be advised too, and a graph dropped meanwhile leaves an unmapped range; both
//! are harmless, since the advice only changes how pages are backed, never what they hold.

use std::collections::HashSet;
use std::sync::{Condvar, Mutex, PoisonError};

/// Mappings smaller than one huge page cannot hold one.
const HUGE_PAGE: usize = 2 << 20;

/// Background collapses still running, for [`wait_for_huge_pages`].
static RUNNING: Mutex<usize> = Mutex::new(0);
static FINISHED: Condvar = Condvar::new();

/// The process's private anonymous read-write mappings, as `(start, end)` addresses.
#[derive(Debug, Default)]
pub(crate) struct Mappings(HashSet<(usize, usize)>);

impl Mappings {
    /// The mappings now (none where /proc cannot be read).
    pub(crate) fn now() -> Self {
        std::fs::read_to_string("/proc/self/maps")
            .map(|text| Self::parse(&text))
            .unwrap_or_default()
    }

    fn parse(maps: &str) -> Self {
        Self(maps.lines().filter_map(anonymous_range).collect())
    }

    /// The mappings of at least one huge page that `self` (taken later) has and `before` had not.
    fn new_since(&self, before: &Mappings) -> Vec<(usize, usize)> {
        let mut new: Vec<_> = self
            .0
            .difference(&before.0)
            .copied()
            .filter(|(start, end)| end - start >= HUGE_PAGE)
            .collect();
        new.sort_unstable();
        new
    }
}

/// Backs the mappings made since `before` with huge pages, on a background thread.
pub(crate) fn back_new_with_huge_pages(before: &Mappings, space: &str) {
    let regions = Mappings::now().new_since(before);
    if regions.is_empty() {
        return;
    }
    *lock() += 1;
    let space = space.to_string();
    let spawned = std::thread::Builder::new()
        .name("glint-huge-pages".into())
        .spawn(move || {
            let started = std::time::Instant::now();
            let bytes: usize = regions.iter().map(|&(start, end)| advise(start, end - start)).sum();
            tracing::debug!(
                space,
                bytes,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "graph memory on huge pages"
            );
            *lock() -= 1;
            FINISHED.notify_all();
        });
    if let Err(e) = spawned {
        tracing::debug!("huge pages not requested: {e}");
        *lock() -= 1;
    }
}

/// Waits until the background threads moving loaded graphs onto huge pages have finished (a
/// benchmark measures the searches after them).
pub fn wait_for_huge_pages() {
    let mut running = lock();
    while *running > 0 {
        running = FINISHED.wait(running).unwrap_or_else(PoisonError::into_inner);
    }
}

fn lock() -> std::sync::MutexGuard<'static, usize> {
    RUNNING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `(start, end)` of a maps line describing private anonymous read-write memory.
fn anonymous_range(line: &str) -> Option<(usize, usize)> {
    let mut fields = line.split_whitespace();
    let range = fields.next()?;
    let perms = fields.next()?;
    // offset, device, inode; a pathname (a file, "[heap]", "[stack]") means not anonymous.
    let inode = fields.nth(2)?;
    if perms != "rw-p" || inode != "0" || fields.next().is_some() {
        return None;
    }
    let (start, end) = range.split_once('-')?;
    let start = usize::from_str_radix(start, 16).ok()?;
    let end = usize::from_str_radix(end, 16).ok()?;
    (end > start).then_some((start, end))
}

/// Advises a mapping for huge pages and collapses it one huge page at a time (a range not yet
/// touched, such as capacity reserved ahead, is refused and left for later faults to fill with
/// huge pages). Returns the bytes now on huge pages.
#[cfg(target_os = "linux")]
fn advise(start: usize, len: usize) -> usize {
    // SAFETY (both calls): the range lies in a mapping of this process as /proc listed it; the
    // advice only changes how its pages are backed, never their contents, and an address no
    // longer mapped is refused with ENOMEM.
    if unsafe { libc::madvise(start as *mut libc::c_void, len, libc::MADV_HUGEPAGE) } != 0 {
        tracing::debug!(len, "huge pages refused: {}", std::io::Error::last_os_error());
        return 0;
    }
    (start.next_multiple_of(HUGE_PAGE)..start + len)
        .step_by(HUGE_PAGE)
        .filter(|&at| at + HUGE_PAGE <= start + len)
        .filter(|&at| unsafe { libc::madvise(at as *mut libc::c_void, HUGE_PAGE, libc::MADV_COLLAPSE) } == 0)
        .count()
        * HUGE_PAGE
}

#[cfg(not(target_os = "linux"))]
fn advise(_start: usize, _len: usize) -> usize {
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAPS: &str = "\
55d0c0a00000-55d0c0a21000 r--p 00000000 fd:00 1234   /usr/bin/glint
55d0c1a00000-55d0c1c00000 rw-p 00000000 00:00 0      [heap]
7f0000000000-7f0040000000 rw-p 00000000 00:00 0
7f0040000000-7f0040001000 ---p 00000000 00:00 0
7f0050000000-7f0050100000 rw-p 00000000 00:00 0
7f0060000000-7f0060400000 rw-p 00000000 fd:00 99     /tmp/graph.usearch
";

    #[test]
    fn issue14_new_private_anonymous_mappings_of_a_huge_page_or_more_are_picked() {
        let found = Mappings::parse(MAPS);
        let mut ranges: Vec<_> = found.0.iter().copied().collect();
        ranges.sort();
        assert_eq!(
            ranges,
            vec![
                (0x7f00_0000_0000, 0x7f00_4000_0000),
                (0x7f00_5000_0000, 0x7f00_5010_0000)
            ]
        );
        // The 1 MiB mapping cannot hold a huge page; nothing is new against itself.
        assert_eq!(
            found.new_since(&Mappings::default()),
            vec![(0x7f00_0000_0000, 0x7f00_4000_0000)]
        );
        assert!(found.new_since(&found).is_empty());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn issue14_memory_moved_to_huge_pages_keeps_its_contents() {
        let before = Mappings::now();
        let mut big = vec![0u8; 16 << 20];
        for (i, b) in big.iter_mut().enumerate() {
            *b = (i % 251) as u8;
        }
        back_new_with_huge_pages(&before, "test");
        wait_for_huge_pages();
        assert!(big.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
    }
}
