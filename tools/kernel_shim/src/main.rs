//! `kernel_shim <kernel> <command> [args...]`: runs a command under a seccomp
//! filter that makes `memfd_create` and `fcntl(F_ADD_SEALS)` answer `EINVAL`
//! for what an older kernel does not know, so the test suite can be run as
//! if on that kernel. Every other syscall, and every other `fcntl` command,
//! goes through untouched. The filter is inherited by every child.
//!
//! | kernel | refused (EINVAL) |
//! | --- | --- |
//! | `5.15` | `MFD_NOEXEC_SEAL`, `MFD_EXEC`, `F_SEAL_EXEC` |
//! | `5.0` | the above and `F_SEAL_FUTURE_WRITE` |
//! | `4.13` | the above and `MFD_HUGETLB` |
//! | `native` | nothing (no filter: runs the command as is) |
//!
//! What it cannot emulate: a real kernel checks that the fd is open for
//! writing (EPERM) before it looks at the seal bits, so an unknown seal
//! added through a read-only fd is EPERM there and EINVAL here; and the
//! running kernel's other behaviour (e.g. the mode of a new memfd follows
//! `vm.memfd_noexec`, which is 0 = executable unless set) stays its own.

use std::ffi::CString;
use std::process::ExitCode;

const MFD_HUGETLB: u32 = 0x4;
const MFD_NOEXEC_SEAL: u32 = 0x8;
const MFD_EXEC: u32 = 0x10;
const F_ADD_SEALS: u32 = 1033;
const F_SEAL_FUTURE_WRITE: u32 = 0x10;
const F_SEAL_EXEC: u32 = 0x20;

/// What one emulated kernel lacks: `memfd_create` flag bits and seal bits.
struct Missing {
    create_flags: u32,
    seals: u32,
}

fn missing(kernel: &str) -> Option<Missing> {
    let v5_15 = Missing {
        create_flags: MFD_NOEXEC_SEAL | MFD_EXEC,
        seals: F_SEAL_EXEC,
    };
    match kernel {
        "native" => Some(Missing {
            create_flags: 0,
            seals: 0,
        }),
        "5.15" => Some(v5_15),
        "5.0" => Some(Missing {
            seals: v5_15.seals | F_SEAL_FUTURE_WRITE,
            ..v5_15
        }),
        "4.13" => Some(Missing {
            create_flags: v5_15.create_flags | MFD_HUGETLB,
            seals: v5_15.seals | F_SEAL_FUTURE_WRITE,
        }),
        _ => None,
    }
}

// Classic BPF opcodes (linux/filter.h, linux/bpf_common.h).
// BPF_LD (0) | BPF_W (0) | BPF_ABS (0x20)
const BPF_LD_W_ABS: u16 = 0x20;
// BPF_JMP (5) | BPF_JEQ (0x10) | BPF_K (0)
const BPF_JEQ_K: u16 = 0x15;
// BPF_JMP (5) | BPF_JSET (0x40) | BPF_K (0)
const BPF_JSET_K: u16 = 0x45;
const BPF_RET_K: u16 = 0x06; // BPF_RET | BPF_K

const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
const SECCOMP_RET_ERRNO: u32 = 0x0005_0000;
const SECCOMP_SET_MODE_FILTER: libc::c_uint = 1;

#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xc000_003e;
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xc000_00b7;

// struct seccomp_data: nr at 0, arch at 4, args[i] at 16 + 8 * i. The low
// 32 bits of an argument come first on a little-endian machine.
const NR: u32 = 0;
const ARCH: u32 = 4;
const fn arg_low(i: u32) -> u32 {
    16 + 8 * i
}

fn stmt(code: u16, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jump(code: u16, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
}

/// The filter: `memfd_create` with a missing flag bit and
/// `fcntl(fd, F_ADD_SEALS, seals)` with a missing seal bit return `EINVAL`;
/// everything else is allowed.
fn program(m: &Missing) -> Vec<libc::sock_filter> {
    let allow = stmt(BPF_RET_K, SECCOMP_RET_ALLOW);
    let einval = stmt(BPF_RET_K, SECCOMP_RET_ERRNO | libc::EINVAL as u32);
    vec![
        // 0: another ABI's syscall numbers mean other things: let them be.
        stmt(BPF_LD_W_ABS, ARCH),
        jump(BPF_JEQ_K, AUDIT_ARCH, 1, 0),
        allow,
        // 3
        stmt(BPF_LD_W_ABS, NR),
        jump(BPF_JEQ_K, libc::SYS_memfd_create as u32, 0, 4),
        // 5: memfd_create(name, flags)
        stmt(BPF_LD_W_ABS, arg_low(1)),
        jump(BPF_JSET_K, m.create_flags, 0, 1),
        einval,
        allow,
        // 9: fcntl(fd, cmd, arg)
        jump(BPF_JEQ_K, libc::SYS_fcntl as u32, 0, 5),
        stmt(BPF_LD_W_ABS, arg_low(1)),
        jump(BPF_JEQ_K, F_ADD_SEALS, 0, 3),
        stmt(BPF_LD_W_ABS, arg_low(2)),
        jump(BPF_JSET_K, m.seals, 0, 1),
        einval,
        // 15
        allow,
    ]
}

fn install(m: &Missing) -> Result<(), String> {
    let filter = program(m);
    let prog = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_ptr() as *mut libc::sock_filter,
    };
    // SAFETY: PR_SET_NO_NEW_PRIVS takes integer arguments only.
    if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
        return Err(format!(
            "prctl(PR_SET_NO_NEW_PRIVS): {}",
            std::io::Error::last_os_error()
        ));
    }
    // SAFETY: `prog` points at `filter`, which outlives the call; the kernel
    // copies the program.
    let r = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            SECCOMP_SET_MODE_FILTER,
            0 as libc::c_uint,
            &prog as *const libc::sock_fprog,
        )
    };
    if r != 0 {
        return Err(format!(
            "seccomp(SECCOMP_SET_MODE_FILTER): {}",
            std::io::Error::last_os_error()
        ));
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: kernel_shim <native|5.15|5.0|4.13> <command> [args...]";
    if args.len() < 3 {
        eprintln!("{usage}");
        return ExitCode::from(2);
    }
    let Some(m) = missing(&args[1]) else {
        eprintln!("kernel_shim: unknown kernel {:?}\n{usage}", args[1]);
        return ExitCode::from(2);
    };
    if m.create_flags != 0 || m.seals != 0 {
        if let Err(e) = install(&m) {
            eprintln!("kernel_shim: {e}");
            return ExitCode::from(1);
        }
    }
    let Ok(argv) = args[2..]
        .iter()
        .map(|a| CString::new(a.as_bytes()))
        .collect::<Result<Vec<_>, _>>()
    else {
        eprintln!("kernel_shim: an argument contains a NUL byte");
        return ExitCode::from(2);
    };
    let mut ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    // SAFETY: `ptrs` is a NULL-terminated array of NUL-terminated strings
    // that outlive the call (execvp only returns on failure).
    unsafe { libc::execvp(ptrs[0], ptrs.as_ptr()) };
    eprintln!(
        "kernel_shim: {}: {}",
        args[2],
        std::io::Error::last_os_error()
    );
    ExitCode::from(127)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_jump_lands_inside_the_program() {
        let prog = program(missing("4.13").as_ref().unwrap());
        for (i, insn) in prog.iter().enumerate() {
            if insn.code & 0x07 == 0x05 {
                assert!(
                    i + 1 + (insn.jt.max(insn.jf) as usize) < prog.len(),
                    "insn {i}"
                );
            }
        }
        assert_eq!(prog.last().unwrap().code, BPF_RET_K);
    }
}
