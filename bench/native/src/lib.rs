//! Native baselines for `deno task bench:compare`, in a crate of their own
//! so that the shipped library carries no bench code or symbols. The
//! harness opens the cdylib with `Deno.dlopen` (symbol table in
//! `bench/compare/native.ts`). Every export returns elapsed nanoseconds or
//! `-errno`, and never unwinds into Deno.

mod baselines;
mod ring_layout;
mod ring_pingpong;
mod ring_stream;

use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs an export's body; a panic becomes `-EIO` instead of unwinding into
/// Deno, which would abort the process.
fn call(body: impl FnOnce() -> i64) -> i64 {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(-i64::from(libc::EIO))
}

/// memfd_create → ftruncate → mmap → touch → munmap → close, `iterations`
/// times.
#[no_mangle]
pub extern "C" fn dmb_lifecycle(iterations: i32, size: i64) -> i64 {
    call(|| baselines::lifecycle(iterations, size))
}

/// `fcntl(F_GET_SEALS)`, `iterations` times.
#[no_mangle]
pub extern "C" fn dmb_get_seals(iterations: i32) -> i64 {
    call(|| baselines::get_seals(iterations))
}

/// `mmap` + `munmap` of `length` untouched bytes, `iterations` times.
#[no_mangle]
pub extern "C" fn dmb_map_unmap(iterations: i32, length: i64) -> i64 {
    call(|| baselines::map_unmap(iterations, length))
}

/// `memcpy` of `src` into `dst` (as much as both hold), `iterations` times.
///
/// # Safety
/// `dst` and `src` must be distinct live buffers of the given lengths, as
/// Deno's `buffer` parameters are.
#[no_mangle]
pub unsafe extern "C" fn dmb_memcpy(
    dst: *mut u8,
    dst_len: usize,
    src: *const u8,
    src_len: usize,
    iterations: i32,
) -> i64 {
    call(|| {
        if dst.is_null() || src.is_null() {
            return -i64::from(libc::EINVAL);
        }
        // SAFETY: Deno passes live, distinct buffers of these lengths.
        let dst = unsafe { std::slice::from_raw_parts_mut(dst, dst_len) };
        // SAFETY: as above.
        let src = unsafe { std::slice::from_raw_parts(src, src_len) };
        baselines::memcpy(dst, src, iterations)
    })
}

/// The native floor of `ring-latency`: `warmup` untimed 64-byte round
/// trips between two spinning threads over two rings of the library's
/// layout, then `count` timed ones, each one's nanoseconds into `times`.
///
/// # Safety
/// `times` must be a live buffer of at least `count` f64s, as Deno's
/// `buffer` parameters are.
#[no_mangle]
pub unsafe extern "C" fn dmb_ring_ping_pong(times: *mut f64, count: usize, warmup: u32) -> i64 {
    call(|| {
        if times.is_null() || times.align_offset(std::mem::align_of::<f64>()) != 0 {
            return -i64::from(libc::EINVAL);
        }
        // SAFETY: Deno passes a live, aligned buffer of `count` f64s.
        let times = unsafe { std::slice::from_raw_parts_mut(times, count) };
        ring_pingpong::ping_pong(times, warmup)
    })
}

/// The native floor of `ring-vs-memcpy`: `total` bytes of `source`,
/// repeated, streamed between two spinning threads through a ring of
/// `capacity` bytes of the library's layout; elapsed nanoseconds.
///
/// # Safety
/// `source` must be a live buffer of `len` bytes, as Deno's `buffer`
/// parameters are.
#[no_mangle]
pub unsafe extern "C" fn dmb_ring_stream(
    source: *const u8,
    len: usize,
    total: u64,
    capacity: usize,
) -> i64 {
    call(|| {
        if source.is_null() {
            return -i64::from(libc::EINVAL);
        }
        // SAFETY: Deno passes a live buffer of `len` bytes.
        let source = unsafe { std::slice::from_raw_parts(source, len) };
        ring_stream::stream(source, total, capacity)
    })
}
