//! The SIGBUS handler against real truncations, each in a forked child: a
//! handler that got it wrong kills the child, not the test binary.

use super::*;
use crate::mm::live_mappings::{live_mappings, test_lock};
use crate::mm::mmap::{file_truncated, map, truncated, unmap};
use crate::mm::ring_mapping::map_ring;
use crate::sys::constants::{MAP_FLAG_POPULATE, MAP_FLAG_PRIVATE};
use crate::testing::test_child::in_child;
use crate::testing::test_util::{raw_map, sized};
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::AtomicUsize;

const PAGE: usize = 4096;

/// What another process would do: shrink the file behind the registry's
/// back.
fn shrink(fd: &OwnedFd, size: i64) {
    // SAFETY: ftruncate of an fd the test owns.
    assert_eq!(unsafe { libc::ftruncate(fd.as_raw_fd(), size) }, 0);
}

fn peek(addr: usize) -> u8 {
    // SAFETY: callers pass an address inside a live mapping.
    unsafe { std::ptr::read_volatile(addr as *const u8) }
}

fn poke(addr: usize, value: u8) {
    // SAFETY: callers pass an address inside a live mapping.
    unsafe { std::ptr::write_volatile(addr as *mut u8, value) }
}

fn file_byte(fd: &OwnedFd, at: i64) -> i64 {
    let mut out = [0u8; 1];
    match crate::fd::positional_io::pread_all(fd.as_raw_fd(), &mut out, at) {
        Ok(1) => i64::from(out[0]),
        _ => -1, // past the end of the file
    }
}

/// Status of a forked child running `f`, which should die.
fn status_of(f: impl FnOnce()) -> i32 {
    let registry = live_mappings();
    // SAFETY: the child runs `f` (system calls only) and `_exit`s.
    let pid = unsafe { libc::fork() };
    drop(registry);
    if pid == 0 {
        // SAFETY: arms a timer for the child only, so a hang fails the test.
        unsafe { libc::alarm(10) };
        f();
        // SAFETY: ends the child without the parent's exit handlers.
        unsafe { libc::_exit(0) };
    }
    assert!(pid > 0);
    let mut status = 0;
    // SAFETY: waits for our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    status
}

fn killed_by(status: i32) -> i32 {
    if libc::WIFSIGNALED(status) {
        libc::WTERMSIG(status)
    } else {
        -libc::WEXITSTATUS(status)
    }
}

#[test]
fn a_shrunk_shared_or_private_mapping_reads_zeros_past_the_new_end() {
    let _lock = test_lock();
    for flags in [0, MAP_FLAG_PRIVATE, MAP_FLAG_PRIVATE | MAP_FLAG_POPULATE] {
        let fd = sized("shrunk", 4 * PAGE as i64);
        let got = in_child(|| {
            let addr = map(fd.as_raw_fd(), 0, Some(4 * PAGE as i64), flags).unwrap() as usize;
            for page in 0..4 {
                poke(addr + page * PAGE, 7);
            }
            let before = repairs();
            shrink(&fd, PAGE as i64);
            let intact = peek(addr);
            let lost = peek(addr + 2 * PAGE + 5); // would be SIGBUS
            poke(addr + 3 * PAGE, 9); // a write into the lost range
            let kept_in_memory = peek(addr + 3 * PAGE);
            let later = peek(addr + PAGE); // the page before: a second repair
            let marked = truncated(addr as i64).unwrap();
            let once = file_truncated(fd.as_raw_fd()).unwrap();
            let twice = file_truncated(fd.as_raw_fd()).unwrap();
            let unmapped = unmap(addr as i64).is_ok();
            [
                i64::from(intact),
                i64::from(lost),
                i64::from(kept_in_memory),
                i64::from(later),
                i64::from(repairs() - before),
                i64::from(marked),
                i64::from(once),
                i64::from(twice),
                i64::from(unmapped),
                live_mappings().len() as i64,
                file_byte(&fd, 3 * PAGE as i64),
            ]
        });
        assert_eq!(got[0], 7, "the page before the end is the file's ({flags})");
        assert_eq!(&got[1..5], &[0, 9, 0, 2], "zeros, two repairs ({flags})");
        assert_eq!(&got[5..9], &[1, 1, 0, 1], "marked, told once ({flags})");
        assert_eq!(got[10], -1, "the file stays shrunk: nothing written back");
    }
}

#[test]
fn a_shrunk_ring_reads_zeros_in_both_halves_which_still_alias() {
    let _lock = test_lock();
    let fd = sized("ring", 2 * PAGE as i64);
    let got = in_child(|| {
        let len = 2 * PAGE;
        let addr = map_ring(fd.as_raw_fd(), 0, len as i64).unwrap() as usize;
        poke(addr + PAGE + 1, 5);
        shrink(&fd, PAGE as i64);
        let second_half = peek(addr + len + PAGE + 1); // faults in the second half
        let first_half = peek(addr + PAGE + 1);
        poke(addr + PAGE + 2, 6);
        let alias = peek(addr + len + PAGE + 2);
        poke(addr + len + PAGE + 3, 8);
        let alias_back = peek(addr + PAGE + 3);
        poke(addr, 4);
        let intact = peek(addr + len); // the first page is still the file's
        let marked = truncated(addr as i64).unwrap();
        let unmapped = unmap(addr as i64).is_ok();
        [
            i64::from(second_half),
            i64::from(first_half),
            i64::from(alias),
            i64::from(alias_back),
            i64::from(intact),
            file_byte(&fd, 0),
            i64::from(marked),
            i64::from(unmapped),
        ]
    });
    assert_eq!(got, [0, 0, 6, 8, 4, 4, 1, 1]);
}

#[test]
fn a_mapping_shrunk_to_nothing_and_unmapped_is_still_told_to_its_file_once() {
    let _lock = test_lock();
    let fd = sized("gone", 2 * PAGE as i64);
    let got = in_child(|| {
        let addr = map(fd.as_raw_fd(), 0, None, 0).unwrap() as usize;
        shrink(&fd, 0);
        let zero = peek(addr + PAGE);
        let unmapped = unmap(addr as i64).is_ok();
        let once = file_truncated(fd.as_raw_fd()).unwrap();
        let twice = file_truncated(fd.as_raw_fd()).unwrap();
        [
            i64::from(zero),
            i64::from(unmapped),
            i64::from(once),
            i64::from(twice),
        ]
    });
    assert_eq!(got, [0, 1, 1, 0]);
}

#[test]
fn a_sigbus_outside_the_librarys_mappings_still_kills() {
    let _lock = test_lock();
    let fd = sized("not-ours", PAGE as i64);
    let status = status_of(|| {
        install().unwrap();
        let prot = libc::PROT_READ | libc::PROT_WRITE;
        let addr = raw_map(&fd, PAGE, prot, libc::MAP_SHARED, 0).unwrap();
        shrink(&fd, 0);
        peek(addr as usize);
    });
    assert_eq!(killed_by(status), libc::SIGBUS);
    // And one sent with kill(), before the handler is anything but ours.
    let status = status_of(|| {
        // SAFETY: the default action, in the child only.
        unsafe { libc::signal(libc::SIGBUS, libc::SIG_DFL) };
        reinstall().unwrap();
        // SAFETY: signals the child itself.
        unsafe { libc::raise(libc::SIGBUS) };
    });
    assert_eq!(killed_by(status), libc::SIGBUS);
}

static SEEN_BY_PREVIOUS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn previous(_: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel's siginfo.
    let addr = unsafe { (*info).si_addr() } as usize;
    SEEN_BY_PREVIOUS.store(addr, SeqCst);
    // Repairs the page itself, so that the touch goes on.
    let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED;
    let page = addr / PAGE * PAGE;
    // SAFETY: replaces the one page of the test's own raw mapping.
    unsafe { libc::mmap(page as *mut libc::c_void, PAGE, PROT, flags, -1, 0) };
}

#[test]
fn a_sigbus_outside_the_librarys_mappings_reaches_the_previous_handler() {
    let _lock = test_lock();
    let theirs = sized("theirs", PAGE as i64);
    let ours = sized("ours", PAGE as i64);
    let got = in_child(|| {
        // SAFETY: a zeroed sigaction filled in with an SA_SIGINFO handler.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = previous as *const () as libc::sighandler_t;
            action.sa_flags = libc::SA_SIGINFO;
            libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
        }
        reinstall().unwrap();
        let prot = libc::PROT_READ | libc::PROT_WRITE;
        let raw = raw_map(&theirs, PAGE, prot, libc::MAP_SHARED, 0).unwrap() as usize;
        let mapped = map(ours.as_raw_fd(), 0, Some(PAGE as i64), 0).unwrap() as usize;
        shrink(&theirs, 0);
        shrink(&ours, 0);
        peek(mapped + 10); // ours: repaired here, never passed on
        let after_ours = SEEN_BY_PREVIOUS.load(SeqCst);
        peek(raw + 20); // theirs
        let after_theirs = SEEN_BY_PREVIOUS.load(SeqCst);
        let unmapped = unmap(mapped as i64).is_ok();
        [
            after_ours as i64,
            (after_theirs == raw + 20) as i64,
            i64::from(unmapped),
        ]
    });
    assert_eq!(got, [0, 1, 1]);
}

#[test]
fn a_kernel_copy_into_a_shrunk_mapping_is_efault_and_leaves_it_repaired() {
    let _lock = test_lock();
    let shrunk = sized("buffer", 2 * PAGE as i64);
    let other = sized("other", 2 * PAGE as i64);
    let got = in_child(|| {
        let addr = map(shrunk.as_raw_fd(), 0, None, 0).unwrap() as usize;
        shrink(&shrunk, 0);
        // SAFETY: the mapping is live and 2 pages long.
        let into = unsafe { std::slice::from_raw_parts_mut(addr as *mut u8, 2 * PAGE) };
        let before = repairs();
        let raw = crate::fd::positional_io::pread_all(other.as_raw_fd(), into, 0);
        let untouched = truncated(addr as i64).unwrap();
        let r = crate::mm::mmap::repair_on_efault(raw, into.as_ptr(), into.len());
        let repaired = truncated(addr as i64).unwrap();
        let again = crate::fd::positional_io::pread_all(other.as_raw_fd(), into, 0);
        let unmapped = unmap(addr as i64).is_ok();
        [
            crate::testing::test_child::code(r),
            i64::from(untouched),
            i64::from(repaired),
            i64::from(repairs() - before),
            crate::testing::test_child::code(again),
            i64::from(unmapped),
        ]
    });
    let efault = -i64::from(libc::EFAULT);
    // The kernel's own copy raises no signal; the touch after it repairs
    // the whole mapping at once (the first page faults), and the memory is
    // then this process's own.
    assert_eq!(got, [efault, 0, 1, 1, 2 * PAGE as i64, 1]);
}
