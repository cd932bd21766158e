//! The process's file size limit (`RLIMIT_FSIZE`, `ulimit -f`), cached.

use std::sync::atomic::{AtomicU64, Ordering};

/// `RLIMIT_FSIZE` as last read (`u64::MAX` for unlimited); 0 until read.
static FILE_SIZE_LIMIT: AtomicU64 = AtomicU64::new(0);

/// The limit `getrlimit` reported: `got` is its return value, `lim` what it
/// filled in. A failed call counts as no limit (the kernel is the backstop).
fn limit_of(got: libc::c_int, lim: &libc::rlimit) -> u64 {
    if got < 0 || lim.rlim_cur == libc::RLIM_INFINITY {
        u64::MAX
    } else {
        lim.rlim_cur
    }
}

fn read_file_size_limit() -> u64 {
    // SAFETY: an all-zero rlimit is a valid value for getrlimit to fill.
    let mut lim: libc::rlimit = unsafe { std::mem::zeroed() };
    // SAFETY: `lim` is a valid, writable rlimit.
    let got = unsafe { libc::getrlimit(libc::RLIMIT_FSIZE, &mut lim) };
    let limit = limit_of(got, &lim);
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

/// Forgets the cached limit, so that the next check reads it: for a test
/// child that has just lowered its own limit.
#[cfg(test)]
pub fn forget_cached_limit() {
    FILE_SIZE_LIMIT.store(0, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::test_child::{in_child, set_file_size_limit, set_soft_file_size_limit};

    #[test]
    fn an_unlimited_process_exceeds_nothing_it_can_address() {
        // The test runner has no `ulimit -f` (cargo would not run under one).
        if read_file_size_limit() == u64::MAX {
            assert!(!exceeds_file_size_limit(i64::MAX as u64));
        }
        assert!(!exceeds_file_size_limit(0));
    }

    #[test]
    fn a_failed_getrlimit_or_rlim_infinity_is_no_limit() {
        let lim = |rlim_cur| libc::rlimit {
            rlim_cur,
            rlim_max: libc::RLIM_INFINITY,
        };
        assert_eq!(limit_of(0, &lim(4096)), 4096);
        assert_eq!(limit_of(0, &lim(0)), 0);
        assert_eq!(limit_of(0, &lim(libc::RLIM_INFINITY)), u64::MAX);
        assert_eq!(limit_of(-1, &lim(4096)), u64::MAX);
        assert_eq!(limit_of(-1, &lim(libc::RLIM_INFINITY)), u64::MAX);
    }

    /// `exceeds_file_size_limit(end)` as 1 or 0.
    fn exceeds(end: u64) -> i64 {
        i64::from(exceeds_file_size_limit(end))
    }

    #[test]
    fn a_finite_limit_is_exceeded_one_byte_past_it_and_a_raise_is_seen() {
        const L: u64 = 1 << 20;
        // Only the child runs under the limit.
        let got = in_child(|| {
            set_file_size_limit(L);
            let at_limit = [exceeds(0), exceeds(L), exceeds(L + 1)];
            // Raised after the first read: read again before refusing.
            set_soft_file_size_limit(2 * L);
            let raised = [exceeds(2 * L), exceeds(2 * L + 1), exceeds(L + 1)];
            // Lowered after a read: the cached limit stands (no system call
            // on the path of every write), as documented...
            set_soft_file_size_limit(L);
            let lowered = exceeds(2 * L);
            // ...until something passes it and the fresh read refuses.
            let past = exceeds(2 * L + 1);
            let [a, b, c] = at_limit;
            let [d, e, f] = raised;
            [a, b, c, d, e, f, lowered, past]
        });
        assert_eq!(got[..3], [0, 0, 1], "limit L: 0, L, L + 1");
        assert_eq!(got[3..6], [0, 1, 0], "raised to 2L: 2L, 2L + 1, L + 1");
        assert_eq!(got[6..], [0, 1], "lowered to L: 2L (cached), 2L + 1");
    }
}
