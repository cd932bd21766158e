//! Telling a memfd from any other file, and reading its name, by its
//! `/proc/self/fd` link (`/memfd:<name> (deleted)`).

use crate::fd::fstat::{fstat, is_regular};
use crate::fd::memfd_device::on_memfd_device;
use crate::sys::c_string::c_string;
use crate::sys::constants::F_GET_SEALS;
use crate::sys::errno::{ret, ret_size, Errno, Result};

const LINK_PREFIX: &[u8] = b"/memfd:";
const LINK_SUFFIX: &[u8] = b" (deleted)";

/// The `/proc/self/fd/<fd>` link of `fd`, in `buf`; `EBADF` when `fd` is
/// not open.
pub fn fd_link(fd: i32, buf: &mut [u8; 512]) -> Result<&[u8]> {
    // SAFETY: F_GETFD takes no argument and only inspects the fd table.
    ret(unsafe { libc::fcntl(fd, libc::F_GETFD) })?;
    let mut path = [0u8; 32];
    let text = format!("/proc/self/fd/{fd}");
    let c_path = c_string(text.as_bytes(), &mut path).ok_or(Errno::EINVAL)?;
    // SAFETY: `c_path` is NUL-terminated; `buf` is writable for its length.
    let n = ret_size(unsafe { libc::readlink(c_path, buf.as_mut_ptr().cast(), buf.len()) })?;
    Ok(&buf[..n])
}

/// The memfd name inside a `/proc/self/fd` link, or `None` when the link is
/// not a memfd's.
pub fn memfd_name(link: &[u8]) -> Option<&[u8]> {
    let name = link.strip_prefix(LINK_PREFIX)?;
    Some(name.strip_suffix(LINK_SUFFIX).unwrap_or(name))
}

/// Whether `fd` is an open memfd: `Ok` when it is, `EBADF` when it is not
/// open, `EINVAL` when it is open but something else. Only reads the fd
/// table and the inode; nothing changes.
///
/// Trusts the `/proc/self/fd` link, not `F_GET_SEALS` alone, which any tmpfs
/// file answers too; and not the link alone either, which a file under a
/// mount at `/memfd:…` fakes: the link, `F_GET_SEALS`, `fstat` and the
/// device (a memfd's internal mount, see `memfd_device`) must all agree.
pub fn check_memfd(fd: i32) -> Result<()> {
    let mut buf = [0u8; 512];
    if memfd_name(fd_link(fd, &mut buf)?).is_none() {
        return Err(Errno::EINVAL);
    }
    // SAFETY: F_GET_SEALS takes no argument.
    if unsafe { libc::fcntl(fd, F_GET_SEALS) } < 0 {
        return Err(Errno::EINVAL);
    }
    let st = fstat(fd)?;
    if !is_regular(&st) || !on_memfd_device(fd, &st)? {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// Copies the name memfd `fd` was created with into `out`: the name's full
/// length (which may exceed `out`); `EINVAL` for a non-memfd.
pub fn name(fd: i32, out: &mut [u8]) -> Result<i64> {
    let mut buf = [0u8; 512];
    let name = memfd_name(fd_link(fd, &mut buf)?).ok_or(Errno::EINVAL)?;
    let copied = name.len().min(out.len());
    out[..copied].copy_from_slice(&name[..copied]);
    Ok(name.len() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::constants::*;
    use crate::testing::test_util::{memfd, owned};
    use std::os::fd::AsRawFd;

    #[test]
    fn conformance_18_only_the_link_tells_a_memfd_from_a_tmpfs_file() {
        let path = format!("/dev/shm/deno_memfd_test_{}", std::process::id());
        let file = std::fs::File::create(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let tmpfs = file.as_raw_fd();
        // The kernel's F_GET_SEALS answers for any tmpfs file...
        assert_eq!(
            // SAFETY: F_GET_SEALS takes no argument.
            unsafe { libc::fcntl(tmpfs, F_GET_SEALS) },
            F_SEAL_SEAL as i32
        );
        // ...so check_memfd must not trust it alone.
        assert_eq!(check_memfd(tmpfs), Err(Errno::EINVAL));
        let mut pipe = [0; 2];
        // SAFETY: `pipe` has room for two fds.
        assert_eq!(unsafe { libc::pipe(pipe.as_mut_ptr()) }, 0);
        let (r, w) = (owned(pipe[0]), owned(pipe[1]));
        assert_eq!(check_memfd(r.as_raw_fd()), Err(Errno::EINVAL));
        assert_eq!(check_memfd(w.as_raw_fd()), Err(Errno::EINVAL));
        let exe = std::fs::File::open(std::env::current_exe().unwrap()).unwrap();
        assert_eq!(check_memfd(exe.as_raw_fd()), Err(Errno::EINVAL));
    }

    #[test]
    fn names_are_read_back_byte_for_byte() {
        let name = "日本語 / (deleted)";
        let fd = memfd(name, MFD_CLOEXEC);
        let mut out = [0u8; 64];
        let n = super::name(fd.as_raw_fd(), &mut out).unwrap();
        assert_eq!(&out[..n as usize], name.as_bytes());
        let mut short = [0u8; 3];
        assert_eq!(
            super::name(fd.as_raw_fd(), &mut short),
            Ok(name.len() as i64)
        );
        assert_eq!(&short, &name.as_bytes()[..3]);
    }

    #[test]
    fn non_memfds_are_einval_and_closed_fds_ebadf() {
        assert_eq!(check_memfd(0x7fff_fff0), Err(Errno::EBADF));
        let file = std::fs::File::open("/proc/self/status").unwrap();
        assert_eq!(check_memfd(file.as_raw_fd()), Err(Errno::EINVAL));
        assert_eq!(name(file.as_raw_fd(), &mut [0; 8]), Err(Errno::EINVAL));
        let fd = memfd("yes", MFD_CLOEXEC);
        assert_eq!(check_memfd(fd.as_raw_fd()), Ok(()));
    }
}
