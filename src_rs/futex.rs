//! Waiting for a word of shared memory to change (`futex`), across
//! processes: how a `RingBuffer` side sleeps until the other side moves an
//! index, instead of polling.
//!
//! The futexes are shared (no `FUTEX_PRIVATE_FLAG`): the kernel keys them by
//! the file and offset of the mapping, so a waiter in one process is woken by
//! a `wake` in another that maps the same memfd.

use crate::guard::neg_errno;
use crate::mapping;

const EINVAL: i64 = -(libc::EINVAL as i64);

/// The 4-byte-aligned word at `addr`, if it lies inside a live mapping made
/// here (so no argument can make the kernel touch memory we do not own).
fn word(addr: i64) -> Option<*mut u32> {
    let addr = usize::try_from(addr).ok()?;
    if !addr.is_multiple_of(4) || !mapping::covers(addr, 4) {
        return None;
    }
    Some(addr as *mut u32)
}

/// Sleeps while the `i32` at `addr` equals `expected`, at most `timeout_ms`
/// milliseconds. 0 when woken (possibly spuriously: re-check the word),
/// `-EAGAIN` when it differed already, `-ETIMEDOUT`, `-EINTR`, or
/// `-EINVAL` for an address outside the mappings made here.
pub fn wait(addr: i64, expected: i32, timeout_ms: i32) -> i64 {
    let Some(word) = word(addr) else {
        return EINVAL;
    };
    if timeout_ms < 0 {
        return EINVAL;
    }
    let timeout = libc::timespec {
        tv_sec: libc::time_t::from(timeout_ms / 1000),
        tv_nsec: libc::c_long::from(timeout_ms % 1000) * 1_000_000,
    };
    // SAFETY: `word` is an aligned word of a live shared mapping; the kernel
    // only reads it. `timeout` outlives the call; the last two arguments
    // are unused by FUTEX_WAIT.
    let r = unsafe {
        libc::syscall(
            libc::SYS_futex,
            word,
            libc::FUTEX_WAIT,
            expected,
            &timeout as *const libc::timespec,
            std::ptr::null::<u32>(),
            0,
        )
    };
    if r < 0 {
        return neg_errno();
    }
    0
}

/// Wakes every waiter (in any process) sleeping on the word at `addr`: the
/// number woken, or `-errno` (`-EINVAL` for an address outside the
/// mappings made here).
pub fn wake(addr: i64) -> i64 {
    let Some(word) = word(addr) else {
        return EINVAL;
    };
    // SAFETY: `word` is an aligned word of a live shared mapping; FUTEX_WAKE
    // does not touch the memory, and ignores the last three arguments.
    let r = unsafe {
        libc::syscall(
            libc::SYS_futex,
            word,
            libc::FUTEX_WAKE,
            i32::MAX,
            std::ptr::null::<libc::timespec>(),
            std::ptr::null::<u32>(),
            0,
        )
    };
    if r < 0 {
        return neg_errno();
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constants::MFD_CLOEXEC;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn refuses_addresses_outside_our_mappings() {
        let local = 0u32;
        let addr = &local as *const u32 as i64;
        assert_eq!(wait(addr, 0, 0), EINVAL);
        assert_eq!(wake(addr), EINVAL);
        assert_eq!(wake(0), EINVAL);
    }

    #[test]
    fn waits_until_woken_and_not_when_the_value_moved() {
        let _lock = mapping::test_lock();
        let fd = crate::create::create(b"futex", MFD_CLOEXEC) as i32;
        assert_eq!(crate::fd::resize(fd, 4096), 0);
        let addr = mapping::map(fd, 0, 4096, 0);
        assert!(addr > 0);
        assert_eq!(wait(addr + 2, 0, 0), EINVAL);
        assert_eq!(wait(addr, 1, 1000), -i64::from(libc::EAGAIN));
        assert_eq!(wait(addr, 0, 1), -i64::from(libc::ETIMEDOUT));
        let waiter = std::thread::spawn(move || loop {
            // SAFETY (test): the mapping outlives the thread (joined below).
            let cell = unsafe { &*(addr as *const AtomicU32) };
            if cell.load(Ordering::SeqCst) != 0 {
                return;
            }
            let r = wait(addr, 0, 10_000);
            assert!(r == 0 || r == -i64::from(libc::EAGAIN), "{r}");
        });
        // SAFETY (test): an aligned word of the live mapping.
        let cell = unsafe { &*(addr as *const AtomicU32) };
        cell.store(1, Ordering::SeqCst);
        assert!(wake(addr) >= 0);
        waiter.join().unwrap();
        assert_eq!(mapping::unmap(addr), 0);
        assert_eq!(crate::fd::close(fd), 0);
    }
}
