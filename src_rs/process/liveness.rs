//! Is another process still there? How a ring side checks on its peer
//! without touching anything the peer controls: by pid alone. Existence
//! comes from a pidfd (`pidfd_open` + `poll`, Linux 5.3+; it also tells an
//! exited, not yet reaped process) or, where the kernel has no pidfds,
//! `kill(pid, 0)`. Identity comes from the process's start time in
//! `/proc/<pid>/stat`: procfs answers from the kernel's task, never from a
//! file system the peer serves, so nothing here can sleep on a peer-made
//! object (a FUSE file, a FIFO, a stalled page). A pid that now names a
//! newer process has another start time, so pid reuse is caught.

use crate::sys::errno::{Errno, Result};

/// What `/proc/<pid>/stat` says about a process.
struct Stat {
    /// Field 3: `R`, `S`, `D`, `Z` (exited, not reaped), `X` (dead), …
    state: u8,
    /// Field 22: clock ticks after boot when the process started.
    start: u64,
}

/// `pid` as the kernel's calls take it: positive only (0 and negatives
/// name process groups or every process to `kill`).
fn checked(pid: i32) -> Result<i32> {
    if pid <= 0 {
        return Err(Errno::EINVAL);
    }
    Ok(pid)
}

/// Parses a `/proc/<pid>/stat` line. The command name (field 2) is in
/// parentheses and may hold spaces and `)`, so fields are counted from the
/// last `)`.
fn parse_stat(line: &[u8]) -> Option<Stat> {
    let close = line.iter().rposition(|&b| b == b')')?;
    let rest = std::str::from_utf8(line.get(close + 1..)?).ok()?;
    let mut fields = rest.split_ascii_whitespace();
    let state = *fields.next()?.as_bytes().first()?;
    // Fields 4 to 21 lie between the state and the start time.
    let start = fields.nth(18)?.parse().ok()?;
    Some(Stat { state, start })
}

/// Reads the stat line of `pid`'s main thread, `/proc/<pid>/task/<pid>/stat`
/// (the same state and start time as `/proc/<pid>/stat`): `ENOENT` when
/// there is no such process (or procfs hides it), `EIO` when the line does
/// not parse. Not `/proc/<pid>/stat` itself: qemu-user answers a process's
/// read of its own `/proc/self/stat` and `/proc/<pid>/stat` with a start
/// time of its own making, which its peer, reading the kernel's, took for
/// another process.
fn stat(pid: i32) -> Result<Stat> {
    let pid = checked(pid)?;
    let line =
        std::fs::read(format!("/proc/{pid}/task/{pid}/stat")).map_err(|e| Errno::from_io(&e))?;
    parse_stat(&line).ok_or(Errno::EIO)
}

/// When process `pid` started, in clock ticks after boot (the identity that
/// tells it from a later process given the same pid); `ENOENT` when there is
/// none, `EINVAL` for a pid that is not positive.
pub fn start_time(pid: i32) -> Result<u64> {
    stat(pid).map(|s| s.start)
}

/// Whether process `pid` exists per the kernel's pid table, and whether it
/// has already exited (a pidfd answers that; `kill` cannot): `None` when
/// there is no such process.
fn exists(pid: i32) -> Result<Option<bool>> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd >= 0 {
        let fd = i32::try_from(fd).map_err(|_| Errno::EIO)?;
        let mut poll = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd; a 0 timeout returns at once. A pidfd is
        // readable once its process has exited.
        let ready = unsafe { libc::poll(&mut poll, 1, 0) };
        let polled = Errno::last();
        // SAFETY: `fd` is the pidfd opened above, closed once.
        unsafe { libc::close(fd) };
        if ready < 0 {
            return Err(polled);
        }
        return Ok(Some(ready > 0));
    }
    match Errno::last() {
        Errno::ESRCH => Ok(None),
        // No pidfds (before 5.3, or a seccomp filter): the pid table only.
        _ => {
            // SAFETY: signal 0 sends nothing; it only checks that `pid` exists.
            if unsafe { libc::kill(pid, 0) } == 0 {
                return Ok(Some(false));
            }
            match Errno::last() {
                Errno::ESRCH => Ok(None),
                // Another user's process: it exists.
                Errno::EPERM => Ok(Some(false)),
                e => Err(e),
            }
        }
    }
}

/// `false` only when the process that recorded `pid` is certainly gone: no
/// such process, one that exited, or one whose start time's low 32 bits
/// differ from `start` (another process now has the pid; `start` 0 skips
/// that check). `true` when it runs, or cannot be told apart (procfs hides
/// another user's processes: the pid table says it exists).
pub fn alive(pid: i32, start: u32) -> Result<bool> {
    let pid = checked(pid)?;
    match exists(pid)? {
        None | Some(true) => return Ok(false),
        Some(false) => {}
    }
    match stat(pid) {
        // Low 32 bits: what a ring's header slot holds.
        Ok(s) => Ok(!matches!(s.state, b'Z' | b'X') && (start == 0 || s.start as u32 == start)),
        // Gone between the two looks, or hidden (`hidepid`): ask again.
        Err(Errno::ENOENT) => Ok(exists(pid)?.is_some_and(|exited| !exited)),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own_pid() -> i32 {
        // SAFETY: getpid cannot fail.
        unsafe { libc::getpid() }
    }

    #[test]
    fn a_stat_line_parses_past_a_name_with_spaces_and_parentheses() {
        let line = b"42 (a) b (c)) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 9876 20 21\n";
        let s = parse_stat(line).unwrap();
        assert_eq!((s.state, s.start), (b'S', 9876));
        assert!(parse_stat(b"42 (cut) S 1 2").is_none());
        assert!(parse_stat(b"no parenthesis").is_none());
    }

    #[test]
    fn this_process_is_alive_with_its_start_time_and_not_with_another() {
        let pid = own_pid();
        let start = start_time(pid).unwrap();
        assert!(start > 0);
        assert_eq!(alive(pid, start as u32), Ok(true));
        assert_eq!(alive(pid, 0), Ok(true));
        assert_eq!(alive(pid, (start as u32).wrapping_add(1)), Ok(false));
    }

    #[test]
    fn pids_that_name_groups_or_nobody_are_refused_or_gone() {
        for pid in [0, -1, i32::MIN] {
            assert_eq!(alive(pid, 0), Err(Errno::EINVAL));
            assert_eq!(start_time(pid).map(drop), Err(Errno::EINVAL));
        }
        // Above the kernel's pid limit (4194304 at most): nobody.
        assert_eq!(alive(i32::MAX, 0), Ok(false));
        assert_eq!(start_time(i32::MAX).map(drop), Err(Errno::ENOENT));
    }

    /// A child that sleeps until killed, its pid and its start time.
    fn sleeper() -> (std::process::Child, i32, u32) {
        let child = std::process::Command::new("sleep")
            .arg("1000")
            .spawn()
            .unwrap();
        let pid = i32::try_from(child.id()).unwrap();
        let start = start_time(pid).unwrap() as u32;
        (child, pid, start)
    }

    /// Kills `child` and waits until it is a zombie: exited, not reaped.
    fn kill_to_zombie(child: &mut std::process::Child, pid: i32) {
        child.kill().unwrap();
        while stat(pid).map(|s| s.state).unwrap() != b'Z' {
            std::thread::yield_now();
        }
    }

    #[test]
    fn a_child_is_alive_until_it_exits_and_gone_before_it_is_reaped() {
        let (mut child, pid, start) = sleeper();
        assert_eq!(alive(pid, start), Ok(true));
        child.kill().unwrap();
        // Exited, not reaped: a zombie still holds the pid.
        while stat(pid).map(|s| s.state).unwrap() != b'Z' {
            std::thread::yield_now();
        }
        assert_eq!(alive(pid, start), Ok(false));
        child.wait().unwrap();
        assert_eq!(alive(pid, start), Ok(false));
    }

    #[test]
    fn without_pidfds_the_pid_table_and_the_start_time_answer() {
        use crate::testing::syscall_faults::{with_faults, Fault};
        let (mut child, pid, start) = sleeper();
        let no_pidfd = [Fault::always(libc::SYS_pidfd_open, libc::ENOSYS)];
        assert_eq!(with_faults(&no_pidfd, || alive(pid, start)), Ok(true));
        kill_to_zombie(&mut child, pid);
        // `kill(pid, 0)` still finds a zombie; its state says it exited.
        assert_eq!(with_faults(&no_pidfd, || alive(pid, start)), Ok(false));
        child.wait().unwrap();
        assert_eq!(with_faults(&no_pidfd, || alive(pid, start)), Ok(false));
        let own = own_pid();
        assert_eq!(with_faults(&no_pidfd, || alive(own, 0)), Ok(true));
    }
}
