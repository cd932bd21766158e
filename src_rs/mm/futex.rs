//! Waiting for a word of shared memory to change (`futex`), across
//! processes: how a `RingBuffer` side sleeps until the other side moves an
//! index, instead of polling.
//!
//! The futexes are shared (no `FUTEX_PRIVATE_FLAG`): the kernel keys them by
//! the file and offset of the mapping, so a waiter in one process is woken by
//! a `wake` in another that maps the same memfd.

use crate::mm::live_mappings::live_mappings;
use crate::sys::errno::{check, Errno, Result};

/// The 4-byte-aligned word at `addr`, if it lies inside a live mapping made
/// here (so no argument can make the kernel touch memory we do not own);
/// `EINVAL` otherwise.
fn word(addr: i64) -> Result<*mut u32> {
    let addr = usize::try_from(addr).map_err(|_| Errno::EINVAL)?;
    if !addr.is_multiple_of(4) || !live_mappings().covers(addr, 4) {
        return Err(Errno::EINVAL);
    }
    Ok(addr as *mut u32)
}

/// `ms` milliseconds (not negative) as the relative timeout FUTEX_WAIT takes.
fn timespec_of(ms: i32) -> libc::timespec {
    libc::timespec {
        tv_sec: libc::time_t::from(ms / 1000),
        tv_nsec: libc::c_long::from(ms % 1000) * 1_000_000,
    }
}

/// Sleeps while the `i32` at `addr` equals `expected`, at most `timeout_ms`
/// milliseconds. `Ok` when woken (possibly spuriously: re-check the word),
/// `EAGAIN` when it differed already, `ETIMEDOUT`, `EINTR`, or `EINVAL` for
/// an address outside the mappings made here.
pub fn wait(addr: i64, expected: i32, timeout_ms: i32) -> Result<()> {
    let word = word(addr)?;
    if timeout_ms < 0 {
        return Err(Errno::EINVAL);
    }
    let timeout = timespec_of(timeout_ms);
    // SAFETY: `word` is an aligned word of a live shared mapping; the kernel
    // only reads it. `timeout` outlives the call; the last two arguments
    // are unused by FUTEX_WAIT.
    check(unsafe {
        libc::syscall(
            libc::SYS_futex,
            word,
            libc::FUTEX_WAIT,
            expected,
            &timeout as *const libc::timespec,
            std::ptr::null::<u32>(),
            0,
        )
    })
    .map(drop)
}

/// Wakes every waiter (in any process) sleeping on the word at `addr`: the
/// number woken (`EINVAL` for an address outside the mappings made here).
pub fn wake(addr: i64) -> Result<i64> {
    let word = word(addr)?;
    // SAFETY: `word` is an aligned word of a live shared mapping; FUTEX_WAKE
    // does not touch the memory, and ignores the last three arguments.
    check(unsafe {
        libc::syscall(
            libc::SYS_futex,
            word,
            libc::FUTEX_WAKE,
            i32::MAX,
            std::ptr::null::<libc::timespec>(),
            std::ptr::null::<u32>(),
            0,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mm::live_mappings::test_lock;
    use crate::mm::mmap::{map, unmap};
    use crate::testing::test_util::sized;
    use std::os::fd::AsRawFd;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn refuses_addresses_outside_our_mappings() {
        let local = 0u32;
        let addr = &local as *const u32 as i64;
        assert_eq!(wait(addr, 0, 0), Err(Errno::EINVAL));
        assert_eq!(wake(addr), Err(Errno::EINVAL));
        assert_eq!(wake(0), Err(Errno::EINVAL));
        assert_eq!(wake(-4), Err(Errno::EINVAL));
    }

    #[test]
    fn waits_until_woken_and_not_when_the_value_moved() {
        let _lock = test_lock();
        let fd = sized("futex", 4096);
        let addr = map(fd.as_raw_fd(), 0, Some(4096), 0).unwrap();
        assert_eq!(wait(addr + 2, 0, 0), Err(Errno::EINVAL));
        assert_eq!(wait(addr, 1, 1000), Err(Errno::EAGAIN));
        assert_eq!(wait(addr, 0, 1), Err(Errno::ETIMEDOUT));
        let waiter = std::thread::spawn(move || loop {
            // SAFETY: the mapping outlives the thread (joined below).
            let cell = unsafe { &*(addr as *const AtomicU32) };
            if cell.load(Ordering::SeqCst) != 0 {
                return;
            }
            let r = wait(addr, 0, 10_000);
            assert!(r.is_ok() || r == Err(Errno::EAGAIN), "{r:?}");
        });
        // SAFETY: an aligned word of the live mapping.
        let cell = unsafe { &*(addr as *const AtomicU32) };
        cell.store(1, Ordering::SeqCst);
        assert!(wake(addr).is_ok());
        waiter.join().unwrap();
        assert_eq!(unmap(addr), Ok(()));
    }

    #[test]
    fn milliseconds_split_into_seconds_and_nanoseconds() {
        for (ms, sec, nsec) in [
            (0, 0, 0),
            (1, 0, 1_000_000),
            (999, 0, 999_000_000),
            (1000, 1, 0),
            (1500, 1, 500_000_000),
            (i32::MAX, 2_147_483, 647_000_000),
        ] {
            let t = timespec_of(ms);
            assert_eq!((t.tv_sec, t.tv_nsec), (sec, nsec), "{ms} ms");
        }
    }

    #[test]
    fn a_woken_wait_is_ok_and_wake_counts_the_sleeper() {
        let _lock = test_lock();
        let fd = sized("futex-count", 4096);
        let addr = map(fd.as_raw_fd(), 0, Some(4096), 0).unwrap();
        // Nobody changes the word, so only a wake (or the long timeout, a
        // failure) ends this wait.
        let waiter = std::thread::spawn(move || wait(addr, 0, 60_000));
        // Wake until the kernel reports one sleeper woken: before the waiter
        // sleeps there is nobody to wake (0), and a wait that ended any other
        // way fails below. The outcome never depends on who runs first.
        loop {
            match wake(addr) {
                Ok(1) => break,
                Ok(0) if !waiter.is_finished() => std::thread::yield_now(),
                other => panic!("wake = {other:?}, waiter finished unwoken"),
            }
        }
        assert_eq!(waiter.join().unwrap(), Ok(()), "woken: 0 from the kernel");
        assert_eq!(wake(addr), Ok(0), "nobody left asleep");
        assert_eq!(unmap(addr), Ok(()));
    }
}
