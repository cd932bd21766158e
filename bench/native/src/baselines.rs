//! The native baselines of `deno task bench:compare`: the same work as the
//! public API, done with raw syscalls in Rust.
//!
//! Every function here sets up what it measures by itself (a private memfd,
//! its own mappings) or works on buffers Deno passed in, and otherwise takes
//! only counts and sizes, so no argument can make it touch memory or files it
//! does not own. Each returns the elapsed nanoseconds of the timed part, or
//! `-errno`.

use std::hint::black_box;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

// Defined here because older glibc headers (and so some `libc` targets)
// lack the 6.3 additions.
const MFD_CLOEXEC: u32 = 0x1;
const MFD_ALLOW_SEALING: u32 = 0x2;
const MFD_NOEXEC_SEAL: u32 = 0x8;
const F_GET_SEALS: libc::c_int = 1034;

/// The flags `Memfd.create` uses by default, so both sides make the same
/// file; `MFD_NOEXEC_SEAL` is dropped once a kernel before 6.3 refuses it
/// with `EINVAL`, as the library does.
static FLAGS: AtomicU32 = AtomicU32::new(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);
/// Largest size a bench accepts: keeps a typo from asking for a terabyte.
const MAX_LEN: i64 = 1 << 34;
const EINVAL: i64 = -(libc::EINVAL as i64);
const NAME: &std::ffi::CStr = c"bench";

/// An fd closed on drop, so every error path releases it.
pub(crate) struct Fd(pub(crate) i32);

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: the fd was opened by this module and is owned by nobody else.
        unsafe { libc::close(self.0) };
    }
}

/// A mapping unmapped on drop.
pub(crate) struct Map {
    pub(crate) addr: *mut u8,
    len: usize,
}

impl Drop for Map {
    fn drop(&mut self) {
        // SAFETY: exactly one mapping this module made and still owns.
        unsafe { libc::munmap(self.addr.cast(), self.len) };
    }
}

/// `-errno` of the call that just failed, read before anything else can
/// touch errno.
pub(crate) fn neg_errno() -> i64 {
    -i64::from(
        std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO),
    )
}

fn check(iterations: i32, len: i64) -> Result<(u32, usize), i64> {
    let n = u32::try_from(iterations).map_err(|_| EINVAL)?;
    if n == 0 || !(1..=MAX_LEN).contains(&len) {
        return Err(EINVAL);
    }
    Ok((n, len as usize))
}

pub(crate) fn memfd_create() -> Result<i32, i64> {
    loop {
        let flags = FLAGS.load(Ordering::Relaxed);
        // SAFETY: NAME is a NUL-terminated string with static lifetime.
        let fd = unsafe { libc::memfd_create(NAME.as_ptr(), flags) };
        if fd >= 0 {
            return Ok(fd);
        }
        let e = neg_errno();
        if e != EINVAL || flags & MFD_NOEXEC_SEAL == 0 {
            return Err(e);
        }
        // A kernel before 6.3: it does not know MFD_NOEXEC_SEAL.
        FLAGS.store(flags & !MFD_NOEXEC_SEAL, Ordering::Relaxed);
    }
}

pub(crate) fn map(fd: i32, len: usize) -> Result<Map, i64> {
    // SAFETY: a fresh mapping at an address the kernel picks replaces nothing.
    let addr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            fd,
            0,
        )
    };
    if addr == libc::MAP_FAILED {
        return Err(neg_errno());
    }
    Ok(Map {
        addr: addr.cast(),
        len,
    })
}

/// The page size, or `-errno`.
pub(crate) fn page_size() -> Result<usize, i64> {
    // SAFETY: sysconf only reads its integer argument.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(page).map_err(|_| neg_errno())
}

fn elapsed_ns(start: Instant) -> i64 {
    i64::try_from(start.elapsed().as_nanos()).unwrap_or(i64::MAX)
}

fn result(r: Result<i64, i64>) -> i64 {
    r.unwrap_or_else(|e| e)
}

/// `iterations` times: `memfd_create` → `ftruncate(size)` → `mmap` → write
/// one byte → `munmap` → `close`, with raw syscalls: what the public API's
/// create/resize/map/touch/unmap/close round trip costs without JavaScript.
pub fn lifecycle(iterations: i32, size: i64) -> i64 {
    result((|| {
        let (n, len) = check(iterations, size)?;
        let start = Instant::now();
        for _ in 0..n {
            let fd = Fd(memfd_create()?);
            // SAFETY: ftruncate only reads its integer arguments.
            if unsafe { libc::ftruncate(fd.0, size) } < 0 {
                return Err(neg_errno());
            }
            let m = map(fd.0, len)?;
            // SAFETY: byte 0 of a live read-write mapping inside the file.
            unsafe { std::ptr::write_volatile(m.addr, 1) };
        }
        Ok(elapsed_ns(start))
    })())
}

/// `iterations` × `fcntl(F_GET_SEALS)` on a private memfd.
pub fn get_seals(iterations: i32) -> i64 {
    result((|| {
        let (n, _) = check(iterations, 1)?;
        let fd = Fd(memfd_create()?);
        let start = Instant::now();
        for _ in 0..n {
            // SAFETY: F_GET_SEALS takes no argument.
            let seals = unsafe { libc::fcntl(black_box(fd.0), F_GET_SEALS) };
            if seals < 0 {
                return Err(neg_errno());
            }
            black_box(seals);
        }
        Ok(elapsed_ns(start))
    })())
}

/// `iterations` × `mmap` + `munmap` of `length` bytes of a private memfd,
/// without touching the pages.
pub fn map_unmap(iterations: i32, length: i64) -> i64 {
    result((|| {
        let (n, len) = check(iterations, length)?;
        let fd = Fd(memfd_create()?);
        // SAFETY: ftruncate only reads its integer arguments.
        if unsafe { libc::ftruncate(fd.0, length) } < 0 {
            return Err(neg_errno());
        }
        let start = Instant::now();
        for _ in 0..n {
            black_box(map(fd.0, len)?.addr);
        }
        Ok(elapsed_ns(start))
    })())
}

/// `iterations` × `memcpy` of `src` into `dst` (as much as both hold):
/// the native side of copying into a mapping. Both are buffers the caller
/// passed in, so there is nothing here to point at foreign memory.
pub fn memcpy(dst: &mut [u8], src: &[u8], iterations: i32) -> i64 {
    result((|| {
        let (n, _) = check(iterations, 1)?;
        let len = dst.len().min(src.len());
        let start = Instant::now();
        for _ in 0..n {
            // SAFETY: both ranges are `len` bytes of live, distinct buffers
            // (a `&mut` and a `&` cannot alias).
            unsafe {
                std::ptr::copy_nonoverlapping(src.as_ptr(), black_box(dst.as_mut_ptr()), len)
            };
        }
        Ok(elapsed_ns(start))
    })())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn benches_time_something_and_refuse_nonsense() {
        assert!(lifecycle(3, 1 << 20) > 0);
        assert!(get_seals(3) > 0);
        assert!(map_unmap(3, 1 << 20) > 0);
        let (mut dst, src) = (vec![0u8; 1 << 16], vec![7u8; 1 << 16]);
        assert!(memcpy(&mut dst, &src, 2) > 0);
        assert_eq!(dst, src);
        assert_eq!(lifecycle(0, 1 << 20), EINVAL);
        assert_eq!(lifecycle(-1, 1 << 20), EINVAL);
        assert_eq!(map_unmap(1, 0), EINVAL);
        assert_eq!(memcpy(&mut dst, &src, 0), EINVAL);
    }
}
