//! Surviving a file that another process shrank under a mapping: the
//! SIGBUS handler that replaces the vanished pages with zero pages.
//!
//! When a peer `ftruncate`s a memfd this process mapped, every touch of a
//! page past the new end raises SIGBUS, which would kill the process. The
//! handler installed here (once, before the first mapping is handed out)
//! looks the faulting address up in a table of the library's live mappings
//! that it can read without locks or allocation, maps anonymous zero pages
//! (readable and writable, as every mapping made here is) over the vanished
//! part, marks the mapping truncated, counts the repair, and returns: the
//! faulting instruction (in V8's code or anywhere else) runs again against
//! zeros. Any other SIGBUS goes to the handler that was installed before
//! this one, or kills the process as it would have without it.
//!
//! The table mirrors [`crate::mm::live_mappings`]: a slot is published when a
//! mapping is registered and retired (waiting out any handler still reading
//! it) before its pages are unmapped, both under the registry's lock.

use std::cell::UnsafeCell;
use std::hint::spin_loop;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::*};

use crate::sys::errno::{ret, Result};

/// Live mappings the table can hold: more than the kernel's default
/// `vm.max_map_count` (65530) lets a process have at all.
pub const SLOTS: usize = 1 << 16;

/// The protection of every mapping this library makes, and so of the zero
/// pages that replace a vanished part of one.
const PROT: libc::c_int = libc::PROT_READ | libc::PROT_WRITE;

/// One live mapping, as the handler sees it. Every field but `start` is
/// written before `start` is published (Release) and read after it
/// (Acquire).
struct Slot {
    /// Where the mapping starts; 0 when the slot is free.
    start: AtomicUsize,
    /// Bytes mapped (both halves of a ring).
    span: AtomicUsize,
    /// A ring's half (each half maps the same file range); 0 for a plain
    /// mapping.
    half: AtomicUsize,
    /// The mapping granule: the page size, or the huge page size.
    granule: AtomicUsize,
    /// Offset into the file range the mapping covers from which zero pages
    /// replace the file's; the range's length while nothing was repaired.
    repaired_from: AtomicUsize,
    /// Handlers reading this slot right now.
    readers: AtomicUsize,
    /// A handler is replacing pages of this mapping.
    repairing: AtomicBool,
}

impl Slot {
    const fn new() -> Slot {
        Slot {
            start: AtomicUsize::new(0),
            span: AtomicUsize::new(0),
            half: AtomicUsize::new(0),
            granule: AtomicUsize::new(0),
            repaired_from: AtomicUsize::new(0),
            readers: AtomicUsize::new(0),
            repairing: AtomicBool::new(false),
        }
    }

    /// The length of the file range the mapping covers.
    fn range(&self) -> usize {
        match self.half.load(Relaxed) {
            0 => self.span.load(Relaxed),
            half => half,
        }
    }
}

static TABLE: [Slot; SLOTS] = [const { Slot::new() }; SLOTS];

/// Every slot ever used lies below this.
static HIGH: AtomicUsize = AtomicUsize::new(0);

/// Repairs made so far, process-wide. The TypeScript side reads this word
/// through a view of its address ([`counter_address`]) and asks which
/// mapping was repaired only when it changed, so that no call on a hot path
/// pays an FFI call for the check.
static TRUNCATIONS: AtomicU32 = AtomicU32::new(0);

/// The action SIGBUS had before this library's handler, written once
/// before the handler is installed and only read after.
struct Previous(UnsafeCell<MaybeUninit<libc::sigaction>>);

// SAFETY: written only by `install` before `INSTALLED` is set (and under the
// registry lock, so by one thread), read only after it is.
unsafe impl Sync for Previous {}

static PREVIOUS: Previous = Previous(UnsafeCell::new(MaybeUninit::uninit()));
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Installs the handler, once; later calls do nothing. Called under the
/// registry lock before every mapping is made.
pub fn install() -> Result<()> {
    if INSTALLED.load(Acquire) {
        return Ok(());
    }
    // SAFETY: `PREVIOUS` is not read before `INSTALLED` is set, and the
    // registry lock keeps a second installer out; sigaction fills it.
    ret(unsafe {
        let previous = (*PREVIOUS.0.get()).as_mut_ptr();
        libc::sigaction(libc::SIGBUS, std::ptr::null(), previous)
    })?;
    // SAFETY: an all-zero sigaction is a valid value to fill in.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = on_sigbus as *const () as libc::sighandler_t;
    // SA_ONSTACK: a fault may come with the stack nearly used up (the
    // runtime's threads have an alternate stack). SA_NODEFER: a handler we
    // chain to may re-raise SIGBUS to die of it.
    action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_NODEFER;
    // SAFETY: `sa_mask` is this local's own field.
    unsafe { libc::sigemptyset(&mut action.sa_mask) };
    INSTALLED.store(true, Release);
    // SAFETY: installs a handler that is async-signal-safe (below).
    ret(unsafe { libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut()) }).map(drop)
}

/// Publishes a mapping of `span` bytes at `start` in slot `slot` (`half`:
/// a ring's half length, or 0). The registry lock is held.
pub fn publish(slot: usize, start: usize, span: usize, half: usize, granule: usize) {
    let s = &TABLE[slot];
    s.span.store(span, Relaxed);
    s.half.store(half, Relaxed);
    s.granule.store(granule.max(1), Relaxed);
    s.repaired_from
        .store(if half == 0 { span } else { half }, Relaxed);
    s.start.store(start, Release);
    HIGH.fetch_max(slot + 1, Release);
}

/// Takes slot `slot` out of the handler's sight, waiting for any handler
/// still reading it, so that its address range can be unmapped (and reused
/// by anyone) without a late repair mapping zeros over it.
pub fn retire(slot: usize) {
    let s = &TABLE[slot];
    s.start.store(0, SeqCst);
    while s.readers.load(SeqCst) != 0 {
        spin_loop();
    }
}

/// Puts a slot [`retire`]d for an unmap the kernel refused back in sight.
pub fn publish_again(slot: usize, start: usize) {
    TABLE[slot].start.store(start, Release);
}

/// Whether the mapping in slot `slot` had pages replaced with zeros.
pub fn truncated(slot: usize) -> bool {
    let s = &TABLE[slot];
    s.repaired_from.load(Acquire) < s.range()
}

/// The address of the process-wide repair counter (a `u32`).
pub fn counter_address() -> usize {
    TRUNCATIONS.as_ptr() as usize
}

/// The repairs made so far.
#[cfg(test)]
pub fn repairs() -> u32 {
    TRUNCATIONS.load(Acquire)
}

/// The handler. Async-signal-safe: atomics, `mmap`, `mremap` and
/// `sigaction` only; no lock, no allocation; errno is kept.
extern "C" fn on_sigbus(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: errno is this thread's own variable.
    let errno = unsafe { *libc::__errno_location() };
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler.
    let (code, addr) = unsafe { ((*info).si_code, (*info).si_addr() as usize) };
    // BUS_ADRERR is what a page past the end of a file gives; anything else
    // (a SIGBUS sent with kill, a memory error) is not ours to repair.
    let repaired = code == libc::BUS_ADRERR && repair(addr);
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = errno };
    if !repaired {
        chain(sig, info, ctx);
    }
}

/// Repairs the library mapping that contains `addr`; false when none does
/// (or the kernel refused the zero pages, and the fault stands).
fn repair(addr: usize) -> bool {
    let high = HIGH.load(Acquire).min(SLOTS);
    for s in &TABLE[..high] {
        let start = s.start.load(Acquire);
        if start == 0 || addr < start || addr - start >= s.span.load(Relaxed) {
            continue;
        }
        s.readers.fetch_add(1, SeqCst);
        // Still the same mapping once `retire` can see us (it may have
        // been unmapped, its address reused, in between).
        let ok = s.start.load(SeqCst) == start && repair_slot(s, start, addr - start);
        s.readers.fetch_sub(1, SeqCst);
        return ok;
    }
    false
}

/// Replaces, in the mapping at `start`, everything from the page holding
/// byte `at` of the mapping to the part already repaired (in both halves
/// of a ring, which map the same file range).
fn repair_slot(s: &Slot, start: usize, at: usize) -> bool {
    while s
        .repairing
        .compare_exchange_weak(false, true, Acquire, Relaxed)
        .is_err()
    {
        spin_loop();
    }
    let granule = s.granule.load(Relaxed);
    let range = s.range();
    // Past the new end of the file at `at`, so past it from there on too.
    let from = at % range / granule * granule;
    let upto = s.repaired_from.load(Relaxed);
    let ok = if from >= upto {
        // Another thread repaired it between our fault and now.
        true
    } else if s.half.load(Relaxed) == 0 {
        zeros(start + from, upto - from, libc::MAP_PRIVATE)
    } else {
        let (a, b, len) = (start + from, start + range + from, upto - from);
        // Shared zero pages, mapped again over the second half, so that
        // the halves still alias each other.
        zeros(a, len, libc::MAP_SHARED) && (alias(a, b, len) || zeros(b, len, libc::MAP_PRIVATE))
    };
    if ok && from < upto {
        s.repaired_from.store(from, Release);
        TRUNCATIONS.fetch_add(1, Release);
    }
    s.repairing.store(false, Release);
    ok
}

/// Maps `len` bytes of anonymous zero pages over `addr`.
fn zeros(addr: usize, len: usize, share: libc::c_int) -> bool {
    let flags = share | libc::MAP_ANONYMOUS | libc::MAP_FIXED | libc::MAP_NORESERVE;
    // SAFETY: MAP_FIXED replaces pages of a live mapping this library made
    // (the slot says so, and `retire` waits for us before unmapping it).
    let got = unsafe { libc::mmap(addr as *mut libc::c_void, len, PROT, flags, -1, 0) };
    got != libc::MAP_FAILED
}

/// Maps the shared pages at `from` again at `to` (`mremap` with an old
/// size of 0 duplicates a shared mapping).
fn alias(from: usize, to: usize, len: usize) -> bool {
    let flags = libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED;
    // SAFETY: `from` is the shared mapping just made; `to` lies in the
    // same live mapping of the library, whose pages it replaces.
    let got = unsafe { libc::mremap(from as *mut libc::c_void, 0, len, flags, to) };
    got != libc::MAP_FAILED
}

/// Hands a SIGBUS this library does not own to the previous action.
fn chain(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: `INSTALLED` is set, so `PREVIOUS` was written.
    let previous = unsafe { (*PREVIOUS.0.get()).assume_init_ref() };
    let handler = previous.sa_sigaction;
    // SAFETY: `info` is the kernel's.
    let sent = unsafe { (*info).si_code } <= 0;
    if handler == libc::SIG_DFL || handler == libc::SIG_IGN {
        if handler == libc::SIG_IGN && sent {
            return; // a SIGBUS from kill() that was ignored before us
        }
        // As without us: the default action, which the re-executed faulting
        // instruction (or, for a sent signal, the re-raise) then takes. The
        // kernel does the same to an ignored SIGBUS from a fault.
        // SAFETY: an all-zero sigaction is SIG_DFL with an empty mask.
        let mut dfl: libc::sigaction = unsafe { std::mem::zeroed() };
        dfl.sa_sigaction = libc::SIG_DFL;
        // SAFETY: restores the default action; raise is async-signal-safe.
        unsafe {
            libc::sigaction(libc::SIGBUS, &dfl, std::ptr::null_mut());
            if sent {
                libc::raise(libc::SIGBUS);
            }
        }
        return;
    }
    if previous.sa_flags & libc::SA_SIGINFO != 0 {
        // SAFETY: the previous handler was installed as an SA_SIGINFO
        // handler, so it takes these three arguments.
        let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
            unsafe { std::mem::transmute(handler) };
        f(sig, info, ctx);
    } else {
        // SAFETY: the previous handler was installed as a plain handler.
        let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(handler) };
        f(sig);
    }
}

/// Puts the handler in again over whatever SIGBUS has now, which becomes
/// the previous action (for a forked child test that installs its own
/// handler first).
#[cfg(test)]
pub fn reinstall() -> Result<()> {
    INSTALLED.store(false, SeqCst);
    install()
}

#[cfg(test)]
mod tests;
