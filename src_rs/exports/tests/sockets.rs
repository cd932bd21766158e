//! The socket exports: listen, unlink the socket file, wake fds and wakes,
//! send, accept and receive, and closing a listener.

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;

use super::*;
use crate::net::socket_listener::remembered_socket;
use crate::testing::test_util::{owned, sized};
use std::os::fd::AsRawFd;

/// A listener of the library's at a fresh path, and a wake fd for it.
struct Listener {
    fd: Owned,
    wake: Owned,
    path: Vec<u8>,
}

impl Listener {
    fn new(tag: &str) -> Listener {
        let path = socket_path(tag);
        let fd = Owned::new(listen(&path), Kind::Listener);
        let wake = Owned::new(dm_wake_fd(), Kind::Wake);
        Listener { fd, wake, path }
    }

    /// Accepts the connection that must be queued already.
    fn accept(&self) -> Owned {
        assert!(ready(self.fd.0), "a connection is queued");
        Owned::new(dm_accept(self.fd.0, self.wake.0), Kind::Connection)
    }

    fn is_socket_file(&self) -> bool {
        let path = std::ffi::OsStr::from_bytes(&self.path);
        std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket())
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(std::ffi::OsStr::from_bytes(&self.path));
    }
}

#[test]
fn listen_makes_a_socket_file_that_unlink_removes_once() {
    let _lock = test_lock();
    let l = Listener::new("listen");
    assert!(l.is_socket_file());
    assert_eq!(listen(&l.path), err(libc::EADDRINUSE));
    assert_eq!(listen(b"a\0b"), err(libc::EINVAL));
    assert_eq!(dm_unlink_socket(l.fd.0), 1);
    assert!(!l.is_socket_file());
    assert_eq!(dm_unlink_socket(l.fd.0), 0, "once");
}

#[test]
fn a_wake_fd_is_signalled_by_wake() {
    let _lock = test_lock();
    let w = Owned::new(dm_wake_fd(), Kind::Wake);
    assert!(!ready(w.0));
    assert_eq!(dm_wake(w.0), 0);
    assert!(ready(w.0));
    assert_eq!(dm_wake(w.0), 0, "again");
}

#[test]
fn a_sent_memfd_is_accepted_and_received_as_the_same_file() {
    let _lock = test_lock();
    let l = Listener::new("pass");
    let memfd = owned_memfd(0.0);
    assert_eq!(send(&l.path, memfd.0), 0);
    let conn = l.accept();
    assert!(ready(conn.0), "the message is queued");
    let got = Owned::new(dm_receive(conn.0, l.wake.0), Kind::Memfd);
    assert_ne!(got.0, memfd.0);
    assert_eq!(identity(got.0), identity(memfd.0));
    assert_eq!(dm_cloexec(got.0), 1);
    // The sender closed its end after the one message.
    assert_eq!(dm_receive(conn.0, l.wake.0), err(libc::ENODATA));
}

#[test]
fn send_to_a_missing_path_is_enoent() {
    let _lock = test_lock();
    let memfd = owned_memfd(0.0);
    assert_eq!(send(&socket_path("missing"), memfd.0), err(libc::ENOENT));
    assert_eq!(send(b"", memfd.0), err(libc::EINVAL));
}

#[test]
fn a_wake_cuts_accept_and_receive_short_with_work_queued() {
    let _lock = test_lock();
    let l = Listener::new("wake");
    let memfd = owned_memfd(0.0);
    assert_eq!(send(&l.path, memfd.0), 0);
    assert_eq!(send(&l.path, memfd.0), 0);
    let conn = l.accept();
    // A connection and a message wait: only the wake can refuse them.
    assert_eq!(dm_wake(l.wake.0), 0);
    assert_eq!(dm_accept(l.fd.0, l.wake.0), err(libc::ECANCELED));
    assert_eq!(dm_receive(conn.0, l.wake.0), err(libc::ECANCELED));
    assert!(ready(l.fd.0) && ready(conn.0), "nothing was taken");
}

/// Each socket export refuses fds of another kind and fds the library
/// does not own, before any system call touches them.
#[test]
fn fds_of_another_kind_or_owner_are_ebadf_and_untouched() {
    let _lock = test_lock();
    let l = Listener::new("kinds");
    let memfd = owned_memfd(0.0);
    assert_eq!(send(&l.path, memfd.0), 0);
    let conn = l.accept();
    let ebadf = err(libc::EBADF);
    assert_eq!(dm_accept(memfd.0, l.wake.0), ebadf);
    assert_eq!(dm_accept(conn.0, l.wake.0), ebadf);
    assert_eq!(dm_accept(l.fd.0, memfd.0), ebadf);
    assert_eq!(dm_receive(l.fd.0, l.wake.0), ebadf);
    assert_eq!(dm_receive(conn.0, conn.0), ebadf);
    assert_eq!(dm_unlink_socket(memfd.0), ebadf);
    assert_eq!(dm_unlink_socket(conn.0), ebadf);
    assert_eq!(dm_wake(memfd.0), ebadf);
    assert_eq!(raw_size(memfd.0), 0, "no counter written into the memfd");
    assert_eq!(send(&l.path, l.wake.0), ebadf, "not a memfd");
    let stranger = sized("stranger", 0);
    assert_eq!(send(&l.path, stranger.as_raw_fd()), ebadf);
    assert!(!ready(l.fd.0), "nothing was sent");
    assert!(ready(conn.0), "the message is still queued");

    let mut pipe = [0; 2];
    // SAFETY: `pipe` has room for two fds.
    assert_eq!(unsafe { libc::pipe(pipe.as_mut_ptr()) }, 0);
    let (r, w) = (owned(pipe[0]), owned(pipe[1]));
    assert_eq!(dm_wake(w.as_raw_fd()), ebadf);
    assert!(
        !ready(r.as_raw_fd()),
        "nothing written to someone else's pipe"
    );
    assert_eq!(dm_accept(l.fd.0, r.as_raw_fd()), ebadf);
    assert_eq!(dm_close(w.as_raw_fd()), ebadf);
    assert!(is_open(w.as_raw_fd()));
}

#[test]
fn closing_a_listener_forgets_its_socket_file() {
    let _lock = test_lock();
    let path = socket_path("close");
    let fd = listen(&path);
    let l = Owned::new(fd, Kind::Listener);
    assert_eq!(remembered_socket(fd), Some(path.clone()));
    std::mem::forget(l);
    assert_eq!(dm_close(fd), 0);
    // Another test's listener may have the number now, never this file.
    assert_ne!(remembered_socket(fd), Some(path.clone()));
    assert_eq!(dm_unlink_socket(fd), err(libc::EBADF));
    let path = std::ffi::OsStr::from_bytes(&path);
    assert!(std::fs::remove_file(path).is_ok(), "close leaves the file");
}
