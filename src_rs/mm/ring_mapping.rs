//! The "magic ring" mapping: one range of a memfd mapped twice, back to
//! back, so that a ring buffer's wrap needs no copy.

use crate::mm::live_mappings::live_mappings;
use crate::mm::mmap::{prepare, register, target};
use crate::sys::errno::{ret_mapped, Errno, Result};
use crate::sys::page_size::page_size;

/// The address space to reserve for a ring of `span` bytes whose start must
/// be aligned to `granule`: one granule more than the span when that is a
/// huge page, since the kernel only promises base-page alignment.
fn reservation_len(span: usize, granule: usize) -> usize {
    let slop = if granule > page_size() { granule } else { 0 };
    span + slop
}

/// The parts of the reservation `base..base + reserve_len` outside the ring
/// `start..start + span`, as (address, length): the one before the ring and
/// the one after it (either may be empty).
fn leftovers(base: usize, reserve_len: usize, start: usize, span: usize) -> [(usize, usize); 2] {
    let end = start + span;
    [(base, start - base), (end, base + reserve_len - end)]
}

/// Maps `length` bytes of `fd` from `offset` twice, back to back, so that
/// byte `i` and byte `i + length` are the same memory. `length` must be a
/// non-zero multiple of the page (huge page) size. The address of the
/// `2 * length` region.
pub fn map_ring(fd: i32, offset: i64, length: i64) -> Result<i64> {
    let mut maps = live_mappings();
    let t = target(fd, offset, Some(length))?;
    prepare(&maps)?;
    let len = length as usize;
    if !len.is_multiple_of(t.granule) {
        return Err(Errno::EINVAL);
    }
    let span = len.checked_mul(2).ok_or(Errno::ENXIO)?;
    let reserve_len = reservation_len(span, t.granule);
    // SAFETY: an inaccessible anonymous reservation at a kernel-chosen place.
    let reserve = ret_mapped(unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            reserve_len,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    })?;
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
            let e = Errno::last();
            release(base, reserve_len);
            return Err(e);
        }
    }
    for (addr, len) in leftovers(base, reserve_len, start, span) {
        release(addr, len);
    }
    register(&mut maps, start, span, span, len, &t);
    Ok(start as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mm::live_mappings::test_lock;
    use crate::mm::mmap::unmap;
    use crate::testing::test_util::sized;
    use std::os::fd::AsRawFd;

    const PAGE: i64 = 4096;

    #[test]
    fn map_ring_aliases_both_halves_and_needs_page_multiples() {
        let _lock = test_lock();
        let fd = sized("ring", 3 * PAGE);
        assert_eq!(map_ring(fd.as_raw_fd(), 0, PAGE + 1), Err(Errno::EINVAL));
        assert_eq!(map_ring(fd.as_raw_fd(), 100, PAGE), Err(Errno::EINVAL));
        let len = 2 * PAGE as usize;
        let addr = map_ring(fd.as_raw_fd(), PAGE, len as i64).unwrap();
        // SAFETY: the ring mapping is live and 2 * len bytes long.
        let ring = unsafe { std::slice::from_raw_parts_mut(addr as *mut u8, 2 * len) };
        for i in [0, 1, PAGE as usize, len - 1] {
            ring[i] = 0xa0;
            assert_eq!(ring[i + len], 0xa0);
            ring[i + len] = 0x0b;
            assert_eq!(ring[i], 0x0b);
        }
        let mut out = [0u8; 1];
        crate::fd::positional_io::pread_all(fd.as_raw_fd(), &mut out, PAGE).unwrap();
        assert_eq!(out[0], 0x0b, "the ring is the file from the offset");
        assert_eq!(unmap(addr), Ok(()));
    }

    #[test]
    fn a_huge_page_ring_reserves_one_huge_page_more_to_align_its_start() {
        let page = page_size();
        let huge = 512 * page;
        assert_eq!(reservation_len(2 * page, page), 2 * page);
        assert_eq!(reservation_len(6 * page, page), 6 * page);
        assert_eq!(reservation_len(2 * huge, huge), 3 * huge);
    }

    #[test]
    fn leftovers_are_the_reservation_around_the_ring() {
        const HUGE: usize = 2 << 20;
        // An unaligned reservation: the ring starts at the next huge page.
        let base = 0x7f00_0010_0000;
        let start = 0x7f00_0020_0000;
        assert_eq!(
            leftovers(base, 3 * HUGE, start, 2 * HUGE),
            [(base, HUGE / 2), (start + 2 * HUGE, HUGE / 2)]
        );
        // An aligned one: all the slop comes after the ring.
        assert_eq!(
            leftovers(start, 3 * HUGE, start, 2 * HUGE),
            [(start, 0), (start + 2 * HUGE, HUGE)]
        );
        // Base pages: the reservation is the ring.
        assert_eq!(
            leftovers(base, 8192, base, 8192),
            [(base, 0), (base + 8192, 0)]
        );
    }

    #[test]
    fn ranges_that_would_sigbus_are_enxio() {
        let _lock = test_lock();
        let fd = sized("ring-ranges", 2 * PAGE);
        for (offset, length) in [(0, 0), (0, 3 * PAGE), (PAGE, 2 * PAGE), (i64::MAX, 1)] {
            assert_eq!(map_ring(fd.as_raw_fd(), offset, length), Err(Errno::ENXIO));
        }
    }
}

#[cfg(test)]
mod reservation_tests;
