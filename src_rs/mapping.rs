//! `mmap` of memfds (plain and double-mapped "ring"), and the registry of
//! live mappings that makes unmapping and resizing safe.
//!
//! Only mappings made here can be unmapped here, and only whole: an address
//! that is not in the registry is `-EINVAL`, so no argument can unmap memory
//! that belongs to the runtime. The registry also remembers which file range
//! each mapping covers, so that `fd::resize` can refuse to cut into it.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use crate::fd::stat;
use crate::guard::neg_errno;

/// `flags` bit: copy-on-write (`MAP_PRIVATE`) instead of `MAP_SHARED`.
pub const MAP_FLAG_PRIVATE: i32 = 0x1;
/// `flags` bit: pre-fault the pages (`MAP_POPULATE`).
pub const MAP_FLAG_POPULATE: i32 = 0x2;

/// Returned when the range is empty or reaches past the end of the file:
/// mapping it would succeed, and touching it would raise SIGBUS.
pub const E_RANGE: i64 = -(libc::ENXIO as i64);

const EINVAL: i64 = -(libc::EINVAL as i64);

struct Entry {
    /// Bytes to hand to `munmap` (the view, rounded up to whole huge pages
    /// for hugetlb files, doubled for rings).
    unmap_len: usize,
    dev: u64,
    ino: u64,
    /// One past the last byte of the file this mapping can touch.
    file_end: u64,
}

/// Live mappings made by this library, by address.
pub struct Registry(BTreeMap<usize, Entry>);

static REGISTRY: Mutex<Registry> = Mutex::new(Registry(BTreeMap::new()));

/// The registry, locked. A panic while it was held (a bug) leaves it
/// consistent, since every change is a single insert or remove; so a
/// poisoned lock is simply taken over.
pub fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Registry {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
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
}

fn page_size() -> usize {
    // SAFETY: sysconf only reads a constant.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size).unwrap_or(4096)
}

fn round_up(n: usize, to: usize) -> Option<usize> {
    n.checked_next_multiple_of(to)
}

/// What a mapping of `length` bytes at `offset` of `fd` needs: the file's
/// identity, its mapping granule (4 KiB, or the huge page size of a hugetlb
/// file) and the checked end of the range.
struct Target {
    dev: u64,
    ino: u64,
    granule: usize,
    end: u64,
}

fn target(fd: i32, offset: i64, length: i64) -> Result<Target, i64> {
    if offset < 0 || length < 0 {
        return Err(EINVAL);
    }
    let st = stat(fd)?;
    let end = offset.checked_add(length).ok_or(E_RANGE)?;
    if length == 0 || end > st.st_size {
        return Err(E_RANGE);
    }
    // hugetlbfs reports its huge page size as the block size.
    let granule = usize::try_from(st.st_blksize).unwrap_or(0).max(page_size());
    Ok(Target {
        dev: st.st_dev,
        ino: st.st_ino,
        granule,
        end: end as u64,
    })
}

fn register(reg: &mut Registry, addr: usize, unmap_len: usize, t: &Target) {
    let entry = Entry {
        unmap_len,
        dev: t.dev,
        ino: t.ino,
        file_end: t.end,
    };
    reg.0.insert(addr, entry);
}

/// Maps `length` bytes of `fd` from `offset`, readable and writable, shared
/// or (with [`MAP_FLAG_PRIVATE`]) copy-on-write. The address, or `-errno`;
/// [`E_RANGE`] when the range is empty or passes the end of the file.
pub fn map(fd: i32, offset: i64, length: i64, flags: i32) -> i64 {
    let mut reg = registry();
    let t = match target(fd, offset, length) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let Some(unmap_len) = round_up(length as usize, t.granule) else {
        return E_RANGE;
    };
    let mut mmap_flags = if flags & MAP_FLAG_PRIVATE != 0 {
        libc::MAP_PRIVATE
    } else {
        libc::MAP_SHARED
    };
    if flags & MAP_FLAG_POPULATE != 0 {
        mmap_flags |= libc::MAP_POPULATE;
    }
    let prot = libc::PROT_READ | libc::PROT_WRITE;
    // SAFETY: a fresh mapping at an address the kernel picks replaces nothing.
    let addr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            length as usize,
            prot,
            mmap_flags,
            fd,
            offset,
        )
    };
    if addr == libc::MAP_FAILED {
        return neg_errno();
    }
    register(&mut reg, addr as usize, unmap_len, &t);
    addr as i64
}

/// Maps `length` bytes of `fd` from `offset` twice, back to back, so that
/// byte `i` and byte `i + length` are the same memory. `length` must be a
/// non-zero multiple of the page (huge page) size. The address of the
/// `2 * length` region, or `-errno`.
pub fn map_ring(fd: i32, offset: i64, length: i64) -> i64 {
    let mut reg = registry();
    let t = match target(fd, offset, length) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let len = length as usize;
    if !len.is_multiple_of(t.granule) {
        return EINVAL;
    }
    let Some(span) = len.checked_mul(2) else {
        return E_RANGE;
    };
    // Reserve one granule more than needed, so that the start can be aligned
    // to a huge page when the file is a hugetlb one.
    let slop = if t.granule > page_size() {
        t.granule
    } else {
        0
    };
    let reserve_len = span + slop;
    // SAFETY: an inaccessible anonymous reservation at a kernel-chosen place.
    let reserve = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            reserve_len,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if reserve == libc::MAP_FAILED {
        return neg_errno();
    }
    let base = reserve as usize;
    let start = base.next_multiple_of(t.granule.max(1));
    let release = |addr: usize, len: usize| {
        if len > 0 {
            // SAFETY: the range lies inside the reservation made above.
            unsafe { libc::munmap(addr as *mut libc::c_void, len) };
        }
    };
    for half in [start, start + len] {
        // SAFETY: MAP_FIXED only replaces pages of our own reservation.
        let got = unsafe {
            libc::mmap(
                half as *mut libc::c_void,
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_FIXED,
                fd,
                offset,
            )
        };
        if got == libc::MAP_FAILED {
            let e = neg_errno();
            release(base, reserve_len);
            return e;
        }
    }
    release(base, start - base);
    release(start + span, base + reserve_len - (start + span));
    register(&mut reg, start, span, &t);
    start as i64
}

/// Unmaps the whole mapping that starts at `addr`: 0 or `-errno`; `-EINVAL`
/// when no mapping made here starts there.
pub fn unmap(addr: i64) -> i64 {
    let mut reg = registry();
    let Some(entry) = usize::try_from(addr).ok().and_then(|a| reg.0.get(&a)) else {
        return EINVAL;
    };
    // SAFETY: the range is exactly one mapping this module made and still owns.
    if unsafe { libc::munmap(addr as *mut libc::c_void, entry.unmap_len) } < 0 {
        return neg_errno();
    }
    reg.0.remove(&(addr as usize));
    0
}

/// Releases the mapping at `addr` without unmapping its address range: the
/// pages are replaced in place by fresh anonymous memory (readable,
/// writable, never reserved) that stays mapped for good. 0 or `-errno`;
/// `-EINVAL` when no mapping made here starts there.
///
/// For memory that JavaScript may still reach: an `ArrayBuffer` moved out
/// of its `Mapping` (`transfer()`, `postMessage`) cannot be detached, and
/// unmapping under it would fault the process on its next touch. After this
/// the memfd is no longer mapped (seals and resizes are free again) and
/// such a buffer reads zeros.
pub fn retire(addr: i64) -> i64 {
    let mut reg = registry();
    let Some(entry) = usize::try_from(addr).ok().and_then(|a| reg.0.get(&a)) else {
        return EINVAL;
    };
    // SAFETY: MAP_FIXED replaces exactly one mapping this module made and
    // still owns, with memory nobody else refers to.
    let got = unsafe {
        libc::mmap(
            addr as *mut libc::c_void,
            entry.unmap_len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_FIXED,
            -1,
            0,
        )
    };
    if got == libc::MAP_FAILED {
        return neg_errno();
    }
    reg.0.remove(&(addr as usize));
    0
}

/// `msync(MS_SYNC)` of the whole mapping at `addr`: 0 or `-errno`.
pub fn sync(addr: i64) -> i64 {
    let reg = registry();
    let Some(entry) = usize::try_from(addr).ok().and_then(|a| reg.0.get(&a)) else {
        return EINVAL;
    };
    // SAFETY: the range is exactly one live mapping this module made.
    if unsafe { libc::msync(addr as *mut libc::c_void, entry.unmap_len, libc::MS_SYNC) } < 0 {
        return neg_errno();
    }
    0
}

/// How many mappings made here are still mapped.
pub fn live_count() -> i64 {
    registry().len() as i64
}

/// The size of a page in bytes (the granule of `map_ring` on plain memfds).
pub fn page_size_bytes() -> i64 {
    page_size() as i64
}
