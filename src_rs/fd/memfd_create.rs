//! Creating memfds (`memfd_create`).

use std::sync::atomic::{AtomicBool, Ordering};

use crate::sys::c_string::c_string;
use crate::sys::constants::{MFD_EXEC, MFD_NOEXEC_SEAL, NAME_MAX};
use crate::sys::eintr::retry;
use crate::sys::errno::{Errno, Result};

/// Cleared the first time the kernel answers `EINVAL` to `MFD_NOEXEC_SEAL` /
/// `MFD_EXEC` (kernels before 6.3), so later calls skip the failing attempt.
static KERNEL_KNOWS_EXEC_FLAGS: AtomicBool = AtomicBool::new(true);

/// The raw system call rather than glibc's wrapper, which only exists from
/// glibc 2.27 (`memfd_create@GLIBC_2.27`): the shipped library must load on
/// the oldest glibc Deno itself runs on.
fn memfd_create(name: &libc::c_char, flags: u32) -> i64 {
    // SAFETY: `name` points at a NUL-terminated string that outlives the
    // call; memfd_create takes (const char *, unsigned int) and returns an fd
    // or -1 with errno set, as the wrapper would.
    unsafe { libc::syscall(libc::SYS_memfd_create, name as *const libc::c_char, flags) }
}

/// `memfd_create(name, flags)`: the new fd.
///
/// Rejects names with a NUL or longer than 249 bytes (`EINVAL`) before the
/// call. `MFD_NOEXEC_SEAL` / `MFD_EXEC` are dropped on kernels older than
/// 6.3, which answer `EINVAL` to them and behave like `MFD_EXEC` anyway.
pub fn create(name: &[u8], flags: u32) -> Result<i32> {
    let mut buf = [0u8; NAME_MAX + 1];
    let c_name = c_string(name, &mut buf).ok_or(Errno::EINVAL)?;
    let exec_flags = flags & (MFD_NOEXEC_SEAL | MFD_EXEC);
    if exec_flags == MFD_NOEXEC_SEAL | MFD_EXEC {
        return Err(Errno::EINVAL);
    }
    let fd = if exec_flags != 0 && !KERNEL_KNOWS_EXEC_FLAGS.load(Ordering::Relaxed) {
        retry(|| memfd_create(c_name, flags & !exec_flags))
    } else {
        match retry(|| memfd_create(c_name, flags)) {
            Err(Errno::EINVAL) if exec_flags != 0 => {
                let fallback = retry(|| memfd_create(c_name, flags & !exec_flags));
                if fallback.is_ok() {
                    KERNEL_KNOWS_EXEC_FLAGS.store(false, Ordering::Relaxed);
                }
                fallback.or(Err(Errno::EINVAL))
            }
            r => r,
        }
    }?;
    // memfd_create returns an int.
    Ok(fd as i32)
}

#[cfg(test)]
mod old_kernels;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::constants::*;
    use crate::testing::test_util::{chmod, kernel, memfd, seals, stat};
    use std::os::fd::AsRawFd;

    const EINVAL: Result<i32> = Err(Errno::EINVAL);

    #[test]
    fn conformance_3_unknown_flag_bits_are_einval() {
        for flags in [0x20, 0x100, !(MFD_EXEC | MFD_NOEXEC_SEAL), 0x8000_0000] {
            assert_eq!(create(b"x", flags), EINVAL, "flags {flags:#x}");
        }
        assert_eq!(create(b"x", !0), EINVAL);
    }

    #[test]
    fn conformance_3_an_unknown_bit_with_noexec_does_not_make_noexec_look_unsupported() {
        // The fallback for pre-6.3 kernels must not mistake this EINVAL for
        // "the kernel does not know MFD_NOEXEC_SEAL".
        assert_eq!(create(b"x", 0x20 | MFD_NOEXEC_SEAL), EINVAL);
        let fd = memfd("still-noexec", MFD_NOEXEC_SEAL);
        // Before 6.3 the flag is dropped: no sealing asked for, so {SEAL}.
        let expected = if kernel().noexec_seal {
            F_SEAL_EXEC
        } else {
            F_SEAL_SEAL
        };
        assert_eq!(seals(&fd), i64::from(expected));
    }

    #[test]
    fn conformance_4_a_huge_page_size_without_hugetlb_is_einval() {
        assert_eq!(create(b"x", 21 << MFD_HUGE_SHIFT), EINVAL);
    }

    #[test]
    fn conformance_5_exec_with_noexec_seal_is_einval() {
        assert_eq!(create(b"x", MFD_EXEC | MFD_NOEXEC_SEAL), EINVAL);
        assert_eq!(
            create(b"x", MFD_EXEC | MFD_NOEXEC_SEAL | MFD_ALLOW_SEALING),
            EINVAL
        );
    }

    #[test]
    fn conformance_6_seal_sets_and_cloexec_follow_the_flags() {
        let cases = [
            (0, F_SEAL_SEAL, false),
            (MFD_CLOEXEC, F_SEAL_SEAL, true),
            (MFD_ALLOW_SEALING, 0, false),
            (MFD_CLOEXEC | MFD_ALLOW_SEALING, 0, true),
        ];
        for (flags, expected_seals, cloexec) in cases {
            let fd = memfd("flags", flags);
            assert_eq!(seals(&fd), i64::from(expected_seals), "flags {flags:#x}");
            assert_eq!(
                crate::fd::cloexec::cloexec(fd.as_raw_fd()),
                Ok(cloexec),
                "flags {flags:#x}"
            );
        }
    }

    #[test]
    fn conformance_7_noexec_seal_is_mode_0666_with_exactly_exec() {
        if !kernel().noexec_seal {
            // Before 6.3 the library drops the flag: the seals follow
            // MFD_ALLOW_SEALING alone, as in #6.
            let fd = memfd("noexec", MFD_NOEXEC_SEAL);
            assert_eq!(seals(&fd), i64::from(F_SEAL_SEAL));
            let fd = memfd("noexec", MFD_NOEXEC_SEAL | MFD_ALLOW_SEALING);
            assert_eq!(seals(&fd), 0);
            return;
        }
        for flags in [MFD_NOEXEC_SEAL, MFD_NOEXEC_SEAL | MFD_ALLOW_SEALING] {
            let fd = memfd("noexec", flags);
            assert_eq!(seals(&fd), i64::from(F_SEAL_EXEC));
            assert_eq!(stat(&fd).st_mode & 0o7777, 0o666);
            assert_eq!(chmod(&fd, 0o777), Err(Errno::EPERM));
            assert_eq!(
                crate::fd::seals::add(fd.as_raw_fd(), F_SEAL_WRITE.into()),
                Ok(())
            );
            assert_eq!(seals(&fd), i64::from(F_SEAL_EXEC | F_SEAL_WRITE));
        }
    }

    #[test]
    fn conformance_8_exec_is_mode_0777_with_no_seals() {
        let fd = memfd("exec", MFD_EXEC | MFD_ALLOW_SEALING);
        assert_eq!(seals(&fd), 0);
        assert_eq!(stat(&fd).st_mode & 0o7777, 0o777);
    }

    #[test]
    fn conformance_13_a_new_memfd_is_an_empty_unlinked_regular_file_open_rdwr() {
        let fd = memfd("fresh", MFD_CLOEXEC);
        let st = stat(&fd);
        assert_eq!(st.st_mode & libc::S_IFMT, libc::S_IFREG);
        assert_eq!((st.st_size, st.st_nlink), (0, 0));
        // SAFETY: F_GETFL takes no argument.
        let fl = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
        assert_eq!(fl & libc::O_ACCMODE, libc::O_RDWR);
    }

    #[test]
    fn rejects_bad_names_before_the_call() {
        assert_eq!(create(&[b'a'; NAME_MAX + 1], 0), EINVAL);
        assert_eq!(create(b"a\0b", 0), EINVAL);
        let fd = memfd(&"a".repeat(NAME_MAX), MFD_CLOEXEC);
        assert_eq!(crate::fd::memfd_link::check_memfd(fd.as_raw_fd()), Ok(()));
    }
}
