//! The FFI surface: every function Deno can call, generated into `ffi/` by
//! `deno_bindgen`. This is the only place that turns an [`Errno`] into the
//! `-errno` integer Deno sees, and the only place fds cross into the
//! library: every fd argument is checked against [`owned_fds`] as the kind
//! the export works on (any other fd is `-EBADF` before a system call
//! touches it), and every fd handed out is registered there first. Calls
//! that act on an fd (write, read, resize, seal, map, dup, send, accept,
//! receive, wake) borrow it, which keeps it open until they return; calls
//! that only read its metadata (size, seals, cloexec, name) peek. Each export runs
//! its body behind the panic barrier; the behaviour is documented on the
//! module function it calls.

use deno_bindgen::deno_bindgen;

use crate::errno::{Errno, Result};
use crate::js_number::index;
use crate::owned_fds::{borrow, peek, register, Kind};
use crate::panic_barrier::shielded;
use crate::{
    bench, cloexec, duplicate, fd_passing, file_size, futex, memfd_create, memfd_link, mmap,
    open_by_path, owned_fds, page_size, positional_io, ring_mapping, seals, socket_listener,
    wakeable_wait,
};

/// `>= 0` on success, `-errno` on failure.
fn int(r: Result<i64>) -> i64 {
    r.unwrap_or_else(|e| -i64::from(e.raw()))
}

/// [`int`] for exports whose results fit an `i32` (fds, seal sets, status);
/// `-EOVERFLOW` for one that does not (none should).
fn int32(r: Result<i64>) -> i32 {
    i32::try_from(int(r)).unwrap_or(-Errno::EOVERFLOW.raw())
}

/// [`int`] as a JS number (sizes, offsets and addresses cross as `f64`; see
/// `js_number.rs`). Exact for every value this crate returns: errnos,
/// addresses (user space ends below 2^47 unless a program asks Linux for
/// more), and sizes below 8 PiB; a larger size rounds, as `Number(bigint)`
/// would.
fn number(r: Result<i64>) -> f64 {
    int(r) as f64
}

/// Runs `body` behind the panic barrier.
fn run<T: Into<i64>>(body: impl FnOnce() -> Result<T>) -> Result<i64> {
    shielded(|| body().map(Into::into))
}

/// Success without a value.
fn done(r: Result<()>) -> Result<i64> {
    r.map(|()| 0)
}

/// Registers a new memfd made by `make`.
fn new_memfd(make: impl FnOnce() -> Result<i32>) -> i32 {
    int32(run(|| register(make()?, Kind::Memfd)))
}

#[deno_bindgen]
fn dm_create(name: &[u8], flags: u32) -> i32 {
    new_memfd(|| memfd_create::create(name, flags))
}

/// Adopts `fd` as a memfd of the library's after checking that it is one
/// (`-EBADF` when it is not open, `-EINVAL` when it is not a memfd).
#[deno_bindgen]
fn dm_adopt(fd: i32) -> i32 {
    int32(run(|| {
        memfd_link::check_memfd(fd)?;
        owned_fds::adopt(fd, Kind::Memfd)
    }))
}

#[deno_bindgen]
fn dm_name(fd: i32, out: &mut [u8]) -> i32 {
    int32(run(|| memfd_link::name(peek(fd, Kind::Memfd)?, out)))
}

#[deno_bindgen]
fn dm_open(path: &[u8], write: i32) -> i32 {
    new_memfd(|| open_by_path::open(path, write != 0))
}

#[deno_bindgen]
fn dm_size(fd: i32) -> f64 {
    number(run(|| file_size::size(peek(fd, Kind::Memfd)?)))
}

#[deno_bindgen]
fn dm_resize(fd: i32, size: f64) -> i32 {
    int32(run(|| {
        let fd = borrow(fd, Kind::Memfd)?;
        done(file_size::resize(fd.fd(), index(size)?))
    }))
}

#[deno_bindgen]
fn dm_dup(fd: i32, cloexec: i32) -> i32 {
    new_memfd(|| duplicate::dup(borrow(fd, Kind::Memfd)?.fd(), cloexec != 0))
}

/// Closes an fd the library owns, of any kind (`-EBADF` for any other).
#[deno_bindgen]
fn dm_close(fd: i32) -> i32 {
    int32(run(|| {
        if owned_fds::kind_of(fd) == Some(Kind::Listener) {
            socket_listener::forget_socket(fd);
        }
        owned_fds::close(fd)
    }))
}

#[deno_bindgen]
fn dm_cloexec(fd: i32) -> i32 {
    int32(run(|| cloexec::cloexec(peek(fd, Kind::Memfd)?)))
}

fn pwrite(fd: i32, data: &[u8], offset: f64) -> f64 {
    number(run(|| {
        let fd = borrow(fd, Kind::Memfd)?;
        positional_io::pwrite_all(fd.fd(), data, index(offset)?)
    }))
}

fn pread(fd: i32, into: &mut [u8], offset: f64) -> f64 {
    number(run(|| {
        let fd = borrow(fd, Kind::Memfd)?;
        positional_io::pread_all(fd.fd(), into, index(offset)?)
    }))
}

#[deno_bindgen]
fn dm_pwrite(fd: i32, data: &[u8], offset: f64) -> f64 {
    pwrite(fd, data, offset)
}

#[deno_bindgen]
fn dm_pread(fd: i32, into: &mut [u8], offset: f64) -> f64 {
    pread(fd, into, offset)
}

#[deno_bindgen(non_blocking)]
fn dm_pwrite_async(fd: i32, data: &[u8], offset: f64) -> f64 {
    pwrite(fd, data, offset)
}

#[deno_bindgen(non_blocking)]
fn dm_pread_async(fd: i32, into: &mut [u8], offset: f64) -> f64 {
    pread(fd, into, offset)
}

#[deno_bindgen]
fn dm_add_seals(fd: i32, seals: i64) -> i32 {
    int32(run(|| {
        done(seals::add(borrow(fd, Kind::Memfd)?.fd(), seals))
    }))
}

#[deno_bindgen]
fn dm_get_seals(fd: i32) -> i32 {
    int32(run(|| seals::get(peek(fd, Kind::Memfd)?)))
}

#[deno_bindgen]
fn dm_map(fd: i32, offset: f64, length: f64, flags: i32) -> f64 {
    number(run(|| {
        let fd = borrow(fd, Kind::Memfd)?;
        mmap::map(fd.fd(), index(offset)?, Some(index(length)?), flags)
    }))
}

/// [`dm_map`] of everything from `offset` to the end of the file;
/// [`dm_view_length`] then tells the length.
#[deno_bindgen]
fn dm_map_rest(fd: i32, offset: f64, flags: i32) -> f64 {
    number(run(|| {
        let fd = borrow(fd, Kind::Memfd)?;
        mmap::map(fd.fd(), index(offset)?, None, flags)
    }))
}

#[deno_bindgen]
fn dm_view_length(addr: f64) -> f64 {
    number(run(|| mmap::view_length(index(addr)?)))
}

#[deno_bindgen]
fn dm_map_ring(fd: i32, offset: f64, length: f64) -> f64 {
    number(run(|| {
        let fd = borrow(fd, Kind::Memfd)?;
        ring_mapping::map_ring(fd.fd(), index(offset)?, index(length)?)
    }))
}

#[deno_bindgen]
fn dm_unmap(addr: f64) -> i32 {
    int32(run(|| done(mmap::unmap(index(addr)?))))
}

#[deno_bindgen]
fn dm_sync(addr: f64) -> i32 {
    int32(run(|| done(mmap::sync(index(addr)?))))
}

#[deno_bindgen]
fn dm_unmap_leaving_zeros(addr: f64) -> i32 {
    int32(run(|| done(mmap::unmap_leaving_zeros(index(addr)?))))
}

#[deno_bindgen]
fn dm_live_mappings() -> i32 {
    int32(run(|| Ok(mmap::live_count())))
}

#[deno_bindgen]
fn dm_page_size() -> i32 {
    int32(run(|| Ok(page_size::page_size() as i64)))
}

#[deno_bindgen]
fn dm_listen(path: &[u8]) -> i32 {
    int32(run(|| {
        register(socket_listener::listen(path)?, Kind::Listener)
    }))
}

/// Removes the socket file the listener `fd` created, if it is still there:
/// 1 when removed, 0 when not.
#[deno_bindgen]
fn dm_unlink_socket(fd: i32) -> i32 {
    int32(run(|| {
        let fd = borrow(fd, Kind::Listener)?;
        socket_listener::unlink_socket(fd.fd()).map(i64::from)
    }))
}

#[deno_bindgen]
fn dm_wake_fd() -> i32 {
    int32(run(|| register(wakeable_wait::wake_fd()?, Kind::Wake)))
}

#[deno_bindgen]
fn dm_wake(fd: i32) -> i32 {
    int32(run(|| {
        done(wakeable_wait::wake(borrow(fd, Kind::Wake)?.fd()))
    }))
}

#[deno_bindgen(non_blocking)]
fn dm_accept(fd: i32, wake_fd: i32) -> i32 {
    int32(run(|| {
        let (fd, wake) = (borrow(fd, Kind::Listener)?, borrow(wake_fd, Kind::Wake)?);
        register(
            socket_listener::accept(fd.fd(), wake.fd())?,
            Kind::Connection,
        )
    }))
}

#[deno_bindgen(non_blocking)]
fn dm_receive(fd: i32, wake_fd: i32) -> i32 {
    int32(run(|| {
        let (fd, wake) = (borrow(fd, Kind::Connection)?, borrow(wake_fd, Kind::Wake)?);
        register(fd_passing::receive(fd.fd(), wake.fd())?, Kind::Memfd)
    }))
}

#[deno_bindgen(non_blocking)]
fn dm_send(path: &[u8], memfd: i32) -> i32 {
    int32(run(|| {
        done(fd_passing::send(path, borrow(memfd, Kind::Memfd)?.fd()))
    }))
}

#[deno_bindgen(non_blocking)]
fn dm_futex_wait(addr: f64, expected: i32, timeout_ms: i32) -> i32 {
    int32(run(|| {
        done(futex::wait(index(addr)?, expected, timeout_ms))
    }))
}

#[deno_bindgen]
fn dm_futex_wake(addr: f64) -> i32 {
    int32(run(|| futex::wake(index(addr)?)))
}

// Bench-only: the native baselines of `deno task bench:compare`. They take
// only counts, sizes and buffers, and work on memory they allocate
// themselves or were handed as buffers. (Moving to their own crate.)

fn bench_ns(body: impl FnOnce() -> i64) -> i64 {
    shielded(|| Ok(body())).unwrap_or(-i64::from(Errno::EIO.raw()))
}

#[deno_bindgen]
fn dm_bench_lifecycle(iterations: i32, size: i64) -> i64 {
    bench_ns(|| bench::lifecycle(iterations, size))
}

#[deno_bindgen]
fn dm_bench_get_seals(iterations: i32) -> i64 {
    bench_ns(|| bench::get_seals(iterations))
}

#[deno_bindgen]
fn dm_bench_map_unmap(iterations: i32, length: i64) -> i64 {
    bench_ns(|| bench::map_unmap(iterations, length))
}

#[deno_bindgen]
fn dm_bench_memcpy(dst: &mut [u8], src: &[u8], iterations: i32) -> i64 {
    bench_ns(|| bench::memcpy(dst, src, iterations))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::owned_fds::test_lock;
    use std::os::fd::AsRawFd;

    const EBADF: i32 = -libc::EBADF;

    #[test]
    fn fd_exports_refuse_an_fd_the_library_does_not_own_and_leave_it_alone() {
        let _lock = test_lock();
        let path = std::env::temp_dir().join(format!("dm-exports-{}", std::process::id()));
        std::fs::write(&path, b"precious").unwrap();
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        let fd = file.as_raw_fd();
        assert_eq!(dm_size(fd), f64::from(EBADF));
        assert_eq!(dm_resize(fd, 0.0), EBADF);
        assert_eq!(dm_dup(fd, 1), EBADF);
        assert_eq!(dm_cloexec(fd), EBADF);
        assert_eq!(dm_get_seals(fd), EBADF);
        assert_eq!(dm_add_seals(fd, 1), EBADF);
        assert_eq!(dm_map(fd, 0.0, 8.0, 0), f64::from(EBADF));
        assert_eq!(dm_map_rest(fd, 0.0, 0), f64::from(EBADF));
        assert_eq!(dm_map_ring(fd, 0.0, 4096.0), f64::from(EBADF));
        assert_eq!(dm_wake(fd), EBADF);
        assert_eq!(dm_unlink_socket(fd), EBADF);
        assert_eq!(dm_close(fd), EBADF);
        assert_eq!(dm_adopt(fd), -libc::EINVAL, "not a memfd: not adopted");
        assert_eq!(dm_size(fd), f64::from(EBADF));
        assert_eq!(std::fs::read(&path).unwrap(), b"precious");
        assert_eq!(crate::cloexec::cloexec(fd), Ok(true), "still open");
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn memfd_exports_refuse_other_kinds_and_the_other_way_round() {
        let _lock = test_lock();
        let wake = dm_wake_fd();
        assert!(wake >= 0);
        assert_eq!(dm_size(wake), f64::from(EBADF));
        assert_eq!(dm_dup(wake, 1), EBADF);
        let name = b"kinds";
        let memfd = dm_create(
            name.as_ptr().cast(),
            name.len() as _,
            crate::constants::MFD_CLOEXEC,
        );
        assert!(memfd >= 0);
        assert_eq!(dm_wake(memfd), EBADF);
        assert_eq!(dm_unlink_socket(memfd), EBADF);
        let copy = dm_dup(memfd, 1);
        assert!(copy >= 0);
        assert_eq!(dm_size(copy), 0.0);
        for fd in [wake, memfd, copy] {
            assert_eq!(dm_close(fd), 0);
            assert_eq!(dm_close(fd), EBADF);
        }
    }

    #[test]
    fn adopt_takes_an_inherited_memfd_once_checked() {
        let _lock = test_lock();
        let raw = crate::memfd_create::create(b"inherited", 0).unwrap();
        assert_eq!(dm_size(raw), f64::from(EBADF), "not ours yet");
        assert_eq!(dm_adopt(raw), raw);
        assert_eq!(dm_adopt(raw), raw, "twice is fine");
        assert_eq!(dm_size(raw), 0.0);
        assert_eq!(dm_close(raw), 0);
        assert_eq!(dm_adopt(-1), EBADF);
    }

    #[test]
    fn the_process_own_fds_are_never_closed_or_touched() {
        // Closing fds 3-5 of a Deno process made it panic, before ownership.
        let _lock = test_lock();
        for fd in 0..3 {
            assert_eq!(dm_close(fd), EBADF, "fd {fd}");
            assert_eq!(dm_resize(fd, 0.0), EBADF, "fd {fd}");
            assert_eq!(dm_cloexec(fd), EBADF, "fd {fd}");
            assert!(crate::fstat::fstat(fd).is_ok(), "fd {fd} still open");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_fd_number_not_handed_out_is_ebadf(fd in proptest::prelude::any::<i32>()) {
            let _lock = test_lock();
            // Under the lock nothing else registers, so none is ours.
            proptest::prop_assume!(owned_fds::kind_of(fd).is_none());
            proptest::prop_assert_eq!(dm_size(fd), f64::from(EBADF));
            proptest::prop_assert_eq!(dm_dup(fd, 1), EBADF);
            proptest::prop_assert_eq!(dm_add_seals(fd, 1), EBADF);
            proptest::prop_assert_eq!(dm_map(fd, 0.0, 4096.0, 0), f64::from(EBADF));
            proptest::prop_assert_eq!(dm_wake(fd), EBADF);
            proptest::prop_assert_eq!(dm_unlink_socket(fd), EBADF);
            proptest::prop_assert_eq!(dm_close(fd), EBADF);
        }
    }

    #[test]
    fn results_too_wide_for_i32_are_eoverflow() {
        assert_eq!(int32(Ok(i64::from(i32::MAX) + 1)), -libc::EOVERFLOW);
        assert_eq!(int32(Err(Errno::EPERM)), -libc::EPERM);
        assert_eq!(number(Ok(4096)), 4096.0);
        assert_eq!(run::<i64>(|| panic!("a bug")), Err(Errno::EIO));
    }
}
