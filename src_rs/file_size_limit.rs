//! The process's file size limit (`RLIMIT_FSIZE`, `ulimit -f`), cached.

use std::sync::atomic::{AtomicU64, Ordering};

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
/// limit. Growing a file past it makes the kernel send `SIGXFSZ`, whose
/// default action kills the process, so callers refuse with `EFBIG` first.
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

    #[test]
    fn an_unlimited_process_exceeds_nothing_it_can_address() {
        // The test runner has no `ulimit -f` (cargo would not run under one).
        if read_file_size_limit() == u64::MAX {
            assert!(!exceeds_file_size_limit(i64::MAX as u64));
        }
        assert!(!exceeds_file_size_limit(0));
    }
}
