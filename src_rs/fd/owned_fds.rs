//! The fds this library owns: the only fds its exports act on.
//!
//! An fd is registered, with its [`Kind`], when the library created it
//! (`memfd_create`, `socket`, `accept`, `eventfd`), opened it (by path),
//! received it (`SCM_RIGHTS`), duplicated it, or adopted it after checking
//! it is a memfd. Every export that takes an fd first [`borrow`]s it as the
//! kind it expects, so an fd Deno (or anything else in the process) opened
//! is `EBADF` before any system call touches it, and a memfd export never
//! acts on a socket or the other way round.
//!
//! One `AtomicU32` per fd number holds the kind, a "closing" flag and the
//! number of calls using the fd right now. A borrow is one compare-and-swap
//! and its end one subtraction, with no lock. [`close`] marks the fd closing
//! (new borrows are refused from then on) and closes it at once when nobody
//! is using it, or else leaves that to the last borrower, so the fd number
//! can never be handed out again while a call is still acting on it.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::sys::errno::{check, Errno, Result};

/// What an owned fd is; exports accept only the kind they work on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Kind {
    /// A memfd.
    Memfd = 1,
    /// A listening Unix socket.
    Listener = 2,
    /// A connection accepted on a listener.
    Connection = 3,
    /// An eventfd that wakes waits on sockets.
    Wake = 4,
}

const KIND_MASK: u32 = 0b111;
const CLOSING: u32 = 0b1000;
const ONE_USER: u32 = 0b1_0000;

/// Fd numbers the table covers: Linux's default `fs.nr_open` (the highest
/// `ulimit -n` a process can have unless root raised it). 4 MiB of zeroed
/// memory that the kernel only backs for the numbers in use.
const SLOTS: usize = 1 << 20;

static TABLE: [AtomicU32; SLOTS] = [const { AtomicU32::new(0) }; SLOTS];

fn slot(fd: i32) -> Option<&'static AtomicU32> {
    usize::try_from(fd).ok().and_then(|i| TABLE.get(i))
}

fn kind_bits(state: u32) -> u32 {
    state & KIND_MASK
}

fn users(state: u32) -> u32 {
    state / ONE_USER
}

/// Whether a close is under way with nobody left using the fd: the closing
/// thread is between `close()` and clearing the slot.
fn being_closed(state: u32) -> bool {
    state & CLOSING != 0 && users(state) == 0
}

/// Takes ownership of `fd`, fresh from the kernel, as a `kind`. When the
/// number is beyond the table the fd is closed and the result is `EMFILE`.
pub fn register(fd: i32, kind: Kind) -> Result<i32> {
    let Some(slot) = slot(fd) else {
        // SAFETY: `fd` was just made by the caller and is owned by nobody
        // else; it cannot be tracked, so it must not stay open.
        unsafe { libc::close(fd) };
        return Err(Errno::EMFILE);
    };
    let mut state = slot.load(Ordering::Acquire);
    loop {
        if being_closed(state) {
            // The kernel reused the number of an fd whose closer has not
            // cleared its slot yet; that takes a few instructions.
            std::thread::yield_now();
            state = slot.load(Ordering::Acquire);
            continue;
        }
        // Any other state is stale (the number was closed behind the
        // library's back): the kernel just gave it out, so it is ours now.
        // Users counted there are refused borrows that will subtract again.
        let new = (state & !(KIND_MASK | CLOSING)) | kind as u32;
        match slot.compare_exchange_weak(state, new, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return Ok(fd),
            Err(now) => state = now,
        }
    }
}

/// Takes ownership of `fd`, which the caller checked is a `kind` but did
/// not just create: nothing changes when it is owned already as that kind;
/// `EBADF` when it is owned as another kind or being closed.
pub fn adopt(fd: i32, kind: Kind) -> Result<i32> {
    let slot = slot(fd).ok_or(Errno::EBADF)?;
    let mut state = slot.load(Ordering::Acquire);
    loop {
        if kind_bits(state) == kind as u32 && state & CLOSING == 0 {
            return Ok(fd);
        }
        if kind_bits(state) != 0 {
            return Err(Errno::EBADF);
        }
        let new = state | kind as u32;
        match slot.compare_exchange_weak(state, new, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return Ok(fd),
            Err(now) => state = now,
        }
    }
}

/// An owned fd in use by one call; the fd stays open until it is dropped.
#[derive(Debug)]
pub struct Borrowed {
    fd: i32,
}

impl Borrowed {
    /// The fd number.
    pub fn fd(&self) -> i32 {
        self.fd
    }
}

impl Drop for Borrowed {
    fn drop(&mut self) {
        let Some(slot) = slot(self.fd) else { return };
        let before = slot.fetch_sub(ONE_USER, Ordering::AcqRel);
        if before & CLOSING != 0 && users(before) == 1 {
            // The fd was closed while in use here: the close falls to us,
            // and its caller was told 0 already; nobody is left to tell.
            let _ = finish_close(self.fd, slot);
        }
    }
}

/// `fd` for one call, if the library owns it as a `kind`; `EBADF` for any
/// other fd (not open, someone else's, another kind, being closed).
pub fn borrow(fd: i32, kind: Kind) -> Result<Borrowed> {
    let slot = slot(fd).ok_or(Errno::EBADF)?;
    let mut state = slot.load(Ordering::Relaxed);
    loop {
        if kind_bits(state) != kind as u32 || state & CLOSING != 0 {
            return Err(Errno::EBADF);
        }
        match slot.compare_exchange_weak(
            state,
            state + ONE_USER,
            Ordering::Acquire,
            Ordering::Relaxed,
        ) {
            Ok(_) => return Ok(Borrowed { fd }),
            Err(now) => state = now,
        }
    }
}

/// `fd`, if the library owns it as a `kind` right now; `EBADF` otherwise.
///
/// A look, not a loan: one load, no write. Only for calls that merely read
/// the fd's metadata (`fstat`, `F_GET_SEALS`, `F_GETFD`, its `/proc` link):
/// should another thread close the fd in between and the number be reused,
/// such a call reports on the other file but changes nothing, where a
/// [`borrow`] (two atomic read-modify-writes, measured 60–150 ns on the
/// development VM around a 300 ns `fcntl`) would have kept the fd open.
pub fn peek(fd: i32, kind: Kind) -> Result<i32> {
    let state = slot(fd).ok_or(Errno::EBADF)?.load(Ordering::Acquire);
    if kind_bits(state) != kind as u32 || state & CLOSING != 0 {
        return Err(Errno::EBADF);
    }
    Ok(fd)
}

/// The kind `fd` is owned as, if any (a snapshot: it may change at once).
pub fn kind_of(fd: i32) -> Option<Kind> {
    let state = slot(fd)?.load(Ordering::Acquire);
    if state & CLOSING != 0 {
        return None;
    }
    [Kind::Memfd, Kind::Listener, Kind::Connection, Kind::Wake]
        .into_iter()
        .find(|&k| kind_bits(state) == k as u32)
}

fn finish_close(fd: i32, slot: &AtomicU32) -> Result<i64> {
    // Never retried: after EINTR Linux has already released the fd number,
    // and a retry could close someone else's.
    // SAFETY: the fd is owned here, marked closing and used by nobody.
    let r = check(i64::from(unsafe { libc::close(fd) }));
    // A `register` of the reused number waits for this.
    slot.fetch_and(!(KIND_MASK | CLOSING), Ordering::AcqRel);
    r
}

/// Closes the owned fd `fd` (of any kind) and forgets it: 0, or `EBADF` when
/// the library does not own it. When a call is still using it the close
/// happens as that call ends (0 is returned now).
pub fn close(fd: i32) -> Result<i64> {
    let slot = slot(fd).ok_or(Errno::EBADF)?;
    let mut state = slot.load(Ordering::Acquire);
    loop {
        if kind_bits(state) == 0 || state & CLOSING != 0 {
            return Err(Errno::EBADF);
        }
        match slot.compare_exchange_weak(
            state,
            state | CLOSING,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => break,
            Err(now) => state = now,
        }
    }
    if users(state) == 0 {
        finish_close(fd, slot)
    } else {
        Ok(0)
    }
}

/// Held by every test that registers fds, so that a number one test closed
/// and then checks is not registered meanwhile by another test's thread.
#[cfg(test)]
pub fn test_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh fd from the kernel that the library does not own yet, and
    /// its inode (unique, unlike an eventfd's).
    fn kernel_fd() -> (i32, u64) {
        // SAFETY: a constant NUL-terminated name.
        let fd = unsafe { libc::memfd_create(c"owned".as_ptr(), libc::MFD_CLOEXEC) };
        assert!(fd >= 0);
        (fd, inode(fd).unwrap())
    }

    fn inode(fd: i32) -> Option<u64> {
        // SAFETY: an all-zero `stat` is a valid value of this plain C struct.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: `st` is writable for the kernel to fill.
        (unsafe { libc::fstat(fd, &mut st) } == 0).then_some(st.st_ino)
    }

    /// Whether `fd` is still the open file with inode `ino` (a closed number
    /// may be reused by another test's thread at once).
    fn still_open(fd: i32, ino: u64) -> bool {
        inode(fd) == Some(ino)
    }

    #[test]
    fn only_registered_fds_of_the_right_kind_can_be_borrowed() {
        let _lock = test_lock();
        let (fd, _) = kernel_fd();
        assert_eq!(register(fd, Kind::Wake), Ok(fd));
        assert_eq!(borrow(fd, Kind::Wake).unwrap().fd(), fd);
        assert_eq!(borrow(fd, Kind::Memfd).unwrap_err(), Errno::EBADF);
        assert_eq!(
            (peek(fd, Kind::Wake), peek(fd, Kind::Memfd)),
            (Ok(fd), Err(Errno::EBADF))
        );
        assert_eq!(kind_of(fd), Some(Kind::Wake));
        for stranger in [-1, i32::MIN, i32::MAX, SLOTS as i32] {
            assert_eq!(borrow(stranger, Kind::Memfd).unwrap_err(), Errno::EBADF);
            assert_eq!(peek(stranger, Kind::Memfd), Err(Errno::EBADF));
            assert_eq!(close(stranger), Err(Errno::EBADF));
        }
        assert_eq!(close(fd), Ok(0));
        assert_eq!(borrow(fd, Kind::Wake).unwrap_err(), Errno::EBADF);
        assert_eq!(close(fd), Err(Errno::EBADF), "closed once only");
    }

    #[test]
    fn an_unowned_fd_is_never_closed() {
        let _lock = test_lock();
        let (fd, ino) = kernel_fd();
        assert_eq!(close(fd), Err(Errno::EBADF));
        assert!(still_open(fd, ino));
        // SAFETY: the test's own fd.
        unsafe { libc::close(fd) };
    }

    #[test]
    fn a_close_during_a_borrow_waits_for_its_end() {
        let _lock = test_lock();
        let (fd, ino) = kernel_fd();
        register(fd, Kind::Memfd).unwrap();
        let using = borrow(fd, Kind::Memfd).unwrap();
        let also = borrow(fd, Kind::Memfd).unwrap();
        assert_eq!(close(fd), Ok(0));
        assert_eq!(borrow(fd, Kind::Memfd).unwrap_err(), Errno::EBADF);
        assert_eq!(peek(fd, Kind::Memfd), Err(Errno::EBADF), "closing");
        assert!(still_open(fd, ino), "in use: the number is not free yet");
        drop(using);
        assert!(still_open(fd, ino));
        drop(also);
        assert!(!still_open(fd, ino), "the last borrower closed it");
    }

    #[test]
    fn adopt_keeps_an_owned_fd_and_refuses_another_kind() {
        let _lock = test_lock();
        let (fd, ino) = kernel_fd();
        assert_eq!(adopt(fd, Kind::Memfd), Ok(fd));
        assert_eq!(adopt(fd, Kind::Memfd), Ok(fd), "adopting twice is a no-op");
        assert_eq!(adopt(fd, Kind::Wake), Err(Errno::EBADF));
        assert_eq!(adopt(-1, Kind::Memfd), Err(Errno::EBADF));
        assert_eq!(close(fd), Ok(0));
        assert!(!still_open(fd, ino));
    }

    #[test]
    fn numbers_beyond_the_table_are_closed_and_emfile() {
        let (fd, ino) = kernel_fd();
        let high = SLOTS as i32 + 5;
        // SAFETY: dup2 onto a number no test uses; the copy is ours.
        if unsafe { libc::dup2(fd, high) } == high {
            assert_eq!(register(high, Kind::Memfd), Err(Errno::EMFILE));
            assert!(!still_open(high, ino));
        }
        // SAFETY: the test's own fd.
        unsafe { libc::close(fd) };
    }

    #[test]
    fn being_closed_is_a_closing_mark_with_no_user_left() {
        let memfd = Kind::Memfd as u32;
        assert!(being_closed(CLOSING | memfd));
        assert!(being_closed(CLOSING));
        for state in [0, memfd, memfd + ONE_USER, CLOSING | memfd | ONE_USER] {
            assert!(!being_closed(state), "{state:#b}");
        }
    }

    #[test]
    fn register_replaces_a_stale_kind_and_keeps_refused_users() {
        let _lock = test_lock();
        let (fd, ino) = kernel_fd();
        let slot = slot(fd).unwrap();
        // As if this number had been a Wake closed behind the library's back
        // while two refused borrows were still to subtract themselves.
        slot.store(Kind::Wake as u32 | (2 * ONE_USER), Ordering::Release);
        assert_eq!(register(fd, Kind::Memfd), Ok(fd));
        assert_eq!(
            slot.load(Ordering::Acquire),
            Kind::Memfd as u32 | (2 * ONE_USER)
        );
        slot.fetch_sub(2 * ONE_USER, Ordering::AcqRel);
        assert_eq!(kind_of(fd), Some(Kind::Memfd));
        assert_eq!(borrow(fd, Kind::Memfd).map(|b| b.fd()), Ok(fd));
        assert_eq!(close(fd), Ok(0));
        assert!(!still_open(fd, ino));
    }

    #[test]
    fn finish_close_closes_and_clears_the_kind_and_the_mark_only() {
        let (fd, ino) = kernel_fd();
        // A slot of its own: the shared table is not touched.
        let slot = AtomicU32::new(CLOSING | Kind::Memfd as u32 | (3 * ONE_USER));
        assert_eq!(finish_close(fd, &slot), Ok(0));
        assert_eq!(slot.load(Ordering::Acquire), 3 * ONE_USER);
        assert!(!still_open(fd, ino));
    }

    #[test]
    fn concurrent_borrows_and_a_close_never_act_on_a_closed_number() {
        let _lock = test_lock();
        for _ in 0..50 {
            let (fd, ino) = kernel_fd();
            register(fd, Kind::Memfd).unwrap();
            let threads: Vec<_> = (0..4)
                .map(|_| {
                    std::thread::spawn(move || {
                        for _ in 0..200 {
                            if let Ok(b) = borrow(fd, Kind::Memfd) {
                                assert!(still_open(b.fd(), ino), "borrowed yet closed");
                            }
                        }
                    })
                })
                .collect();
            assert_eq!(close(fd), Ok(0));
            for t in threads {
                t.join().unwrap();
            }
            assert_eq!(borrow(fd, Kind::Memfd).unwrap_err(), Errno::EBADF);
            assert!(!still_open(fd, ino));
        }
    }
}
