//! Whether an fd is close-on-exec (`FD_CLOEXEC`).

use crate::sys::errno::{ret, Result};

/// Whether `FD_CLOEXEC` is set on `fd`.
pub fn cloexec(fd: i32) -> Result<bool> {
    // SAFETY: F_GETFD takes no argument.
    let flags = ret(unsafe { libc::fcntl(fd, libc::F_GETFD) })?;
    Ok(flags & libc::FD_CLOEXEC != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::errno::Errno;

    #[test]
    fn a_closed_fd_is_ebadf() {
        assert_eq!(cloexec(0x7fff_fff0), Err(Errno::EBADF));
    }
}
