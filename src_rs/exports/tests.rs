//! Unit tests of the FFI surface: every export called as Deno calls it (the
//! `extern "C"` function `deno_bindgen` generates, a buffer parameter passed
//! as a pointer and a length), against the real kernel. Success values are
//! checked against what the kernel says afterwards, and failures as the
//! exact `-errno`; an fd the library does not own must be refused and left
//! as it was.
//!
//! No test here can block for good, even under a mutant: every accept or
//! receive runs with its connection or message already queued (or its wake
//! fd already signalled), and the one futex wait that sleeps is woken in a
//! loop that also ends when the waiter returns.
//!
//! What they share: owned fds that close themselves through `dm_close` (a
//! raw close would leave the number registered for the next test that gets
//! it), the buffer-taking exports with slices, and small kernel probes.

mod mappings;
mod memfds;
mod sockets;

use std::sync::atomic::{AtomicU32, Ordering};

use super::*;
use crate::fd::owned_fds::{kind_of, Kind};

/// Held by every test here: they all register fds (see
/// [`crate::fd::owned_fds::test_lock`]).
pub use crate::fd::owned_fds::test_lock;

/// `-errno` as an `i32` export returns it.
pub fn err(e: i32) -> i32 {
    -e
}

/// `-errno` as an `f64` export returns it.
pub fn errf(e: i32) -> f64 {
    f64::from(-e)
}

/// An fd the library owns as `kind`, closed by `dm_close` when dropped.
pub struct Owned(pub i32);

impl Owned {
    /// Takes an export's result, which must be an fd the library owns as
    /// `kind` (so a mutant answering 0, 1 or -1 fails here, before the fd
    /// is used).
    pub fn new(fd: i32, kind: Kind) -> Owned {
        assert!(fd > 2, "an fd of the library's, got {fd}");
        assert_eq!(kind_of(fd), Some(kind), "fd {fd} owned as {kind:?}");
        Owned(fd)
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        dm_close(self.0);
    }
}

/// `(pointer, length)` of `bytes`, as a `deno_bindgen` buffer parameter.
fn buffer(bytes: &mut [u8]) -> (*const (), u32) {
    let len = u32::try_from(bytes.len()).expect("a buffer below 4 GiB");
    (bytes.as_mut_ptr().cast(), len)
}

pub fn create(name: &[u8], flags: u32) -> i32 {
    let mut copy = name.to_vec();
    let (p, n) = buffer(&mut copy);
    dm_create(p, n, flags)
}

/// A new sealable, close-on-exec memfd of the library's, `size` bytes long.
pub fn owned_memfd(size: f64) -> Owned {
    use crate::sys::constants::{MFD_ALLOW_SEALING, MFD_CLOEXEC};
    let fd = Owned::new(
        create(b"exports", MFD_CLOEXEC | MFD_ALLOW_SEALING),
        Kind::Memfd,
    );
    assert_eq!(dm_resize(fd.0, size), 0);
    fd
}

pub fn name(fd: i32, out: &mut [u8]) -> i32 {
    let (p, n) = buffer(out);
    dm_name(fd, p, n)
}

pub fn open(path: &[u8], write: i32) -> i32 {
    let mut copy = path.to_vec();
    let (p, n) = buffer(&mut copy);
    dm_open(p, n, write)
}

pub fn pwrite(fd: i32, data: &[u8], offset: f64) -> f64 {
    let mut copy = data.to_vec();
    let (p, n) = buffer(&mut copy);
    dm_pwrite(fd, p, n, offset)
}

pub fn pread(fd: i32, into: &mut [u8], offset: f64) -> f64 {
    let (p, n) = buffer(into);
    dm_pread(fd, p, n, offset)
}

pub fn pwrite_async(fd: i32, data: &[u8], offset: f64) -> f64 {
    let mut copy = data.to_vec();
    let (p, n) = buffer(&mut copy);
    dm_pwrite_async(fd, p, n, offset)
}

pub fn pread_async(fd: i32, into: &mut [u8], offset: f64) -> f64 {
    let (p, n) = buffer(into);
    dm_pread_async(fd, p, n, offset)
}

pub fn listen(path: &[u8]) -> i32 {
    let mut copy = path.to_vec();
    let (p, n) = buffer(&mut copy);
    dm_listen(p, n)
}

pub fn send(path: &[u8], memfd: i32) -> i32 {
    let mut copy = path.to_vec();
    let (p, n) = buffer(&mut copy);
    dm_send(p, n, memfd)
}

/// The file's size straight from the kernel.
pub fn raw_size(fd: i32) -> i64 {
    crate::fd::fstat::fstat(fd).expect("fstat").st_size
}

/// The file's bytes from `offset` straight from the kernel.
pub fn raw_read(fd: i32, len: usize, offset: i64) -> Vec<u8> {
    let mut out = vec![0u8; len];
    // SAFETY: `out` is writable for its length.
    let n = unsafe { libc::pread(fd, out.as_mut_ptr().cast(), len, offset) };
    out.truncate(usize::try_from(n).expect("pread"));
    out
}

/// `F_GET_SEALS` straight from the kernel.
pub fn raw_seals(fd: i32) -> i32 {
    // SAFETY: F_GET_SEALS takes no argument.
    unsafe { libc::fcntl(fd, crate::sys::constants::F_GET_SEALS) }
}

/// `(device, inode)` of the file behind `fd`.
pub fn identity(fd: i32) -> (u64, u64) {
    let st = crate::fd::fstat::fstat(fd).expect("fstat");
    (st.st_dev, st.st_ino)
}

/// Whether `fd` is open (and, with its identity, still the same file).
pub fn is_open(fd: i32) -> bool {
    // SAFETY: F_GETFD takes no argument and changes nothing.
    unsafe { libc::fcntl(fd, libc::F_GETFD) >= 0 }
}

/// Whether `fd` is readable (or hung up) right now, without waiting.
pub fn ready(fd: i32) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one writable pollfd; a zero timeout never waits.
    unsafe { libc::poll(&mut p, 1, 0) == 1 }
}

/// A fresh socket path under the temporary directory.
pub fn socket_path(tag: &str) -> Vec<u8> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let id = std::process::id();
    let path = std::env::temp_dir().join(format!("dm-exports-{tag}-{id}-{n}"));
    let _ = std::fs::remove_file(&path);
    path.into_os_string().into_encoded_bytes()
}

#[test]
fn errors_cross_as_negative_errnos_and_too_large_results_as_eoverflow() {
    assert_eq!(int(Ok(7)), 7);
    assert_eq!(int(Err(Errno::EPERM)), -i64::from(libc::EPERM));
    assert_eq!(int32(Ok(i64::from(i32::MAX))), i32::MAX);
    assert_eq!(int32(Ok(i64::from(i32::MAX) + 1)), err(libc::EOVERFLOW));
    assert_eq!(int32(Err(Errno::EBADF)), err(libc::EBADF));
    assert_eq!(number(Ok(1 << 40)), 1_099_511_627_776.0);
    assert_eq!(number(Err(Errno::ENXIO)), errf(libc::ENXIO));
}

#[test]
fn the_page_size_is_the_kernels() {
    // SAFETY: sysconf only reads its argument.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    assert_eq!(i64::from(dm_page_size()), page as i64);
}
