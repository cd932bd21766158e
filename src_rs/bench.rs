//! Bench-only exports: the native side of `deno task bench:compare`.
//!
//! Every function here sets up what it measures by itself (a private memfd,
//! its own mappings) or works on buffers Deno passed in, and otherwise takes
//! only counts and sizes, so no argument can make it touch memory or files it
//! does not own. Each returns the elapsed nanoseconds of the timed part, or
//! `-errno`.

use std::hint::black_box;
use std::time::Instant;

use crate::constants::{F_GET_SEALS, MFD_ALLOW_SEALING, MFD_CLOEXEC, MFD_NOEXEC_SEAL};
use crate::guard::neg_errno;

/// The flags `Memfd.create` uses by default, so both sides make the same file.
const FLAGS: u32 = MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL;
/// Largest size a bench accepts: keeps a typo from asking for a terabyte.
const MAX_LEN: i64 = 1 << 34;
const EINVAL: i64 = -(libc::EINVAL as i64);
const NAME: &std::ffi::CStr = c"bench";

/// An fd closed on drop, so every error path releases it.
struct Fd(i32);

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: the fd was opened by this module and is owned by nobody else.
        unsafe { libc::close(self.0) };
    }
}

/// A mapping unmapped on drop.
struct Map {
    addr: *mut u8,
    len: usize,
}

impl Drop for Map {
    fn drop(&mut self) {
        // SAFETY: exactly one mapping this module made and still owns.
        unsafe { libc::munmap(self.addr.cast(), self.len) };
    }
}

fn check(iterations: i32, len: i64) -> Result<(u32, usize), i64> {
    let n = u32::try_from(iterations).map_err(|_| EINVAL)?;
    if n == 0 || !(1..=MAX_LEN).contains(&len) {
        return Err(EINVAL);
    }
    Ok((n, len as usize))
}

fn memfd_create() -> Result<i32, i64> {
    // SAFETY: NAME is a NUL-terminated string with static lifetime.
    let mut fd = unsafe { libc::memfd_create(NAME.as_ptr(), FLAGS) };
    if fd < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINVAL) {
        // Before Linux 6.3: the library drops MFD_NOEXEC_SEAL the same way.
        // SAFETY: as above.
        fd = unsafe { libc::memfd_create(NAME.as_ptr(), FLAGS & !MFD_NOEXEC_SEAL) };
    }
    if fd < 0 {
        return Err(neg_errno());
    }
    Ok(fd)
}

fn map(fd: i32, len: usize) -> Result<Map, i64> {
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
        let _lock = crate::mapping::test_lock();
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
