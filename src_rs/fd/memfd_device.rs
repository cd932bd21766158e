//! Telling a memfd from a file that only looks like one, by where its inode
//! lives: every memfd is on one of the kernel's internal mounts (shmem, or
//! the hugetlbfs mount of its huge page size), which no path reaches, so a
//! file system mounted by anyone (a tmpfs at `/memfd:lookalike`) has another
//! device number. The numbers are learned from memfds this library makes
//! itself, once per process, so nothing is assumed about how the kernel
//! numbers its anonymous devices.
//!
//! Measured on Linux 6.18: all plain memfds share `st_dev` 0:1, in every
//! process and in a new user and mount namespace; a 2 MiB hugetlb memfd is
//! on 0:17 and a 1 GiB one on 0:18.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::fd::fstat::fstat;
use crate::sys::constants::{MFD_CLOEXEC, MFD_HUGETLB, MFD_HUGE_SHIFT, MFD_NOEXEC_SEAL};
use crate::sys::errno::{ret, Errno, Result};

/// `f_type` of hugetlbfs (`linux/magic.h`).
const HUGETLBFS_MAGIC: i64 = 0x9584_58f6;

/// A device number learned, plus one; 0 while unknown (so a failed probe,
/// say `EMFILE`, is retried next time rather than remembered).
struct Learned(AtomicU64);

impl Learned {
    const fn new() -> Self {
        Learned(AtomicU64::new(0))
    }

    /// The device of a memfd made with `flags`, probed on first use.
    fn get(&self, flags: u32) -> Result<u64> {
        let known = self.0.load(Ordering::Relaxed);
        if known != 0 {
            return Ok(known - 1);
        }
        let dev = probe(flags)?;
        self.0.store(dev + 1, Ordering::Relaxed);
        Ok(dev)
    }
}

/// The shmem mount's device.
static SHMEM: Learned = Learned::new();
/// The hugetlbfs mounts' devices, by log2 of their page size.
static HUGETLB: [Learned; 64] = [const { Learned::new() }; 64];

/// `st_dev` of a scratch memfd made with `flags`, closed again. Asks for
/// `MFD_NOEXEC_SEAL`, which `vm.memfd_noexec = 2` demands (and which
/// `create` drops on kernels before 6.3).
fn probe(flags: u32) -> Result<u64> {
    let flags = flags | MFD_CLOEXEC | MFD_NOEXEC_SEAL;
    let fd = crate::fd::memfd_create::create(b"deno_memfd-device-probe", flags)?;
    let st = fstat(fd);
    // SAFETY: the scratch fd made just above, owned by nobody else.
    unsafe { libc::close(fd) };
    Ok(st?.st_dev)
}

/// The `f_type` and `f_bsize` of the file system `fd` is on.
fn file_system(fd: i32) -> Result<(i64, i64)> {
    // SAFETY: an all-zero `statfs` is a valid value of this plain C struct.
    let mut sfs: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `sfs` is a valid, writable `statfs` for the kernel to fill.
    ret(unsafe { libc::fstatfs(fd, &mut sfs) })?;
    Ok((sfs.f_type as i64, sfs.f_bsize as i64))
}

/// Whether `fd`, whose `fstat` is `st`, is on a memfd's internal mount.
/// Errors are those of a probe that could not run (`EMFILE`, say).
///
/// A hugetlb memfd is compared with a hugetlb memfd of the same page size
/// made here; where the kernel makes none (before 4.14, or that size not
/// configured) no real hugetlb memfd can exist either, so the answer is no.
pub fn on_memfd_device(fd: i32, st: &libc::stat) -> Result<bool> {
    if st.st_dev == SHMEM.get(0)? {
        return Ok(true);
    }
    let (kind, page) = file_system(fd)?;
    if kind != HUGETLBFS_MAGIC || page <= 0 || page.count_ones() != 1 {
        return Ok(false);
    }
    let shift = page.trailing_zeros();
    let flags = MFD_HUGETLB | (shift << MFD_HUGE_SHIFT);
    match HUGETLB[shift as usize].get(flags) {
        Ok(dev) => Ok(dev == st.st_dev),
        Err(Errno::EINVAL | Errno::ENOENT) => Ok(false),
        Err(e) if e.raw() == libc::ENODEV || e.raw() == libc::EPERM => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::test_util::{kernel, memfd};
    use std::os::fd::AsRawFd;

    #[test]
    fn every_memfd_is_on_the_learned_device_and_a_tmpfs_file_is_not() {
        for name in ["a", "b"] {
            let fd = memfd(name, MFD_CLOEXEC);
            assert_eq!(
                on_memfd_device(fd.as_raw_fd(), &fstat(fd.as_raw_fd()).unwrap()),
                Ok(true)
            );
        }
        // Another process's memfd: the same internal mount.
        let out = std::process::Command::new("python3")
            .args([
                "-c",
                "import os;print(os.fstat(os.memfd_create('p')).st_dev)",
            ])
            .output()
            .unwrap();
        let theirs: u64 = String::from_utf8(out.stdout)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert_eq!(theirs, SHMEM.get(0).unwrap());
        let path = format!("/dev/shm/deno_memfd_dev_{}", std::process::id());
        let file = std::fs::File::create(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let st = fstat(file.as_raw_fd()).unwrap();
        assert_eq!(on_memfd_device(file.as_raw_fd(), &st), Ok(false));
    }

    #[test]
    fn a_hugetlb_memfd_is_recognised_by_its_own_mount() {
        if !kernel().hugetlb {
            eprintln!("skipped: no MFD_HUGETLB on this kernel");
            return;
        }
        // SAFETY: a static NUL-terminated name.
        let fd = unsafe { libc::memfd_create(c"huge".as_ptr(), MFD_CLOEXEC | MFD_HUGETLB) };
        if fd < 0 {
            eprintln!("skipped: no default huge page size here");
            return;
        }
        let fd = crate::testing::test_util::owned(fd);
        let st = fstat(fd.as_raw_fd()).unwrap();
        assert_ne!(st.st_dev, SHMEM.get(0).unwrap(), "a separate mount");
        assert_eq!(on_memfd_device(fd.as_raw_fd(), &st), Ok(true));
    }
}
