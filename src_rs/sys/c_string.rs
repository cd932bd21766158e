//! Byte strings from JavaScript as C strings for the kernel.

/// Copies `bytes` into `buf` with a terminating NUL, or `None` when it
/// contains a NUL itself or does not fit (the kernel would cut it short).
pub fn c_string<'a>(bytes: &[u8], buf: &'a mut [u8]) -> Option<&'a libc::c_char> {
    if bytes.len() >= buf.len() || bytes.contains(&0) {
        return None;
    }
    buf[..bytes.len()].copy_from_slice(bytes);
    buf[bytes.len()] = 0;
    // SAFETY: a byte and a c_char have the same size and alignment.
    Some(unsafe { &*(buf.as_ptr() as *const libc::c_char) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_nuls_and_what_does_not_fit() {
        let mut buf = [0xffu8; 4];
        assert!(c_string(b"abc", &mut buf).is_some());
        assert_eq!(buf, *b"abc\0");
        assert!(c_string(b"abcd", &mut buf).is_none());
        assert!(c_string(b"a\0", &mut buf).is_none());
    }
}
