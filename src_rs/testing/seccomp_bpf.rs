//! Test helper: the classic-BPF vocabulary of a seccomp filter (opcodes,
//! actions, `struct seccomp_data` offsets) and its installation, shared by
//! the tests that make chosen system calls fail (`syscall_faults`, the
//! pre-6.3 `memfd_create` fallback). `tools/kernel_shim` is its own crate and
//! keeps its own copy.

// linux/filter.h: BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K,
// BPF_JMP|BPF_JSET|BPF_K, BPF_RET|BPF_K.
pub const LD_W_ABS: u16 = 0x20;
pub const JEQ_K: u16 = 0x15;
pub const JSET_K: u16 = 0x45;
pub const RET_K: u16 = 0x06;
// linux/seccomp.h actions (the low 16 bits of RET_ERRNO carry the errno).
pub const RET_ALLOW: u32 = 0x7fff_0000;
pub const RET_ERRNO: u32 = 0x0005_0000;
pub const RET_TRAP: u32 = 0x0003_0000;
#[cfg(target_arch = "x86_64")]
pub const AUDIT_ARCH: u32 = 0xc000_003e;
#[cfg(target_arch = "aarch64")]
pub const AUDIT_ARCH: u32 = 0xc000_00b7;
// struct seccomp_data: nr at 0, arch at 4, args[i] at 16 + 8 * i.
pub const NR: u32 = 0;
pub const ARCH: u32 = 4;

/// Offset of the low 32 bits of argument `i` (little-endian machines).
pub const fn arg_low(i: u32) -> u32 {
    16 + 8 * i
}

/// One instruction.
pub fn op(code: u16, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
}

/// Installs `filter` on the calling thread (no `TSYNC`: other threads keep
/// running unfiltered); sets `no_new_privs` first, as an unprivileged
/// filter needs. Panics if the kernel refuses.
pub fn install(filter: &[libc::sock_filter]) {
    let prog = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_ptr().cast_mut(),
    };
    // SAFETY: integer arguments only; no_new_privs is per thread.
    let r = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    assert_eq!(r, 0, "no_new_privs: {}", std::io::Error::last_os_error());
    // SAFETY: `prog` points at `filter`, which outlives the call; the kernel
    // copies the program.
    let r = unsafe { libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_FILTER, &prog) };
    assert_eq!(r, 0, "seccomp: {}", std::io::Error::last_os_error());
}
