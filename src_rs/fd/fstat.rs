//! `fstat`: what an fd refers to.

use crate::sys::errno::{ret, Result};

/// `fstat` of `fd`.
pub fn fstat(fd: i32) -> Result<libc::stat> {
    // SAFETY: an all-zero `stat` is a valid value of this plain C struct.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a valid, writable `stat` for the kernel to fill.
    ret(unsafe { libc::fstat(fd, &mut st) })?;
    Ok(st)
}

/// Whether `st` describes a regular file (what every memfd is).
pub fn is_regular(st: &libc::stat) -> bool {
    st.st_mode & libc::S_IFMT == libc::S_IFREG
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::errno::Errno;
    use crate::testing::test_util::{owned, sized};
    use std::os::fd::AsRawFd;

    #[test]
    fn a_memfd_is_regular_and_a_pipe_or_directory_is_not() {
        let fd = sized("regular", 3);
        let st = fstat(fd.as_raw_fd()).unwrap();
        assert!(is_regular(&st));
        assert_eq!(st.st_size, 3);
        let mut pipe = [0; 2];
        // SAFETY: `pipe` has room for two fds.
        assert_eq!(unsafe { libc::pipe(pipe.as_mut_ptr()) }, 0);
        let (r, _w) = (owned(pipe[0]), owned(pipe[1]));
        assert!(!is_regular(&fstat(r.as_raw_fd()).unwrap()));
        let dir = std::fs::File::open("/").unwrap();
        assert!(!is_regular(
            &fstat(std::os::fd::AsRawFd::as_raw_fd(&dir)).unwrap()
        ));
        assert_eq!(fstat(0x7fff_fff0).map(|_| ()), Err(Errno::EBADF));
    }
}
