//! Running part of a unit test in a forked child process, for what would
//! disturb the tests running beside it on other threads: a lowered
//! `RLIMIT_FSIZE`, a closed fd 0, a seccomp filter, a chroot, a reset of a
//! process-wide cache.

use std::panic::{catch_unwind, AssertUnwindSafe};

/// Exit status of a child whose closure panicked.
const PANICKED: i32 = 101;

/// How long a child may run before it is taken for deadlocked.
const CHILD_DEADLOCK_SECONDS: u32 = 10;

/// Runs `f` in a forked child and returns the numbers it returned. Panics
/// (failing the test) when the child died instead: killed by a signal (a
/// SIGXFSZ the library should have prevented, or the SIGALRM that ends a
/// child deadlocked after a panic) or `f` panicked.
///
/// The child is single-threaded: `f` may make system calls and allocate
/// (glibc resets its allocator's locks in the child) but should leave
/// asserting to the parent, which gets its numbers. The registry of live
/// mappings is held across the fork, so that the child finds it unlocked
/// whatever the other test threads were doing.
pub fn in_child<const N: usize>(f: impl FnOnce() -> [i64; N]) -> [i64; N] {
    let mut pipe = [0; 2];
    // SAFETY: `pipe` has room for two fds.
    let piped = unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(piped, 0);
    let [read_end, write_end] = pipe;
    let registry = crate::mm::live_mappings::live_mappings();
    // SAFETY: the child only runs `f` and then `_exit`s (see above).
    let pid = unsafe { libc::fork() };
    // Both processes unlock their own copy of the registry.
    drop(registry);
    if pid == 0 {
        // A lock another thread held at the fork (the panic hook's, while a
        // failing test elsewhere prints) is never released here: should `f`
        // panic into it, SIGALRM ends the child, failing the test instead
        // of hanging the suite. The work itself takes microseconds.
        // SAFETY: alarm only arms a timer for this process.
        unsafe { libc::alarm(CHILD_DEADLOCK_SECONDS) };
        let status = match catch_unwind(AssertUnwindSafe(f)) {
            Ok(out) => {
                let bytes: Vec<u8> = out.iter().flat_map(|n| n.to_ne_bytes()).collect();
                // SAFETY: `bytes` is readable for its length.
                let n = unsafe { libc::write(write_end, bytes.as_ptr().cast(), bytes.len()) };
                if n == bytes.len() as isize {
                    0
                } else {
                    PANICKED + 1
                }
            }
            Err(_) => PANICKED,
        };
        // SAFETY: ends the child without running the parent's exit handlers.
        unsafe { libc::_exit(status) };
    }
    assert!(pid > 0, "fork failed");
    // SAFETY: the parent's copy of the write end; the child holds its own.
    unsafe { libc::close(write_end) };
    let mut bytes = vec![0u8; N * 8];
    let mut got = 0;
    while got < bytes.len() {
        let rest = &mut bytes[got..];
        // SAFETY: `rest` is writable for its length.
        let n = unsafe { libc::read(read_end, rest.as_mut_ptr().cast(), rest.len()) };
        if n <= 0 {
            break;
        }
        got += n as usize;
    }
    // SAFETY: the read end is the parent's own.
    unsafe { libc::close(read_end) };
    let mut status = 0;
    // SAFETY: `status` is writable; `pid` is our child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(
        !libc::WIFSIGNALED(status),
        "the child was killed by signal {}",
        libc::WTERMSIG(status)
    );
    assert_eq!(libc::WEXITSTATUS(status), 0, "the child failed");
    assert_eq!(got, bytes.len());
    std::array::from_fn(|i| i64::from_ne_bytes(bytes[i * 8..i * 8 + 8].try_into().unwrap()))
}

/// A `Result` as one number for [`in_child`]: the value, or `-errno`.
pub fn code<T: Into<i64>>(r: crate::sys::errno::Result<T>) -> i64 {
    match r {
        Ok(v) => v.into(),
        Err(e) => -i64::from(e.raw()),
    }
}

/// Sets this process's soft `RLIMIT_FSIZE` (keeping the hard limit) and
/// drops the library's cached copy (call it in a child only).
pub fn set_file_size_limit(soft: u64) {
    set_soft_file_size_limit(soft);
    crate::sys::file_size_limit::forget_cached_limit();
}

/// Sets this process's soft `RLIMIT_FSIZE`, keeping the hard limit and
/// whatever the library cached (call it in a child only).
pub fn set_soft_file_size_limit(soft: u64) {
    // SAFETY: an all-zero rlimit is a valid value for getrlimit to fill.
    let mut lim: libc::rlimit = unsafe { std::mem::zeroed() };
    // SAFETY: `lim` is a valid, writable rlimit.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_FSIZE, &mut lim) }, 0);
    lim.rlim_cur = soft;
    // SAFETY: `lim` is a valid rlimit.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_FSIZE, &lim) }, 0);
    // SIGXFSZ must kill, as it would kill Deno, so that a write the library
    // let through shows as a dead child rather than an EFBIG.
    // SAFETY: restores the default action; no handler involved.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_DFL) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_childs_numbers_come_back_and_its_death_fails_the_test() {
        assert_eq!(in_child(|| [1, -2, i64::MAX]), [1, -2, i64::MAX]);
        let died = catch_unwind(|| {
            in_child(|| {
                // SAFETY: kills only the child.
                unsafe { libc::raise(libc::SIGKILL) };
                [0]
            })
        });
        assert!(died.is_err());
        assert!(catch_unwind(|| in_child::<1>(|| panic!("in the child"))).is_err());
    }
}
