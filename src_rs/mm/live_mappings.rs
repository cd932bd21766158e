//! The registry of live mappings this library made: the only addresses its
//! exports unmap, sync or wait on.
//!
//! Only mappings made here can be unmapped here, and only whole: an address
//! that is not in the registry is `EINVAL`, so no argument can unmap memory
//! that belongs to the runtime. The registry also remembers which file range
//! each mapping covers, so that a resize can refuse to cut into it, and
//! which slot of the SIGBUS handler's lock-free table ([`crate::mm::sigbus`])
//! mirrors it.

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
    /// Its slot in the SIGBUS handler's table (set by `insert`).
    pub slot: usize,
    /// A `Memfd` was told that this mapping was repaired.
    pub reported: bool,
}

/// Live mappings made by this library, by address, and the handler slots
/// they use.
pub struct LiveMappings {
    by_addr: BTreeMap<usize, Entry>,
    /// Slots given back, to hand out again before new ones.
    free: Vec<usize>,
    /// Slots below this were handed out at some point.
    next: usize,
    /// Files (dev, ino) of repaired mappings unmapped before any `Memfd`
    /// of the file was told.
    unreported: Vec<(u64, u64)>,
}

static REGISTRY: Mutex<LiveMappings> = Mutex::new(LiveMappings::new());

/// The registry, locked. A panic while it was held (a bug) leaves it
/// consistent, since every change is a single insert or remove; so a
/// poisoned lock is simply taken over.
pub fn live_mappings() -> MutexGuard<'static, LiveMappings> {
    REGISTRY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl LiveMappings {
    pub const fn new() -> LiveMappings {
        LiveMappings {
            by_addr: BTreeMap::new(),
            free: Vec::new(),
            next: 0,
            unreported: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.by_addr.is_empty()
    }

    pub fn len(&self) -> usize {
        self.by_addr.len()
    }

    /// The mapping that starts at `addr`.
    pub fn get(&self, addr: usize) -> Option<&Entry> {
        self.by_addr.get(&addr)
    }

    /// Whether one more mapping gets a slot (`slots` in the table).
    pub fn has_room(&self, slots: usize) -> bool {
        !self.free.is_empty() || self.next < slots
    }

    /// Enters `entry` at `addr` with a free slot (check [`Self::has_room`]
    /// first); the slot.
    pub fn insert(&mut self, addr: usize, mut entry: Entry) -> usize {
        let slot = self.free.pop().unwrap_or_else(|| {
            self.next += 1;
            self.next - 1
        });
        entry.slot = slot;
        self.by_addr.insert(addr, entry);
        slot
    }

    /// Takes the mapping at `addr` out, giving its slot back.
    pub fn remove(&mut self, addr: usize) -> Option<Entry> {
        let entry = self.by_addr.remove(&addr)?;
        self.free.push(entry.slot);
        Some(entry)
    }

    /// The live mappings of the inode.
    pub fn of_file(&mut self, dev: u64, ino: u64) -> impl Iterator<Item = &mut Entry> {
        self.by_addr
            .values_mut()
            .filter(move |e| e.dev == dev && e.ino == ino)
    }

    /// Remembers that a repaired mapping of the inode went unreported.
    pub fn note_unreported(&mut self, dev: u64, ino: u64) {
        if !self.unreported.contains(&(dev, ino)) {
            self.unreported.push((dev, ino));
        }
    }

    /// Whether a repaired mapping of the inode went unreported (forgetting
    /// it: it is reported now).
    pub fn take_unreported(&mut self, dev: u64, ino: u64) -> bool {
        let before = self.unreported.len();
        self.unreported.retain(|&f| f != (dev, ino));
        self.unreported.len() != before
    }

    /// The furthest file offset any live mapping of the inode can touch.
    pub fn file_end(&self, dev: u64, ino: u64) -> u64 {
        self.by_addr
            .values()
            .filter(|e| e.dev == dev && e.ino == ino)
            .map(|e| e.file_end)
            .max()
            .unwrap_or(0)
    }

    /// Whether `len` bytes from `addr` lie inside one live mapping.
    pub fn covers(&self, addr: usize, len: usize) -> bool {
        let Some((&start, entry)) = self.by_addr.range(..=addr).next_back() else {
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
            slot: 0,
            reported: false,
        }
    }

    #[test]
    fn covers_only_inside_one_mapping_and_file_end_is_the_furthest() {
        let mut m = LiveMappings::new();
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
        assert_eq!(m.remove(0x20000).map(|e| e.slot), Some(1));
        assert_eq!((m.file_end(1, 7), m.len()), (100, 2));
        assert!(m.has_room(3) && !LiveMappings::new().has_room(0));
        assert_eq!(m.insert(0x40000, entry(0x1000, 9, 1)), 1, "slot reused");
        assert!(!m.has_room(3));
        m.note_unreported(1, 7);
        m.note_unreported(1, 7);
        assert!(m.take_unreported(1, 7) && !m.take_unreported(1, 7));
    }
}
