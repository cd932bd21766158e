//! File seals: `F_ADD_SEALS` and `F_GET_SEALS`.

use crate::constants::{F_ADD_SEALS, F_GET_SEALS, F_SEAL_KNOWN};
use crate::guard::neg_errno;

/// Adds `seals` to the inode behind `fd`: 0 or `-errno`.
///
/// Bits outside the known seal set are `-EINVAL` here, before the call:
/// Linux 6.18 silently drops everything above bit 31 of the argument.
pub fn add(fd: i32, seals: i64) -> i64 {
    if seals < 0 || seals & !i64::from(F_SEAL_KNOWN) != 0 {
        return -i64::from(libc::EINVAL);
    }
    // SAFETY: F_ADD_SEALS takes an int; `seals` fits in six bits.
    if unsafe { libc::fcntl(fd, F_ADD_SEALS, seals as libc::c_int) } < 0 {
        return neg_errno();
    }
    0
}

/// The seal set of the inode behind `fd`, or `-errno`.
pub fn get(fd: i32) -> i64 {
    // SAFETY: F_GET_SEALS takes no argument.
    let seals = unsafe { libc::fcntl(fd, F_GET_SEALS) };
    if seals < 0 {
        return neg_errno();
    }
    i64::from(seals)
}
