//! Creating memfds, adopting fds and reopening memfds by their `/proc` path.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::constants::{F_GET_SEALS, MFD_EXEC, MFD_NOEXEC_SEAL, NAME_MAX};
use crate::guard::{neg_errno, retry};

const EINVAL: i64 = -(libc::EINVAL as i64);
const LINK_PREFIX: &[u8] = b"/memfd:";
const LINK_SUFFIX: &[u8] = b" (deleted)";

/// Cleared the first time the kernel answers `EINVAL` to `MFD_NOEXEC_SEAL` /
/// `MFD_EXEC` (kernels before 6.3), so later calls skip the failing attempt.
static KERNEL_KNOWS_EXEC_FLAGS: AtomicBool = AtomicBool::new(true);

/// Copies `bytes` into `buf` with a terminating NUL, or `None` when it
/// contains a NUL itself or does not fit.
fn c_string<'a>(bytes: &[u8], buf: &'a mut [u8]) -> Option<&'a libc::c_char> {
    if bytes.len() >= buf.len() || bytes.contains(&0) {
        return None;
    }
    buf[..bytes.len()].copy_from_slice(bytes);
    buf[bytes.len()] = 0;
    // SAFETY: a byte and a c_char have the same size and alignment.
    Some(unsafe { &*(buf.as_ptr() as *const libc::c_char) })
}

fn memfd_create(name: &libc::c_char, flags: u32) -> i64 {
    // SAFETY: `name` points at a NUL-terminated string that outlives the call.
    i64::from(unsafe { libc::memfd_create(name, flags) })
}

/// `memfd_create(name, flags)`: an fd or `-errno`.
///
/// Rejects names with a NUL or longer than 249 bytes (`EINVAL`) before the
/// call. `MFD_NOEXEC_SEAL` / `MFD_EXEC` are dropped on kernels older than
/// 6.3, which answer `EINVAL` to them and behave like `MFD_EXEC` anyway.
pub fn create(name: &[u8], flags: u32) -> i64 {
    {
        let mut buf = [0u8; NAME_MAX + 1];
        let Some(c_name) = c_string(name, &mut buf) else {
            return EINVAL;
        };
        let exec_flags = flags & (MFD_NOEXEC_SEAL | MFD_EXEC);
        if exec_flags == MFD_NOEXEC_SEAL | MFD_EXEC {
            return EINVAL;
        }
        if exec_flags != 0 && !KERNEL_KNOWS_EXEC_FLAGS.load(Ordering::Relaxed) {
            return retry(|| memfd_create(c_name, flags & !exec_flags));
        }
        let fd = retry(|| memfd_create(c_name, flags));
        if fd != EINVAL || exec_flags == 0 {
            return fd;
        }
        let fallback = retry(|| memfd_create(c_name, flags & !exec_flags));
        if fallback >= 0 {
            KERNEL_KNOWS_EXEC_FLAGS.store(false, Ordering::Relaxed);
            return fallback;
        }
        fd
    }
}

/// Reads the `/proc/self/fd/<fd>` link into `buf`: its length or `-errno`
/// (`-EBADF` when `fd` is not open).
fn fd_link(fd: i32, buf: &mut [u8; 512]) -> i64 {
    // SAFETY: F_GETFD takes no argument and only inspects the fd table.
    if unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
        return neg_errno();
    }
    let mut path = [0u8; 32];
    let text = format!("/proc/self/fd/{fd}");
    let Some(c_path) = c_string(text.as_bytes(), &mut path) else {
        return EINVAL;
    };
    // SAFETY: `c_path` is NUL-terminated; `buf` is writable for its length.
    let n = unsafe { libc::readlink(c_path, buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        return neg_errno();
    }
    n as i64
}

/// The memfd name inside a `/proc/self/fd` link (`/memfd:<name> (deleted)`),
/// or `None` when the link is not a memfd's.
fn memfd_name(link: &[u8]) -> Option<&[u8]> {
    let name = link.strip_prefix(LINK_PREFIX)?;
    Some(name.strip_suffix(LINK_SUFFIX).unwrap_or(name))
}

/// `1` when `fd` is an open memfd, `-EBADF` when it is not open, `-EINVAL`
/// when it is open but something else.
///
/// Trusts the `/proc/self/fd` link, not `F_GET_SEALS` alone, which any tmpfs
/// file answers too; both must agree.
pub fn is_memfd(fd: i32) -> i64 {
    {
        let mut buf = [0u8; 512];
        let n = fd_link(fd, &mut buf);
        if n < 0 {
            return n;
        }
        if memfd_name(&buf[..n as usize]).is_none() {
            return EINVAL;
        }
        // SAFETY: F_GET_SEALS takes no argument.
        if unsafe { libc::fcntl(fd, F_GET_SEALS) } < 0 {
            return EINVAL;
        }
        1
    }
}

/// Copies the name `fd` was created with into `out`: the name's full length
/// (which may exceed `out`) or `-errno` (`-EINVAL` for a non-memfd).
pub fn name(fd: i32, out: &mut [u8]) -> i64 {
    {
        let mut buf = [0u8; 512];
        let n = fd_link(fd, &mut buf);
        if n < 0 {
            return n;
        }
        let Some(name) = memfd_name(&buf[..n as usize]) else {
            return EINVAL;
        };
        let copied = name.len().min(out.len());
        out[..copied].copy_from_slice(&name[..copied]);
        name.len() as i64
    }
}

/// Opens a memfd by a path such as `/proc/<pid>/fd/<n>`, read-only unless
/// `write`, close-on-exec. An fd or `-errno`; a path that opens
/// but is not a memfd is closed again and gives `-EINVAL`.
///
/// Done here rather than with Deno's file API because Deno 2 demands
/// `--allow-all` for anything under `/proc/<pid>/fd`.
pub fn open(path: &[u8], write: bool) -> i64 {
    {
        let mut buf = [0u8; libc::PATH_MAX as usize];
        let Some(c_path) = c_string(path, &mut buf) else {
            return EINVAL;
        };
        let access = if write { libc::O_RDWR } else { libc::O_RDONLY };
        // O_NONBLOCK: opening a FIFO would otherwise wait for a peer forever
        // before the memfd check could refuse it; O_NOCTTY: a terminal must
        // not become ours. Neither means anything for a memfd.
        let flags = access | libc::O_CLOEXEC | libc::O_NONBLOCK | libc::O_NOCTTY;
        // SAFETY: `c_path` is NUL-terminated and outlives the call.
        let fd = retry(|| i64::from(unsafe { libc::open(c_path, flags) }));
        if fd < 0 {
            return fd;
        }
        let mut checked = is_memfd(fd as i32);
        if checked >= 0 {
            // Leave no O_NONBLOCK behind for whoever inherits the fd.
            // SAFETY: F_SETFL on an fd opened above, with the access flags.
            checked = i64::from(unsafe { libc::fcntl(fd as i32, libc::F_SETFL, access) });
            if checked < 0 {
                checked = neg_errno();
            }
        }
        if checked < 0 {
            // SAFETY: `fd` was opened above and is owned by nobody else.
            unsafe { libc::close(fd as i32) };
            return checked;
        }
        fd
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constants::*;
    use crate::test_util::{chmod, errno, kernel, memfd, seals, stat, Fd};

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
            (0, F_SEAL_SEAL, 0),
            (MFD_CLOEXEC, F_SEAL_SEAL, 1),
            (MFD_ALLOW_SEALING, 0, 0),
            (MFD_CLOEXEC | MFD_ALLOW_SEALING, 0, 1),
        ];
        for (flags, expected_seals, cloexec) in cases {
            let fd = memfd("flags", flags);
            assert_eq!(seals(&fd), i64::from(expected_seals), "flags {flags:#x}");
            assert_eq!(crate::fd::cloexec(fd.0), cloexec, "flags {flags:#x}");
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
            assert_eq!(chmod(&fd, 0o777), errno(libc::EPERM));
            assert_eq!(crate::seals::add(fd.0, F_SEAL_WRITE.into()), 0);
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
        let fl = unsafe { libc::fcntl(fd.0, libc::F_GETFL) };
        assert_eq!(fl & libc::O_ACCMODE, libc::O_RDWR);
    }

    #[test]
    fn conformance_18_only_the_link_tells_a_memfd_from_a_tmpfs_file() {
        let path = format!("/dev/shm/deno_memfd_test_{}", std::process::id());
        let file = std::fs::File::create(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        use std::os::fd::AsRawFd;
        let tmpfs = file.as_raw_fd();
        // The kernel's F_GET_SEALS answers for any tmpfs file...
        assert_eq!(
            unsafe { libc::fcntl(tmpfs, F_GET_SEALS) },
            F_SEAL_SEAL as i32
        );
        // ...so is_memfd must not trust it alone.
        assert_eq!(is_memfd(tmpfs), EINVAL);
        let mut pipe = [0; 2];
        assert_eq!(unsafe { libc::pipe(pipe.as_mut_ptr()) }, 0);
        let (r, w) = (Fd(pipe[0]), Fd(pipe[1]));
        assert_eq!(unsafe { libc::fcntl(r.0, F_GET_SEALS) }, -1);
        assert_eq!(is_memfd(r.0), EINVAL);
        assert_eq!(is_memfd(w.0), EINVAL);
        let ext = std::fs::File::open(std::env::current_exe().unwrap()).unwrap();
        assert_eq!(is_memfd(ext.as_raw_fd()), EINVAL);
    }

    #[test]
    fn names_are_read_back_byte_for_byte() {
        let name = "日本語 / (deleted)";
        let fd = memfd(name, MFD_CLOEXEC);
        let mut out = [0u8; 64];
        let n = super::name(fd.0, &mut out);
        assert_eq!(&out[..n as usize], name.as_bytes());
        let mut short = [0u8; 3];
        assert_eq!(super::name(fd.0, &mut short), name.len() as i64);
        assert_eq!(&short, &name.as_bytes()[..3]);
    }

    #[test]
    fn open_of_a_missing_path_or_one_with_a_nul_fails_cleanly() {
        assert_eq!(open(b"/nonexistent/memfd", false), errno(libc::ENOENT));
        assert_eq!(open(b"/proc/self/fd/0\0x", false), EINVAL);
        assert_eq!(open(&[b'a'; libc::PATH_MAX as usize], false), EINVAL);
    }

    #[test]
    fn rejects_bad_names_before_the_call() {
        assert_eq!(create(&[b'a'; NAME_MAX + 1], 0), EINVAL);
        assert_eq!(create(b"a\0b", 0), EINVAL);
        let fd = create(&[b'a'; NAME_MAX], crate::constants::MFD_CLOEXEC);
        assert!(fd >= 0);
        assert_eq!(is_memfd(fd as i32), 1);
        unsafe { libc::close(fd as i32) };
    }

    #[test]
    fn name_round_trips_through_the_link() {
        let fd = create(b"with space/and slash", 0);
        let mut out = [0u8; 64];
        let n = name(fd as i32, &mut out);
        assert_eq!(&out[..n as usize], b"with space/and slash");
        unsafe { libc::close(fd as i32) };
    }

    #[test]
    fn open_refuses_a_fifo_without_waiting_for_a_peer() {
        let path = std::env::temp_dir().join(format!("deno_memfd_fifo_{}", std::process::id()));
        let c_path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let bytes = path.as_os_str().as_encoded_bytes();
        let (read_only, read_write) = (open(bytes, false), open(bytes, true));
        std::fs::remove_file(&path).unwrap();
        assert_eq!(read_only, EINVAL);
        assert_eq!(read_write, EINVAL);
    }

    #[test]
    fn open_leaves_no_o_nonblock_on_the_memfd() {
        let fd = create(b"reopen", crate::constants::MFD_CLOEXEC) as i32;
        for write in [false, true] {
            let reopened = open(format!("/proc/self/fd/{fd}").as_bytes(), write) as i32;
            assert!(reopened >= 0);
            let flags = unsafe { libc::fcntl(reopened, libc::F_GETFL) };
            assert_eq!(flags & libc::O_NONBLOCK, 0);
            let access = if write { libc::O_RDWR } else { libc::O_RDONLY };
            assert_eq!(flags & libc::O_ACCMODE, access);
            unsafe { libc::close(reopened) };
        }
        unsafe { libc::close(fd) };
    }

    #[test]
    fn non_memfds_are_einval_and_closed_fds_ebadf() {
        assert_eq!(is_memfd(0x7fff_fff0), -i64::from(libc::EBADF));
        let file = std::fs::File::open("/proc/self/status").unwrap();
        use std::os::fd::AsRawFd;
        assert_eq!(is_memfd(file.as_raw_fd()), EINVAL);
        assert_eq!(open(b"/proc/self/status", false), EINVAL);
    }
}
