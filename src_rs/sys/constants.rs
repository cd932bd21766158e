//! Kernel constants, defined here because Debian 12's glibc headers (and so
//! some `libc` targets) lack the 6.3 additions, and the library's own flag
//! bits. `tests/constants_test.ts` checks that the TypeScript side
//! (`src/memfd/seals.ts`, `src/native.ts`) uses the same numbers.

// The kernel's whole seal and flag table is kept, whether or not the library
// itself names every bit: it is the Rust half of the one definition.
#![allow(dead_code)]

pub const MFD_CLOEXEC: u32 = 0x1;
pub const MFD_ALLOW_SEALING: u32 = 0x2;
pub const MFD_HUGETLB: u32 = 0x4;
pub const MFD_NOEXEC_SEAL: u32 = 0x8;
pub const MFD_EXEC: u32 = 0x10;
/// `MFD_HUGE_<size>` is `log2(size) << MFD_HUGE_SHIFT`.
pub const MFD_HUGE_SHIFT: u32 = 26;
pub const MFD_HUGE_MASK: u32 = 0x3f;

pub const F_ADD_SEALS: libc::c_int = 1033;
pub const F_GET_SEALS: libc::c_int = 1034;

pub const F_SEAL_SEAL: u32 = 0x1;
pub const F_SEAL_SHRINK: u32 = 0x2;
pub const F_SEAL_GROW: u32 = 0x4;
pub const F_SEAL_WRITE: u32 = 0x8;
pub const F_SEAL_FUTURE_WRITE: u32 = 0x10;
pub const F_SEAL_EXEC: u32 = 0x20;
/// Every seal bit Linux 6.3+ knows.
pub const F_SEAL_KNOWN: u32 = 0x3f;

/// Longest name `memfd_create` accepts: 255 − `"memfd:".len()`.
pub const NAME_MAX: usize = 249;

/// `dm_map` flags bit: copy-on-write (`MAP_PRIVATE`) instead of `MAP_SHARED`.
pub const MAP_FLAG_PRIVATE: i32 = 0x1;
/// `dm_map` flags bit: pre-fault the pages (`MAP_POPULATE`).
pub const MAP_FLAG_POPULATE: i32 = 0x2;
