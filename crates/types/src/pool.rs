//! A fixed set of interchangeable resources (catalog read connections, model sessions), each
//! behind its own mutex: a caller takes the first free one, and waits only when all are busy.
//! This is what lets a search run while an ingest holds one of them.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

pub struct Pool<T> {
    items: Vec<Mutex<T>>,
    /// Where the next search for a free item starts, and which one a caller waits on when
    /// none is free: round robin, so waiting callers spread over the items.
    next: AtomicUsize,
}

impl<T> Pool<T> {
    /// A pool of `items`; it must not be empty.
    pub fn new(items: Vec<T>) -> Self {
        assert!(!items.is_empty(), "a pool needs at least one item");
        Self {
            items: items.into_iter().map(Mutex::new).collect(),
            next: AtomicUsize::new(0),
        }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// A free item, else the next one in turn once it is released. A panic elsewhere while an
    /// item was held does not poison it: the resources pooled here stay usable (a SQLite
    /// transaction rolls back when dropped, a model session keeps no state between runs).
    pub fn get(&self) -> MutexGuard<'_, T> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let n = self.items.len();
        for i in 0..n {
            match self.items[(start + i) % n].try_lock() {
                Ok(guard) => return guard,
                Err(std::sync::TryLockError::Poisoned(p)) => return p.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => {}
            }
        }
        self.items[start % n].lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_item_is_skipped_for_a_free_one() {
        let pool = Pool::new(vec![0, 1]);
        let first = pool.get();
        let second = pool.get();
        assert_ne!(*first, *second, "both items are handed out while one is held");
        drop(first);
        let third = pool.get();
        assert_ne!(*third, *second);
    }

    #[test]
    fn callers_wait_when_every_item_is_busy() {
        let pool = std::sync::Arc::new(Pool::new(vec![0u32]));
        let held = pool.get();
        let waiter = {
            let pool = pool.clone();
            std::thread::spawn(move || {
                *pool.get() += 1;
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(!waiter.is_finished(), "the caller waits for the only item");
        drop(held);
        waiter.join().unwrap();
        assert_eq!(*pool.get(), 1);
    }
}
