//! A ring of the library's layout (docs/ring.md, version 2), for the
//! native floors of the ring rows: a private memfd holding a header page
//! (`head` at byte 64, `tail` at byte 128, indices modulo `2 * capacity`)
//! and `capacity` bytes of data, driven by threads of this process that
//! spin on the indices as two processes would.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

use crate::baselines::{map, memfd_create, neg_errno, page_size, Fd, Map};

pub(crate) const SLOT_HEAD: usize = 16;
pub(crate) const SLOT_TAIL: usize = 32;
/// Index checks (each a `pause`, about 50 ns here) before a waiting side
/// starts yielding its CPU: some 200 µs, far more than a hand-off between
/// two running cores takes, far less than a time slice.
const YIELD_AFTER: u32 = 1 << 12;
/// A side waiting this long for the other has lost it.
const STALL: Duration = Duration::from_secs(30);
pub(crate) const ETIMEDOUT: i64 = -(libc::ETIMEDOUT as i64);

pub(crate) struct Ring {
    map: Map,
    page: usize,
    capacity: usize,
    _fd: Fd,
}

// SAFETY: the mapping is shared memory that the threads only touch through
// atomics (the indices) or in turns the indices order (the data), as two
// processes would.
unsafe impl Sync for Ring {}

impl Ring {
    /// A ring of `capacity` data bytes (a whole number of pages).
    pub(crate) fn create(capacity: usize) -> Result<Ring, i64> {
        let page = page_size()?;
        if capacity == 0 || !capacity.is_multiple_of(page) || capacity > 1 << 30 {
            return Err(-(libc::EINVAL as i64));
        }
        let fd = Fd(memfd_create()?);
        let len = page + capacity;
        // SAFETY: ftruncate only reads its integer arguments.
        if unsafe { libc::ftruncate(fd.0, len as i64) } < 0 {
            return Err(neg_errno());
        }
        let map = map(fd.0, len)?;
        Ok(Ring {
            map,
            page,
            capacity,
            _fd: fd,
        })
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    pub(crate) fn slot(&self, index: usize) -> &AtomicI32 {
        // SAFETY: slots 16 and 32 are 4-byte-aligned int32s inside the
        // header page of a live mapping, accessed only atomically.
        unsafe { &*self.map.addr.cast::<AtomicI32>().add(index) }
    }

    /// The data byte at ring index `index`, and how many bytes follow it
    /// before the end of the data (no mirror mapping here).
    pub(crate) fn at(&self, index: i32) -> (*mut u8, usize) {
        let offset = index as usize % self.capacity;
        // SAFETY: `offset` is below `capacity`, inside the data region.
        (
            unsafe { self.map.addr.add(self.page + offset) },
            self.capacity - offset,
        )
    }

    /// `index` moved on by `n` bytes, modulo `2 * capacity`.
    pub(crate) fn advance(&self, index: i32, n: usize) -> i32 {
        ((index as usize + n) % (2 * self.capacity)) as i32
    }

    /// Bytes pending between `head` and `tail`.
    pub(crate) fn used(&self, head: i32, tail: i32) -> usize {
        (head as usize + 2 * self.capacity - tail as usize) % (2 * self.capacity)
    }
}

/// Spins until `ready()`, yielding the CPU after `YIELD_AFTER` checks;
/// `-ETIMEDOUT` when `stop` is raised or `STALL` passes.
pub(crate) fn spin_until(ready: impl Fn() -> bool, stop: &AtomicBool) -> Result<(), i64> {
    let mut spins = 0u32;
    let mut since: Option<Instant> = None;
    while !ready() {
        spins = spins.saturating_add(1);
        if spins < YIELD_AFTER {
            std::hint::spin_loop();
            continue;
        }
        if stop.load(Ordering::Relaxed) {
            return Err(ETIMEDOUT);
        }
        if since.get_or_insert_with(Instant::now).elapsed() > STALL {
            return Err(ETIMEDOUT);
        }
        // SAFETY: sched_yield takes no arguments.
        unsafe { libc::sched_yield() };
    }
    Ok(())
}
