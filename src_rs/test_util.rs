//! Helpers for the unit tests: fds that close themselves, raw kernel calls
//! the tests compare the library against, and the huge page pool's state.

use crate::constants::{F_ADD_SEALS, F_GET_SEALS, MFD_ALLOW_SEALING, MFD_CLOEXEC};
use crate::guard::neg_errno;

/// An fd closed when dropped, so a failing assertion leaks nothing.
pub struct Fd(pub i32);

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: the test owns this fd.
        unsafe { libc::close(self.0) };
    }
}

/// A memfd made by the library with `flags`, panicking on failure.
pub fn memfd(name: &str, flags: u32) -> Fd {
    let fd = crate::create::create(name.as_bytes(), flags);
    assert!(fd >= 0, "create({name}, {flags:#x}) = {fd}");
    Fd(fd as i32)
}

/// A sealable, close-on-exec memfd of `size` bytes.
pub fn sized(name: &str, size: i64) -> Fd {
    let fd = memfd(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    assert_eq!(crate::fd::resize(fd.0, size), 0);
    fd
}

/// `F_GET_SEALS` straight from the kernel.
pub fn seals(fd: &Fd) -> i64 {
    // SAFETY: F_GET_SEALS takes no argument.
    let r = unsafe { libc::fcntl(fd.0, F_GET_SEALS) };
    if r < 0 {
        neg_errno()
    } else {
        i64::from(r)
    }
}

/// `F_ADD_SEALS` straight from the kernel, with an argument of any width.
pub fn raw_add_seals(fd: &Fd, seals: libc::c_ulong) -> i64 {
    // SAFETY: the kernel reads the argument as an unsigned long.
    if unsafe { libc::fcntl(fd.0, F_ADD_SEALS, seals) } < 0 {
        neg_errno()
    } else {
        0
    }
}

/// A raw `mmap` of `fd`: the address or `-errno`.
pub fn raw_map(fd: &Fd, len: usize, prot: i32, flags: i32, offset: i64) -> i64 {
    // SAFETY: a fresh mapping at a kernel-chosen address replaces nothing.
    let addr = unsafe { libc::mmap(std::ptr::null_mut(), len, prot, flags, fd.0, offset) };
    if addr == libc::MAP_FAILED {
        neg_errno()
    } else {
        addr as i64
    }
}

/// `munmap`: 0 or `-errno`.
pub fn raw_unmap(addr: i64, len: usize) -> i64 {
    // SAFETY: only called on mappings the test made itself.
    if unsafe { libc::munmap(addr as *mut libc::c_void, len) } < 0 {
        neg_errno()
    } else {
        0
    }
}

/// `fstat` of `fd`, panicking on failure.
pub fn stat(fd: &Fd) -> libc::stat {
    crate::fd::stat(fd.0).expect("fstat")
}

/// `fchmod`: 0 or `-errno`.
pub fn chmod(fd: &Fd, mode: libc::mode_t) -> i64 {
    // SAFETY: fchmod only reads its integer arguments.
    if unsafe { libc::fchmod(fd.0, mode) } < 0 {
        neg_errno()
    } else {
        0
    }
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

pub fn errno(e: i32) -> i64 {
    -i64::from(e)
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

fn raw_create(flags: u32) -> i64 {
    // SAFETY: a static NUL-terminated name.
    let fd = unsafe { libc::memfd_create(c"probe".as_ptr(), flags) };
    if fd < 0 {
        neg_errno()
    } else {
        i64::from(fd)
    }
}

fn seal_is_known(seal: u32) -> bool {
    let fd = Fd(raw_create(MFD_CLOEXEC | MFD_ALLOW_SEALING) as i32);
    raw_add_seals(&fd, seal.into()) == 0
}

/// Probes the running kernel (a few syscalls on scratch memfds).
pub fn kernel() -> Kernel {
    use crate::constants::{F_SEAL_FUTURE_WRITE, MFD_HUGETLB, MFD_NOEXEC_SEAL};
    let noexec = raw_create(MFD_CLOEXEC | MFD_NOEXEC_SEAL);
    let huge = raw_create(MFD_CLOEXEC | MFD_HUGETLB);
    for fd in [noexec, huge] {
        drop((fd >= 0).then_some(Fd(fd as i32)));
    }
    Kernel {
        noexec_seal: noexec >= 0,
        future_write: seal_is_known(F_SEAL_FUTURE_WRITE),
        hugetlb: huge != errno(libc::EINVAL),
    }
}
