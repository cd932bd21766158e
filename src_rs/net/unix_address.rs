//! Unix domain socket addresses and stream sockets.

use std::os::raw::c_int;

use crate::sys::errno::{ret, Errno, Result};

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
    ret(unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | flags, 0) })
}

/// Closes an fd this crate opened and nobody else owns.
pub fn close_fd(fd: c_int) {
    // SAFETY: callers pass an fd they opened themselves and still own.
    unsafe { libc::close(fd) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::syscall_faults::{in_fd0_child, run_with_fd0_free, with_faults, Fault};
    use crate::testing::temp_dir::TempDir;
    use crate::testing::test_util::owned;
    use std::os::fd::AsRawFd;

    #[test]
    fn paths_the_kernel_would_cut_or_misread_are_refused() {
        assert_eq!(address(b"").unwrap_err(), Errno::EINVAL);
        assert_eq!(address(b"a\0b").unwrap_err(), Errno::EINVAL);
        assert_eq!(address(&[b'a'; 108]).unwrap_err(), Errno::ENAMETOOLONG);
        assert!(address(&[b'a'; 107]).is_ok());
    }

    #[test]
    fn the_longest_path_binds_and_connects() {
        let dir = TempDir::new("addr");
        let mut path = dir.path("");
        path.resize(107, b's');
        let l = owned(crate::net::socket_listener::listen(&path).unwrap());
        let (addr, len) = address(&path).unwrap();
        // The length is the one the kernel itself gives this address.
        // SAFETY: an all-zero `sockaddr_un` is a valid value of this struct.
        let mut bound: libc::sockaddr_un = unsafe { std::mem::zeroed() };
        let mut bound_len = size_of_val(&bound) as libc::socklen_t;
        let out = (&mut bound as *mut libc::sockaddr_un).cast::<libc::sockaddr>();
        // SAFETY: `out` is writable for `bound_len` bytes.
        let got = unsafe { libc::getsockname(l.as_raw_fd(), out, &mut bound_len) };
        assert_eq!(got, 0);
        assert_eq!((len, bound.sun_path), (bound_len, addr.sun_path));
        let client = owned(stream_socket(libc::SOCK_CLOEXEC).unwrap());
        let sa = (&addr as *const libc::sockaddr_un).cast::<libc::sockaddr>();
        // SAFETY: `sa` points at a valid address of `len` bytes.
        assert_eq!(unsafe { libc::connect(client.as_raw_fd(), sa, len) }, 0);
        assert_eq!(
            crate::net::socket_listener::unlink_socket(l.as_raw_fd()),
            Ok(true)
        );
    }

    #[test]
    fn a_refused_socket_is_reported() {
        let fault = [Fault::always(libc::SYS_socket, libc::EMFILE)];
        let make = || stream_socket(libc::SOCK_CLOEXEC);
        assert_eq!(with_faults(&fault, make), Err(Errno::EMFILE));
    }

    #[test]
    fn fd_0_is_a_socket_like_any_other() {
        if !in_fd0_child() {
            return run_with_fd0_free("net::unix_address::tests::fd_0_is_a_socket_like_any_other");
        }
        assert_eq!(stream_socket(libc::SOCK_CLOEXEC), Ok(0));
    }
}
