//! The fallback for kernels before 6.3, checked on any kernel: a forked
//! child whose seccomp filter answers `EINVAL` to `MFD_NOEXEC_SEAL` and
//! `MFD_EXEC`, as those kernels do, and counts the calls that carried them.

use std::sync::atomic::{AtomicI64, Ordering};

use super::*;
use crate::sys::constants::*;
use crate::testing::seccomp_bpf::{
    arg_low, install, op, ARCH, AUDIT_ARCH, JEQ_K, JSET_K, LD_W_ABS, NR, RET_ALLOW, RET_K, RET_TRAP,
};
use crate::testing::test_util::{owned, seals};

/// `memfd_create` calls the kernel was asked to make with the flags
/// [`answer_einval_to`] traps.
static TRAPPED: AtomicI64 = AtomicI64::new(0);

/// SIGSYS handler: counts the trapped call and makes it return `EINVAL`.
extern "C" fn einval_instead(_: libc::c_int, _: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    TRAPPED.fetch_add(1, Ordering::Relaxed);
    let ctx = ctx.cast::<libc::ucontext_t>();
    let einval = -i64::from(libc::EINVAL);
    // SAFETY: the kernel passes the interrupted context, whose return
    // register becomes the system call's result when the handler returns.
    unsafe {
        #[cfg(target_arch = "x86_64")]
        {
            (*ctx).uc_mcontext.gregs[libc::REG_RAX as usize] = einval;
        }
        #[cfg(target_arch = "aarch64")]
        {
            (*ctx).uc_mcontext.regs[0] = einval as u64;
        }
    }
}

/// Makes this (single-threaded, forked) process answer `EINVAL` to every
/// `memfd_create` with any of `flags`, as an older kernel does, counting
/// those calls in [`TRAPPED`]: a seccomp filter that traps them to
/// [`einval_instead`]. A trap takes precedence over the `EINVAL` of
/// `tools/kernel_shim`'s filter, so the count holds under it too.
fn answer_einval_to(flags: u32) {
    let filter = [
        op(LD_W_ABS, ARCH, 0, 0),
        op(JEQ_K, AUDIT_ARCH, 0, 4),
        op(LD_W_ABS, NR, 0, 0),
        op(JEQ_K, libc::SYS_memfd_create as u32, 0, 2),
        op(LD_W_ABS, arg_low(1), 0, 0), // the flags
        op(JSET_K, flags, 1, 0),
        op(RET_K, RET_ALLOW, 0, 0),
        op(RET_K, RET_TRAP, 0, 0),
    ];
    // SAFETY: a zeroed sigaction is a valid value.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = einval_instead as *const () as usize;
    action.sa_flags = libc::SA_SIGINFO;
    // SAFETY: `action` is valid and its handler has the SA_SIGINFO signature.
    let handled = unsafe { libc::sigaction(libc::SIGSYS, &action, std::ptr::null_mut()) };
    assert_eq!(handled, 0, "sigaction: {}", std::io::Error::last_os_error());
    install(&filter);
}

#[test]
fn exec_flags_are_dropped_after_one_einval_and_never_asked_for_again() {
    let code = crate::testing::test_child::code;
    let got = crate::testing::test_child::in_child(|| {
        // A fresh process on a kernel that refuses MFD_NOEXEC_SEAL and
        // MFD_EXEC (and an unknown bit, to count that call too).
        KERNEL_KNOWS_EXEC_FLAGS.store(true, Ordering::Relaxed);
        answer_einval_to(MFD_NOEXEC_SEAL | MFD_EXEC | 0x20);
        let mut out = [0; 8];
        let first = create(b"old", MFD_CLOEXEC | MFD_NOEXEC_SEAL);
        out[0] = first.map_or(0, |fd| seals(&owned(fd)));
        out[1] = TRAPPED.load(Ordering::Relaxed);
        // The kernel is known not to take them now: no more trapped calls.
        let second = create(b"old", MFD_CLOEXEC | MFD_EXEC | MFD_ALLOW_SEALING);
        out[2] = second.map_or(-1, |fd| seals(&owned(fd)));
        out[3] = TRAPPED.load(Ordering::Relaxed);
        // An unknown bit is the kernel's EINVAL, asked once.
        out[4] = code(create(b"x", 0x20));
        out[5] = TRAPPED.load(Ordering::Relaxed);
        out[6] = code(create(b"x", MFD_EXEC | MFD_NOEXEC_SEAL));
        out[7] = TRAPPED.load(Ordering::Relaxed);
        out
    });
    let einval = -i64::from(libc::EINVAL);
    let seal = i64::from(F_SEAL_SEAL);
    assert_eq!(got[..2], [seal, 1], "noexec: dropped, after one EINVAL");
    assert_eq!(got[2..4], [0, 1], "exec: dropped at once");
    assert_eq!(got[4..6], [einval, 2], "unknown bit: EINVAL, one call");
    assert_eq!(got[6..], [einval, 2], "both: EINVAL, no call");
}
