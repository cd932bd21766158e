//! Waiting for a socket without a timeout, cut short on demand: `poll` on
//! the socket plus a wake-up `eventfd`. Writing to the eventfd ([`wake`])
//! makes a pending wait return `ECANCELED` at once, without closing any fd
//! under the waiting thread.

use std::os::raw::c_int;

use crate::eintr::retry;
use crate::errno::{Errno, Result};

/// A nonblocking, close-on-exec `eventfd` to wake waits with [`wake`].
pub fn wake_fd() -> Result<i32> {
    // SAFETY: eventfd only reads its integer arguments.
    let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
    if fd < 0 {
        return Err(Errno::last());
    }
    Ok(fd)
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
    use crate::test_util::Fd;

    #[test]
    fn a_signalled_wake_fd_cuts_every_wait_short() {
        let w = Fd(wake_fd().unwrap());
        let mut pipe = [0; 2];
        // SAFETY: `pipe` has room for two fds.
        assert_eq!(unsafe { libc::pipe(pipe.as_mut_ptr()) }, 0);
        let (r, _keep) = (Fd(pipe[0]), Fd(pipe[1]));
        assert_eq!(wake(w.0), Ok(()));
        assert_eq!(wait_readable(r.0, w.0), Err(Errno::ECANCELED));
        assert_eq!(wait_readable(r.0, w.0), Err(Errno::ECANCELED), "for good");
        assert_eq!(wait_readable(-1, -1), Err(Errno::EBADF));
        assert_eq!(wake(0x7fff_fff0), Err(Errno::EBADF));
    }
}
