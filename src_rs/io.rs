//! Positional reads and writes that retry `EINTR` and loop on short
//! transfers.

use crate::guard::neg_errno;

/// The end of a transfer of `len` bytes at `offset`, or `None` when the
/// range is negative or passes `i64::MAX` (the kernel would reject or wrap).
fn checked_end(offset: i64, len: usize) -> Option<i64> {
    if offset < 0 {
        return None;
    }
    offset.checked_add(i64::try_from(len).ok()?)
}

/// Writes all of `data` at `offset`. Returns the bytes written; when the
/// kernel refuses to go on after some bytes went in (a `grow` seal at end of
/// file) that count, and `-errno` only when nothing was written.
pub fn pwrite_all(fd: i32, data: &[u8], offset: i64) -> i64 {
    if checked_end(offset, data.len()).is_none() {
        return -i64::from(libc::EINVAL);
    }
    let mut done = 0usize;
    while done < data.len() {
        let rest = &data[done..];
        // SAFETY: `rest` is readable for its length; the offset is in range.
        let n = unsafe { libc::pwrite(fd, rest.as_ptr().cast(), rest.len(), offset + done as i64) };
        if n < 0 {
            let e = neg_errno();
            if e == -i64::from(libc::EINTR) {
                continue;
            }
            return if done > 0 { done as i64 } else { e };
        }
        if n == 0 {
            break;
        }
        done += n as usize;
    }
    done as i64
}

/// Reads at `offset` until `into` is full or the file ends. Returns the
/// bytes read (0 at end of file) or `-errno` when nothing could be read.
pub fn pread_all(fd: i32, into: &mut [u8], offset: i64) -> i64 {
    if checked_end(offset, into.len()).is_none() {
        return -i64::from(libc::EINVAL);
    }
    let mut done = 0usize;
    while done < into.len() {
        let rest = &mut into[done..];
        // SAFETY: `rest` is writable for its length; the offset is in range.
        let n = unsafe {
            libc::pread(
                fd,
                rest.as_mut_ptr().cast(),
                rest.len(),
                offset + done as i64,
            )
        };
        if n < 0 {
            let e = neg_errno();
            if e == -i64::from(libc::EINTR) {
                continue;
            }
            return if done > 0 { done as i64 } else { e };
        }
        if n == 0 {
            break;
        }
        done += n as usize;
    }
    done as i64
}
