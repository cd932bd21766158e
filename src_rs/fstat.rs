//! `fstat`: what an fd refers to.

use crate::errno::{Errno, Result};

/// `fstat` of `fd`.
pub fn fstat(fd: i32) -> Result<libc::stat> {
    // SAFETY: an all-zero `stat` is a valid value of this plain C struct.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a valid, writable `stat` for the kernel to fill.
    if unsafe { libc::fstat(fd, &mut st) } < 0 {
        return Err(Errno::last());
    }
    Ok(st)
}

/// Whether `st` describes a regular file (what every memfd is).
pub fn is_regular(st: &libc::stat) -> bool {
    st.st_mode & libc::S_IFMT == libc::S_IFREG
}
