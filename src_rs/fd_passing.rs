//! Passing memfds between processes over Unix domain sockets (SCM_RIGHTS).
//!
//! The sockets are `SOCK_STREAM`, the default type of `AF_UNIX` sockets in
//! every language (`socket.socket(socket.AF_UNIX)` in Python), so a peer
//! needs no special setup. A message is at least one byte of payload (which
//! is ignored) carrying the fd as `SCM_RIGHTS` ancillary data. On a stream
//! the kernel never merges two messages that carry fds into one read: a
//! `recvmsg` stops right after the bytes the fds came with.
//!
//! A sender connects, sends one message and closes. A receiver accepts one
//! connection at a time and reads messages from it until it ends, so a peer
//! may send several memfds over one connection.
//!
//! Waiting (accept, receive) is `poll` on the socket plus a wake-up
//! `eventfd`: writing to the eventfd (`wake`) makes a pending wait return
//! [`E_CLOSED`] at once, without closing any fd under the waiting thread.

use std::os::raw::c_int;

use crate::create::is_memfd;
use crate::guard::{neg_errno, retry};

/// The wait was cut short by [`wake`]: the listener is being closed.
pub const E_CLOSED: i64 = -(libc::ECANCELED as i64);
/// The peer closed the connection (end of stream, nothing received).
pub const E_END: i64 = -(libc::ENODATA as i64);
/// The peer sent bytes without an fd.
pub const E_NO_FD: i64 = -(libc::EBADMSG as i64);

const EINVAL: i64 = -(libc::EINVAL as i64);

/// Most fds one message may carry into this process; more are discarded by
/// the kernel (`MSG_CTRUNC`), never installed.
const MAX_FDS: usize = 16;
/// Payload bytes read per message; the payload is ignored.
const PAYLOAD: usize = 4096;

/// `sockaddr_un` for a filesystem path, and its length; `-EINVAL` for an
/// empty path or one with a NUL (an abstract or unnamed address), and
/// `-ENAMETOOLONG` when it does not fit `sun_path` with its terminator (the
/// kernel would otherwise cut it).
fn address(path: &[u8]) -> Result<(libc::sockaddr_un, libc::socklen_t), i64> {
    if path.is_empty() || path.contains(&0) {
        return Err(EINVAL);
    }
    // SAFETY: an all-zero `sockaddr_un` is a valid value of this C struct.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    if path.len() >= addr.sun_path.len() {
        return Err(-i64::from(libc::ENAMETOOLONG));
    }
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    for (dst, &src) in addr.sun_path.iter_mut().zip(path) {
        *dst = src as libc::c_char;
    }
    let len = std::mem::offset_of!(libc::sockaddr_un, sun_path) + path.len() + 1;
    Ok((addr, len as libc::socklen_t))
}

/// A new `AF_UNIX` stream socket with `flags` (`SOCK_CLOEXEC`, …), or
/// `-errno`.
fn stream_socket(flags: c_int) -> i64 {
    // SAFETY: socket only reads its integer arguments.
    let fd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | flags, 0) };
    if fd < 0 {
        return neg_errno();
    }
    i64::from(fd)
}

fn close_fd(fd: c_int) {
    // SAFETY: closing an fd this module opened and nobody else owns.
    unsafe { libc::close(fd) };
}

/// Identity of a filesystem object: (device, inode).
fn identity(path: &[u8]) -> Result<(u64, u64, bool), i64> {
    let mut buf = [0u8; 112];
    if path.len() >= buf.len() || path.contains(&0) {
        return Err(EINVAL);
    }
    buf[..path.len()].copy_from_slice(path);
    // SAFETY: an all-zero `stat` is a valid value of this plain C struct.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `buf` is NUL-terminated; `st` is writable for the kernel.
    if unsafe { libc::lstat(buf.as_ptr().cast(), &mut st) } < 0 {
        return Err(neg_errno());
    }
    let is_socket = st.st_mode & libc::S_IFMT == libc::S_IFSOCK;
    Ok((st.st_dev, st.st_ino, is_socket))
}

/// Creates a listening socket at `path` (close-on-exec, nonblocking):
/// its fd, or `-errno` (`-EADDRINUSE` when something exists at `path`).
/// The socket file's device and inode go to `out[0..16]` (native-endian
/// `u64`s) for [`unlink`]; `out` shorter than 16 bytes is `-EINVAL`.
pub fn listen(path: &[u8], out: &mut [u8]) -> i64 {
    if out.len() < 16 {
        return EINVAL;
    }
    let (addr, len) = match address(path) {
        Ok(a) => a,
        Err(e) => return e,
    };
    let fd = stream_socket(libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK);
    if fd < 0 {
        return fd;
    }
    let fd = fd as c_int;
    let sa = (&addr as *const libc::sockaddr_un).cast::<libc::sockaddr>();
    // SAFETY: `sa` points at a valid `sockaddr_un` of at least `len` bytes.
    if unsafe { libc::bind(fd, sa, len) } < 0 {
        let e = neg_errno();
        close_fd(fd);
        return e;
    }
    // SAFETY: listen only reads its integer arguments.
    if unsafe { libc::listen(fd, 128) } < 0 {
        let e = neg_errno();
        close_fd(fd);
        return e;
    }
    match identity(path) {
        Ok((dev, ino, _)) => {
            out[..8].copy_from_slice(&dev.to_ne_bytes());
            out[8..16].copy_from_slice(&ino.to_ne_bytes());
        }
        // The file vanished already (someone removed it): the socket
        // still works for connections made before; record nothing.
        Err(_) => out[..16].fill(0),
    }
    i64::from(fd)
}

/// Removes the socket file at `path` if it is still the one [`listen`]
/// recorded in `id` (so a socket that someone else bound there since is
/// left alone): 1 when removed, 0 when not ours or gone, or `-errno`.
pub fn unlink(path: &[u8], id: &[u8]) -> i64 {
    if id.len() < 16 {
        return EINVAL;
    }
    let mut dev = [0u8; 8];
    let mut ino = [0u8; 8];
    dev.copy_from_slice(&id[..8]);
    ino.copy_from_slice(&id[8..16]);
    let (dev, ino) = (u64::from_ne_bytes(dev), u64::from_ne_bytes(ino));
    match identity(path) {
        Ok((d, i, true)) if d == dev && i == ino && ino != 0 => {}
        Ok(_) => return 0,
        Err(e) if e == -i64::from(libc::ENOENT) => return 0,
        Err(e) => return e,
    }
    let mut buf = [0u8; 112];
    buf[..path.len()].copy_from_slice(path);
    // SAFETY: `buf` is NUL-terminated (checked in `identity`).
    if unsafe { libc::unlink(buf.as_ptr().cast()) } < 0 {
        return neg_errno();
    }
    1
}

/// A nonblocking, close-on-exec `eventfd` to wake waits with [`wake`].
pub fn wake_fd() -> i64 {
    // SAFETY: eventfd only reads its integer arguments.
    let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
    if fd < 0 {
        return neg_errno();
    }
    i64::from(fd)
}

/// Signals the eventfd `fd`: every wait on it, pending or future, returns
/// [`E_CLOSED`]. 0 or `-errno`.
pub fn wake(fd: i32) -> i64 {
    let one = 1u64.to_ne_bytes();
    // SAFETY: `one` is readable for its 8 bytes.
    let r = retry(|| unsafe { libc::write(fd, one.as_ptr().cast(), one.len()) } as i64);
    // EAGAIN: the counter is saturated, which means it is signalled already.
    if r < 0 && r != -i64::from(libc::EAGAIN) {
        return r;
    }
    0
}

/// Waits until `fd` is readable (or hung up): 0, [`E_CLOSED`] once `wake_fd`
/// is signalled, or `-errno` (`-EBADF` at once for a negative fd).
fn wait_readable(fd: c_int, wake_fd: c_int) -> i64 {
    // poll() skips negative fds instead of flagging them: with both
    // negative it would sleep forever.
    if fd < 0 || wake_fd < 0 {
        return -i64::from(libc::EBADF);
    }
    let mut fds = [
        libc::pollfd {
            fd: wake_fd,
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    loop {
        // SAFETY: `fds` is a valid, writable array of `fds.len()` pollfds.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, -1) };
        if n < 0 {
            let e = neg_errno();
            if e == -i64::from(libc::EINTR) {
                continue;
            }
            return e;
        }
        if fds.iter().any(|p| p.revents & libc::POLLNVAL != 0) {
            return -i64::from(libc::EBADF);
        }
        if fds[0].revents != 0 {
            return E_CLOSED;
        }
        if fds[1].revents != 0 {
            return 0;
        }
    }
}

/// Accepts the next connection on the listening socket `fd`, waiting
/// without a timeout: the connection's fd (close-on-exec, nonblocking),
/// [`E_CLOSED`] when `wake_fd` is signalled first, or `-errno`.
pub fn accept(fd: i32, wake_fd: i32) -> i64 {
    loop {
        let w = wait_readable(fd, wake_fd);
        if w < 0 {
            return w;
        }
        let flags = libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK;
        let null = std::ptr::null_mut();
        // SAFETY: a null address and length ask for no peer address.
        let conn = unsafe { libc::accept4(fd, null, null.cast(), flags) };
        if conn >= 0 {
            return i64::from(conn);
        }
        let e = neg_errno();
        // Gone before we took it, or a signal: wait for the next one.
        let transient = [libc::EAGAIN, libc::EINTR, libc::ECONNABORTED];
        if !transient.iter().any(|&t| e == -i64::from(t)) {
            return e;
        }
    }
}

/// The fds in the `SCM_RIGHTS` messages of `msg`, in order, at most
/// `MAX_FDS` (the control buffer holds no more).
fn received_fds(msg: &libc::msghdr) -> Vec<c_int> {
    let mut fds = Vec::new();
    // SAFETY: `msg` was filled by recvmsg; its control pointer and length
    // describe the buffer the kernel wrote the headers into.
    let mut cmsg = unsafe { libc::CMSG_FIRSTHDR(msg) };
    while !cmsg.is_null() {
        // SAFETY: CMSG_FIRSTHDR/CMSG_NXTHDR return headers inside the
        // control buffer, which is aligned for `cmsghdr`.
        let header = unsafe { &*cmsg };
        if header.cmsg_level == libc::SOL_SOCKET && header.cmsg_type == libc::SCM_RIGHTS {
            // SAFETY: CMSG_LEN is arithmetic on its argument.
            let head = unsafe { libc::CMSG_LEN(0) } as usize;
            let count = (header.cmsg_len as usize).saturating_sub(head) / size_of::<c_int>();
            // SAFETY: the data of this header is inside the control buffer.
            let data = unsafe { libc::CMSG_DATA(cmsg) }.cast::<c_int>();
            for i in 0..count {
                // SAFETY: `count` ints follow the header (per `cmsg_len`);
                // the data is not necessarily aligned for `c_int`.
                fds.push(unsafe { data.add(i).read_unaligned() });
            }
        }
        // SAFETY: `cmsg` is a header of `msg`'s control buffer.
        cmsg = unsafe { libc::CMSG_NXTHDR(msg, cmsg) };
    }
    fds
}

/// Receives the next message on the connection `fd`, waiting without a
/// timeout. Returns the memfd it carried (close-on-exec), or:
/// - [`E_CLOSED`] when `wake_fd` is signalled first;
/// - [`E_END`] when the peer closed the connection;
/// - [`E_NO_FD`] when the peer sent bytes without an fd;
/// - `-EINVAL` when the fd is not a memfd (it is closed);
/// - `-errno` when the read fails.
///
/// A message with more than one fd yields the first; the others are closed.
pub fn receive(fd: i32, wake_fd: i32) -> i64 {
    // u64 elements keep the control buffer aligned for `cmsghdr`.
    let mut control = [0u64; 64];
    let mut payload = [0u8; PAYLOAD];
    loop {
        let w = wait_readable(fd, wake_fd);
        if w < 0 {
            return w;
        }
        let mut iov = libc::iovec {
            iov_base: payload.as_mut_ptr().cast(),
            iov_len: payload.len(),
        };
        // SAFETY: an all-zero `msghdr` is a valid value of this C struct.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        // SAFETY: CMSG_SPACE is arithmetic on its argument.
        let space = unsafe { libc::CMSG_SPACE((MAX_FDS * size_of::<c_int>()) as u32) } as usize;
        msg.msg_controllen = space.min(size_of_val(&control)) as _;
        let flags = libc::MSG_DONTWAIT | libc::MSG_CMSG_CLOEXEC;
        // SAFETY: `msg` points at `iov` and `control`, both live and
        // writable for the lengths given.
        let n = unsafe { libc::recvmsg(fd, &mut msg, flags) };
        if n < 0 {
            let e = neg_errno();
            if e == -i64::from(libc::EAGAIN) || e == -i64::from(libc::EINTR) {
                continue;
            }
            return e;
        }
        let fds = received_fds(&msg);
        let Some((&first, rest)) = fds.split_first() else {
            return if n == 0 { E_END } else { E_NO_FD };
        };
        for &extra in rest {
            close_fd(extra);
        }
        let checked = is_memfd(first);
        if checked < 0 {
            close_fd(first);
            return EINVAL;
        }
        return i64::from(first);
    }
}

/// Sends the memfd `memfd` to the listener at `path`: connects, sends one
/// byte carrying the fd, closes. 0 or `-errno` (`-ENOENT` for no such path,
/// `-ECONNREFUSED` for a path nobody listens on). Blocks while the
/// listener's backlog is full.
pub fn send(path: &[u8], memfd: i32) -> i64 {
    let (addr, len) = match address(path) {
        Ok(a) => a,
        Err(e) => return e,
    };
    let fd = stream_socket(libc::SOCK_CLOEXEC);
    if fd < 0 {
        return fd;
    }
    let fd = fd as c_int;
    let result = connect_and_send(fd, &addr, len, memfd);
    close_fd(fd);
    result
}

fn connect_and_send(
    fd: c_int,
    addr: &libc::sockaddr_un,
    len: libc::socklen_t,
    memfd: c_int,
) -> i64 {
    let sa = (addr as *const libc::sockaddr_un).cast::<libc::sockaddr>();
    loop {
        // SAFETY: `sa` points at a valid `sockaddr_un` of at least `len` bytes.
        if unsafe { libc::connect(fd, sa, len) } == 0 {
            break;
        }
        let e = neg_errno();
        // After EINTR the connection may have been made meanwhile.
        if e == -i64::from(libc::EISCONN) {
            break;
        }
        if e != -i64::from(libc::EINTR) {
            return e;
        }
    }
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: byte.len(),
    };
    let mut control = [0u64; 4];
    // SAFETY: an all-zero `msghdr` is a valid value of this C struct.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    // SAFETY: CMSG_SPACE is arithmetic on its argument.
    msg.msg_controllen = unsafe { libc::CMSG_SPACE(size_of::<c_int>() as u32) } as _;
    // SAFETY: the control buffer (32 bytes, aligned) holds one header with
    // one int; CMSG_FIRSTHDR returns its start.
    unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(size_of::<c_int>() as u32) as _;
        libc::CMSG_DATA(cmsg).cast::<c_int>().write_unaligned(memfd);
    }
    // SAFETY: `msg` points at `iov` and `control`, live for the call.
    retry(|| unsafe { libc::sendmsg(fd, &msg, libc::MSG_NOSIGNAL) } as i64).min(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;
    use std::os::unix::ffi::OsStrExt;

    fn temp_path(tag: &str) -> Vec<u8> {
        let dir = std::env::temp_dir();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let id = std::process::id();
        let path = dir.join(format!("dm-sock-{tag}-{id}-{nanos}"));
        path.into_os_string().into_encoded_bytes()
    }

    fn memfd() -> c_int {
        crate::create::create(b"sock-test", crate::constants::MFD_CLOEXEC) as c_int
    }

    /// Sends raw `fds` with `payload` over a fresh connection to `path`.
    fn send_raw(path: &[u8], payload: &[u8], fds: &[c_int]) {
        let (addr, len) = address(path).unwrap();
        let fd = stream_socket(libc::SOCK_CLOEXEC) as c_int;
        let sa = (&addr as *const libc::sockaddr_un).cast::<libc::sockaddr>();
        assert_eq!(unsafe { libc::connect(fd, sa, len) }, 0);
        let mut data = payload.to_vec();
        let mut iov = libc::iovec {
            iov_base: data.as_mut_ptr().cast(),
            iov_len: data.len(),
        };
        let mut control = [0u64; 16];
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        if !fds.is_empty() {
            let bytes = size_of_val(fds) as u32;
            msg.msg_control = control.as_mut_ptr().cast();
            msg.msg_controllen = unsafe { libc::CMSG_SPACE(bytes) } as _;
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
        assert_eq!(
            unsafe { libc::sendmsg(fd, &msg, 0) },
            payload.len() as isize
        );
        close_fd(fd);
    }

    struct Listener {
        path: Vec<u8>,
        id: [u8; 16],
        fd: c_int,
        wake: c_int,
    }

    impl Listener {
        fn new(tag: &str) -> Self {
            let path = temp_path(tag);
            let mut id = [0u8; 16];
            let fd = listen(&path, &mut id);
            assert!(fd >= 0, "listen: {fd}");
            let wake = wake_fd() as c_int;
            Listener {
                path,
                id,
                fd: fd as c_int,
                wake,
            }
        }

        fn next(&self) -> i64 {
            let conn = accept(self.fd, self.wake);
            assert!(conn >= 0, "accept: {conn}");
            let got = receive(conn as c_int, self.wake);
            close_fd(conn as c_int);
            got
        }
    }

    impl Drop for Listener {
        fn drop(&mut self) {
            assert_eq!(unlink(&self.path, &self.id), 1);
            close_fd(self.fd);
            close_fd(self.wake);
        }
    }

    #[test]
    fn a_memfd_goes_through_and_arrives_cloexec() {
        let l = Listener::new("ok");
        let fd = memfd();
        assert_eq!(send(&l.path, fd), 0);
        close_fd(fd);
        let got = l.next();
        assert!(got >= 0);
        assert_eq!(is_memfd(got as c_int), 1);
        assert_eq!(crate::fd::cloexec(got as c_int), 1);
        close_fd(got as c_int);
    }

    #[test]
    fn errors_for_missing_and_unlistened_paths() {
        let path = temp_path("missing");
        let fd = memfd();
        assert_eq!(send(&path, fd), -i64::from(libc::ENOENT));
        let os_path = std::ffi::OsStr::from_bytes(&path);
        drop(std::fs::File::create(os_path).unwrap());
        assert_eq!(send(&path, fd), -i64::from(libc::ECONNREFUSED));
        std::fs::remove_file(os_path).unwrap();
        assert_eq!(send(&[b'a'; 200], fd), -i64::from(libc::ENAMETOOLONG));
        assert_eq!(send(b"", fd), EINVAL);
        close_fd(fd);
    }

    #[test]
    fn no_fd_and_non_memfds_are_refused_and_extras_closed() {
        let l = Listener::new("bad");
        send_raw(&l.path, b"hello", &[]);
        assert_eq!(l.next(), E_NO_FD);
        let file = std::fs::File::open("/proc/self/status").unwrap();
        send_raw(&l.path, b"x", &[file.as_raw_fd()]);
        assert_eq!(l.next(), EINVAL);
        let a = memfd();
        send_raw(&l.path, b"x", &[a, file.as_raw_fd(), a]);
        let got = l.next();
        assert!(got >= 0);
        close_fd(got as c_int);
        close_fd(a);
    }

    #[test]
    fn wake_cuts_a_wait_short() {
        let l = Listener::new("wake");
        assert_eq!(wake(l.wake), 0);
        assert_eq!(accept(l.fd, l.wake), E_CLOSED);
        assert_eq!(wake(l.wake), 0);
        assert_eq!(accept(l.fd, l.wake), E_CLOSED);
    }

    #[test]
    fn listening_twice_on_a_path_is_eaddrinuse() {
        let l = Listener::new("twice");
        let mut id = [0u8; 16];
        assert_eq!(listen(&l.path, &mut id), -i64::from(libc::EADDRINUSE));
        assert_eq!(listen(&l.path, &mut id[..8]), EINVAL);
    }
}
