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
    /// Bytes of the view handed out (doubled for rings).
    view_len: usize,
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
/// file) and the checked range.
struct Target {
    dev: u64,
    ino: u64,
    granule: usize,
    length: i64,
    end: u64,
}

/// The range `offset..offset + length` of `fd`, or with `length` `None`
/// everything from `offset` to the end of the file, checked against the
/// file's size by the one `fstat` that also names the file for the registry.
fn target(fd: i32, offset: i64, length: Option<i64>) -> Result<Target, i64> {
    if offset < 0 || length.is_some_and(|l| l < 0) {
        return Err(EINVAL);
    }
    let st = stat(fd)?;
    let length = length.unwrap_or(st.st_size.saturating_sub(offset));
    let end = offset.checked_add(length).ok_or(E_RANGE)?;
    if length <= 0 || end > st.st_size {
        return Err(E_RANGE);
    }
    // hugetlbfs reports its huge page size as the block size.
    let granule = usize::try_from(st.st_blksize).unwrap_or(0).max(page_size());
    Ok(Target {
        dev: st.st_dev,
        ino: st.st_ino,
        granule,
        length,
        end: end as u64,
    })
}

fn register(reg: &mut Registry, addr: usize, unmap_len: usize, view_len: usize, t: &Target) {
    let entry = Entry {
        unmap_len,
        view_len,
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
    map_range(fd, offset, Some(length), flags)
}

/// [`map`] of everything from `offset` to the end of the file, sized by the
/// same `fstat` that checks the range (no separate size query needed);
/// [`view_length`] then tells the length. [`E_RANGE`] when `offset` is at or
/// past the end.
pub fn map_rest(fd: i32, offset: i64, flags: i32) -> i64 {
    map_range(fd, offset, None, flags)
}

fn map_range(fd: i32, offset: i64, length: Option<i64>, flags: i32) -> i64 {
    let mut reg = registry();
    let t = match target(fd, offset, length) {
        Ok(t) => t,
        Err(e) => return e,
    };
    let length = t.length;
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
    register(&mut reg, addr as usize, unmap_len, length as usize, &t);
    addr as i64
}

/// Maps `length` bytes of `fd` from `offset` twice, back to back, so that
/// byte `i` and byte `i + length` are the same memory. `length` must be a
/// non-zero multiple of the page (huge page) size. The address of the
/// `2 * length` region, or `-errno`.
pub fn map_ring(fd: i32, offset: i64, length: i64) -> i64 {
    let mut reg = registry();
    let t = match target(fd, offset, Some(length)) {
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
    register(&mut reg, start, span, span, &t);
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

/// The length of the view of the live mapping at `addr` (doubled for a
/// ring), or `-EINVAL` when no mapping made here starts there.
pub fn view_length(addr: i64) -> i64 {
    let reg = registry();
    usize::try_from(addr)
        .ok()
        .and_then(|a| reg.0.get(&a))
        .map_or(EINVAL, |entry| entry.view_len as i64)
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

/// Held by every test that maps or unmaps, so that an address one test
/// passes to `unmap` (a stale one, say) can never be another test's live
/// mapping, whatever order the test threads run in.
#[cfg(test)]
pub fn test_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// Whether `len` bytes from `addr` lie inside one live mapping made here.
pub fn covers(addr: usize, len: usize) -> bool {
    let reg = registry();
    let Some((&start, entry)) = reg.0.range(..=addr).next_back() else {
        return false;
    };
    addr.checked_add(len)
        .is_some_and(|end| end <= start + entry.unmap_len)
}

/// How many mappings made here are still mapped.
pub fn live_count() -> i64 {
    registry().len() as i64
}

/// The size of a page in bytes (the granule of `map_ring` on plain memfds).
pub fn page_size_bytes() -> i64 {
    page_size() as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constants::*;
    use crate::test_util::{
        errno, huge_pages_available, memfd, raw_map, raw_unmap, seals, sized, Fd,
    };

    const PAGE: i64 = 4096;

    fn bytes<'a>(addr: i64, len: usize) -> &'a mut [u8] {
        // SAFETY: callers pass a live mapping of at least `len` bytes.
        unsafe { std::slice::from_raw_parts_mut(addr as *mut u8, len) }
    }

    fn add_write_seal(fd: &Fd) -> i64 {
        crate::seals::add(fd.0, F_SEAL_WRITE.into())
    }

    #[test]
    fn ranges_that_would_sigbus_are_enxio_and_map_nothing() {
        let _lock = test_lock();
        let fd = sized("ranges", 2 * PAGE);
        for (offset, length) in [
            (0, 0),
            (0, 2 * PAGE + 1),
            (0, 3 * PAGE),
            (PAGE, 2 * PAGE),
            (2 * PAGE, PAGE),
            (3 * PAGE, PAGE),
            (PAGE, i64::MAX),
            (i64::MAX, 1),
        ] {
            assert_eq!(map(fd.0, offset, length, 0), E_RANGE, "{offset}+{length}");
            assert_eq!(map_ring(fd.0, offset, length), E_RANGE, "{offset}+{length}");
        }
        let empty = sized("empty", 0);
        assert_eq!(map(empty.0, 0, PAGE, 0), E_RANGE);
        assert_eq!(map(fd.0, -PAGE, PAGE, 0), EINVAL);
        assert_eq!(map(fd.0, 0, -1, 0), EINVAL);
        let st = stat(fd.0).unwrap();
        assert_eq!(
            registry().file_end(st.st_dev, st.st_ino),
            0,
            "nothing registered"
        );
    }

    #[test]
    fn conformance_38_the_kernel_refuses_length_zero() {
        let _lock = test_lock();
        let fd = sized("zero", PAGE);
        let prot = libc::PROT_READ;
        assert_eq!(
            raw_map(&fd, 0, prot, libc::MAP_SHARED, 0),
            errno(libc::EINVAL)
        );
    }

    #[test]
    fn an_unaligned_offset_is_the_kernels_einval_and_registers_nothing() {
        let _lock = test_lock();
        let fd = sized("unaligned", 2 * PAGE);
        assert_eq!(map(fd.0, 100, 10, 0), EINVAL);
        assert_eq!(map_ring(fd.0, 100, PAGE), EINVAL);
        let st = stat(fd.0).unwrap();
        assert_eq!(registry().file_end(st.st_dev, st.st_ino), 0);
    }

    #[test]
    fn unmap_and_sync_of_an_address_not_mapped_here_are_einval() {
        let _lock = test_lock();
        assert_eq!(unmap(0), EINVAL);
        assert_eq!(unmap(-1), EINVAL);
        assert_eq!(sync(0x1000), EINVAL);
        assert_eq!(retire(0x1000), EINVAL);
        let fd = sized("interior", 2 * PAGE);
        let addr = map(fd.0, 0, 2 * PAGE, 0);
        assert!(addr > 0);
        // Only whole mappings, by their start: never a piece of one.
        assert_eq!(unmap(addr + PAGE), EINVAL);
        bytes(addr, 2 * PAGE as usize)[PAGE as usize] = 1;
        assert_eq!(unmap(addr), 0);
        assert_eq!(unmap(addr), EINVAL, "twice");
        assert_eq!(sync(addr), EINVAL);
    }

    #[test]
    fn shared_and_private_mappings_behave_as_the_kernel_says() {
        let _lock = test_lock();
        let fd = sized("kinds", PAGE);
        let shared = map(fd.0, 0, PAGE, 0);
        let private = map(fd.0, 0, PAGE, MAP_FLAG_PRIVATE | MAP_FLAG_POPULATE);
        assert!(shared > 0 && private > 0);
        bytes(shared, 1)[0] = 5;
        bytes(private, 2)[1] = 6;
        let mut out = [0u8; 2];
        assert_eq!(crate::io::pread_all(fd.0, &mut out, 0), 2);
        assert_eq!(out, [5, 0]);
        assert_eq!(sync(shared), 0);
        assert_eq!(unmap(shared), 0);
        assert_eq!(unmap(private), 0);
    }

    #[test]
    fn map_ring_aliases_both_halves_and_needs_page_multiples() {
        let _lock = test_lock();
        let fd = sized("ring", 3 * PAGE);
        assert_eq!(map_ring(fd.0, 0, PAGE + 1), EINVAL);
        let len = 2 * PAGE as usize;
        let addr = map_ring(fd.0, PAGE, len as i64);
        assert!(addr > 0);
        let ring = bytes(addr, 2 * len);
        for i in [0, 1, PAGE as usize, len - 1] {
            ring[i] = 0xa0;
            assert_eq!(ring[i + len], 0xa0);
            ring[i + len] = 0x0b;
            assert_eq!(ring[i], 0x0b);
        }
        let mut out = [0u8; 1];
        crate::io::pread_all(fd.0, &mut out, PAGE);
        assert_eq!(out[0], 0x0b, "the ring is the file from the offset");
        assert_eq!(unmap(addr), 0);
    }

    #[test]
    fn conformance_20_write_sealed_maps_read_only_but_mprotect_rw_is_eacces() {
        let _lock = test_lock();
        let fd = sized("ro-map", PAGE);
        assert_eq!(add_write_seal(&fd), 0);
        let addr = raw_map(&fd, PAGE as usize, libc::PROT_READ, libc::MAP_SHARED, 0);
        assert!(addr > 0, "mmap R shared: {addr}");
        let prot = libc::PROT_READ | libc::PROT_WRITE;
        // SAFETY: changes the protection of the mapping made just above.
        let r = unsafe { libc::mprotect(addr as *mut libc::c_void, PAGE as usize, prot) };
        assert_eq!(r, -1);
        assert_eq!(crate::guard::neg_errno(), errno(libc::EACCES));
        assert_eq!(raw_unmap(addr, PAGE as usize), 0);
        assert_eq!(map(fd.0, 0, PAGE, 0), errno(libc::EPERM));
    }

    #[test]
    fn conformance_23_any_shared_mapping_blocks_the_write_seal() {
        let _lock = test_lock();
        for prot in [libc::PROT_READ, libc::PROT_WRITE, libc::PROT_NONE] {
            let fd = sized("busy", PAGE);
            let addr = raw_map(&fd, PAGE as usize, prot, libc::MAP_SHARED, 0);
            assert!(addr > 0);
            let both = F_SEAL_WRITE | F_SEAL_GROW;
            assert_eq!(crate::seals::add(fd.0, both.into()), errno(libc::EBUSY));
            assert_eq!(seals(&fd), 0, "nothing applied (prot {prot})");
            assert_eq!(raw_unmap(addr, PAGE as usize), 0);
            assert_eq!(add_write_seal(&fd), 0);
        }
    }

    #[test]
    fn conformance_25_a_forked_child_holding_a_shared_mapping_blocks_the_write_seal() {
        let _lock = test_lock();
        let fd = sized("forked", PAGE);
        let mut ready = [0; 2];
        let mut release = [0; 2];
        // SAFETY: plain pipe creation.
        unsafe {
            assert_eq!(libc::pipe(ready.as_mut_ptr()), 0);
            assert_eq!(libc::pipe(release.as_mut_ptr()), 0);
        }
        // SAFETY: the child only makes async-signal-safe calls, then _exits.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            unsafe {
                // Only the parent may hold these ends, or EOF never comes.
                libc::close(ready[0]);
                libc::close(release[1]);
                let prot = libc::PROT_READ | libc::PROT_WRITE;
                let p = libc::mmap(std::ptr::null_mut(), 4096, prot, libc::MAP_SHARED, fd.0, 0);
                libc::close(fd.0);
                let ok = [u8::from(p != libc::MAP_FAILED)];
                libc::write(ready[1], ok.as_ptr().cast(), 1);
                let mut b = [0u8; 1];
                while libc::read(release[0], b.as_mut_ptr().cast(), 1) < 0 {}
                libc::_exit(0);
            }
        }
        assert!(pid > 0);
        let (ready_r, release_w) = (Fd(ready[0]), Fd(release[1]));
        drop((Fd(ready[1]), Fd(release[0])));
        let mut ok = [0u8; 1];
        // SAFETY: reads one byte into a local buffer.
        assert_eq!(
            unsafe { libc::read(ready_r.0, ok.as_mut_ptr().cast(), 1) },
            1
        );
        assert_eq!(ok, [1], "the child mapped the memfd");
        assert_eq!(add_write_seal(&fd), errno(libc::EBUSY));
        drop(release_w); // EOF: the child exits, its mapping with it
        let mut status = 0;
        // SAFETY: waits for the child forked above.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert_eq!(add_write_seal(&fd), 0);
    }

    #[test]
    fn retire_releases_the_memfd_and_leaves_readable_zeros() {
        let _lock = test_lock();
        let fd = sized("retire", PAGE);
        let addr = map(fd.0, 0, PAGE, 0);
        bytes(addr, 1)[0] = 9;
        assert_eq!(add_write_seal(&fd), errno(libc::EBUSY));
        assert_eq!(retire(addr), 0);
        assert_eq!(bytes(addr, 1)[0], 0, "anonymous memory now");
        bytes(addr, 1)[0] = 1; // and writable, without touching the memfd
        assert_eq!(add_write_seal(&fd), 0, "the memfd is no longer mapped");
        assert_eq!(unmap(addr), EINVAL, "no longer a mapping of ours");
        assert_eq!(raw_unmap(addr, PAGE as usize), 0);
    }

    #[test]
    fn conformance_43_hugetlb_partial_munmap_is_einval_so_unmap_rounds() {
        let _lock = test_lock();
        const HUGE: i64 = 2 << 20;
        let flags = MFD_CLOEXEC | MFD_HUGETLB | (21 << MFD_HUGE_SHIFT);
        if !crate::test_util::kernel().hugetlb {
            assert_eq!(crate::create::create(b"huge", flags), EINVAL, "before 4.14");
            return;
        }
        let fd = memfd("huge", flags);
        assert_eq!(crate::fd::resize(fd.0, HUGE), 0);
        let available = huge_pages_available(2048);
        let addr = map(fd.0, 0, PAGE, 0);
        if available < 1 {
            assert_eq!(addr, errno(libc::ENOMEM), "no free 2 MiB page");
            return;
        }
        assert!(addr > 0, "map: {addr}");
        bytes(addr, PAGE as usize)[0] = 1;
        // What the kernel says to a munmap of less than the huge page:
        assert_eq!(raw_unmap(addr, PAGE as usize), errno(libc::EINVAL));
        assert_eq!(sync(addr), 0);
        assert_eq!(unmap(addr), 0, "the library unmaps the whole huge page");
    }

    #[test]
    fn map_rest_maps_to_the_end_and_reports_the_length() {
        let _lock = test_lock();
        let fd = crate::create::create(b"rest", MFD_CLOEXEC) as i32;
        assert!(fd >= 0);
        let page = page_size() as i64;
        assert_eq!(crate::fd::resize(fd, 3 * page), 0);
        let addr = map_rest(fd, page, 0);
        assert!(addr > 0);
        assert_eq!(view_length(addr), 2 * page);
        assert_eq!(map_rest(fd, 3 * page, 0), E_RANGE);
        assert_eq!(map_rest(fd, 4 * page, 0), E_RANGE);
        assert_eq!(crate::fd::resize(fd, page), -i64::from(libc::EBUSY));
        assert_eq!(unmap(addr), 0);
        assert_eq!(view_length(addr), EINVAL);
        // SAFETY: closing the fd created above.
        unsafe { libc::close(fd) };
    }
}
