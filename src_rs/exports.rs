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

use crate::fd::owned_fds::{borrow, peek, register, Kind};
use crate::js_number::index;
use crate::panic_barrier::shielded;
use crate::sys::errno::{Errno, Result};
use crate::{
    fd::{
        cloexec, duplicate, file_size, memfd_create, memfd_link, open_by_path, owned_fds,
        positional_io, seals,
    },
    mm::{futex, mmap, ring_mapping, sigbus},
    net::{fd_passing, socket_listener, wakeable_wait},
    process::liveness,
    sys::page_size,
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

/// `flags`: bit 0 opens read-write, bit 1 lets the path reach the memfd
/// through any `/proc` magic link ([`open_by_path::Reach::Anywhere`], for a
/// caller holding `--allow-all`); any other bit is `-EINVAL`.
#[deno_bindgen]
fn dm_open(path: &[u8], flags: i32) -> i32 {
    new_memfd(|| {
        if flags & !3 != 0 {
            return Err(Errno::EINVAL);
        }
        let reach = if flags & 2 != 0 {
            open_by_path::Reach::Anywhere
        } else {
            open_by_path::Reach::FdPathOnly
        };
        open_by_path::open(path, flags & 1 != 0, reach)
    })
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
        let r = positional_io::pwrite_all(fd.fd(), data, index(offset)?);
        mmap::repair_on_efault(r, data.as_ptr(), data.len())
    }))
}

fn pread(fd: i32, into: &mut [u8], offset: f64) -> f64 {
    number(run(|| {
        let fd = borrow(fd, Kind::Memfd)?;
        let r = positional_io::pread_all(fd.fd(), into, index(offset)?);
        mmap::repair_on_efault(r, into.as_ptr(), into.len())
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

/// 1 when the SIGBUS handler replaced pages of the mapping at `addr` with
/// zeros (another process shrank its file), 0 when not.
#[deno_bindgen]
fn dm_mapping_truncated(addr: f64) -> i32 {
    int32(run(|| mmap::truncated(index(addr)?).map(i64::from)))
}

/// 1 once after a mapping of the memfd `fd`'s file was repaired, else 0.
#[deno_bindgen]
fn dm_file_truncated(fd: i32) -> i32 {
    int32(run(|| {
        mmap::file_truncated(peek(fd, Kind::Memfd)?).map(i64::from)
    }))
}

/// The address of the `u32` counting the SIGBUS handler's repairs, which
/// the TypeScript side reads through a view instead of calling here.
#[deno_bindgen]
fn dm_truncation_counter() -> f64 {
    number(run(|| Ok(sigbus::counter_address() as i64)))
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

/// [`dm_futex_wait`] on the calling thread: the same checks and answers,
/// without the hop to a worker thread and back that costs a nonblocking
/// call two thread hand-offs per wake-up. It blocks the JS thread for up to
/// `timeout_ms`, so the library slices its waits (for workers and
/// dedicated processes; `RingBuffer.waitReadableSync`).
#[deno_bindgen]
fn dm_futex_wait_sync(addr: f64, expected: i32, timeout_ms: i32) -> i32 {
    int32(run(|| {
        done(futex::wait(index(addr)?, expected, timeout_ms))
    }))
}

#[deno_bindgen]
fn dm_futex_wake(addr: f64) -> i32 {
    int32(run(|| futex::wake(index(addr)?)))
}

/// When process `pid` started (clock ticks after boot), as a ring side
/// records it next to its pid: `-ESRCH` when there is no such process,
/// `-EINVAL` for a pid that is not positive. Takes no fd or address.
#[deno_bindgen]
fn dm_process_start(pid: i32) -> f64 {
    number(run(|| {
        let ticks = liveness::start_time(pid).map_err(|e| match e {
            Errno::ENOENT => Errno::ESRCH,
            e => e,
        })?;
        i64::try_from(ticks).map_err(|_| Errno::EOVERFLOW)
    }))
}

/// 1 while process `pid` (started at `start`, low 32 bits; 0: unknown)
/// runs, 0 once it is gone, `-errno` when that cannot be told. Never
/// touches a path or an object the process controls (see
/// `process/liveness.rs`). Takes no fd or address.
#[deno_bindgen]
fn dm_process_alive(pid: i32, start: i32) -> i32 {
    int32(run(|| {
        // The header slot is an int32: its bits are the u32 start.
        liveness::alive(pid, start as u32).map(i64::from)
    }))
}

#[cfg(test)]
mod tests;
