//! Waiting for a socket without a timeout, cut short on demand: `poll` on
//! the socket plus a wake-up `eventfd`. Writing to the eventfd ([`wake`])
//! makes a pending wait return `ECANCELED` at once, without closing any fd
//! under the waiting thread.

use std::os::raw::c_int;

use crate::sys::eintr::retry;
use crate::sys::errno::{ret, Errno, Result};

/// A nonblocking, close-on-exec `eventfd` to wake waits with [`wake`].
pub fn wake_fd() -> Result<i32> {
    // SAFETY: eventfd only reads its integer arguments.
    ret(unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) })
}

/// Signals the eventfd `fd`: every wait on it, pending or future, returns
/// `ECANCELED`.
pub fn wake(fd: i32) -> Result<()> {
    let one = 1u64.to_ne_bytes();
    // SAFETY: `one` is readable for its 8 bytes.
    match retry(|| unsafe { libc::write(fd, one.as_ptr().cast(), one.len()) } as i64) {
        // EAGAIN: the counter is saturated, which means it is signalled already.
        Ok(_) | Err(Errno::EAGAIN) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Waits until `fd` is readable (or hung up); `ECANCELED` once `wake_fd` is
/// signalled (`EBADF` at once for a negative fd).
pub fn wait_readable(fd: c_int, wake_fd: c_int) -> Result<()> {
    // poll() skips negative fds instead of flagging them: with both
    // negative it would sleep forever.
    if fd < 0 || wake_fd < 0 {
        return Err(Errno::EBADF);
    }
    let mut fds = [
        libc::pollfd {
            fd: wake_fd,
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    loop {
        // SAFETY: `fds` is a valid, writable array of `fds.len()` pollfds.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, -1) };
        if n < 0 {
            match Errno::last() {
                Errno::EINTR => continue,
                e => return Err(e),
            }
        }
        if fds.iter().any(|p| p.revents & libc::POLLNVAL != 0) {
            return Err(Errno::EBADF);
        }
        if fds[0].revents != 0 {
            return Err(Errno::ECANCELED);
        }
        if fds[1].revents != 0 {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::syscall_faults::{in_fd0_child, run_with_fd0_free, with_faults, Fault};
    use crate::testing::test_util::owned;
    use std::os::fd::{AsRawFd, OwnedFd};

    #[test]
    fn a_signalled_wake_fd_cuts_every_wait_short() {
        let w = owned(wake_fd().unwrap());
        let mut pipe = [0; 2];
        // SAFETY: `pipe` has room for two fds.
        assert_eq!(unsafe { libc::pipe(pipe.as_mut_ptr()) }, 0);
        let (r, _keep) = (owned(pipe[0]), owned(pipe[1]));
        assert_eq!(wake(w.as_raw_fd()), Ok(()));
        assert_eq!(
            wait_readable(r.as_raw_fd(), w.as_raw_fd()),
            Err(Errno::ECANCELED)
        );
        assert_eq!(
            wait_readable(r.as_raw_fd(), w.as_raw_fd()),
            Err(Errno::ECANCELED),
            "for good"
        );
        assert_eq!(wait_readable(-1, -1), Err(Errno::EBADF));
        assert_eq!(wake(0x7fff_fff0), Err(Errno::EBADF));
    }

    /// A pipe with one byte queued: its read end is readable at once.
    fn readable_pipe() -> (OwnedFd, OwnedFd) {
        let mut pipe = [0; 2];
        // SAFETY: `pipe` has room for two fds.
        assert_eq!(unsafe { libc::pipe(pipe.as_mut_ptr()) }, 0);
        // SAFETY: one readable byte.
        assert_eq!(unsafe { libc::write(pipe[1], b"x".as_ptr().cast(), 1) }, 1);
        (owned(pipe[0]), owned(pipe[1]))
    }

    #[test]
    fn the_wake_fd_is_close_on_exec_and_nonblocking() {
        let w = owned(wake_fd().unwrap());
        // SAFETY: F_GETFD and F_GETFL take no argument.
        let (fd_flags, fl_flags) = unsafe {
            (
                libc::fcntl(w.as_raw_fd(), libc::F_GETFD),
                libc::fcntl(w.as_raw_fd(), libc::F_GETFL),
            )
        };
        assert_eq!(fd_flags & libc::FD_CLOEXEC, libc::FD_CLOEXEC);
        assert_eq!(fl_flags & libc::O_NONBLOCK, libc::O_NONBLOCK);
    }

    #[test]
    fn a_refused_eventfd_is_reported() {
        let fault = [Fault::always(libc::SYS_eventfd2, libc::EMFILE)];
        assert_eq!(with_faults(&fault, wake_fd), Err(Errno::EMFILE));
    }

    #[test]
    fn fd_0_is_a_wake_fd_like_any_other() {
        if !in_fd0_child() {
            return run_with_fd0_free(
                "net::wakeable_wait::tests::fd_0_is_a_wake_fd_like_any_other",
            );
        }
        assert_eq!(wake_fd(), Ok(0));
    }

    #[test]
    fn each_negative_fd_is_refused_and_fd_0_is_not() {
        let w = owned(wake_fd().unwrap());
        let (r, _keep) = readable_pipe();
        assert_eq!(wait_readable(r.as_raw_fd(), -1), Err(Errno::EBADF));
        assert_eq!(
            wait_readable(r.as_raw_fd(), w.as_raw_fd()),
            Ok(()),
            "readable, not woken"
        );
        // Rust keeps fd 0 open (it reopens /dev/null there if needed).
        let either = wait_readable(r.as_raw_fd(), 0);
        assert!(
            matches!(either, Ok(()) | Err(Errno::ECANCELED)),
            "{either:?}"
        );
        assert_eq!(wake(w.as_raw_fd()), Ok(()));
        assert_eq!(wait_readable(-1, w.as_raw_fd()), Err(Errno::EBADF));
        assert_eq!(wait_readable(0, w.as_raw_fd()), Err(Errno::ECANCELED));
    }

    #[test]
    fn a_hung_up_pipe_counts_as_readable() {
        let w = owned(wake_fd().unwrap());
        let (r, w_end) = readable_pipe();
        drop(w_end);
        let mut byte = [0u8; 1];
        // SAFETY: `byte` is writable for one byte.
        let got = unsafe { libc::read(r.as_raw_fd(), byte.as_mut_ptr().cast(), 1) };
        assert_eq!(got, 1);
        assert_eq!(wait_readable(r.as_raw_fd(), w.as_raw_fd()), Ok(()));
    }

    #[test]
    fn a_failed_poll_is_reported_and_the_wait_has_no_timeout() {
        let w = owned(wake_fd().unwrap());
        let (r, _keep) = readable_pipe();
        let wait = || wait_readable(r.as_raw_fd(), w.as_raw_fd());
        let refused = [
            Fault::always(libc::SYS_poll, libc::ENOMEM),
            Fault::always(libc::SYS_ppoll, libc::ENOMEM),
        ];
        assert_eq!(with_faults(&refused, wait), Err(Errno::ENOMEM));
        // poll(2) with any timeout but -1 (infinite) fails here: the wait
        // must sleep in the kernel, not wake up on a timer to look again.
        let timed = [
            Fault {
                nr: libc::SYS_poll,
                errno: libc::E2BIG,
                unless: Some((2, u32::MAX)),
            },
            Fault::always(libc::SYS_ppoll, libc::E2BIG),
        ];
        assert_eq!(with_faults(&timed, wait), Ok(()));
    }
}
