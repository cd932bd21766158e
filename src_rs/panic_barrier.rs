//! The panic barrier every export runs behind.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::sys::errno::{Errno, Result};

/// Runs an export's body; a panic (a bug, never an expected path) becomes
/// `EIO` instead of unwinding into Deno, which would abort the process.
pub fn shielded<T>(body: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(Err(Errno::EIO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_eio_instead_of_unwinding() {
        assert_eq!(shielded::<i64>(|| panic!("a bug")), Err(Errno::EIO));
        assert_eq!(shielded(|| Ok(5)), Ok(5));
        assert_eq!(shielded::<i64>(|| Err(Errno::EPERM)), Err(Errno::EPERM));
    }
}
