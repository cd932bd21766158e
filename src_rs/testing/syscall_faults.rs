//! Test helper: runs a closure on a fresh thread whose syscalls are
//! filtered by seccomp, so that chosen calls fail with a chosen errno. The
//! error paths the kernel almost never takes (a `listen` after a good
//! `bind`, an `unlink` of our own socket file) become reachable without
//! touching anything but that one thread: a filter installed without
//! `SECCOMP_FILTER_FLAG_TSYNC` binds the calling thread only, and dies
//! with it.

/// A syscall that fails with `errno`, unless its argument `unless.0` (low
/// 32 bits) equals `unless.1`.
pub struct Fault {
    pub nr: libc::c_long,
    pub errno: i32,
    pub unless: Option<(u32, u32)>,
}

impl Fault {
    /// Every call of `nr` fails with `errno`.
    pub fn always(nr: libc::c_long, errno: i32) -> Fault {
        Fault {
            nr,
            errno,
            unless: None,
        }
    }
}

use crate::testing::seccomp_bpf::{
    arg_low, install, op, ARCH, AUDIT_ARCH, JEQ_K, LD_W_ABS, NR, RET_ALLOW, RET_ERRNO, RET_K,
};

fn program(faults: &[Fault]) -> Vec<libc::sock_filter> {
    let mut p = vec![
        op(LD_W_ABS, ARCH, 0, 0),
        op(JEQ_K, AUDIT_ARCH, 1, 0),
        op(RET_K, RET_ALLOW, 0, 0),
    ];
    for f in faults {
        let fail = op(RET_K, RET_ERRNO | f.errno as u32, 0, 0);
        p.push(op(LD_W_ABS, NR, 0, 0));
        match f.unless {
            None => p.extend([op(JEQ_K, f.nr as u32, 0, 1), fail]),
            Some((arg, value)) => p.extend([
                op(JEQ_K, f.nr as u32, 0, 3),
                op(LD_W_ABS, arg_low(arg), 0, 0),
                op(JEQ_K, value, 1, 0),
                fail,
            ]),
        }
    }
    p.push(op(RET_K, RET_ALLOW, 0, 0));
    p
}

/// Runs `f` on a new thread on which `faults` apply; its result.
pub fn with_faults<T: Send>(faults: &[Fault], f: impl FnOnce() -> T + Send) -> T {
    let filter = program(faults);
    std::thread::scope(|s| {
        s.spawn(|| {
            install(&filter);
            f()
        })
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}

/// Runs the test `name` (its full path) alone in a child process of this
/// test binary with fd 0 closed first by the test itself (Rust reopens a
/// closed fd 0 at start-up, so the child closes it): for checks that fd 0
/// counts as a valid fd. The child sees `DM_FD0_CHILD` set.
pub fn run_with_fd0_free(name: &str) {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args([name, "--exact", "--test-threads=1", "--nocapture"])
        .env("DM_FD0_CHILD", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1 passed"), "{text}");
}

/// True in the child of [`run_with_fd0_free`], after closing fd 0.
pub fn in_fd0_child() -> bool {
    if std::env::var_os("DM_FD0_CHILD").is_none() {
        return false;
    }
    // SAFETY: this child process runs this one test; nothing uses stdin.
    unsafe { libc::close(0) };
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_hits_its_thread_only() {
        // SAFETY: getppid takes no arguments.
        let getppid = || unsafe { libc::getppid() };
        let fault = [Fault::always(libc::SYS_getppid, libc::E2BIG)];
        // glibc passes getppid's raw result on: it "cannot fail".
        assert_eq!(with_faults(&fault, getppid), -libc::E2BIG);
        assert!(getppid() > 0, "this thread is unfiltered");
        let pid = i64::from(std::process::id());
        let unless = [Fault {
            nr: libc::SYS_kill,
            errno: libc::E2BIG,
            unless: Some((1, 0)),
        }];
        // SAFETY: signal 0 only checks that the process exists.
        let kill = |sig| move || unsafe { libc::kill(pid as i32, sig) };
        assert_eq!(with_faults(&unless, kill(0)), 0);
        assert_eq!(with_faults(&unless, kill(libc::SIGCONT)), -1);
    }
}
