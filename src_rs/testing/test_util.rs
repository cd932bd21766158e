//! Helpers for the unit tests: fds that close themselves, raw kernel calls
//! the tests compare the library against, and the huge page pool's state.

use crate::sys::constants::{F_ADD_SEALS, F_GET_SEALS, MFD_ALLOW_SEALING, MFD_CLOEXEC};
use crate::sys::errno::{check, ret, ret_mapped, Result};

use std::os::fd::FromRawFd;
pub use std::os::fd::{AsRawFd, OwnedFd};

/// `fd`, just made for the test, as an [`OwnedFd`]: closed when dropped,
/// so a failing assertion leaks nothing.
pub fn owned(fd: i32) -> OwnedFd {
    assert!(fd >= 0, "not an fd: {fd}");
    // SAFETY: `fd` is open (the call that made it succeeded) and nothing
    // else closes it: the test owns it alone.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// A memfd made by the library with `flags`, panicking on failure.
pub fn memfd(name: &str, flags: u32) -> OwnedFd {
    let fd = crate::fd::memfd_create::create(name.as_bytes(), flags);
    owned(fd.unwrap_or_else(|e| panic!("create({name}, {flags:#x}) = {e:?}")))
}

/// A sealable, close-on-exec memfd of `size` bytes.
pub fn sized(name: &str, size: i64) -> OwnedFd {
    let fd = memfd(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    assert_eq!(crate::fd::file_size::resize(fd.as_raw_fd(), size), Ok(()));
    fd
}

/// `F_GET_SEALS` straight from the kernel (`-errno` on failure).
pub fn seals(fd: &OwnedFd) -> i64 {
    // SAFETY: F_GET_SEALS takes no argument.
    let r = check(i64::from(unsafe {
        libc::fcntl(fd.as_raw_fd(), F_GET_SEALS)
    }));
    r.unwrap_or_else(|e| -i64::from(e.raw()))
}

/// `F_ADD_SEALS` straight from the kernel, with an argument of any width.
pub fn raw_add_seals(fd: &OwnedFd, seals: libc::c_ulong) -> Result<()> {
    // SAFETY: the kernel reads the argument as an unsigned long.
    check(i64::from(unsafe {
        libc::fcntl(fd.as_raw_fd(), F_ADD_SEALS, seals)
    }))
    .map(drop)
}

/// A raw `mmap` of `fd`: the address.
pub fn raw_map(fd: &OwnedFd, len: usize, prot: i32, flags: i32, offset: i64) -> Result<i64> {
    // SAFETY: a fresh mapping at a kernel-chosen address replaces nothing.
    let addr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            prot,
            flags,
            fd.as_raw_fd(),
            offset,
        )
    };
    ret_mapped(addr).map(|a| a as i64)
}

/// `munmap`.
pub fn raw_unmap(addr: i64, len: usize) -> Result<()> {
    // SAFETY: only called on mappings the test made itself.
    check(i64::from(unsafe {
        libc::munmap(addr as *mut libc::c_void, len)
    }))
    .map(drop)
}

/// `fstat` of `fd`, panicking on failure.
pub fn stat(fd: &OwnedFd) -> libc::stat {
    crate::fd::fstat::fstat(fd.as_raw_fd()).expect("fstat")
}

/// `fchmod`.
pub fn chmod(fd: &OwnedFd, mode: libc::mode_t) -> Result<()> {
    // SAFETY: fchmod only reads its integer arguments.
    check(i64::from(unsafe { libc::fchmod(fd.as_raw_fd(), mode) })).map(drop)
}

/// Free, unreserved pages in the kernel's pool of `kb`-KiB huge pages (0
/// when there is no such pool).
pub fn huge_pages_available(kb: u64) -> i64 {
    let dir = format!("/sys/kernel/mm/hugepages/hugepages-{kb}kB");
    let read = |file: &str| -> i64 {
        std::fs::read_to_string(format!("{dir}/{file}"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0)
    };
    read("free_hugepages") - read("resv_hugepages")
}

/// What the running kernel supports, found by trying each feature with a
/// real syscall (never by reading the version: distributions backport, and
/// `tools/kernel_shim` emulates older kernels under a newer one).
pub struct Kernel {
    /// `MFD_NOEXEC_SEAL` / `MFD_EXEC` and with them `F_SEAL_EXEC` (6.3+).
    pub noexec_seal: bool,
    /// `F_SEAL_FUTURE_WRITE` (Linux 5.1+).
    pub future_write: bool,
    /// `MFD_HUGETLB` (Linux 4.14+): any answer but `EINVAL`.
    pub hugetlb: bool,
}

/// A raw `memfd_create("probe", flags)`.
fn raw_create(flags: u32) -> Result<OwnedFd> {
    // SAFETY: a static NUL-terminated name.
    ret(unsafe { libc::memfd_create(c"probe".as_ptr(), flags) }).map(owned)
}

fn seal_is_known(seal: u32) -> bool {
    raw_create(MFD_CLOEXEC | MFD_ALLOW_SEALING)
        .is_ok_and(|fd| raw_add_seals(&fd, seal.into()).is_ok())
}

/// Probes the running kernel (a few syscalls on scratch memfds).
pub fn kernel() -> Kernel {
    use crate::sys::constants::{F_SEAL_FUTURE_WRITE, MFD_HUGETLB, MFD_NOEXEC_SEAL};
    let huge = raw_create(MFD_CLOEXEC | MFD_HUGETLB);
    Kernel {
        noexec_seal: raw_create(MFD_CLOEXEC | MFD_NOEXEC_SEAL).is_ok(),
        future_write: seal_is_known(F_SEAL_FUTURE_WRITE),
        hugetlb: !matches!(huge, Err(crate::sys::errno::Errno::EINVAL)),
    }
}
