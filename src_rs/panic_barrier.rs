//! Errno capture and the panic barrier every export runs behind.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};

/// `-errno` of the call that just failed. Read it before anything else can
/// touch errno (allocation, another syscall, a log line).
pub fn neg_errno() -> i64 {
    -i64::from(
        std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO),
    )
}

/// Runs an export's body; a panic (a bug, never an expected path) becomes
/// `-EIO` instead of unwinding into Deno, which would abort the process.
pub fn call(body: impl FnOnce() -> i64) -> i64 {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(-i64::from(libc::EIO))
}

/// [`call`] for exports whose results fit an `i32` (fds, seal sets, status).
pub fn call32(body: impl FnOnce() -> i64) -> i32 {
    // Every body returns an fd, a seal set, a small count or -errno; all fit.
    i32::try_from(call(body)).unwrap_or(-libc::EOVERFLOW)
}

/// Repeats `f` while it fails with `EINTR`; returns its result or `-errno`.
pub fn retry(mut f: impl FnMut() -> i64) -> i64 {
    loop {
        let r = f();
        if r >= 0 {
            return r;
        }
        let e = neg_errno();
        if e != -i64::from(libc::EINTR) {
            return e;
        }
    }
}

/// `RLIMIT_FSIZE` as last read (`u64::MAX` for unlimited); 0 until read.
static FILE_SIZE_LIMIT: AtomicU64 = AtomicU64::new(0);

fn read_file_size_limit() -> u64 {
    // SAFETY: an all-zero rlimit is a valid value for getrlimit to fill.
    let mut lim: libc::rlimit = unsafe { std::mem::zeroed() };
    // SAFETY: `lim` is a valid, writable rlimit.
    let limit = if unsafe { libc::getrlimit(libc::RLIMIT_FSIZE, &mut lim) } < 0
        || lim.rlim_cur == libc::RLIM_INFINITY
    {
        u64::MAX
    } else {
        lim.rlim_cur
    };
    FILE_SIZE_LIMIT.store(limit, Ordering::Relaxed);
    limit
}

/// Whether a file ending at `end` bytes would pass the process's file size
/// limit (`RLIMIT_FSIZE`, `ulimit -f`). Growing a file past it makes the
/// kernel send `SIGXFSZ`, whose default action kills the process, so callers
/// refuse with `-EFBIG` first.
///
/// The limit is read once and cached, so the common case costs no system
/// call; it is read again before refusing, in case it was raised. A limit
/// lowered from outside the process (`prlimit --pid`) after the first read
/// is not seen.
pub fn exceeds_file_size_limit(end: u64) -> bool {
    let cached = FILE_SIZE_LIMIT.load(Ordering::Relaxed);
    let limit = if cached == 0 {
        read_file_size_limit()
    } else {
        cached
    };
    end > limit && end > read_file_size_limit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_errno(e: i32) {
        // SAFETY: errno is this thread's own variable.
        unsafe { *libc::__errno_location() = e };
    }

    #[test]
    fn retry_repeats_on_eintr_only() {
        let mut calls = 0;
        let r = retry(|| {
            calls += 1;
            if calls < 3 {
                set_errno(libc::EINTR);
                -1
            } else {
                7
            }
        });
        assert_eq!((r, calls), (7, 3));
        let mut calls = 0;
        let r = retry(|| {
            calls += 1;
            set_errno(libc::EAGAIN);
            -1
        });
        assert_eq!((r, calls), (-i64::from(libc::EAGAIN), 1));
    }

    #[test]
    fn a_panic_becomes_eio_instead_of_unwinding() {
        assert_eq!(call(|| panic!("a bug")), -i64::from(libc::EIO));
        assert_eq!(call(|| 5), 5);
    }

    #[test]
    fn results_too_wide_for_i32_are_eoverflow() {
        assert_eq!(call32(|| i64::from(i32::MAX) + 1), -libc::EOVERFLOW);
        assert_eq!(call32(|| -i64::from(libc::EPERM)), -libc::EPERM);
    }
}
