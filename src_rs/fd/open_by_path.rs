//! Reopening a memfd by a path such as `/proc/<pid>/fd/<n>`, without ever
//! opening anything else for reading or writing.
//!
//! Done here rather than with Deno's file API because Deno 2 demands
//! `--allow-all` for anything under `/proc/<pid>/fd`.

use crate::fd::fstat::{fstat, is_regular};
use crate::fd::memfd_device::on_memfd_device;
use crate::fd::memfd_link::{check_memfd, fd_link, memfd_name};
use crate::sys::c_string::c_string;
use crate::sys::eintr::retry;
use crate::sys::errno::{ret, Errno, Result};

/// An fd closed when dropped, unless taken with [`Opened::keep`].
struct Opened(i32);

impl Opened {
    fn keep(self) -> i32 {
        let fd = self.0;
        std::mem::forget(self);
        fd
    }
}

impl Drop for Opened {
    fn drop(&mut self) {
        // SAFETY: an fd this module opened and nobody else owns.
        unsafe { libc::close(self.0) };
    }
}

fn open_c(path: &libc::c_char, flags: i32) -> Result<Opened> {
    // SAFETY: `path` is NUL-terminated and outlives the call.
    let fd = retry(|| i64::from(unsafe { libc::open(path, flags) }))?;
    Ok(Opened(fd as i32))
}

/// Whether `path` is exactly `/proc/<pid>/fd/<n>`, `/proc/self/fd/<n>` or
/// `/dev/fd/<n>`: the paths whose only magic link is their last component,
/// the fd itself (`/proc/self` and `/dev/fd` are plain symlinks).
pub fn is_fd_path(path: &[u8]) -> bool {
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    if let Some(n) = path.strip_prefix(b"/dev/fd/") {
        return digits(n);
    }
    let Some(rest) = path.strip_prefix(b"/proc/") else {
        return false;
    };
    let mut parts = rest.split(|&b| b == b'/');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(pid), Some(b"fd"), Some(n), None) => (pid == b"self" || digits(pid)) && digits(n),
        _ => false,
    }
}

/// How [`open`] may resolve a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// Only through the last component of an [`is_fd_path`] path: what
    /// `--allow-read` of that path grants.
    FdPathOnly,
    /// Through any magic link (`/proc/<pid>/root`, `cwd`, a directory fd…):
    /// what `Deno.open` grants with `--allow-all` only.
    Anywhere,
}

/// Opens the memfd at `path`, read-only unless `write`, close-on-exec: the
/// new fd. `EINVAL` for a path that is not a memfd, which is never opened
/// for reading or writing.
///
/// The path is first opened with `O_PATH`, which has no side effects (a
/// FIFO's writer is not released, a device is not opened); the `O_PATH` fd's
/// link and `fstat` must show a memfd. Only then is that very file reopened
/// through `/proc/self/fd/<n>` with the access asked for, and the result
/// must be the same inode. The reopened fd is a new open file description
/// with no status flags but its access mode: an `O_APPEND` the file was
/// open with elsewhere does not carry over.
///
/// A memfd has no name in any mounted file system, so any path that reaches
/// one went through a `/proc` magic link. With [`Reach::FdPathOnly`] that
/// must be the last component of an [`is_fd_path`] path: any other path
/// that reaches a memfd (a symlink to `/proc/<pid>/fd/<n>`, a path through
/// `/proc/<pid>/root`) is `EXDEV`, and nothing was opened but the `O_PATH`.
pub fn open(path: &[u8], write: bool, reach: Reach) -> Result<i32> {
    let mut buf = [0u8; libc::PATH_MAX as usize];
    let c_path = c_string(path, &mut buf).ok_or(Errno::EINVAL)?;
    let located = open_c(c_path, libc::O_PATH | libc::O_CLOEXEC)?;
    let mut link = [0u8; 512];
    let found = fstat(located.0)?;
    if memfd_name(fd_link(located.0, &mut link)?).is_none()
        || !is_regular(&found)
        || !on_memfd_device(located.0, &found)?
    {
        return Err(Errno::EINVAL);
    }
    if reach == Reach::FdPathOnly && !is_fd_path(path) {
        return Err(Errno::EXDEV);
    }
    let access = if write { libc::O_RDWR } else { libc::O_RDONLY };
    let fd = reopen(located.0, access)?;
    let got = fstat(fd.0)?;
    if (got.st_dev, got.st_ino) != (found.st_dev, found.st_ino) {
        return Err(Errno::EINVAL);
    }
    check_memfd(fd.0)?;
    Ok(fd.keep())
}

/// `fd`'s file opened afresh through `/proc/self/fd/<fd>` with `access`,
/// close-on-exec.
fn reopen(fd: i32, access: i32) -> Result<Opened> {
    let mut reopen = [0u8; 32];
    let text = format!("/proc/self/fd/{fd}");
    let c_reopen = c_string(text.as_bytes(), &mut reopen).ok_or(Errno::EINVAL)?;
    open_c(c_reopen, access | libc::O_CLOEXEC | libc::O_NOCTTY)
}

/// File status flags that change what a positional read or write does:
/// `O_APPEND` makes every `pwrite` append whatever its offset, `O_DIRECT`
/// makes unaligned transfers fail.
const POSITIONAL_FLAGS: i32 = libc::O_APPEND | libc::O_DIRECT;

/// `fd` (a memfd this library was just handed and owns) with no status flag
/// that changes positional I/O: `fd` itself when it has none, else a new fd
/// for the same file reopened through `/proc/self/fd` with the same access
/// mode, and `fd` is closed. The flags are never cleared in place with
/// `F_SETFL`: the open file description is shared with whoever sent it.
/// On failure `fd` is closed too.
pub fn without_positional_flags(fd: i32) -> Result<i32> {
    let owned = Opened(fd);
    // SAFETY: F_GETFL takes no argument.
    let flags = ret(unsafe { libc::fcntl(fd, libc::F_GETFL) })?;
    if flags & POSITIONAL_FLAGS == 0 {
        return Ok(owned.keep());
    }
    let fresh = reopen(fd, flags & libc::O_ACCMODE)?;
    let (a, b) = (fstat(fd)?, fstat(fresh.0)?);
    if (a.st_dev, a.st_ino) != (b.st_dev, b.st_ino) {
        return Err(Errno::EINVAL);
    }
    Ok(fresh.keep())
}

#[cfg(test)]
mod lookalikes;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::constants::MFD_CLOEXEC;
    use crate::testing::test_util::{memfd, owned};
    use std::os::fd::AsRawFd;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn open_of_a_missing_path_or_one_with_a_nul_fails_cleanly() {
        assert_eq!(
            open(b"/nonexistent/memfd", false, Reach::Anywhere),
            Err(Errno::ENOENT)
        );
        assert_eq!(
            open(b"/proc/self/fd/0\0x", false, Reach::Anywhere),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            open(&[b'a'; libc::PATH_MAX as usize], false, Reach::Anywhere),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            open(b"/proc/self/status", false, Reach::Anywhere),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            open(b"/dev/null", true, Reach::Anywhere),
            Err(Errno::EINVAL)
        );
    }

    /// `(state, wchan)` of thread `tid` of this process.
    fn thread_wait(tid: i32) -> (String, String) {
        let dir = format!("/proc/self/task/{tid}");
        let stat = std::fs::read_to_string(format!("{dir}/stat")).unwrap();
        let state = stat.rsplit(") ").next().unwrap()[..1].to_string();
        (
            state,
            std::fs::read_to_string(format!("{dir}/wchan")).unwrap(),
        )
    }

    #[test]
    fn a_fifo_is_refused_and_its_blocked_writer_stays_blocked() {
        let path = std::env::temp_dir().join(format!("deno_memfd_fifo_{}", std::process::id()));
        let c_path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: `c_path` is NUL-terminated.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let (tx, rx) = std::sync::mpsc::channel();
        let writer_path = c_path.clone();
        let writer = std::thread::spawn(move || {
            // SAFETY: gettid has no arguments.
            tx.send(unsafe { libc::gettid() }).unwrap();
            // SAFETY: `writer_path` is NUL-terminated; blocks for a reader.
            let fd = unsafe { libc::open(writer_path.as_ptr(), libc::O_WRONLY) };
            assert!(fd >= 0);
            // SAFETY: the fd opened just above.
            unsafe { libc::close(fd) };
        });
        let tid = rx.recv().unwrap();
        // Wait (however long it takes) until the writer sleeps for a reader.
        while thread_wait(tid) != ("S".into(), "wait_for_partner".into()) {
            std::thread::yield_now();
        }
        let bytes = path.as_os_str().as_encoded_bytes();
        assert_eq!(open(bytes, false, Reach::Anywhere), Err(Errno::EINVAL));
        assert_eq!(open(bytes, true, Reach::Anywhere), Err(Errno::EINVAL));
        // Any reader's open would have woken it (the kernel marks it runnable
        // before that open returns): it is still asleep, so none happened.
        assert_eq!(thread_wait(tid), ("S".into(), "wait_for_partner".into()));
        let reader = std::fs::File::open(&path).unwrap();
        writer.join().unwrap();
        drop(reader);
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn reopens_with_the_access_asked_and_no_o_nonblock() {
        let fd = memfd("reopen", MFD_CLOEXEC);
        for write in [false, true] {
            let path = format!("/proc/self/fd/{}", fd.as_raw_fd());
            let reopened = owned(open(path.as_bytes(), write, Reach::FdPathOnly).unwrap());
            // SAFETY: F_GETFL takes no argument.
            let flags = unsafe { libc::fcntl(reopened.as_raw_fd(), libc::F_GETFL) };
            assert_eq!(flags & libc::O_NONBLOCK, 0);
            let access = if write { libc::O_RDWR } else { libc::O_RDONLY };
            assert_eq!(flags & libc::O_ACCMODE, access);
            assert_eq!(crate::fd::cloexec::cloexec(reopened.as_raw_fd()), Ok(true));
            let (a, b) = (
                fstat(fd.as_raw_fd()).unwrap(),
                fstat(reopened.as_raw_fd()).unwrap(),
            );
            assert_eq!((a.st_dev, a.st_ino), (b.st_dev, b.st_ino));
        }
    }

    #[test]
    fn only_the_three_fd_path_shapes_are_fd_paths() {
        for yes in [
            "/proc/1/fd/3",
            "/proc/self/fd/0",
            "/dev/fd/12",
            "/proc/42/fd/007",
        ] {
            assert!(is_fd_path(yes.as_bytes()), "{yes}");
        }
        for no in [
            "/proc/1/fd/3/x",
            "/proc/1/fd/",
            "/proc/thread-self/fd/3",
            "/proc/1/task/1/fd/3",
            "/proc/1/root/proc/2/fd/3",
            "/proc/self/cwd",
            "/proc/x/fd/3",
            "/dev/fd/",
            "/dev/fd/3/..",
            "proc/1/fd/3",
            "/tmp/fd/3",
        ] {
            assert!(!is_fd_path(no.as_bytes()), "{no}");
        }
    }

    #[test]
    fn a_memfd_reached_through_another_magic_link_needs_anywhere() {
        let fd = memfd("escape", MFD_CLOEXEC);
        let dir = crate::testing::temp_dir::TempDir::new("escape");
        let link = dir.path("link");
        let link_os = std::ffi::OsStr::from_bytes(&link);
        std::os::unix::fs::symlink(format!("/proc/self/fd/{}", fd.as_raw_fd()), link_os).unwrap();
        let me = std::process::id();
        let paths = [
            link.clone(),
            format!("/proc/self/root/proc/self/fd/{}", fd.as_raw_fd()).into_bytes(),
            format!("/proc/thread-self/root/proc/{me}/fd/{}", fd.as_raw_fd()).into_bytes(),
            format!(
                "/proc/{me}/cwd/../../../../../../proc/self/fd/{}",
                fd.as_raw_fd()
            )
            .into_bytes(),
        ];
        for path in &paths {
            let shown = String::from_utf8_lossy(path);
            assert_eq!(
                open(path, false, Reach::FdPathOnly),
                Err(Errno::EXDEV),
                "{shown}"
            );
            let got = owned(open(path, false, Reach::Anywhere).unwrap());
            assert_eq!(check_memfd(got.as_raw_fd()), Ok(()), "{shown}");
        }
        // A directory fd's link is one more way in.
        let root = std::fs::File::open("/").unwrap();
        let via_dir = format!(
            "/proc/self/fd/{}/proc/self/fd/{}",
            std::os::fd::AsRawFd::as_raw_fd(&root),
            fd.as_raw_fd()
        );
        assert_eq!(
            open(via_dir.as_bytes(), false, Reach::FdPathOnly),
            Err(Errno::EXDEV)
        );
    }

    #[test]
    fn o_append_is_dropped_by_reopening_and_the_original_keeps_it() {
        let fd = memfd("append", MFD_CLOEXEC);
        let path = std::ffi::CString::new(format!("/proc/self/fd/{}", fd.as_raw_fd())).unwrap();
        let flags = libc::O_WRONLY | libc::O_APPEND | libc::O_CLOEXEC;
        // SAFETY: a NUL-terminated path.
        let appending = owned(unsafe { libc::open(path.as_ptr(), flags) });
        // SAFETY: F_DUPFD_CLOEXEC takes the lowest acceptable number.
        let handed = unsafe { libc::fcntl(appending.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 0) };
        let plain = owned(without_positional_flags(handed).unwrap());
        assert_ne!(plain.as_raw_fd(), handed);
        // SAFETY: F_GETFD on a number that was closed.
        assert_eq!(unsafe { libc::fcntl(handed, libc::F_GETFD) }, -1, "closed");
        // SAFETY: F_GETFL takes no argument.
        let got = unsafe { libc::fcntl(plain.as_raw_fd(), libc::F_GETFL) };
        assert_eq!(got & (libc::O_APPEND | libc::O_ACCMODE), libc::O_WRONLY);
        // SAFETY: F_GETFL takes no argument.
        let kept = unsafe { libc::fcntl(appending.as_raw_fd(), libc::F_GETFL) };
        assert_eq!(kept & libc::O_APPEND, libc::O_APPEND);
        // Without such a flag the fd is handed back as it is.
        // SAFETY: F_DUPFD_CLOEXEC takes the lowest acceptable number.
        let dup = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 0) };
        assert_eq!(without_positional_flags(dup), Ok(dup));
        drop(owned(dup));
    }
}
