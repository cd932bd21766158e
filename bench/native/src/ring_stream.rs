//! The native floor of `ring-vs-memcpy`: the same stream as the Deno row
//! between two threads of this process over a ring of the same layout.
//! The producer copies from a 1 MiB block into the free space, half the
//! ring at most per publish; the consumer loads the first `u32` of every
//! 64-byte line of what is pending (summed, so nothing is optimised away)
//! and releases it. Each side spins while it cannot go on. What remains is
//! the copy plus the cache lines crossing from one core to the other: the
//! most any ring between two processes can stream here.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::ring_layout::{spin_until, Ring, SLOT_HEAD, SLOT_TAIL};

const EINVAL: i64 = -(libc::EINVAL as i64);
const LINE: usize = 64;

/// Streams `total` bytes of `source`, repeated, through a ring of
/// `capacity` bytes; the elapsed nanoseconds, or `-errno`. Both sizes must
/// be multiples of 64, `total` of the source's length too.
pub fn stream(source: &[u8], total: u64, capacity: usize) -> i64 {
    let len = source.len();
    if len == 0
        || !len.is_multiple_of(LINE)
        || total == 0
        || !total.is_multiple_of(len as u64)
        || total > 1 << 40
    {
        return EINVAL;
    }
    let ring = match Ring::create(capacity) {
        Ok(ring) => ring,
        Err(e) => return e,
    };
    let chunk = ring.capacity() / 2;
    let stop = AtomicBool::new(false);
    let start = Instant::now();
    let result = std::thread::scope(|scope| {
        let consumer = scope.spawn(|| {
            let mut sum = 0u32;
            let mut got = 0u64;
            let mut tail = 0i32;
            while got < total {
                let head = ring.slot(SLOT_HEAD).load(Ordering::Acquire);
                let used = ring.used(head, tail);
                if used == 0 {
                    let ready = || ring.slot(SLOT_HEAD).load(Ordering::Acquire) != tail;
                    if let Err(e) = spin_until(ready, &stop) {
                        stop.store(true, Ordering::Relaxed);
                        return Err(e);
                    }
                    continue;
                }
                let (from, room) = ring.at(tail);
                let n = used.min(room);
                for line in (0..n).step_by(LINE) {
                    // SAFETY: `line` is below `n`, inside the pending range
                    // the acquire load of `head` made visible; 64-byte
                    // aligned, as every index is.
                    sum = sum.wrapping_add(unsafe { from.add(line).cast::<u32>().read_volatile() });
                }
                tail = ring.advance(tail, n);
                ring.slot(SLOT_TAIL).store(tail, Ordering::Release);
                got += n as u64;
            }
            Ok(sum)
        });
        let produced = (|| {
            let mut sent = 0u64;
            let mut head = 0i32;
            while sent < total {
                let tail = ring.slot(SLOT_TAIL).load(Ordering::Acquire);
                let free = ring.capacity() - ring.used(head, tail);
                if free == 0 {
                    let ready = || {
                        let tail = ring.slot(SLOT_TAIL).load(Ordering::Acquire);
                        ring.used(head, tail) < ring.capacity()
                    };
                    spin_until(ready, &stop)?;
                    continue;
                }
                let (to, room) = ring.at(head);
                let at = (sent % len as u64) as usize;
                let n = free.min(room).min(chunk).min(len - at);
                // SAFETY: `n` bytes fit both the source after `at` and the
                // free data after `head`, which the consumer released
                // before the acquire load of `tail`.
                unsafe { std::ptr::copy_nonoverlapping(source.as_ptr().add(at), to, n) };
                head = ring.advance(head, n);
                ring.slot(SLOT_HEAD).store(head, Ordering::Release);
                sent += n as u64;
            }
            Ok::<(), i64>(())
        })();
        if produced.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        let consumed = consumer.join().unwrap_or(Err(-(libc::EIO as i64)));
        produced.and(consumed)
    });
    match result {
        Ok(sum) => {
            std::hint::black_box(sum);
            i64::try_from(start.elapsed().as_nanos()).unwrap_or(i64::MAX)
        }
        Err(e) => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_and_refuses_nonsense() {
        let source = vec![3u8; 1 << 16];
        assert!(stream(&source, 1 << 20, 1 << 14) > 0);
        assert_eq!(stream(&source, 1000, 1 << 14), EINVAL);
        assert_eq!(stream(&[], 1 << 20, 1 << 14), EINVAL);
        assert!(stream(&source, 1 << 20, 1000) < 0);
    }
}
