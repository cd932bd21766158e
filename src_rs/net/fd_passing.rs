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

use std::os::raw::c_int;

use crate::fd::memfd_link::check_memfd;
use crate::fd::open_by_path::without_positional_flags;
use crate::net::unix_address::{address, close_fd, stream_socket};
use crate::net::wakeable_wait::wait_readable;
use crate::sys::eintr::retry;
use crate::sys::errno::{Errno, Result};

/// Most fds one message may carry into this process; more are discarded by
/// the kernel (`MSG_CTRUNC`), never installed.
const MAX_FDS: usize = 16;
/// Payload bytes read per message; the payload is ignored.
const PAYLOAD: usize = 4096;

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
/// - `ECANCELED` when `wake_fd` is signalled first;
/// - `ENODATA` when the peer closed the connection;
/// - `EBADMSG` when the peer sent bytes without an fd;
/// - `EINVAL` when the fd is not a memfd (it is closed);
/// - the errno of a failed read, or of reopening a memfd that came with
///   `O_APPEND` or `O_DIRECT` (it is closed).
///
/// A message with more than one fd yields the first; the others are closed.
/// A memfd whose open file description has `O_APPEND` or `O_DIRECT` is
/// reopened without them (see `open_by_path::without_positional_flags`).
pub fn receive(fd: i32, wake_fd: i32) -> Result<i32> {
    // u64 elements keep the control buffer aligned for `cmsghdr`.
    let mut control = [0u64; 64];
    let mut payload = [0u8; PAYLOAD];
    loop {
        wait_readable(fd, wake_fd)?;
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
            match Errno::last() {
                Errno::EAGAIN | Errno::EINTR => continue,
                e => return Err(e),
            }
        }
        let fds = received_fds(&msg);
        let Some((&first, rest)) = fds.split_first() else {
            return Err(if n == 0 {
                Errno::ENODATA
            } else {
                Errno::EBADMSG
            });
        };
        for &extra in rest {
            close_fd(extra);
        }
        if check_memfd(first).is_err() {
            close_fd(first);
            return Err(Errno::EINVAL);
        }
        return without_positional_flags(first);
    }
}

/// Sends the memfd `memfd` to the listener at `path`: connects, sends one
/// byte carrying the fd, closes. `ENOENT` for no such path, `ECONNREFUSED`
/// for a path nobody listens on. Blocks while the listener's backlog is
/// full.
pub fn send(path: &[u8], memfd: i32) -> Result<()> {
    let (addr, len) = address(path)?;
    let fd = stream_socket(libc::SOCK_CLOEXEC)?;
    let result = connect_and_send(fd, &addr, len, memfd);
    close_fd(fd);
    result
}

fn connect_and_send(
    fd: c_int,
    addr: &libc::sockaddr_un,
    len: libc::socklen_t,
    memfd: c_int,
) -> Result<()> {
    let sa = (addr as *const libc::sockaddr_un).cast::<libc::sockaddr>();
    loop {
        // SAFETY: `sa` points at a valid `sockaddr_un` of at least `len` bytes.
        if unsafe { libc::connect(fd, sa, len) } == 0 {
            break;
        }
        match Errno::last() {
            // After EINTR the connection may have been made meanwhile.
            Errno::EISCONN => break,
            Errno::EINTR => continue,
            e => return Err(e),
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
    retry(|| unsafe { libc::sendmsg(fd, &msg, libc::MSG_NOSIGNAL) } as i64)?;
    Ok(())
}

#[cfg(test)]
mod tests;
