//! The mapping exports: map, map the rest, the ring, view lengths, unmap,
//! sync, release leaving zeros, the live count, and futex waits and wakes.

use std::sync::MutexGuard;

use super::*;
use crate::sys::constants::MAP_FLAG_PRIVATE;
use crate::testing::test_util::sized;
use std::os::fd::AsRawFd;

/// Both registries' test locks, always in this order.
fn locks() -> (MutexGuard<'static, ()>, MutexGuard<'static, ()>) {
    (test_lock(), crate::mm::live_mappings::test_lock())
}

fn page() -> f64 {
    crate::sys::page_size::page_size() as f64
}

/// The mapping at `addr` as bytes, once the library confirms that a mapping
/// of `len` bytes starts there (a wrong address is never touched).
fn view<'a>(addr: f64, len: f64) -> &'a mut [u8] {
    assert_eq!(dm_view_length(addr), len, "a live mapping at {addr}");
    // SAFETY: the library just confirmed a live mapping of `len` bytes.
    unsafe { std::slice::from_raw_parts_mut(addr as usize as *mut u8, len as usize) }
}

/// An address no mapping of the library's covers: a local's.
fn foreign_address() -> f64 {
    let local = Box::new(0u32);
    &*local as *const u32 as usize as f64
}

#[test]
fn map_shares_the_file_until_unmapped_once() {
    let _locks = locks();
    let fd = owned_memfd(2.0 * page());
    let before = dm_live_mappings();
    let addr = dm_map(fd.0, 0.0, 2.0 * page(), 0);
    let bytes = view(addr, 2.0 * page());
    assert_eq!(dm_live_mappings(), before + 1);
    bytes[page() as usize + 1] = 42;
    assert_eq!(raw_read(fd.0, 1, page() as i64 + 1), [42]);
    assert_eq!(dm_sync(addr), 0);
    assert_eq!(dm_unmap(addr), 0);
    assert_eq!(dm_live_mappings(), before);
    assert_eq!(dm_unmap(addr), err(libc::EINVAL), "once");
    assert_eq!(dm_sync(addr), err(libc::EINVAL));
    assert_eq!(dm_view_length(addr), errf(libc::EINVAL));
    for bad in [-1.0, 0.5] {
        assert_eq!(dm_unmap(bad), err(libc::EINVAL));
        assert_eq!(dm_sync(bad), err(libc::EINVAL));
        assert_eq!(dm_view_length(bad), errf(libc::EINVAL));
    }
}

#[test]
fn a_private_mapping_keeps_its_writes_to_itself() {
    let _locks = locks();
    let fd = owned_memfd(page());
    let addr = dm_map(fd.0, 0.0, page(), MAP_FLAG_PRIVATE);
    view(addr, page())[0] = 1;
    assert_eq!(raw_read(fd.0, 1, 0), [0]);
    assert_eq!(dm_unmap(addr), 0);
}

#[test]
fn map_rest_maps_from_the_offset_to_the_end_of_the_file() {
    let _locks = locks();
    let fd = owned_memfd(3.0 * page());
    let addr = dm_map_rest(fd.0, page(), 0);
    view(addr, 2.0 * page())[0] = 5;
    assert_eq!(raw_read(fd.0, 1, page() as i64), [5]);
    assert_eq!(dm_unmap(addr), 0);
}

#[test]
fn map_ring_maps_the_range_twice_back_to_back() {
    let _locks = locks();
    let fd = owned_memfd(2.0 * page());
    let addr = dm_map_ring(fd.0, page(), page());
    let ring = view(addr, 2.0 * page());
    ring[3] = 7;
    assert_eq!(ring[page() as usize + 3], 7);
    assert_eq!(raw_read(fd.0, 1, page() as i64 + 3), [7]);
    assert_eq!(dm_unmap(addr), 0);
    assert_eq!(
        dm_map_ring(fd.0, 0.0, 100.0),
        errf(libc::EINVAL),
        "not pages"
    );
}

#[test]
fn ranges_past_the_end_are_enxio_and_bad_numbers_einval() {
    let _locks = locks();
    let fd = owned_memfd(2.0 * page());
    let before = dm_live_mappings();
    let (enxio, einval) = (errf(libc::ENXIO), errf(libc::EINVAL));
    assert_eq!(dm_map(fd.0, 0.0, 3.0 * page(), 0), enxio);
    assert_eq!(dm_map(fd.0, 0.0, 0.0, 0), enxio);
    assert_eq!(dm_map_rest(fd.0, 2.0 * page(), 0), enxio);
    assert_eq!(dm_map_ring(fd.0, 0.0, 3.0 * page()), enxio);
    assert_eq!(dm_map(fd.0, -page(), page(), 0), einval);
    assert_eq!(dm_map(fd.0, 0.0, 0.5, 0), einval);
    assert_eq!(dm_map_rest(fd.0, -1.0, 0), einval);
    assert_eq!(dm_map_ring(fd.0, 0.0, -page()), einval);
    assert_eq!(dm_map_ring(fd.0, 0.5, page()), einval);
    assert_eq!(dm_live_mappings(), before);
}

#[test]
fn unmap_leaving_zeros_releases_the_file_and_keeps_the_memory() {
    let _locks = locks();
    let fd = owned_memfd(page());
    let before = dm_live_mappings();
    let addr = dm_map(fd.0, 0.0, page(), 0);
    let bytes = view(addr, page());
    bytes[0] = 9;
    assert_eq!(dm_unmap_leaving_zeros(addr), 0);
    assert_eq!(bytes[0], 0, "fresh anonymous memory now");
    assert_eq!(raw_read(fd.0, 1, 0), [9], "the file keeps its bytes");
    assert_eq!(dm_live_mappings(), before);
    assert_eq!(dm_unmap(addr), err(libc::EINVAL), "not the library's now");
    assert_eq!(dm_unmap_leaving_zeros(addr), err(libc::EINVAL));
    assert_eq!(dm_unmap_leaving_zeros(-1.0), err(libc::EINVAL));
    assert_eq!(
        crate::testing::test_util::raw_unmap(addr as i64, page() as usize),
        Ok(())
    );
}

#[test]
fn a_memfd_the_library_does_not_own_is_never_mapped() {
    let _locks = locks();
    let stranger = sized("stranger", 2 * page() as i64);
    let wake = Owned::new(dm_wake_fd(), Kind::Wake);
    let before = dm_live_mappings();
    for fd in [stranger.as_raw_fd(), wake.0] {
        assert_eq!(dm_map(fd, 0.0, page(), 0), errf(libc::EBADF));
        assert_eq!(dm_map_rest(fd, 0.0, 0), errf(libc::EBADF));
        assert_eq!(dm_map_ring(fd, 0.0, page()), errf(libc::EBADF));
    }
    assert_eq!(dm_live_mappings(), before);
}

#[test]
fn futex_waits_answer_at_once_when_the_word_differs_or_time_is_up() {
    let _locks = locks();
    let fd = owned_memfd(page());
    let addr = dm_map(fd.0, 0.0, page(), 0);
    assert_eq!(view(addr, page())[..4], [0; 4]);
    type Wait = extern "C" fn(f64, i32, i32) -> i32;
    for wait in [dm_futex_wait as Wait, dm_futex_wait_sync] {
        assert_eq!(wait(addr, 1, 60_000), err(libc::EAGAIN), "differs");
        assert_eq!(wait(addr, 0, 0), err(libc::ETIMEDOUT));
        assert_eq!(wait(addr, 0, -1), err(libc::EINVAL), "negative timeout");
        assert_eq!(wait(addr + 2.0, 1, 0), err(libc::EINVAL), "unaligned");
        assert_eq!(wait(foreign_address(), 1, 0), err(libc::EINVAL));
        assert_eq!(wait(-4.0, 1, 0), err(libc::EINVAL));
    }
    assert_eq!(dm_futex_wake(addr), 0, "nobody waits");
    assert_eq!(dm_futex_wake(addr + 2.0), err(libc::EINVAL));
    assert_eq!(dm_futex_wake(foreign_address()), err(libc::EINVAL));
    assert_eq!(dm_unmap(addr), 0);
    assert_eq!(dm_futex_wait(addr, 1, 0), err(libc::EINVAL), "unmapped");
    assert_eq!(dm_futex_wake(addr), err(libc::EINVAL));
}

#[test]
fn a_sleeping_waiter_is_woken_and_counted() {
    let _locks = locks();
    let fd = owned_memfd(page());
    let addr = dm_map(fd.0, 0.0, page(), 0);
    assert_eq!(view(addr, page())[..4], [0; 4]);
    // Guards the loop below: wake must count, and only real waiters.
    assert_eq!(dm_futex_wake(addr), 0);
    assert_eq!(dm_futex_wake(-4.0), err(libc::EINVAL));
    let waiter = std::thread::spawn(move || dm_futex_wait(addr, 0, i32::MAX));
    // Wakes until the waiter is asleep and woken; a waiter that returns on
    // its own (it should not) ends the loop too.
    let mut woken = 0;
    while woken == 0 && !waiter.is_finished() {
        woken = dm_futex_wake(addr);
        std::thread::yield_now();
    }
    assert_eq!((waiter.join().unwrap(), woken), (0, 1));
    assert_eq!(dm_unmap(addr), 0);
}
