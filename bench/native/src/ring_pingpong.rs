//! The native floor of `ring-latency`: the same 64-byte ping-pong as the
//! Deno rows, over the same memory layout (docs/ring.md, version 2: a
//! header page with `head` at byte 64 and `tail` at byte 128, indices
//! modulo `2 * capacity`, then one page of data, in a memfd of its own),
//! one ring each way, between two threads of this process that spin on
//! the indices. Nothing sleeps in the kernel while both threads have a CPU,
//! so a round trip is two cache-line hand-offs between cores plus the
//! copies: the least any ring can take on this machine.
//!
//! A spinning side that has waited some 200 µs calls `sched_yield()`
//! between checks (`ring_layout::spin_until`), so that with both threads
//! on one CPU (or beside busy loops) the peer gets to run instead of a
//! whole time slice being burnt.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::ring_layout::{spin_until, Ring, SLOT_HEAD, SLOT_TAIL};

/// Bytes per message, as `bench/compare/latency_wire.ts` has it.
const MESSAGE: usize = 64;
const EINVAL: i64 = -(libc::EINVAL as i64);

/// Producer: copies `message` in at `head` and publishes it. The ring
/// holds at most one message in a ping-pong, so it is never full.
fn send(ring: &Ring, message: &[u8; MESSAGE]) {
    let head = ring.slot(SLOT_HEAD).load(Ordering::Relaxed);
    let (to, _) = ring.at(head);
    // SAFETY: the data region is a whole number of pages, so a message at
    // a multiple of 64 fits before its end; the consumer reads it only
    // after the release store below.
    unsafe { std::ptr::copy_nonoverlapping(message.as_ptr(), to, MESSAGE) };
    ring.slot(SLOT_HEAD)
        .store(ring.advance(head, MESSAGE), Ordering::Release);
}

/// Consumer: spins until a message is published, copies it out and
/// releases it; `Err` when `stop` is raised or the peer stalls.
fn receive(ring: &Ring, into: &mut [u8; MESSAGE], stop: &AtomicBool) -> Result<(), i64> {
    let tail = ring.slot(SLOT_TAIL).load(Ordering::Relaxed);
    spin_until(
        || ring.slot(SLOT_HEAD).load(Ordering::Acquire) != tail,
        stop,
    )?;
    let (from, _) = ring.at(tail);
    // SAFETY: the acquire load saw `head` past `tail`, so the producer's
    // copy into this range happened before; it is inside the mapping as in
    // `send`.
    unsafe { std::ptr::copy_nonoverlapping(from, into.as_mut_ptr(), MESSAGE) };
    ring.slot(SLOT_TAIL)
        .store(ring.advance(tail, MESSAGE), Ordering::Release);
    Ok(())
}

/// `warmup` untimed round trips, then one per entry of `times`, each
/// timed into it in nanoseconds. Returns the elapsed nanoseconds of the
/// timed ones, or `-errno`.
pub fn ping_pong(times: &mut [f64], warmup: u32) -> i64 {
    if times.is_empty() || times.len() > 1 << 24 || warmup > 1 << 24 {
        return EINVAL;
    }
    let page = match crate::baselines::page_size() {
        Ok(page) => page,
        Err(e) => return e,
    };
    let (out, back) = match (Ring::create(page), Ring::create(page)) {
        (Ok(out), Ok(back)) => (out, back),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let trips = times.len() as u64 + u64::from(warmup);
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let echo = scope.spawn(|| {
            let mut message = [0u8; MESSAGE];
            for _ in 0..trips {
                if let Err(e) = receive(&out, &mut message, &stop) {
                    stop.store(true, Ordering::Relaxed);
                    return Err(e);
                }
                send(&back, &message);
            }
            Ok::<(), i64>(())
        });
        let timed = (|| {
            let mut message = [1u8; MESSAGE];
            let mut into = [0u8; MESSAGE];
            for i in 0..warmup {
                message[1] = i as u8;
                send(&out, &message);
                receive(&back, &mut into, &stop)?;
            }
            let start = Instant::now();
            for (i, time) in times.iter_mut().enumerate() {
                message[1] = i as u8;
                let t0 = Instant::now();
                send(&out, &message);
                receive(&back, &mut into, &stop)?;
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
