//! Reopening a memfd by a path such as `/proc/<pid>/fd/<n>`, without ever
//! opening anything else for reading or writing.
//!
//! Done here rather than with Deno's file API because Deno 2 demands
//! `--allow-all` for anything under `/proc/<pid>/fd`.

use crate::fd::fstat::{fstat, is_regular};
use crate::fd::memfd_link::{check_memfd, fd_link, memfd_name};
use crate::sys::c_string::c_string;
use crate::sys::eintr::retry;
use crate::sys::errno::{Errno, Result};

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

/// Opens the memfd at `path`, read-only unless `write`, close-on-exec: the
/// new fd. `EINVAL` for a path that is not a memfd, which is never opened
/// for reading or writing.
///
/// The path is first opened with `O_PATH`, which has no side effects (a
/// FIFO's writer is not released, a device is not opened); the `O_PATH` fd's
/// link and `fstat` must show a memfd. Only then is that very file reopened
/// through `/proc/self/fd/<n>` with the access asked for, and the result
/// must be the same inode.
pub fn open(path: &[u8], write: bool) -> Result<i32> {
    let mut buf = [0u8; libc::PATH_MAX as usize];
    let c_path = c_string(path, &mut buf).ok_or(Errno::EINVAL)?;
    let located = open_c(c_path, libc::O_PATH | libc::O_CLOEXEC)?;
    let mut link = [0u8; 512];
    let found = fstat(located.0)?;
    if memfd_name(fd_link(located.0, &mut link)?).is_none() || !is_regular(&found) {
        return Err(Errno::EINVAL);
    }
    let mut reopen = [0u8; 32];
    let text = format!("/proc/self/fd/{}", located.0);
    let c_reopen = c_string(text.as_bytes(), &mut reopen).ok_or(Errno::EINVAL)?;
    let access = if write { libc::O_RDWR } else { libc::O_RDONLY };
    let fd = open_c(c_reopen, access | libc::O_CLOEXEC | libc::O_NOCTTY)?;
    let got = fstat(fd.0)?;
    if (got.st_dev, got.st_ino) != (found.st_dev, found.st_ino) {
        return Err(Errno::EINVAL);
    }
    check_memfd(fd.0)?;
    Ok(fd.keep())
}

#[cfg(test)]
mod lookalikes;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::constants::MFD_CLOEXEC;
    use crate::testing::test_util::{memfd, owned};
    use std::os::fd::AsRawFd;

    #[test]
    fn open_of_a_missing_path_or_one_with_a_nul_fails_cleanly() {
        assert_eq!(open(b"/nonexistent/memfd", false), Err(Errno::ENOENT));
        assert_eq!(open(b"/proc/self/fd/0\0x", false), Err(Errno::EINVAL));
        assert_eq!(
            open(&[b'a'; libc::PATH_MAX as usize], false),
            Err(Errno::EINVAL)
        );
        assert_eq!(open(b"/proc/self/status", false), Err(Errno::EINVAL));
        assert_eq!(open(b"/dev/null", true), Err(Errno::EINVAL));
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
        assert_eq!(open(bytes, false), Err(Errno::EINVAL));
        assert_eq!(open(bytes, true), Err(Errno::EINVAL));
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
            let reopened = owned(
                open(
                    format!("/proc/self/fd/{}", fd.as_raw_fd()).as_bytes(),
                    write,
                )
                .unwrap(),
            );
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
}
