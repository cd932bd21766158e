//! `mmap` of memfds, and unmapping, syncing and releasing those mappings.
//! Every mapping made here is entered in [`crate::mm::live_mappings`], and only
//! those are ever unmapped, synced or released. Each is also published to
//! the SIGBUS handler ([`crate::mm::sigbus`]), installed before the first one
//! is made, and retired from it before its pages go.

use crate::fd::fstat::fstat;
use crate::mm::live_mappings::{live_mappings, Entry, LiveMappings};
use crate::mm::sigbus;
use crate::sys::constants::{MAP_FLAG_POPULATE, MAP_FLAG_PRIVATE};
use crate::sys::errno::{ret, ret_mapped, Errno, Result};
use crate::sys::page_size::page_size;

/// What a mapping of a range of a file needs: the file's identity, its
/// mapping granule (4 KiB, or the huge page size of a hugetlb file) and the
/// checked range.
pub struct Target {
    pub dev: u64,
    pub ino: u64,
    pub granule: usize,
    pub length: i64,
    pub end: u64,
}

/// The range `offset..offset + length` of `fd`, or with `length` `None`
/// everything from `offset` to the end of the file, checked against the
/// file's size by the one `fstat` that also names the file for the registry.
/// `ENXIO` when the range is empty or passes the end of the file.
pub fn target(fd: i32, offset: i64, length: Option<i64>) -> Result<Target> {
    if offset < 0 || length.is_some_and(|l| l < 0) {
        return Err(Errno::EINVAL);
    }
    let st = fstat(fd)?;
    let length = length.unwrap_or(st.st_size.saturating_sub(offset));
    let end = offset.checked_add(length).ok_or(Errno::ENXIO)?;
    if length <= 0 || end > st.st_size {
        return Err(Errno::ENXIO);
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

/// Installs the SIGBUS handler (once) and checks that the registry has a
/// slot for one more mapping (`ENOMEM` when it has not): what every
/// mapping needs before it is made.
pub fn prepare(maps: &LiveMappings) -> Result<()> {
    sigbus::install()?;
    if !maps.has_room(sigbus::SLOTS) {
        return Err(Errno::ENOMEM);
    }
    Ok(())
}

/// Enters a mapping of `t` at `addr` in the registry and publishes it to
/// the SIGBUS handler (`half`: a ring's half length, or 0).
pub fn register(
    maps: &mut LiveMappings,
    addr: usize,
    unmap_len: usize,
    view_len: usize,
    half: usize,
    t: &Target,
) {
    let entry = Entry {
        unmap_len,
        view_len,
        dev: t.dev,
        ino: t.ino,
        file_end: t.end,
        slot: 0,
        reported: false,
    };
    let slot = maps.insert(addr, entry);
    sigbus::publish(slot, addr, unmap_len, half, t.granule);
}

/// Takes the mapping at `at` out of the registry once its pages are gone,
/// remembering a repair no `Memfd` was told about.
fn deregister(maps: &mut LiveMappings, at: usize) {
    if let Some(e) = maps.remove(at) {
        if sigbus::truncated(e.slot) && !e.reported {
            maps.note_unreported(e.dev, e.ino);
        }
    }
}

/// Runs `release` on the pages of the registered mapping at `at`, hidden
/// from the SIGBUS handler meanwhile, and deregisters it when that worked;
/// when the kernel refused, the mapping stays as it was.
fn release_pages(
    maps: &mut LiveMappings,
    at: usize,
    release: impl FnOnce(&Entry) -> Result<()>,
) -> Result<()> {
    let entry = maps.get(at).ok_or(Errno::EINVAL)?;
    sigbus::retire(entry.slot);
    if let Err(e) = release(entry) {
        sigbus::publish_again(entry.slot, at);
        return Err(e);
    }
    deregister(maps, at);
    Ok(())
}

/// Maps `length` bytes of `fd` from `offset` (with `None`, everything to the
/// end of the file, sized by the same `fstat` that checks the range),
/// readable and writable, shared or (with [`MAP_FLAG_PRIVATE`])
/// copy-on-write. The address; `ENXIO` when the range is empty or passes the
/// end of the file.
pub fn map(fd: i32, offset: i64, length: Option<i64>, flags: i32) -> Result<i64> {
    let mut maps = live_mappings();
    let t = target(fd, offset, length)?;
    prepare(&maps)?;
    let length = t.length;
    let unmap_len = (length as usize)
        .checked_next_multiple_of(t.granule)
        .ok_or(Errno::ENXIO)?;
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
    let addr = ret_mapped(unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            length as usize,
            prot,
            mmap_flags,
            fd,
            offset,
        )
    })?;
    register(&mut maps, addr as usize, unmap_len, length as usize, 0, &t);
    Ok(addr as i64)
}

/// The registered mapping's start for `addr`, or `EINVAL`.
fn start(addr: i64) -> Result<usize> {
    usize::try_from(addr).map_err(|_| Errno::EINVAL)
}

/// Unmaps the whole mapping that starts at `addr`; `EINVAL` when no mapping
/// made here starts there.
pub fn unmap(addr: i64) -> Result<()> {
    let mut maps = live_mappings();
    let at = start(addr)?;
    release_pages(&mut maps, at, |entry| {
        // SAFETY: the range is exactly one mapping this module made and
        // still owns (zero pages the SIGBUS handler put in included).
        ret(unsafe { libc::munmap(at as *mut libc::c_void, entry.unmap_len) }).map(drop)
    })
}

/// The length of the view of the live mapping at `addr` (doubled for a
/// ring); `EINVAL` when no mapping made here starts there.
pub fn view_length(addr: i64) -> Result<i64> {
    let maps = live_mappings();
    let entry = maps.get(start(addr)?).ok_or(Errno::EINVAL)?;
    Ok(entry.view_len as i64)
}

/// Releases the mapping at `addr` without unmapping its address range: the
/// pages are replaced in place by fresh anonymous memory (readable,
/// writable, never reserved) that stays mapped for good, reading zeros.
/// `EINVAL` when no mapping made here starts there.
///
/// For memory that JavaScript may still reach: an `ArrayBuffer` moved out
/// of its `Mapping` (`transfer()`, `postMessage`) cannot be detached, and
/// unmapping under it would fault the process on its next touch. After this
/// the memfd is no longer mapped (seals and resizes are free again) and
/// such a buffer reads zeros.
pub fn unmap_leaving_zeros(addr: i64) -> Result<()> {
    let mut maps = live_mappings();
    let at = start(addr)?;
    release_pages(&mut maps, at, |entry| {
        // SAFETY: MAP_FIXED replaces exactly one mapping this module made
        // and still owns, with memory nobody else refers to.
        ret_mapped(unsafe {
            libc::mmap(
                at as *mut libc::c_void,
                entry.unmap_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_FIXED,
                -1,
                0,
            )
        })
        .map(drop)
    })
}

/// `msync(MS_SYNC)` of the whole mapping at `addr`; `EINVAL` when no
/// mapping made here starts there.
pub fn sync(addr: i64) -> Result<()> {
    let maps = live_mappings();
    let at = start(addr)?;
    let entry = maps.get(at).ok_or(Errno::EINVAL)?;
    // SAFETY: the range is exactly one live mapping this module made.
    ret(unsafe { libc::msync(at as *mut libc::c_void, entry.unmap_len, libc::MS_SYNC) }).map(drop)
}

/// Whether the SIGBUS handler replaced pages of the live mapping at `addr`
/// with zeros (another process shrank its file); `EINVAL` when no mapping
/// made here starts there.
pub fn truncated(addr: i64) -> Result<bool> {
    let maps = live_mappings();
    let entry = maps.get(start(addr)?).ok_or(Errno::EINVAL)?;
    Ok(sigbus::truncated(entry.slot))
}

/// Whether a mapping made here of the file `fd` has had pages replaced
/// with zeros since a `Memfd` of the file was last told: live mappings and
/// ones unmapped since. Telling is once: the answer after `true` is `false`
/// until another repair.
pub fn file_truncated(fd: i32) -> Result<bool> {
    let st = fstat(fd)?;
    let mut maps = live_mappings();
    let mut told = maps.take_unreported(st.st_dev, st.st_ino);
    for e in maps.of_file(st.st_dev, st.st_ino) {
        if sigbus::truncated(e.slot) && !e.reported {
            e.reported = true;
            told = true;
        }
    }
    Ok(told)
}

/// After a transfer through `len` bytes at `buf` failed with `EFAULT` (the
/// kernel does not raise SIGBUS for its own copies), touches each page of
/// the buffer that lies in a live mapping made here, so that pages whose
/// file shrank are repaired by the SIGBUS handler as a JavaScript touch
/// would repair them. The result as it was.
pub fn repair_on_efault<T>(r: Result<T>, buf: *const u8, len: usize) -> Result<T> {
    if r.as_ref().err() != Some(&Errno::EFAULT) {
        return r;
    }
    let maps = live_mappings();
    let page = page_size();
    let first = buf as usize / page * page;
    let end = (buf as usize).saturating_add(len);
    for at in (first..end).step_by(page) {
        let at = at.max(buf as usize);
        if maps.covers(at, 1) {
            // SAFETY: `at` lies in a live mapping made here (the registry
            // lock keeps it mapped): readable memory, or a page past the
            // end of its file that the SIGBUS handler replaces.
            unsafe { std::ptr::read_volatile(at as *const u8) };
        }
    }
    r
}

/// How many mappings made here are still mapped.
pub fn live_count() -> i64 {
    live_mappings().len() as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mm::live_mappings::test_lock;
    use crate::mm::ring_mapping::map_ring;
    use crate::sys::constants::*;
    use crate::testing::test_util::{
        huge_pages_available, memfd, owned, raw_map, raw_unmap, seals, sized,
    };
    use std::os::fd::{AsRawFd, OwnedFd};

    const PAGE: i64 = 4096;

    fn bytes<'a>(addr: i64, len: usize) -> &'a mut [u8] {
        // SAFETY: callers pass a live mapping of at least `len` bytes.
        unsafe { std::slice::from_raw_parts_mut(addr as *mut u8, len) }
    }

    fn add_write_seal(fd: &OwnedFd) -> Result<()> {
        crate::fd::seals::add(fd.as_raw_fd(), F_SEAL_WRITE.into())
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
            assert_eq!(
                map(fd.as_raw_fd(), offset, Some(length), 0),
                Err(Errno::ENXIO),
                "{offset}+{length}"
            );
            assert_eq!(
                map_ring(fd.as_raw_fd(), offset, length),
                Err(Errno::ENXIO),
                "{offset}+{length}"
            );
        }
        let empty = sized("empty", 0);
        assert_eq!(map(empty.as_raw_fd(), 0, Some(PAGE), 0), Err(Errno::ENXIO));
        assert_eq!(
            map(fd.as_raw_fd(), -PAGE, Some(PAGE), 0),
            Err(Errno::EINVAL)
        );
        assert_eq!(map(fd.as_raw_fd(), 0, Some(-1), 0), Err(Errno::EINVAL));
        let st = fstat(fd.as_raw_fd()).unwrap();
        assert_eq!(
            live_mappings().file_end(st.st_dev, st.st_ino),
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
            Err(Errno::EINVAL)
        );
    }

    #[test]
    fn an_unaligned_offset_is_the_kernels_einval_and_registers_nothing() {
        let _lock = test_lock();
        let fd = sized("unaligned", 2 * PAGE);
        assert_eq!(map(fd.as_raw_fd(), 100, Some(10), 0), Err(Errno::EINVAL));
        assert_eq!(map_ring(fd.as_raw_fd(), 100, PAGE), Err(Errno::EINVAL));
        let st = fstat(fd.as_raw_fd()).unwrap();
        assert_eq!(live_mappings().file_end(st.st_dev, st.st_ino), 0);
    }

    #[test]
    fn unmap_and_sync_of_an_address_not_mapped_here_are_einval() {
        let _lock = test_lock();
        assert_eq!(unmap(0), Err(Errno::EINVAL));
        assert_eq!(unmap(-1), Err(Errno::EINVAL));
        assert_eq!(sync(0x1000), Err(Errno::EINVAL));
        assert_eq!(unmap_leaving_zeros(0x1000), Err(Errno::EINVAL));
        let fd = sized("interior", 2 * PAGE);
        let addr = map(fd.as_raw_fd(), 0, Some(2 * PAGE), 0).unwrap();
        // Only whole mappings, by their start: never a piece of one.
        assert_eq!(unmap(addr + PAGE), Err(Errno::EINVAL));
        bytes(addr, 2 * PAGE as usize)[PAGE as usize] = 1;
        assert_eq!(unmap(addr), Ok(()));
        assert_eq!(unmap(addr), Err(Errno::EINVAL), "twice");
        assert_eq!(sync(addr), Err(Errno::EINVAL));
    }

    #[test]
    fn shared_and_private_mappings_behave_as_the_kernel_says() {
        let _lock = test_lock();
        let fd = sized("kinds", PAGE);
        let shared = map(fd.as_raw_fd(), 0, Some(PAGE), 0).unwrap();
        let private = map(
            fd.as_raw_fd(),
            0,
            Some(PAGE),
            MAP_FLAG_PRIVATE | MAP_FLAG_POPULATE,
        )
        .unwrap();
        bytes(shared, 1)[0] = 5;
        bytes(private, 2)[1] = 6;
        let mut out = [0u8; 2];
        assert_eq!(
            crate::fd::positional_io::pread_all(fd.as_raw_fd(), &mut out, 0),
            Ok(2)
        );
        assert_eq!(out, [5, 0]);
        assert_eq!(sync(shared), Ok(()));
        assert_eq!(unmap(shared), Ok(()));
        assert_eq!(unmap(private), Ok(()));
    }

    #[test]
    fn conformance_20_write_sealed_maps_read_only_but_mprotect_rw_is_eacces() {
        let _lock = test_lock();
        let fd = sized("ro-map", PAGE);
        assert_eq!(add_write_seal(&fd), Ok(()));
        let addr = raw_map(&fd, PAGE as usize, libc::PROT_READ, libc::MAP_SHARED, 0).unwrap();
        let prot = libc::PROT_READ | libc::PROT_WRITE;
        // SAFETY: changes the protection of the mapping made just above.
        let r = unsafe { libc::mprotect(addr as *mut libc::c_void, PAGE as usize, prot) };
        assert_eq!(r, -1);
        assert_eq!(Errno::last(), Errno::EACCES);
        assert_eq!(raw_unmap(addr, PAGE as usize), Ok(()));
        assert_eq!(map(fd.as_raw_fd(), 0, Some(PAGE), 0), Err(Errno::EPERM));
    }

    #[test]
    fn conformance_23_any_shared_mapping_blocks_the_write_seal() {
        let _lock = test_lock();
        for prot in [libc::PROT_READ, libc::PROT_WRITE, libc::PROT_NONE] {
            let fd = sized("busy", PAGE);
            let addr = raw_map(&fd, PAGE as usize, prot, libc::MAP_SHARED, 0).unwrap();
            let both = F_SEAL_WRITE | F_SEAL_GROW;
            assert_eq!(
                crate::fd::seals::add(fd.as_raw_fd(), both.into()),
                Err(Errno::EBUSY)
            );
            assert_eq!(seals(&fd), 0, "nothing applied (prot {prot})");
            assert_eq!(raw_unmap(addr, PAGE as usize), Ok(()));
            assert_eq!(add_write_seal(&fd), Ok(()));
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
            // SAFETY: the forked child's own fds and a fresh mapping.
            unsafe {
                // Only the parent may hold these ends, or EOF never comes.
                libc::close(ready[0]);
                libc::close(release[1]);
                let prot = libc::PROT_READ | libc::PROT_WRITE;
                let p = libc::mmap(
                    std::ptr::null_mut(),
                    4096,
                    prot,
                    libc::MAP_SHARED,
                    fd.as_raw_fd(),
                    0,
                );
                libc::close(fd.as_raw_fd());
                let ok = [u8::from(p != libc::MAP_FAILED)];
                libc::write(ready[1], ok.as_ptr().cast(), 1);
                let mut b = [0u8; 1];
                while libc::read(release[0], b.as_mut_ptr().cast(), 1) < 0 {}
                libc::_exit(0);
            }
        }
        assert!(pid > 0);
        let (ready_r, release_w) = (owned(ready[0]), owned(release[1]));
        drop((owned(ready[1]), owned(release[0])));
        let mut ok = [0u8; 1];
        assert_eq!(
            // SAFETY: reads one byte into a local buffer.
            unsafe { libc::read(ready_r.as_raw_fd(), ok.as_mut_ptr().cast(), 1) },
            1
        );
        assert_eq!(ok, [1], "the child mapped the memfd");
        assert_eq!(add_write_seal(&fd), Err(Errno::EBUSY));
        drop(release_w); // EOF: the child exits, its mapping with it
        let mut status = 0;
        // SAFETY: waits for the child forked above.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert_eq!(add_write_seal(&fd), Ok(()));
    }

    #[test]
    fn retire_releases_the_memfd_and_leaves_readable_zeros() {
        let _lock = test_lock();
        let fd = sized("retire", PAGE);
        let addr = map(fd.as_raw_fd(), 0, Some(PAGE), 0).unwrap();
        bytes(addr, 1)[0] = 9;
        assert_eq!(add_write_seal(&fd), Err(Errno::EBUSY));
        assert_eq!(unmap_leaving_zeros(addr), Ok(()));
        assert_eq!(bytes(addr, 1)[0], 0, "anonymous memory now");
        bytes(addr, 1)[0] = 1; // and writable, without touching the memfd
        assert_eq!(add_write_seal(&fd), Ok(()), "the memfd is no longer mapped");
        assert_eq!(
            unmap(addr),
            Err(Errno::EINVAL),
            "no longer a mapping of ours"
        );
        assert_eq!(raw_unmap(addr, PAGE as usize), Ok(()));
    }

    #[test]
    fn conformance_43_hugetlb_partial_munmap_is_einval_so_unmap_rounds() {
        let _lock = test_lock();
        const HUGE: i64 = 2 << 20;
        let flags = MFD_CLOEXEC | MFD_HUGETLB | (21 << MFD_HUGE_SHIFT);
        if !crate::testing::test_util::kernel().hugetlb {
            let refused = crate::fd::memfd_create::create(b"huge", flags);
            assert_eq!(refused, Err(Errno::EINVAL), "before 4.14");
            return;
        }
        let fd = memfd("huge", flags);
        assert_eq!(crate::fd::file_size::resize(fd.as_raw_fd(), HUGE), Ok(()));
        let available = huge_pages_available(2048);
        let addr = map(fd.as_raw_fd(), 0, Some(PAGE), 0);
        if available < 1 {
            assert_eq!(addr, Err(Errno::ENOMEM), "no free 2 MiB page");
            return;
        }
        let addr = addr.unwrap();
        bytes(addr, PAGE as usize)[0] = 1;
        // What the kernel says to a munmap of less than the huge page:
        assert_eq!(raw_unmap(addr, PAGE as usize), Err(Errno::EINVAL));
        assert_eq!(sync(addr), Ok(()));
        assert_eq!(
            unmap(addr),
            Ok(()),
            "the library unmaps the whole huge page"
        );
    }

    /// The memory the memfd holds, in 512-byte blocks.
    fn blocks(fd: &OwnedFd) -> i64 {
        crate::testing::test_util::stat(fd).st_blocks
    }

    #[test]
    fn populate_allocates_the_pages_at_once_and_only_when_asked() {
        let _lock = test_lock();
        let fd = sized("lazy", 4 * PAGE);
        for flags in [0, MAP_FLAG_PRIVATE] {
            let addr = map(fd.as_raw_fd(), 0, Some(4 * PAGE), flags).unwrap();
            assert_eq!(blocks(&fd), 0, "nothing touched yet ({flags:#x})");
            assert_eq!(unmap(addr), Ok(()));
        }
        let addr = map(fd.as_raw_fd(), 0, Some(4 * PAGE), MAP_FLAG_POPULATE).unwrap();
        assert!(blocks(&fd) >= 4 * PAGE / 512, "prefaulted: {}", blocks(&fd));
        assert_eq!(unmap(addr), Ok(()));
    }

    #[test]
    fn a_refused_munmap_or_msync_is_reported_and_the_entry_kept() {
        let _lock = test_lock();
        let fd = sized("refused", PAGE);
        let t = target(fd.as_raw_fd(), 0, None).unwrap();
        // Never a page start, so the kernel refuses both calls before it
        // looks at any memory; nothing is mapped there.
        let odd = 0x1001;
        register(
            &mut live_mappings(),
            odd,
            PAGE as usize,
            PAGE as usize,
            0,
            &t,
        );
        assert_eq!(sync(odd as i64), Err(Errno::EINVAL));
        assert_eq!(unmap(odd as i64), Err(Errno::EINVAL));
        assert_eq!(view_length(odd as i64), Ok(PAGE), "still registered");
        let slot = live_mappings().get(odd).unwrap().slot;
        crate::mm::sigbus::retire(slot);
        live_mappings().remove(odd);
    }

    #[test]
    fn map_to_the_end_maps_the_rest_and_reports_the_length() {
        let _lock = test_lock();
        let page = crate::sys::page_size::page_size() as i64;
        let fd = sized("rest", 3 * page);
        let addr = map(fd.as_raw_fd(), page, None, 0).unwrap();
        assert_eq!(view_length(addr), Ok(2 * page));
        assert_eq!(map(fd.as_raw_fd(), 3 * page, None, 0), Err(Errno::ENXIO));
        assert_eq!(map(fd.as_raw_fd(), 4 * page, None, 0), Err(Errno::ENXIO));
        assert_eq!(
            crate::fd::file_size::resize(fd.as_raw_fd(), page),
            Err(Errno::EBUSY)
        );
        assert_eq!(unmap(addr), Ok(()));
        assert_eq!(view_length(addr), Err(Errno::EINVAL));
    }
}
