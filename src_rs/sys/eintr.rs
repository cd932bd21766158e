//! Retrying system calls that a signal interrupted (`EINTR`).

use crate::sys::errno::{check, Errno, Result};

/// Repeats `f` (a libc call returning a negative number on failure) while it
/// fails with `EINTR`; its result or the errno it failed with.
pub fn retry(mut f: impl FnMut() -> i64) -> Result<i64> {
    loop {
        match check(f()) {
            Err(Errno::EINTR) => continue,
            r => return r,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_repeats_on_eintr_only() {
        let mut calls = 0;
        let r = retry(|| {
            calls += 1;
            if calls < 3 {
                Errno::EINTR.set();
                -1
            } else {
                7
            }
        });
        assert_eq!((r, calls), (Ok(7), 3));
        let mut calls = 0;
        let r = retry(|| {
            calls += 1;
            Errno::EAGAIN.set();
            -1
        });
        assert_eq!((r, calls), (Err(Errno::EAGAIN), 1));
    }
}
