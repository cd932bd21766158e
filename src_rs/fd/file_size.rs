//! A file's size: reading it (`fstat`) and changing it (`ftruncate`).

use crate::fd::fstat::fstat;
use crate::mm::live_mappings::live_mappings;
use crate::sys::eintr::retry;
use crate::sys::errno::{Errno, Result};
use crate::sys::file_size_limit::exceeds_file_size_limit;

/// The file's size in bytes.
pub fn size(fd: i32) -> Result<i64> {
    Ok(fstat(fd)?.st_size)
}

/// `ftruncate(fd, size)`, refused with `EBUSY` when it would cut into a
/// live mapping of the same file made through this library (touching the cut
/// pages would raise SIGBUS), and with `EFBIG` when it would grow the file
/// past `RLIMIT_FSIZE` (the kernel would kill the process with SIGXFSZ).
pub fn resize(fd: i32, size: i64) -> Result<()> {
    if size < 0 {
        return Err(Errno::EINVAL);
    }
    // Growing past `ulimit -f` would raise SIGXFSZ and kill the process.
    if exceeds_file_size_limit(size as u64) && size > fstat(fd)?.st_size {
        return Err(Errno::EFBIG);
    }
    // The registry stays locked until the truncate is done, so no mapping can
    // appear between the check and the cut.
    let maps = live_mappings();
    if !maps.is_empty() {
        let st = fstat(fd)?;
        if maps.file_end(st.st_dev, st.st_ino) > size as u64 {
            return Err(Errno::EBUSY);
        }
    }
    // SAFETY: ftruncate only reads its integer arguments.
    retry(|| i64::from(unsafe { libc::ftruncate(fd, size) }))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fd::duplicate::dup;
    use crate::testing::test_util::{owned, sized};
    use std::os::fd::AsRawFd;

    #[test]
    fn resize_refuses_negative_sizes() {
        let fd = sized("negative", 10);
        assert_eq!(resize(fd.as_raw_fd(), -1), Err(Errno::EINVAL));
        assert_eq!(size(fd.as_raw_fd()), Ok(10));
    }

    #[test]
    fn resize_refuses_to_cut_a_live_mapping_of_the_inode_through_any_fd() {
        let _lock = crate::mm::live_mappings::test_lock();
        let fd = sized("cut", 3 * 4096);
        let other = owned(dup(fd.as_raw_fd(), true).unwrap());
        let addr = crate::mm::mmap::map(fd.as_raw_fd(), 4096, Some(4096), 0).unwrap();
        assert_eq!(
            resize(fd.as_raw_fd(), 2 * 4096),
            Ok(()),
            "the mapping ends at 8192"
        );
        assert_eq!(resize(other.as_raw_fd(), 2 * 4096 - 1), Err(Errno::EBUSY));
        assert_eq!(resize(fd.as_raw_fd(), 0), Err(Errno::EBUSY));
        assert_eq!(size(fd.as_raw_fd()), Ok(2 * 4096));
        assert_eq!(crate::mm::mmap::unmap(addr), Ok(()));
        assert_eq!(resize(other.as_raw_fd(), 0), Ok(()));
    }

    #[test]
    fn under_a_file_size_limit_only_growing_past_it_is_efbig() {
        const L: i64 = 1 << 20;
        let fd = sized("limited", 3 * L);
        let got = crate::testing::test_child::in_child(|| {
            crate::testing::test_child::set_file_size_limit(L as u64);
            let code = |r: Result<()>| crate::testing::test_child::code(r.map(|()| 0));
            // Already past the limit: keeping or cutting the size is fine.
            let same = code(resize(fd.as_raw_fd(), 3 * L));
            let shrink = code(resize(fd.as_raw_fd(), 2 * L));
            // Growing past it would raise SIGXFSZ and kill the child.
            let grow = code(resize(fd.as_raw_fd(), 3 * L));
            [same, shrink, grow, size(fd.as_raw_fd()).unwrap_or(-1)]
        });
        let efbig = -i64::from(libc::EFBIG);
        assert_eq!(got, [0, 0, efbig, 2 * L]);
    }

    #[test]
    fn a_bad_fd_is_ebadf() {
        assert_eq!(size(0x7fff_fff0), Err(Errno::EBADF));
        assert_eq!(resize(0x7fff_fff0, 1), Err(Errno::EBADF));
    }
}
