//! Tests of `socket_listener.rs` against the kernel.

use super::*;
use crate::net::wakeable_wait::{wake, wake_fd};
use crate::testing::syscall_faults::{with_faults, Fault};
use crate::testing::temp_dir::TempDir;
use crate::testing::test_util::owned;
use std::os::fd::{AsRawFd, OwnedFd};

fn exists(path: &[u8]) -> bool {
    identity(path).is_ok()
}

#[test]
fn the_socket_file_is_removed_only_while_it_is_still_ours() {
    let dir = TempDir::new("sock-unlink");
    let path = dir.path("s");
    let l = owned(listen(&path).unwrap());
    assert_eq!(listen(&path), Err(Errno::EADDRINUSE));
    assert!(exists(&path));
    assert_eq!(unlink_socket(l.as_raw_fd()), Ok(true));
    assert!(!exists(&path));
    assert_eq!(unlink_socket(l.as_raw_fd()), Ok(false), "once");
    // Someone else's socket at the same path is left alone.
    let l2 = owned(listen(&path).unwrap());
    assert_eq!(unlink_socket(l.as_raw_fd()), Ok(false));
    assert!(exists(&path));
    std::fs::remove_file(std::ffi::OsStr::new(std::str::from_utf8(&path).unwrap())).unwrap();
    std::fs::File::create(std::str::from_utf8(&path).unwrap()).unwrap();
    assert_eq!(
        unlink_socket(l2.as_raw_fd()),
        Ok(false),
        "a file replaced the socket"
    );
    assert!(exists(&path));
    std::fs::remove_file(std::str::from_utf8(&path).unwrap()).unwrap();
    assert_eq!(unlink_socket(0x7fff_fff0), Ok(false));
}

/// The FD_CLOEXEC and O_NONBLOCK bits of `fd`, as the kernel has them.
fn cloexec_and_nonblock(fd: c_int) -> (bool, bool) {
    // SAFETY: F_GETFD and F_GETFL take no argument.
    let (fd_flags, fl_flags) = unsafe {
        (
            libc::fcntl(fd, libc::F_GETFD),
            libc::fcntl(fd, libc::F_GETFL),
        )
    };
    (
        fd_flags & libc::FD_CLOEXEC != 0,
        fl_flags & libc::O_NONBLOCK != 0,
    )
}

fn connect_to(path: &[u8]) -> OwnedFd {
    let (addr, len) = address(path).unwrap();
    let fd = owned(stream_socket(libc::SOCK_CLOEXEC).unwrap());
    let sa = (&addr as *const libc::sockaddr_un).cast::<libc::sockaddr>();
    // SAFETY: `sa` points at a valid address of `len` bytes. A Unix
    // stream connect completes into the backlog, before any accept.
    assert_eq!(unsafe { libc::connect(fd.as_raw_fd(), sa, len) }, 0);
    fd
}

fn os(path: &[u8]) -> &std::ffi::OsStr {
    std::os::unix::ffi::OsStrExt::from_bytes(path)
}

#[test]
fn listener_and_connections_are_close_on_exec_and_nonblocking() {
    let dir = TempDir::new("sock-flags");
    let path = dir.path("s");
    let l = owned(listen(&path).unwrap());
    assert_eq!(cloexec_and_nonblock(l.as_raw_fd()), (true, true));
    let _client = connect_to(&path);
    let w = owned(wake_fd().unwrap());
    let conn = owned(accept(l.as_raw_fd(), w.as_raw_fd()).unwrap());
    assert_eq!(cloexec_and_nonblock(conn.as_raw_fd()), (true, true));
    assert_eq!(unlink_socket(l.as_raw_fd()), Ok(true));
}

#[test]
fn a_socket_bound_at_the_path_since_is_left_alone() {
    let dir = TempDir::new("sock-moved");
    let path = dir.path("s");
    let mut moved = path.clone();
    moved.extend_from_slice(b".old");
    let l = owned(listen(&path).unwrap());
    // The old file stays alive, so the new one cannot reuse its inode.
    std::fs::rename(os(&path), os(&moved)).unwrap();
    let l2 = owned(listen(&path).unwrap());
    assert_eq!(unlink_socket(l.as_raw_fd()), Ok(false));
    assert!(exists(&path) && exists(&moved));
    assert_eq!(unlink_socket(l2.as_raw_fd()), Ok(true));
    std::fs::remove_file(os(&moved)).unwrap();
}

#[test]
fn a_forgotten_listener_leaves_its_file() {
    let dir = TempDir::new("sock-forget");
    let path = dir.path("s");
    let l = owned(listen(&path).unwrap());
    assert_eq!(remembered_socket(l.as_raw_fd()), Some(path.clone()));
    forget_socket(l.as_raw_fd());
    assert_eq!(remembered_socket(l.as_raw_fd()), None);
    assert_eq!(unlink_socket(l.as_raw_fd()), Ok(false));
    assert!(exists(&path));
    std::fs::remove_file(os(&path)).unwrap();
}

#[test]
fn a_refused_listen_leaves_no_socket_file_behind() {
    let dir = TempDir::new("sock-refused");
    let path = dir.path("s");
    let fault = [Fault::always(libc::SYS_listen, libc::EACCES)];
    assert_eq!(with_faults(&fault, || listen(&path)), Err(Errno::EACCES));
    assert!(!exists(&path));
    let l = owned(listen(&path).unwrap());
    assert_eq!(unlink_socket(l.as_raw_fd()), Ok(true));
}

#[test]
fn a_refused_unlink_is_reported() {
    let dir = TempDir::new("sock-keep");
    let path = dir.path("s");
    let l = owned(listen(&path).unwrap());
    let fault = [
        Fault::always(libc::SYS_unlink, libc::EACCES),
        Fault::always(libc::SYS_unlinkat, libc::EACCES),
    ];
    assert_eq!(
        with_faults(&fault, || unlink_socket(l.as_raw_fd())),
        Err(Errno::EACCES)
    );
    assert!(exists(&path));
    std::fs::remove_file(os(&path)).unwrap();
}

#[test]
fn wake_cuts_an_accept_short() {
    let dir = TempDir::new("sock-wake");
    let path = dir.path("s");
    let l = owned(listen(&path).unwrap());
    let w = owned(wake_fd().unwrap());
    assert_eq!(wake(w.as_raw_fd()), Ok(()));
    assert_eq!(accept(l.as_raw_fd(), w.as_raw_fd()), Err(Errno::ECANCELED));
    assert_eq!(unlink_socket(l.as_raw_fd()), Ok(true));
}
