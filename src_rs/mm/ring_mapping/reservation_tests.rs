//! What `map_ring` leaves in the address space: the ring and nothing else.
//! The reservation it carves the ring from must be given back whole, around
//! a huge-page-aligned ring and after a failure alike.
//!
//! Each check runs in a forked child, where the test's thread is the only
//! one, so no other test maps memory between the two reads of
//! `/proc/self/maps` that are compared.

use std::panic::AssertUnwindSafe;

use super::map_ring;
use crate::mm::live_mappings::{live_mappings, test_lock};
use crate::mm::mmap::{unmap, view_length};
use crate::sys::constants::{F_SEAL_WRITE, MFD_CLOEXEC, MFD_HUGETLB, MFD_HUGE_SHIFT};
use crate::sys::errno::Errno;
use crate::testing::test_util::{huge_pages_available, memfd, sized};
use std::os::fd::{AsRawFd, OwnedFd};

/// One line of `/proc/self/maps`: start, end and permissions.
type Vma = (usize, usize, [u8; 4]);

/// The process's mappings, read into buffers allocated beforehand so that
/// reading them maps nothing new.
fn vmas(text: &mut String, out: &mut Vec<Vma>) {
    use std::io::Read;
    text.clear();
    out.clear();
    let mut file = std::fs::File::open("/proc/self/maps").expect("maps");
    file.read_to_string(text).expect("read maps");
    for line in text.lines() {
        let (range, rest) = line.split_once(' ').expect("range");
        let (lo, hi) = range.split_once('-').expect("lo-hi");
        let hex = |s: &str| usize::from_str_radix(s, 16).expect("hex");
        let perms = rest.as_bytes()[..4].try_into().expect("perms");
        out.push((hex(lo), hex(hi), perms));
    }
}

/// A snapshot of the mappings; the buffers are sized once, before use.
struct Maps {
    text: String,
    vmas: Vec<Vma>,
}

impl Maps {
    fn new() -> Self {
        Maps {
            text: String::with_capacity(4 << 20),
            vmas: Vec::with_capacity(1 << 16),
        }
    }

    fn read(&mut self) -> &[Vma] {
        vmas(&mut self.text, &mut self.vmas);
        &self.vmas
    }

    /// The mappings in `now` that `self` does not have as they are.
    fn added<'a>(&self, now: &'a Maps) -> impl Iterator<Item = &'a Vma> + use<'a, '_> {
        now.vmas.iter().filter(|v| !self.vmas.contains(v))
    }
}

fn overlaps(v: &Vma, lo: usize, hi: usize) -> bool {
    v.0 < hi && lo < v.1
}

/// Runs `body` in a forked child: its exit code (0 for success), or 99 when
/// it panicked, or -1 when it died of a signal.
fn in_child(body: impl FnOnce() -> i32) -> i32 {
    // Held across the fork, so no other thread holds the registry in the
    // child's copy; the child releases its copy before `body` runs.
    let registry = live_mappings();
    // SAFETY: the child runs single-threaded code that takes no lock another
    // thread could have held at the fork, and leaves by `_exit`.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        drop(registry);
        let code = std::panic::catch_unwind(AssertUnwindSafe(body)).unwrap_or(99);
        // SAFETY: ends the child without running the parent's destructors.
        unsafe { libc::_exit(code) };
    }
    drop(registry);
    assert!(pid > 0, "fork");
    let mut status = 0;
    // SAFETY: waits for the child forked above.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    }
}

/// Checks a ring of one huge page: 0 when it is aligned, aliased, registered
/// and surrounded by exactly what was there before, before and after its
/// unmap; 10 when no huge page was free after all; else the failed check.
fn huge_ring_leaves_nothing_else(fd: i32, huge: usize) -> i32 {
    let (mut before, mut mapped, mut after) = (Maps::new(), Maps::new(), Maps::new());
    before.read();
    let start = match map_ring(fd, 0, huge as i64) {
        Ok(addr) => addr as usize,
        Err(Errno::ENOMEM) => return 10,
        Err(_) => return 1,
    };
    mapped.read();
    let span = 2 * huge;
    if !start.is_multiple_of(huge) {
        return 2;
    }
    // SAFETY: the ring is live and `span` bytes long.
    let ring = unsafe { std::slice::from_raw_parts_mut(start as *mut u8, span) };
    ring[huge - 1] = 7;
    if ring[span - 1] != 7 || view_length(start as i64) != Ok(span as i64) {
        return 3;
    }
    // Whatever the reservation could have covered, with a margin.
    let (lo, hi) = (start - 2 * huge, start + span + 2 * huge);
    let stray = before
        .added(&mapped)
        .any(|v| overlaps(v, lo, hi) && (v.0 < start || v.1 > start + span));
    let gone = mapped.added(&before).any(|v| overlaps(v, lo, hi));
    if stray || gone {
        return 4;
    }
    if unmap(start as i64).is_err() {
        return 5;
    }
    after.read();
    let changed = |a: &Maps, b: &Maps| a.added(b).any(|v| overlaps(v, lo, hi));
    if changed(&before, &after) || changed(&after, &before) {
        return 6;
    }
    0
}

#[test]
fn a_huge_page_ring_is_aligned_and_leaves_no_reservation_behind() {
    let _lock = test_lock();
    const HUGE: usize = 2 << 20;
    let flags = MFD_CLOEXEC | MFD_HUGETLB | (21 << MFD_HUGE_SHIFT);
    if !crate::testing::test_util::kernel().hugetlb {
        return; // before 4.14: no hugetlb memfd to map
    }
    let fd = memfd("huge-ring", flags);
    assert_eq!(
        crate::fd::file_size::resize(fd.as_raw_fd(), HUGE as i64),
        Ok(())
    );
    if huge_pages_available(2048) < 1 {
        return; // no free 2 MiB page to map
    }
    match in_child(|| huge_ring_leaves_nothing_else(fd.as_raw_fd(), HUGE)) {
        10 => eprintln!("skipped: the free 2 MiB page went elsewhere"),
        code => assert_eq!(code, 0, "the check that failed"),
    }
}

#[test]
fn a_refused_ring_gives_its_whole_reservation_back() {
    let _lock = test_lock();
    let page = crate::sys::page_size::page_size();
    // An odd size, so that a leftover reservation is easy to tell apart.
    let length = 13 * page;
    let fd: OwnedFd = sized("refused-ring", length as i64);
    assert_eq!(
        crate::fd::seals::add(fd.as_raw_fd(), F_SEAL_WRITE.into()),
        Ok(())
    );
    let code = in_child(|| {
        let (mut before, mut after) = (Maps::new(), Maps::new());
        before.read();
        if map_ring(fd.as_raw_fd(), 0, length as i64) != Err(Errno::EPERM) {
            return 1;
        }
        after.read();
        // Nothing ran between the reads but the refused map_ring.
        let new = before.added(&after).count() + after.added(&before).count();
        i32::from(new != 0) * 2
    });
    assert_eq!(code, 0, "the check that failed");
}
