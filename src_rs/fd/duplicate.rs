//! Duplicating an fd (`F_DUPFD`).

use crate::sys::errno::{ret, Result};

/// A new fd for the same open file description, close-on-exec when
/// `cloexec`.
pub fn dup(fd: i32, cloexec: bool) -> Result<i32> {
    let cmd = if cloexec {
        libc::F_DUPFD_CLOEXEC
    } else {
        libc::F_DUPFD
    };
    // SAFETY: F_DUPFD(_CLOEXEC) takes the lowest acceptable fd number.
    ret(unsafe { libc::fcntl(fd, cmd, 0) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::errno::Errno;
    use crate::testing::test_util::{owned, sized};
    use std::os::fd::AsRawFd;

    #[test]
    fn dup_shares_the_file_and_sets_cloexec_as_asked() {
        let fd = sized("dup", 5);
        for cloexec in [true, false] {
            let copy = owned(dup(fd.as_raw_fd(), cloexec).unwrap());
            assert_ne!(copy.as_raw_fd(), fd.as_raw_fd());
            assert_eq!(crate::fd::cloexec::cloexec(copy.as_raw_fd()), Ok(cloexec));
            assert_eq!(crate::fd::file_size::size(copy.as_raw_fd()), Ok(5));
        }
        assert_eq!(dup(0x7fff_fff0, true), Err(Errno::EBADF));
    }

    #[test]
    fn fd_0_is_a_valid_copy() {
        let fd = sized("dup-0", 5);
        // Only a child may close its fd 0 (the test threads share theirs).
        let got = crate::testing::test_child::in_child(|| {
            // SAFETY: closes the child's own fd 0.
            unsafe { libc::close(0) };
            let copy = dup(fd.as_raw_fd(), true);
            let size = crate::fd::file_size::size(0);
            [
                crate::testing::test_child::code(copy),
                crate::testing::test_child::code(size),
            ]
        });
        assert_eq!(got, [0, 5]);
    }
}
