//! Listening Unix sockets: creating one at a path, accepting connections,
//! and removing the socket file again.
//!
//! The socket file's identity (device, inode) is recorded here, keyed by the
//! listener's fd, when it is created; removing it later checks that the file
//! at the path is still that one, so a socket someone else bound there
//! since is left alone. No caller can name another file to remove.

use std::collections::BTreeMap;
use std::os::raw::c_int;
use std::sync::Mutex;

use crate::net::unix_address::{address, close_fd, stream_socket};
use crate::net::wakeable_wait::wait_readable;
use crate::sys::c_string::c_string;
use crate::sys::errno::{ret, Errno, Result};

/// The socket file a listener created.
struct SocketFile {
    path: Vec<u8>,
    dev: u64,
    ino: u64,
}

/// Socket files by listener fd.
static SOCKET_FILES: Mutex<BTreeMap<c_int, SocketFile>> = Mutex::new(BTreeMap::new());

fn socket_files() -> std::sync::MutexGuard<'static, BTreeMap<c_int, SocketFile>> {
    // Every change is a single insert or remove: a poisoned lock is whole.
    SOCKET_FILES.lock().unwrap_or_else(|p| p.into_inner())
}

/// `lstat` of `path`: (device, inode, is a socket).
fn identity(path: &[u8]) -> Result<(u64, u64, bool)> {
    let mut buf = [0u8; 112];
    let c_path = c_string(path, &mut buf).ok_or(Errno::EINVAL)?;
    // SAFETY: an all-zero `stat` is a valid value of this plain C struct.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `c_path` is NUL-terminated; `st` is writable for the kernel.
    ret(unsafe { libc::lstat(c_path, &mut st) })?;
    let is_socket = st.st_mode & libc::S_IFMT == libc::S_IFSOCK;
    Ok((st.st_dev, st.st_ino, is_socket))
}

/// Creates a listening socket at `path` (close-on-exec, nonblocking) and
/// records its file for [`unlink_socket`]: the listener's fd
/// (`EADDRINUSE` when something exists at `path`).
pub fn listen(path: &[u8]) -> Result<i32> {
    let (addr, len) = address(path)?;
    let fd = stream_socket(libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK)?;
    let sa = (&addr as *const libc::sockaddr_un).cast::<libc::sockaddr>();
    // SAFETY: `sa` points at a valid `sockaddr_un` of at least `len` bytes.
    if unsafe { libc::bind(fd, sa, len) } < 0 {
        let e = Errno::last();
        close_fd(fd);
        return Err(e);
    }
    // SAFETY: listen only reads its integer arguments.
    if unsafe { libc::listen(fd, 128) } < 0 {
        let e = Errno::last();
        // bind made the socket file: left behind, it would turn every later
        // listen at this path into EADDRINUSE.
        let _ = unlink_path(path);
        close_fd(fd);
        return Err(e);
    }
    let mut files = socket_files();
    match identity(path) {
        Ok((dev, ino, _)) => {
            let file = SocketFile {
                path: path.to_vec(),
                dev,
                ino,
            };
            files.insert(fd, file);
        }
        // The file vanished already (someone removed it): the socket still
        // works for connections made before; there is nothing to remove.
        Err(_) => {
            files.remove(&fd);
        }
    }
    Ok(fd)
}

/// Removes the socket file the listener `fd` created, if the file at its
/// path is still that socket: `true` when removed, `false` when it is gone
/// or is something else now (or was removed here before).
pub fn unlink_socket(fd: c_int) -> Result<bool> {
    let Some(file) = socket_files().remove(&fd) else {
        return Ok(false);
    };
    match identity(&file.path) {
        Ok((dev, ino, true)) if (dev, ino) == (file.dev, file.ino) => {}
        Ok(_) | Err(Errno::ENOENT) => return Ok(false),
        Err(e) => return Err(e),
    }
    unlink_path(&file.path)?;
    Ok(true)
}

fn unlink_path(path: &[u8]) -> Result<()> {
    let mut buf = [0u8; 112];
    let c_path = c_string(path, &mut buf).ok_or(Errno::EINVAL)?;
    // SAFETY: `c_path` is NUL-terminated.
    ret(unsafe { libc::unlink(c_path) }).map(drop)
}

/// Forgets the socket file of the listener `fd` without removing it (the
/// listener is being closed).
pub fn forget_socket(fd: c_int) {
    socket_files().remove(&fd);
}

/// The path of the socket file remembered for the listener `fd`, if any
/// (for tests of what closing a listener forgets).
#[cfg(test)]
pub fn remembered_socket(fd: c_int) -> Option<Vec<u8>> {
    socket_files().get(&fd).map(|file| file.path.clone())
}

/// Accepts the next connection on the listening socket `fd`, waiting
/// without a timeout: the connection's fd (close-on-exec, nonblocking);
/// `ECANCELED` when `wake_fd` is signalled first.
pub fn accept(fd: i32, wake_fd: i32) -> Result<i32> {
    loop {
        wait_readable(fd, wake_fd)?;
        let flags = libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK;
        let null = std::ptr::null_mut();
        // SAFETY: a null address and length ask for no peer address.
        let conn = unsafe { libc::accept4(fd, null, null.cast(), flags) };
        if conn >= 0 {
            return Ok(conn);
        }
        // Gone before we took it, or a signal: wait for the next one.
        match Errno::last() {
            Errno::EAGAIN | Errno::EINTR | Errno::ECONNABORTED => continue,
            e => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests;
