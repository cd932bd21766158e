//! Tests of `fd_passing.rs` against the kernel.

use super::*;
use crate::net::socket_listener::{accept, listen, unlink_socket};
use crate::net::wakeable_wait::wake_fd;
use crate::sys::constants::MFD_CLOEXEC;
use crate::testing::temp_dir::TempDir;
use crate::testing::test_util::{memfd, owned};
use std::os::fd::AsRawFd;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;

/// Sends raw `fds` with `payload` over a fresh connection to `path`.
fn send_raw(path: &[u8], payload: &[u8], fds: &[c_int]) {
    let (addr, len) = address(path).unwrap();
    let fd = owned(stream_socket(libc::SOCK_CLOEXEC).unwrap());
    let sa = (&addr as *const libc::sockaddr_un).cast::<libc::sockaddr>();
    // SAFETY: `sa` points at a valid address of `len` bytes.
    assert_eq!(unsafe { libc::connect(fd.as_raw_fd(), sa, len) }, 0);
    send_on(fd.as_raw_fd(), payload, fds);
}

/// Sends raw `fds` with `payload` on the connected socket `fd`.
fn send_on(fd: c_int, payload: &[u8], fds: &[c_int]) {
    let mut data = payload.to_vec();
    let mut iov = libc::iovec {
        iov_base: data.as_mut_ptr().cast(),
        iov_len: data.len(),
    };
    let mut control = [0u64; 16];
    // SAFETY: an all-zero `msghdr` is a valid value of this C struct.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    if !fds.is_empty() {
        let bytes = size_of_val(fds) as u32;
        msg.msg_control = control.as_mut_ptr().cast();
        // SAFETY: CMSG_SPACE is arithmetic on its argument.
        msg.msg_controllen = unsafe { libc::CMSG_SPACE(bytes) } as _;
        // SAFETY: the control buffer holds one header with `fds`.
        unsafe {
            let cmsg = libc::CMSG_FIRSTHDR(&msg);
            (*cmsg).cmsg_level = libc::SOL_SOCKET;
            (*cmsg).cmsg_type = libc::SCM_RIGHTS;
            (*cmsg).cmsg_len = libc::CMSG_LEN(bytes) as _;
            let data = libc::CMSG_DATA(cmsg).cast::<c_int>();
            for (i, &f) in fds.iter().enumerate() {
                data.add(i).write_unaligned(f);
            }
        }
    }
    // SAFETY: `msg` points at live buffers.
    let sent = unsafe { libc::sendmsg(fd, &msg, 0) };
    assert_eq!(sent, payload.len() as isize);
}

struct Listener {
    fd: OwnedFd,
    wake: OwnedFd,
    path: Vec<u8>,
    /// Removed after the listener's own drop checks its socket file.
    _dir: TempDir,
}

impl Listener {
    fn new(tag: &str) -> Self {
        let dir = TempDir::new(&format!("pass-{tag}"));
        let path = dir.path("s");
        let fd = owned(listen(&path).unwrap());
        let wake = owned(wake_fd().unwrap());
        Listener {
            fd,
            wake,
            path,
            _dir: dir,
        }
    }

    fn next(&self) -> Result<i32> {
        let conn = owned(accept(self.fd.as_raw_fd(), self.wake.as_raw_fd()).unwrap());
        receive(conn.as_raw_fd(), self.wake.as_raw_fd())
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        assert_eq!(unlink_socket(self.fd.as_raw_fd()), Ok(true));
    }
}

#[test]
fn a_memfd_goes_through_and_arrives_cloexec() {
    let l = Listener::new("ok");
    let fd = memfd("sock-test", MFD_CLOEXEC);
    assert_eq!(send(&l.path, fd.as_raw_fd()), Ok(()));
    drop(fd);
    let got = owned(l.next().unwrap());
    assert_eq!(check_memfd(got.as_raw_fd()), Ok(()));
    assert_eq!(crate::fd::cloexec::cloexec(got.as_raw_fd()), Ok(true));
}

#[test]
fn errors_for_missing_and_unlistened_paths() {
    let dir = TempDir::new("pass-missing");
    let path = dir.path("s");
    let fd = memfd("sock-test", MFD_CLOEXEC);
    assert_eq!(send(&path, fd.as_raw_fd()), Err(Errno::ENOENT));
    let os_path = std::ffi::OsStr::from_bytes(&path);
    drop(std::fs::File::create(os_path).unwrap());
    assert_eq!(send(&path, fd.as_raw_fd()), Err(Errno::ECONNREFUSED));
    std::fs::remove_file(os_path).unwrap();
    assert_eq!(send(&[b'a'; 200], fd.as_raw_fd()), Err(Errno::ENAMETOOLONG));
    assert_eq!(send(b"", fd.as_raw_fd()), Err(Errno::EINVAL));
}

#[test]
fn no_fd_and_non_memfds_are_refused_and_extras_closed() {
    let l = Listener::new("bad");
    send_raw(&l.path, b"hello", &[]);
    assert_eq!(l.next(), Err(Errno::EBADMSG));
    let file = std::fs::File::open("/proc/self/status").unwrap();
    send_raw(&l.path, b"x", &[file.as_raw_fd()]);
    assert_eq!(l.next(), Err(Errno::EINVAL));
    let a = memfd("sock-test", MFD_CLOEXEC);
    send_raw(
        &l.path,
        b"x",
        &[a.as_raw_fd(), file.as_raw_fd(), a.as_raw_fd()],
    );
    let got = owned(l.next().unwrap());
    assert_eq!(check_memfd(got.as_raw_fd()), Ok(()));
}

/// A connected pair of Unix stream sockets.
fn socket_pair() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    let kind = libc::SOCK_STREAM | libc::SOCK_CLOEXEC;
    // SAFETY: `fds` has room for two fds.
    let r = unsafe { libc::socketpair(libc::AF_UNIX, kind, 0, fds.as_mut_ptr()) };
    assert_eq!(r, 0);
    (owned(fds[0]), owned(fds[1]))
}

#[test]
fn credentials_next_to_the_fds_are_not_taken_for_fds() {
    let (a, b) = socket_pair();
    let on: c_int = 1;
    let size = size_of_val(&on) as libc::socklen_t;
    // SAFETY: SO_PASSCRED reads one int from `on`.
    let set = unsafe {
        libc::setsockopt(
            b.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PASSCRED,
            (&on as *const c_int).cast(),
            size,
        )
    };
    assert_eq!(set, 0);
    let sent = memfd("sock-test", MFD_CLOEXEC);
    send_on(a.as_raw_fd(), b"x", &[sent.as_raw_fd()]);
    let mut control = [0u64; 64];
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: byte.len(),
    };
    // SAFETY: an all-zero `msghdr` is a valid value of this C struct.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = size_of_val(&control) as _;
    // SAFETY: `msg` points at live, writable buffers; the message is
    // queued already.
    let n = unsafe { libc::recvmsg(b.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC) };
    assert_eq!(n, 1);
    // SAFETY: the first header is inside `control`.
    let first = unsafe { &*libc::CMSG_FIRSTHDR(&msg) };
    assert_eq!(
        first.cmsg_type,
        libc::SCM_CREDENTIALS,
        "the kernel sends credentials"
    );
    let fds = received_fds(&msg);
    let got: Vec<OwnedFd> = fds.iter().map(|&fd| owned(fd)).collect();
    assert_eq!(got.len(), 1, "{fds:?}");
    assert_eq!(check_memfd(got[0].as_raw_fd()), Ok(()));
}

#[test]
fn a_closed_connection_and_a_non_socket_are_told_apart() {
    let w = owned(wake_fd().unwrap());
    let (a, b) = socket_pair();
    drop(a);
    assert_eq!(receive(b.as_raw_fd(), w.as_raw_fd()), Err(Errno::ENODATA));
    let mut pipe = [0; 2];
    // SAFETY: `pipe` has room for two fds.
    assert_eq!(unsafe { libc::pipe(pipe.as_mut_ptr()) }, 0);
    let (r, wr) = (owned(pipe[0]), owned(pipe[1]));
    // SAFETY: one readable byte, so the wait returns at once.
    let wrote = unsafe { libc::write(wr.as_raw_fd(), b"x".as_ptr().cast(), 1) };
    assert_eq!(wrote, 1);
    assert_eq!(
        receive(r.as_raw_fd(), w.as_raw_fd()).map_err(Errno::raw),
        Err(libc::ENOTSOCK)
    );
}

/// `F_GETFL` of `fd`.
fn status_flags(fd: c_int) -> c_int {
    // SAFETY: F_GETFL takes no argument.
    unsafe { libc::fcntl(fd, libc::F_GETFL) }
}

#[test]
fn a_memfd_sent_with_o_append_arrives_without_it_and_the_senders_keeps_it() {
    let l = Listener::new("append");
    let fd = memfd("append", MFD_CLOEXEC);
    let path = std::ffi::CString::new(format!("/proc/self/fd/{}", fd.as_raw_fd())).unwrap();
    // SAFETY: a NUL-terminated path; a new description with O_APPEND.
    let appending = owned(unsafe { libc::open(path.as_ptr(), libc::O_RDWR | libc::O_APPEND) });
    assert!(appending.as_raw_fd() >= 0);
    assert_eq!(send(&l.path, appending.as_raw_fd()), Ok(()));
    let got = owned(l.next().unwrap());
    assert_eq!(status_flags(got.as_raw_fd()) & libc::O_APPEND, 0);
    assert_eq!(
        status_flags(got.as_raw_fd()) & libc::O_ACCMODE,
        libc::O_RDWR
    );
    assert_eq!(crate::fd::cloexec::cloexec(got.as_raw_fd()), Ok(true));
    assert_eq!(
        crate::fd::positional_io::pwrite_all(got.as_raw_fd(), b"abc", 0),
        Ok(3)
    );
    assert_eq!(
        crate::fd::positional_io::pwrite_all(got.as_raw_fd(), b"X", 0),
        Ok(1)
    );
    let mut back = [0u8; 4];
    assert_eq!(
        crate::fd::positional_io::pread_all(fd.as_raw_fd(), &mut back, 0),
        Ok(3)
    );
    assert_eq!(&back[..3], b"Xbc", "the write at 0 overwrote, not appended");
    assert_eq!(
        status_flags(appending.as_raw_fd()) & libc::O_APPEND,
        libc::O_APPEND
    );
}
