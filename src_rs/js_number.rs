//! JavaScript numbers across the FFI.
//!
//! Sizes, offsets and addresses cross as `f64`. Deno's fast call path takes
//! a JS number for an `f64` parameter as is, but falls back to the slow
//! path (measured 100–200 ns more per call, most of a small syscall's cost)
//! when an `i64` parameter is given a number; and an `i64` result always
//! arrives as a BigInt that the caller must convert back.

/// 2^53 − 1, the largest integer below which every integer is an exact f64.
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;
const EINVAL: i64 = -(libc::EINVAL as i64);

/// `x` when it is a whole number from 0 to 2^53 − 1, else `None`
/// (negative, fractional, NaN, infinite or too large to be exact).
pub fn index(x: f64) -> Option<i64> {
    ((0.0..=MAX_SAFE).contains(&x) && x.fract() == 0.0).then_some(x as i64)
}

/// `f(index)`, or `-EINVAL` when `x` is not an [`index`].
pub fn with_index(x: f64, f: impl FnOnce(i64) -> i64) -> i64 {
    index(x).map_or(EINVAL, f)
}

/// `f(a, b)`, or `-EINVAL` when either is not an [`index`].
pub fn with_indexes(a: f64, b: f64, f: impl FnOnce(i64, i64) -> i64) -> i64 {
    match (index(a), index(b)) {
        (Some(a), Some(b)) => f(a, b),
        _ => EINVAL,
    }
}

/// A `>= 0` result or `-errno` as a JS number. Exact for every value this
/// crate returns: errnos, addresses (user space ends below 2^47 unless a
/// program asks Linux for more), and sizes below 8 PiB; a larger size
/// rounds, as `Number(bigint)` would.
pub fn number(result: i64) -> f64 {
    result as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_exact_non_negative_integers_are_indexes() {
        assert_eq!(index(0.0), Some(0));
        assert_eq!(index(4096.0), Some(4096));
        assert_eq!(index(MAX_SAFE), Some(9_007_199_254_740_991));
        for bad in [-1.0, 0.5, f64::NAN, f64::INFINITY, MAX_SAFE + 1.0, -0.5] {
            assert_eq!(index(bad), None, "{bad}");
        }
        assert_eq!(number(-22), -22.0);
        assert_eq!(with_index(-1.0, |_| 0), EINVAL);
        assert_eq!(with_indexes(1.0, 2.5, |_, _| 0), EINVAL);
        assert_eq!(with_indexes(1.0, 2.0, |a, b| a + b), 3);
    }
}
