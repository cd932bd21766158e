//! JavaScript numbers across the FFI.
//!
//! Sizes, offsets and addresses cross as `f64`. Deno's fast call path takes
//! a JS number for an `f64` parameter as is, but falls back to the slow
//! path (measured 100–200 ns more per call, most of a small syscall's cost)
//! when an `i64` parameter is given a number; and an `i64` result always
//! arrives as a BigInt that the caller must convert back.

use crate::sys::errno::{Errno, Result};

/// 2^53 − 1, the largest integer below which every integer is an exact f64.
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

/// `x` when it is a whole number from 0 to 2^53 − 1; `EINVAL` when it is
/// negative, fractional, NaN, infinite or too large to be exact.
pub fn index(x: f64) -> Result<i64> {
    if (0.0..=MAX_SAFE).contains(&x) && x.fract() == 0.0 {
        Ok(x as i64)
    } else {
        Err(Errno::EINVAL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_exact_non_negative_integers_are_indexes() {
        assert_eq!(index(0.0), Ok(0));
        assert_eq!(index(4096.0), Ok(4096));
        assert_eq!(index(MAX_SAFE), Ok(9_007_199_254_740_991));
        for bad in [-1.0, 0.5, f64::NAN, f64::INFINITY, MAX_SAFE + 1.0, -0.5] {
            assert_eq!(index(bad), Err(Errno::EINVAL), "{bad}");
        }
    }
}
