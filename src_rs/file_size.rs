//! Size, resizing, duplication and closing of an fd.

use crate::guard::{exceeds_file_size_limit, neg_errno, retry};
use crate::mapping;

/// `fstat` of `fd`, or `-errno`.
pub fn stat(fd: i32) -> Result<libc::stat, i64> {
    // SAFETY: an all-zero `stat` is a valid value of this plain C struct.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a valid, writable `stat` for the kernel to fill.
    if unsafe { libc::fstat(fd, &mut st) } < 0 {
        return Err(neg_errno());
    }
    Ok(st)
}

/// The file's size in bytes, or `-errno`.
pub fn size(fd: i32) -> i64 {
    stat(fd).map_or_else(|e| e, |st| st.st_size)
}

/// `ftruncate(fd, size)`, refused with `-EBUSY` when it would cut into a
/// live mapping of the same file made through this library (touching the cut
/// pages would raise SIGBUS), and with `-EFBIG` when it would grow the file
/// past `RLIMIT_FSIZE` (the kernel would kill the process with SIGXFSZ).
pub fn resize(fd: i32, size: i64) -> i64 {
    if size < 0 {
        return -i64::from(libc::EINVAL);
    }
    // Growing past `ulimit -f` would raise SIGXFSZ and kill the process.
    if exceeds_file_size_limit(size as u64) {
        match stat(fd) {
            Ok(st) if size > st.st_size => return -i64::from(libc::EFBIG),
            Ok(_) => {}
            Err(e) => return e,
        }
    }
    // The registry stays locked until the truncate is done, so no mapping can
    // appear between the check and the cut.
    let maps = mapping::registry();
    if !maps.is_empty() {
        let st = match stat(fd) {
            Ok(st) => st,
            Err(e) => return e,
        };
        if maps.file_end(st.st_dev, st.st_ino) > size as u64 {
            return -i64::from(libc::EBUSY);
        }
    }
    // SAFETY: ftruncate only reads its integer arguments.
    retry(|| i64::from(unsafe { libc::ftruncate(fd, size) }))
}

/// A new fd for the same open file description, close-on-exec when
/// `cloexec`; or `-errno`.
pub fn dup(fd: i32, cloexec: bool) -> i64 {
    let cmd = if cloexec {
        libc::F_DUPFD_CLOEXEC
    } else {
        libc::F_DUPFD
    };
    // SAFETY: F_DUPFD(_CLOEXEC) takes the lowest acceptable fd number.
    let new_fd = unsafe { libc::fcntl(fd, cmd, 0) };
    if new_fd < 0 {
        return neg_errno();
    }
    i64::from(new_fd)
}

/// `close(fd)`: 0 or `-errno`. Never retried: after `EINTR` Linux has
/// already released the fd number, and a retry could close someone else's.
pub fn close(fd: i32) -> i64 {
    // SAFETY: closing an fd the caller owns.
    if unsafe { libc::close(fd) } < 0 {
        return neg_errno();
    }
    0
}

/// Whether `FD_CLOEXEC` is set on `fd`: 1, 0 or `-errno`.
pub fn cloexec(fd: i32) -> i64 {
    // SAFETY: F_GETFD takes no argument.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    if flags < 0 {
        return neg_errno();
    }
    i64::from(flags & libc::FD_CLOEXEC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{errno, sized, Fd};

    #[test]
    fn resize_refuses_negative_sizes() {
        let fd = sized("negative", 10);
        assert_eq!(resize(fd.0, -1), errno(libc::EINVAL));
        assert_eq!(size(fd.0), 10);
    }

    #[test]
    fn resize_refuses_to_cut_a_live_mapping_of_the_inode_through_any_fd() {
        let _lock = mapping::test_lock();
        let fd = sized("cut", 3 * 4096);
        let other = Fd(dup(fd.0, true) as i32);
        let addr = mapping::map(fd.0, 4096, 4096, 0);
        assert!(addr > 0);
        assert_eq!(resize(fd.0, 2 * 4096), 0, "the mapping ends at 8192");
        assert_eq!(resize(other.0, 2 * 4096 - 1), errno(libc::EBUSY));
        assert_eq!(resize(fd.0, 0), errno(libc::EBUSY));
        assert_eq!(size(fd.0), 2 * 4096);
        assert_eq!(mapping::unmap(addr), 0);
        assert_eq!(resize(other.0, 0), 0);
    }

    #[test]
    fn dup_shares_the_file_and_sets_cloexec_as_asked() {
        let fd = sized("dup", 5);
        for cloexec in [true, false] {
            let copy = Fd(dup(fd.0, cloexec) as i32);
            assert!(copy.0 >= 0 && copy.0 != fd.0);
            assert_eq!(super::cloexec(copy.0), i64::from(cloexec));
            assert_eq!(size(copy.0), 5);
        }
    }

    #[test]
    fn close_of_a_closed_fd_is_ebadf() {
        let fd = sized("close", 0);
        let number = fd.0;
        std::mem::forget(fd);
        assert_eq!(close(number), 0);
        // Not closed again: another test's thread may own the number now.
        assert_eq!(close(0x7fff_fff0), errno(libc::EBADF));
    }
}
