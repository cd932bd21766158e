//! The native floor of `ring-latency`: the same 64-byte ping-pong as the
//! Deno rows, over the same memory layout (docs/ring.md, version 2: a
//! header page with `head` at byte 64 and `tail` at byte 128, indices
//! modulo `2 * capacity`, then one page of data, in a memfd of its own),
//! one ring each way, between two threads of this process that spin on
//! the indices. Nothing sleeps in the kernel while both threads have a CPU,
//! so a round trip is two cache-line hand-offs between cores plus the
//! copies: the least any ring can take on this machine.
//!
//! A spinning side that has waited `YIELD_AFTER` checks calls
//! `sched_yield()` between checks, so that with both threads on one CPU
//! (or beside busy loops) the peer gets to run instead of a whole time
//! slice being burnt; and gives up with `-ETIMEDOUT` after `STALL`.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

use crate::baselines::{memfd_create, neg_errno, page_size, Fd, Map};

const SLOT_HEAD: usize = 16;
const SLOT_TAIL: usize = 32;
/// Bytes per message, as `bench/compare/latency_wire.ts` has it.
const MESSAGE: usize = 64;
/// Index checks (each a `pause`, about 50 ns here) before a waiting side
/// starts yielding its CPU: some 200 µs, far more than a hand-off between
/// two running cores takes, far less than a time slice.
const YIELD_AFTER: u32 = 1 << 12;
/// A side waiting this long for the other has lost it.
const STALL: Duration = Duration::from_secs(30);
const ETIMEDOUT: i64 = -(libc::ETIMEDOUT as i64);
const EINVAL: i64 = -(libc::EINVAL as i64);

/// One ring: a private memfd holding a header page and one data page.
struct Ring {
    map: Map,
    page: usize,
    _fd: Fd,
}

// SAFETY: the mapping is shared memory that both threads only touch
// through atomics (the indices) or in disjoint turns the indices order
// (the data), as two processes would.
unsafe impl Sync for Ring {}

impl Ring {
    fn create() -> Result<Ring, i64> {
        let page = page_size()?;
        let fd = Fd(memfd_create()?);
        let len = 2 * page;
        // SAFETY: ftruncate only reads its integer arguments.
        if unsafe { libc::ftruncate(fd.0, len as i64) } < 0 {
            return Err(neg_errno());
        }
        let map = crate::baselines::map(fd.0, len)?;
        Ok(Ring { map, page, _fd: fd })
    }

    fn slot(&self, index: usize) -> &AtomicI32 {
        // SAFETY: slots 16 and 32 are 4-byte-aligned int32s inside the
        // header page of a live mapping, accessed only atomically.
        unsafe { &*self.map.addr.cast::<AtomicI32>().add(index) }
    }

    /// Data offset of `index` (indices run modulo `2 * capacity`).
    fn at(&self, index: i32) -> usize {
        index as usize % self.page
    }

    fn advance(&self, index: i32) -> i32 {
        ((index as usize + MESSAGE) % (2 * self.page)) as i32
    }

    /// Producer: copies `message` in at `head` and publishes it. The ring
    /// holds at most one message in a ping-pong, so it is never full.
    fn send(&self, message: &[u8; MESSAGE]) {
        let head = self.slot(SLOT_HEAD).load(Ordering::Relaxed);
        // SAFETY: `at` is below the data page's size minus a message (the
        // page is a multiple of 64), inside the mapping, and the consumer
        // reads it only after the release store below.
        unsafe {
            let to = self.map.addr.add(self.page + self.at(head));
            std::ptr::copy_nonoverlapping(message.as_ptr(), to, MESSAGE);
        }
        self.slot(SLOT_HEAD)
            .store(self.advance(head), Ordering::Release);
    }

    /// Consumer: spins until a message is published, copies it out and
    /// releases it; `Err` when `stop` is raised or the peer stalls.
    fn receive(&self, into: &mut [u8; MESSAGE], stop: &AtomicBool) -> Result<(), i64> {
        let tail = self.slot(SLOT_TAIL).load(Ordering::Relaxed);
        let mut spins = 0u32;
        let mut since: Option<Instant> = None;
        while self.slot(SLOT_HEAD).load(Ordering::Acquire) == tail {
            spins = spins.saturating_add(1);
            if spins < YIELD_AFTER {
                std::hint::spin_loop();
                continue;
            }
            if stop.load(Ordering::Relaxed) {
                return Err(ETIMEDOUT);
            }
            let started = *since.get_or_insert_with(Instant::now);
            if started.elapsed() > STALL {
                return Err(ETIMEDOUT);
            }
            // SAFETY: sched_yield takes no arguments.
            unsafe { libc::sched_yield() };
        }
        // SAFETY: the acquire load above saw `head` past `tail`, so the
        // producer's copy into this range happened before; it is inside the
        // mapping as in `send`.
        unsafe {
            let from = self.map.addr.add(self.page + self.at(tail));
            std::ptr::copy_nonoverlapping(from, into.as_mut_ptr(), MESSAGE);
        }
        self.slot(SLOT_TAIL)
            .store(self.advance(tail), Ordering::Release);
        Ok(())
    }
}

/// `warmup` untimed round trips, then one per entry of `times`, each
/// timed into it in nanoseconds. Returns the elapsed nanoseconds of the
/// timed ones, or `-errno`.
pub fn ping_pong(times: &mut [f64], warmup: u32) -> i64 {
    if times.is_empty() || times.len() > 1 << 24 || warmup > 1 << 24 {
        return EINVAL;
    }
    let (out, back) = match (Ring::create(), Ring::create()) {
        (Ok(out), Ok(back)) => (out, back),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let trips = times.len() as u64 + u64::from(warmup);
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let echo = scope.spawn(|| {
            let mut message = [0u8; MESSAGE];
            for _ in 0..trips {
                if let Err(e) = out.receive(&mut message, &stop) {
                    stop.store(true, Ordering::Relaxed);
                    return Err(e);
                }
                back.send(&message);
            }
            Ok::<(), i64>(())
        });
        let timed = (|| {
            let mut message = [1u8; MESSAGE];
            let mut into = [0u8; MESSAGE];
            for i in 0..warmup {
                message[1] = i as u8;
                out.send(&message);
                back.receive(&mut into, &stop)?;
            }
            let start = Instant::now();
            for (i, time) in times.iter_mut().enumerate() {
                message[1] = i as u8;
                let t0 = Instant::now();
                out.send(&message);
                back.receive(&mut into, &stop)?;
                *time = t0.elapsed().as_nanos() as f64;
                if into != message {
                    return Err(EINVAL);
                }
            }
            Ok(i64::try_from(start.elapsed().as_nanos()).unwrap_or(i64::MAX))
        })();
        if timed.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        let echoed = echo.join().unwrap_or(Err(-(libc::EIO as i64)));
        match (timed, echoed) {
            (Ok(ns), Ok(())) => ns,
            (Err(e), _) | (_, Err(e)) => e,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_are_timed_and_nonsense_refused() {
        let mut times = vec![0.0; 100];
        assert!(ping_pong(&mut times, 10) > 0);
        assert!(times.iter().all(|&t| t > 0.0));
        assert_eq!(ping_pong(&mut [], 0), EINVAL);
    }
}
