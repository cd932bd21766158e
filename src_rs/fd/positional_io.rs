//! Positional reads and writes that retry `EINTR` and loop on short
//! transfers.

use crate::sys::errno::{Errno, Result};
use crate::sys::file_size_limit::exceeds_file_size_limit;

/// The end of a transfer of `len` bytes at `offset`, or `None` when the
/// range is negative or passes `i64::MAX` (the kernel would reject or wrap).
fn checked_end(offset: i64, len: usize) -> Option<i64> {
    if offset < 0 {
        return None;
    }
    offset.checked_add(i64::try_from(len).ok()?)
}

/// Runs `step(done)` (one `pread`/`pwrite` of the bytes from `done` on)
/// until `len` bytes moved or the file ends, retrying `EINTR`. The count
/// moved, or the errno when the first step already failed.
fn transfer_all(len: usize, offset: i64, mut step: impl FnMut(usize) -> isize) -> Result<i64> {
    if checked_end(offset, len).is_none() {
        return Err(Errno::EINVAL);
    }
    let mut done = 0usize;
    while done < len {
        let n = step(done);
        if n < 0 {
            let e = Errno::last();
            if e == Errno::EINTR {
                continue;
            }
            return if done > 0 { Ok(done as i64) } else { Err(e) };
        }
        if n == 0 {
            break;
        }
        done += n as usize;
    }
    Ok(done as i64)
}

/// Writes all of `data` at `offset`. Returns the bytes written; when the
/// kernel refuses to go on after some bytes went in (a `grow` seal at end of
/// file, the `RLIMIT_FSIZE` limit) that count, and an error only when
/// nothing was written. Never writes at or past `RLIMIT_FSIZE` (`EFBIG`
/// instead of the kernel's SIGXFSZ).
pub fn pwrite_all(fd: i32, data: &[u8], offset: i64) -> Result<i64> {
    // A write starting at or past `ulimit -f` would raise SIGXFSZ and kill
    // the process; one that starts below it is cut short by the kernel.
    transfer_all(data.len(), offset, |done| {
        let at = offset as u64 + done as u64;
        if exceeds_file_size_limit(at + 1) {
            Errno::EFBIG.set();
            return -1;
        }
        let rest = &data[done..];
        // SAFETY: `rest` is readable for its length; `transfer_all` checked
        // that `offset + data.len()` does not overflow.
        unsafe { libc::pwrite(fd, rest.as_ptr().cast(), rest.len(), offset + done as i64) }
    })
}

/// Reads at `offset` until `into` is full or the file ends. Returns the
/// bytes read (0 at end of file), or an error when nothing could be read.
pub fn pread_all(fd: i32, into: &mut [u8], offset: i64) -> Result<i64> {
    transfer_all(into.len(), offset, |done| {
        let rest = &mut into[done..];
        // SAFETY: `rest` is writable for its length; `transfer_all` checked
        // that `offset + into.len()` does not overflow.
        unsafe {
            libc::pread(
                fd,
                rest.as_mut_ptr().cast(),
                rest.len(),
                offset + done as i64,
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::constants::*;
    use crate::testing::test_util::sized;
    use std::os::fd::AsRawFd;

    const KIB: usize = 1024;

    fn size(fd: i32) -> i64 {
        crate::fd::file_size::size(fd).unwrap()
    }

    #[test]
    fn conformance_32_grow_seal_gives_a_short_write_then_eperm() {
        let fd = sized("short", 8 * KIB as i64);
        assert_eq!(
            crate::fd::seals::add(fd.as_raw_fd(), F_SEAL_GROW.into()),
            Ok(())
        );
        let data = vec![7u8; 64 * KIB];
        assert_eq!(pwrite_all(fd.as_raw_fd(), &data, 0), Ok(8 * KIB as i64));
        assert_eq!(
            pwrite_all(fd.as_raw_fd(), &data, 8 * KIB as i64),
            Err(Errno::EPERM)
        );
        assert_eq!(size(fd.as_raw_fd()), 8 * KIB as i64);
    }

    #[test]
    fn conformance_33_grow_seal_refuses_a_page_piece_that_would_pass_eof() {
        let fd = sized("grow-3072", 3072);
        assert_eq!(
            crate::fd::seals::add(fd.as_raw_fd(), F_SEAL_GROW.into()),
            Ok(())
        );
        assert_eq!(
            pwrite_all(fd.as_raw_fd(), &[1; 2048], 2048),
            Err(Errno::EPERM)
        );
        let mut out = [9u8; 1024];
        assert_eq!(pread_all(fd.as_raw_fd(), &mut out, 2048), Ok(1024));
        assert_eq!(out, [0; 1024], "not even the part before EOF went in");
        assert_eq!(pwrite_all(fd.as_raw_fd(), &[1; 1024], 2048), Ok(1024));
    }

    #[test]
    fn conformance_34_fixed_size_file_takes_exactly_its_size() {
        let fd = sized("fixed", 1024);
        let all = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;
        assert_eq!(crate::fd::seals::add(fd.as_raw_fd(), all.into()), Ok(()));
        assert_eq!(pwrite_all(fd.as_raw_fd(), &[1; 1024], 0), Ok(1024));
        assert_eq!(pwrite_all(fd.as_raw_fd(), &[2; 2048], 0), Err(Errno::EPERM));
        let mut out = [0u8; 1024];
        assert_eq!(pread_all(fd.as_raw_fd(), &mut out, 0), Ok(1024));
        assert_eq!(out, [1; 1024]);
    }

    #[test]
    fn a_short_write_goes_on_after_what_went_in() {
        // The kernel writes the two pages up to EOF and refuses the rest: a
        // retry must go on at 8 KiB, not start over anywhere before it.
        let fd = sized("short-mid", 8 * KIB as i64);
        assert_eq!(
            crate::fd::seals::add(fd.as_raw_fd(), F_SEAL_GROW.into()),
            Ok(())
        );
        assert_eq!(
            pwrite_all(fd.as_raw_fd(), &[7u8; 64 * KIB], 4 * KIB as i64),
            Ok(4 * KIB as i64)
        );
        let mut out = vec![9u8; 8 * KIB];
        assert_eq!(pread_all(fd.as_raw_fd(), &mut out, 0), Ok(8 * KIB as i64));
        assert!(
            out[..4 * KIB].iter().all(|&b| b == 0),
            "bytes before the offset untouched"
        );
        assert!(out[4 * KIB..].iter().all(|&b| b == 7));
    }

    #[test]
    fn a_short_read_goes_on_after_what_came_out() {
        let fd = sized("short-read", 10);
        assert_eq!(pwrite_all(fd.as_raw_fd(), b"0123456789", 0), Ok(10));
        let mut out = [b'.'; 8];
        assert_eq!(pread_all(fd.as_raw_fd(), &mut out, 7), Ok(3));
        assert_eq!(&out, b"789.....");
    }

    #[test]
    fn a_write_reaching_the_file_size_limit_stops_there_without_sigxfsz() {
        const L: i64 = 64 * KIB as i64;
        let fd = sized("limited", 0);
        // The child dies of SIGXFSZ if a write starts at or past the limit.
        let got = crate::testing::test_child::in_child(|| {
            crate::testing::test_child::set_file_size_limit(L as u64);
            let code = crate::testing::test_child::code;
            let across = code(pwrite_all(fd.as_raw_fd(), &[1, 2, 3], L - 2));
            let at = code(pwrite_all(fd.as_raw_fd(), b"x", L));
            let past = code(pwrite_all(fd.as_raw_fd(), b"x", 2 * L));
            [across, at, past, size(fd.as_raw_fd())]
        });
        let efbig = -i64::from(libc::EFBIG);
        assert_eq!(got, [2, efbig, efbig, L]);
    }

    #[test]
    fn reads_stop_at_eof_and_return_zero_past_it() {
        let fd = sized("eof", 10);
        let mut out = [0u8; 64];
        assert_eq!(pread_all(fd.as_raw_fd(), &mut out, 4), Ok(6));
        assert_eq!(pread_all(fd.as_raw_fd(), &mut out, 10), Ok(0));
        assert_eq!(pread_all(fd.as_raw_fd(), &mut out, i64::MAX - 64), Ok(0));
    }

    #[test]
    fn end_of_file_is_zero_whatever_errno_held() {
        // pread's 0 at end of file is a result, not a failure to look up.
        let fd = sized("eof-errno", 10);
        let mut out = [0u8; 4];
        // SAFETY: errno is this thread's own variable.
        unsafe { *libc::__errno_location() = libc::EIO };
        assert_eq!(pread_all(fd.as_raw_fd(), &mut out, 10), Ok(0));
    }

    #[test]
    fn writes_past_eof_grow_the_file() {
        let fd = sized("grow", 0);
        assert_eq!(pwrite_all(fd.as_raw_fd(), b"abc", 5000), Ok(3));
        assert_eq!(size(fd.as_raw_fd()), 5003);
    }

    #[test]
    fn ranges_the_kernel_would_reject_or_wrap_are_einval() {
        let fd = sized("ranges", 16);
        let mut out = [0u8; 16];
        assert_eq!(pwrite_all(fd.as_raw_fd(), b"x", -1), Err(Errno::EINVAL));
        assert_eq!(pread_all(fd.as_raw_fd(), &mut out, -1), Err(Errno::EINVAL));
        assert_eq!(
            pwrite_all(fd.as_raw_fd(), b"xy", i64::MAX),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            pread_all(fd.as_raw_fd(), &mut out, i64::MAX - 8),
            Err(Errno::EINVAL)
        );
        assert_eq!(size(fd.as_raw_fd()), 16);
    }

    #[test]
    fn empty_transfers_are_zero_without_a_call() {
        assert_eq!(pwrite_all(0x7fff_fff0, &[], 0), Ok(0));
        assert_eq!(pread_all(0x7fff_fff0, &mut [], 0), Ok(0));
    }

    #[test]
    fn a_bad_fd_is_its_errno() {
        assert_eq!(pwrite_all(0x7fff_fff0, b"x", 0), Err(Errno::EBADF));
        assert_eq!(pread_all(0x7fff_fff0, &mut [0], 0), Err(Errno::EBADF));
    }
}
