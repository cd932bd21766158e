//! File seals: `F_ADD_SEALS` and `F_GET_SEALS`.

use crate::sys::constants::{F_ADD_SEALS, F_GET_SEALS, F_SEAL_KNOWN};
use crate::sys::errno::{ret, Errno, Result};

/// Adds `seals` to the inode behind `fd`.
///
/// Bits outside the known seal set are `EINVAL` here, before the call:
/// Linux 6.18 silently drops everything above bit 31 of the argument.
pub fn add(fd: i32, seals: i64) -> Result<()> {
    if seals < 0 || seals & !i64::from(F_SEAL_KNOWN) != 0 {
        return Err(Errno::EINVAL);
    }
    // SAFETY: F_ADD_SEALS takes an int; `seals` fits in six bits.
    ret(unsafe { libc::fcntl(fd, F_ADD_SEALS, seals as libc::c_int) }).map(drop)
}

/// The seal set of the inode behind `fd`.
pub fn get(fd: i32) -> Result<i64> {
    // SAFETY: F_GET_SEALS takes no argument.
    ret(unsafe { libc::fcntl(fd, F_GET_SEALS) }).map(i64::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::constants::*;
    use crate::testing::test_util::{kernel, memfd, owned, raw_add_seals, seals, sized};
    use std::os::fd::AsRawFd;

    #[test]
    fn conformance_14_without_allow_sealing_every_seal_is_eperm() {
        let fd = memfd("unsealable", MFD_CLOEXEC);
        for seal in [F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE] {
            assert_eq!(add(fd.as_raw_fd(), seal.into()), Err(Errno::EPERM));
        }
        // The kernel checks for unknown seal bits first: before 5.1,
        // FUTURE_WRITE is one.
        let unknown = if kernel().future_write {
            Errno::EPERM
        } else {
            Errno::EINVAL
        };
        assert_eq!(
            add(fd.as_raw_fd(), F_SEAL_FUTURE_WRITE.into()),
            Err(unknown)
        );
        assert_eq!(get(fd.as_raw_fd()), Ok(i64::from(F_SEAL_SEAL)));
    }

    #[test]
    fn conformance_15_selftest_test_basic() {
        let fd = sized("basic", 4096);
        let (shrink_write, grow_seal) = (F_SEAL_SHRINK | F_SEAL_WRITE, F_SEAL_GROW | F_SEAL_SEAL);
        assert_eq!(add(fd.as_raw_fd(), shrink_write.into()), Ok(()));
        assert_eq!(get(fd.as_raw_fd()), Ok(i64::from(shrink_write)));
        assert_eq!(add(fd.as_raw_fd(), shrink_write.into()), Ok(()));
        assert_eq!(get(fd.as_raw_fd()), Ok(i64::from(shrink_write)));
        assert_eq!(add(fd.as_raw_fd(), grow_seal.into()), Ok(()));
        assert_eq!(get(fd.as_raw_fd()), Ok(i64::from(shrink_write | grow_seal)));
        assert_eq!(add(fd.as_raw_fd(), F_SEAL_GROW.into()), Err(Errno::EPERM));
    }

    #[test]
    fn conformance_16_unknown_bits_are_einval_before_the_call() {
        let fd = sized("unknown-bits", 0);
        for bad in [
            0x40,
            0x80,
            1 << 31,
            1 << 32,
            (1 << 32) | 2,
            1 << 40,
            -1,
            i64::MIN,
        ] {
            assert_eq!(
                add(fd.as_raw_fd(), bad),
                Err(Errno::EINVAL),
                "seals {bad:#x}"
            );
        }
        assert_eq!(get(fd.as_raw_fd()), Ok(0), "nothing was applied");
    }

    #[test]
    fn conformance_16_the_kernel_itself_refuses_0x40_but_truncates_bits_above_32() {
        // Why add() validates: the kernel only sees the low 32 bits.
        let fd = sized("kernel-bits", 0);
        assert_eq!(raw_add_seals(&fd, 0x40), Err(Errno::EINVAL));
        assert_eq!(
            raw_add_seals(&fd, (1 << 32) | libc::c_ulong::from(F_SEAL_SHRINK)),
            Ok(())
        );
        assert_eq!(seals(&fd), i64::from(F_SEAL_SHRINK));
    }

    #[test]
    fn conformance_17_a_read_only_reopen_reads_seals_but_cannot_add() {
        let fd = sized("ro", 16);
        assert_eq!(add(fd.as_raw_fd(), F_SEAL_GROW.into()), Ok(()));
        let path = format!("/proc/self/fd/{}", fd.as_raw_fd());
        let ro = owned(
            crate::fd::open_by_path::open(
                path.as_bytes(),
                false,
                crate::fd::open_by_path::Reach::FdPathOnly,
            )
            .unwrap(),
        );
        assert_eq!(get(ro.as_raw_fd()), Ok(i64::from(F_SEAL_GROW)));
        assert_eq!(add(ro.as_raw_fd(), F_SEAL_SHRINK.into()), Err(Errno::EPERM));
        assert_eq!(get(fd.as_raw_fd()), Ok(i64::from(F_SEAL_GROW)));
    }

    #[test]
    fn empty_sets_are_answers_not_errors_whatever_errno_held() {
        // A stale errno must not turn "no seals" or "add nothing" into an
        // error: 0 is a result here.
        let fd = sized("empty", 0);
        // SAFETY: errno is this thread's own variable.
        unsafe { *libc::__errno_location() = libc::EIO };
        assert_eq!(get(fd.as_raw_fd()), Ok(0));
        assert_eq!(add(fd.as_raw_fd(), 0), Ok(()));
        assert_eq!(get(fd.as_raw_fd()), Ok(0));
    }

    #[test]
    fn an_fd_that_is_not_open_is_ebadf() {
        // A high number no test opens (a closed one may be reused by another
        // test's thread at once).
        assert_eq!(get(0x7fff_fff0), Err(Errno::EBADF));
        assert_eq!(add(0x7fff_fff0, F_SEAL_SEAL.into()), Err(Errno::EBADF));
    }
}
