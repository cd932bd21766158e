//! The registry of live mappings this library made: the only addresses its
//! exports unmap, sync or wait on.
//!
//! Only mappings made here can be unmapped here, and only whole: an address
//! that is not in the registry is `EINVAL`, so no argument can unmap memory
//! that belongs to the runtime. The registry also remembers which file range
//! each mapping covers, so that a resize can refuse to cut into it.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

/// One live mapping.
pub struct Entry {
    /// Bytes to hand to `munmap` (the view, rounded up to whole huge pages
    /// for hugetlb files, doubled for rings).
    pub unmap_len: usize,
    /// Bytes of the view handed out (doubled for rings).
    pub view_len: usize,
    pub dev: u64,
    pub ino: u64,
    /// One past the last byte of the file this mapping can touch.
    pub file_end: u64,
}

/// Live mappings made by this library, by address.
pub struct LiveMappings(BTreeMap<usize, Entry>);

static REGISTRY: Mutex<LiveMappings> = Mutex::new(LiveMappings(BTreeMap::new()));

/// The registry, locked. A panic while it was held (a bug) leaves it
/// consistent, since every change is a single insert or remove; so a
/// poisoned lock is simply taken over.
pub fn live_mappings() -> MutexGuard<'static, LiveMappings> {
    REGISTRY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl LiveMappings {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The mapping that starts at `addr`.
    pub fn get(&self, addr: usize) -> Option<&Entry> {
        self.0.get(&addr)
    }

    pub fn insert(&mut self, addr: usize, entry: Entry) {
        self.0.insert(addr, entry);
    }

    pub fn remove(&mut self, addr: usize) {
        self.0.remove(&addr);
    }

    /// The furthest file offset any live mapping of the inode can touch.
    pub fn file_end(&self, dev: u64, ino: u64) -> u64 {
        self.0
            .values()
            .filter(|e| e.dev == dev && e.ino == ino)
            .map(|e| e.file_end)
            .max()
            .unwrap_or(0)
    }

    /// Whether `len` bytes from `addr` lie inside one live mapping.
    pub fn covers(&self, addr: usize, len: usize) -> bool {
        let Some((&start, entry)) = self.0.range(..=addr).next_back() else {
            return false;
        };
        addr.checked_add(len)
            .is_some_and(|end| end <= start + entry.unmap_len)
    }
}

/// Held by every test that maps or unmaps, so that an address one test
/// passes to `unmap` (a stale one, say) can never be another test's live
/// mapping, whatever order the test threads run in.
#[cfg(test)]
pub fn test_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(unmap_len: usize, ino: u64, file_end: u64) -> Entry {
        Entry {
            unmap_len,
            view_len: unmap_len,
            dev: 1,
            ino,
            file_end,
        }
    }

    #[test]
    fn covers_only_inside_one_mapping_and_file_end_is_the_furthest() {
        let mut m = LiveMappings(BTreeMap::new());
        assert!(m.is_empty());
        m.insert(0x10000, entry(0x2000, 7, 100));
        assert!(!m.is_empty());
        m.insert(0x20000, entry(0x1000, 7, 300));
        m.insert(0x30000, entry(0x1000, 8, 900));
        assert!(m.covers(0x10000, 4) && m.covers(0x11ffc, 4));
        assert!(!m.covers(0x11ffd, 4) && !m.covers(0xfffc, 4));
        assert!(!m.covers(usize::MAX - 1, 4));
        assert_eq!(m.file_end(1, 7), 300);
        assert_eq!(m.file_end(1, 9), 0);
        m.remove(0x20000);
        assert_eq!((m.file_end(1, 7), m.len()), (100, 2));
    }
}
