//! `Errno`: why a system call (or a check standing in for one) failed.
//!
//! Modules return `Result<T, Errno>`; only `exports.rs` turns an `Errno`
//! into the `-errno` integer Deno sees.

/// A Linux errno value (always positive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(i32);

/// `Result` with an [`Errno`] error.
pub type Result<T> = std::result::Result<T, Errno>;

impl Errno {
    pub const EPERM: Errno = Errno(libc::EPERM);
    pub const ENOENT: Errno = Errno(libc::ENOENT);
    /// No such process.
    pub const ESRCH: Errno = Errno(libc::ESRCH);
    pub const EINTR: Errno = Errno(libc::EINTR);
    pub const EIO: Errno = Errno(libc::EIO);
    /// A range that is empty or passes the end of the file: mapping it
    /// would succeed, and touching it would raise SIGBUS.
    pub const ENXIO: Errno = Errno(libc::ENXIO);
    pub const EBADF: Errno = Errno(libc::EBADF);
    pub const EAGAIN: Errno = Errno(libc::EAGAIN);
    pub const EBUSY: Errno = Errno(libc::EBUSY);
    pub const EINVAL: Errno = Errno(libc::EINVAL);
    pub const EMFILE: Errno = Errno(libc::EMFILE);
    pub const EFBIG: Errno = Errno(libc::EFBIG);
    pub const ENAMETOOLONG: Errno = Errno(libc::ENAMETOOLONG);
    /// The peer closed the connection (end of stream, nothing received).
    pub const ENODATA: Errno = Errno(libc::ENODATA);
    /// The peer sent bytes without an fd.
    pub const EBADMSG: Errno = Errno(libc::EBADMSG);
    pub const EOVERFLOW: Errno = Errno(libc::EOVERFLOW);
    /// A path reached a memfd through a `/proc` magic link other than its
    /// own last component (`open_by_path`): what Deno grants only with
    /// `--allow-all`.
    pub const EXDEV: Errno = Errno(libc::EXDEV);
    pub const EISCONN: Errno = Errno(libc::EISCONN);
    pub const ECONNABORTED: Errno = Errno(libc::ECONNABORTED);
    #[cfg(test)]
    pub const EADDRINUSE: Errno = Errno(libc::EADDRINUSE);
    #[cfg(test)]
    pub const ECONNREFUSED: Errno = Errno(libc::ECONNREFUSED);
    #[cfg(test)]
    pub const EACCES: Errno = Errno(libc::EACCES);
    /// No slot left for one more mapping, or no memory for it.
    pub const ENOMEM: Errno = Errno(libc::ENOMEM);
    /// A buffer the kernel could not read or write.
    pub const EFAULT: Errno = Errno(libc::EFAULT);
    #[cfg(test)]
    pub const ETIMEDOUT: Errno = Errno(libc::ETIMEDOUT);
    /// A wait was cut short by its wake-up eventfd: the listener is closing.
    pub const ECANCELED: Errno = Errno(libc::ECANCELED);

    /// The errno of the call that just failed. Read it before anything else
    /// can touch errno (allocation, another syscall, a log line).
    pub fn last() -> Errno {
        Errno(
            std::io::Error::last_os_error()
                .raw_os_error()
                .filter(|&e| e > 0)
                .unwrap_or(libc::EIO),
        )
    }

    /// The errno behind a failed `std` I/O call (`EIO` when it has none).
    pub fn from_io(e: &std::io::Error) -> Errno {
        Errno(e.raw_os_error().filter(|&e| e > 0).unwrap_or(libc::EIO))
    }

    /// Sets this thread's errno, for code that reports a refusal the way a
    /// failed system call would.
    pub fn set(self) {
        // SAFETY: errno is this thread's own variable.
        unsafe { *libc::__errno_location() = self.0 };
    }

    /// The positive errno number.
    pub fn raw(self) -> i32 {
        self.0
    }
}

/// The result of a libc call that returns `-1` (any negative) on failure:
/// the value, or the errno it left. For `syscall(2)`'s `long`; the `ret`
/// helpers below are the same for the other return types.
pub fn check(r: i64) -> Result<i64> {
    if r < 0 {
        Err(Errno::last())
    } else {
        Ok(r)
    }
}

/// [`check`] for a call returning an `int` (an fd, flags, or 0).
pub fn ret(r: libc::c_int) -> Result<libc::c_int> {
    check(i64::from(r)).map(|_| r)
}

/// [`check`] for a call returning an `ssize_t` byte count.
pub fn ret_size(r: libc::ssize_t) -> Result<usize> {
    usize::try_from(r).map_err(|_| Errno::last())
}

/// `mmap`'s result: the address, or the errno `MAP_FAILED` left.
pub fn ret_mapped(addr: *mut libc::c_void) -> Result<*mut libc::c_void> {
    if addr == libc::MAP_FAILED {
        Err(Errno::last())
    } else {
        Ok(addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_reads_the_failed_calls_errno() {
        Errno::EFBIG.set();
        assert_eq!(Errno::last(), Errno::EFBIG);
        assert_eq!(check(-1), Err(Errno::EFBIG));
        assert_eq!(check(3), Ok(3));
        assert_eq!(Errno::EBADF.raw(), 9);
    }

    #[test]
    fn the_ret_helpers_pass_values_and_read_errno_on_failure() {
        assert_eq!(ret(0), Ok(0));
        assert_eq!(ret(7), Ok(7));
        assert_eq!(ret_size(0), Ok(0));
        assert_eq!(ret_size(512), Ok(512));
        let mut byte = 0u8;
        let addr = std::ptr::addr_of_mut!(byte).cast();
        assert_eq!(ret_mapped(addr), Ok(addr));
        Errno::EBADF.set();
        assert_eq!(ret(-1), Err(Errno::EBADF));
        Errno::EFBIG.set();
        assert_eq!(ret_size(-1), Err(Errno::EFBIG));
        Errno::ENOMEM.set();
        assert_eq!(ret_mapped(libc::MAP_FAILED), Err(Errno::ENOMEM));
    }

    #[test]
    fn a_failure_that_left_errno_0_is_eio() {
        Errno(0).set();
        assert_eq!(Errno::last(), Errno::EIO);
        assert_eq!(check(-1), Err(Errno::EIO));
    }
}
