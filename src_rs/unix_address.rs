//! Unix domain socket addresses and stream sockets.

use std::os::raw::c_int;

use crate::errno::{Errno, Result};

/// `sockaddr_un` for a filesystem path, and its length; `EINVAL` for an
/// empty path or one with a NUL (an abstract or unnamed address), and
/// `ENAMETOOLONG` when it does not fit `sun_path` with its terminator (the
/// kernel would otherwise cut it).
pub fn address(path: &[u8]) -> Result<(libc::sockaddr_un, libc::socklen_t)> {
    if path.is_empty() || path.contains(&0) {
        return Err(Errno::EINVAL);
    }
    // SAFETY: an all-zero `sockaddr_un` is a valid value of this C struct.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    if path.len() >= addr.sun_path.len() {
        return Err(Errno::ENAMETOOLONG);
    }
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    for (dst, &src) in addr.sun_path.iter_mut().zip(path) {
        *dst = src as libc::c_char;
    }
    let len = std::mem::offset_of!(libc::sockaddr_un, sun_path) + path.len() + 1;
    Ok((addr, len as libc::socklen_t))
}

/// A new `AF_UNIX` stream socket with `flags` (`SOCK_CLOEXEC`, …).
pub fn stream_socket(flags: c_int) -> Result<c_int> {
    // SAFETY: socket only reads its integer arguments.
    let fd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | flags, 0) };
    if fd < 0 {
        return Err(Errno::last());
    }
    Ok(fd)
}

/// Closes an fd this crate opened and nobody else owns.
pub fn close_fd(fd: c_int) {
    // SAFETY: callers pass an fd they opened themselves and still own.
    unsafe { libc::close(fd) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_the_kernel_would_cut_or_misread_are_refused() {
        assert_eq!(address(b"").unwrap_err(), Errno::EINVAL);
        assert_eq!(address(b"a\0b").unwrap_err(), Errno::EINVAL);
        assert_eq!(address(&[b'a'; 108]).unwrap_err(), Errno::ENAMETOOLONG);
        assert!(address(&[b'a'; 107]).is_ok());
    }
}
