//! The FFI surface: every function Deno can call, generated into `ffi/` by
//! `deno_bindgen`. Each is a one-line wrapper that runs the plain Rust
//! function behind the panic barrier; the behaviour is documented there.

use deno_bindgen::deno_bindgen;

use crate::guard::{call, call32};
use crate::js_number::{number, with_index, with_indexes};
use crate::{create, fd, io, mapping, seals, socket, wait};

#[deno_bindgen]
fn dm_create(name: &[u8], flags: u32) -> i32 {
    call32(|| create::create(name, flags))
}

#[deno_bindgen]
fn dm_is_memfd(fd: i32) -> i32 {
    call32(|| create::is_memfd(fd))
}

#[deno_bindgen]
fn dm_name(fd: i32, out: &mut [u8]) -> i32 {
    call32(|| create::name(fd, out))
}

#[deno_bindgen]
fn dm_open(path: &[u8], write: i32) -> i32 {
    call32(|| create::open(path, write != 0))
}

#[deno_bindgen]
fn dm_size(fd: i32) -> f64 {
    number(call(|| fd::size(fd)))
}

#[deno_bindgen]
fn dm_resize(fd: i32, size: f64) -> i32 {
    call32(|| with_index(size, |size| fd::resize(fd, size)))
}

#[deno_bindgen]
fn dm_dup(fd: i32, cloexec: i32) -> i32 {
    call32(|| fd::dup(fd, cloexec != 0))
}

#[deno_bindgen]
fn dm_close(fd: i32) -> i32 {
    call32(|| fd::close(fd))
}

#[deno_bindgen]
fn dm_cloexec(fd: i32) -> i32 {
    call32(|| fd::cloexec(fd))
}

#[deno_bindgen]
fn dm_pwrite(fd: i32, data: &[u8], offset: f64) -> f64 {
    number(call(|| {
        with_index(offset, |at| io::pwrite_all(fd, data, at))
    }))
}

#[deno_bindgen]
fn dm_pread(fd: i32, into: &mut [u8], offset: f64) -> f64 {
    number(call(|| {
        with_index(offset, |at| io::pread_all(fd, into, at))
    }))
}

#[deno_bindgen(non_blocking)]
fn dm_pwrite_async(fd: i32, data: &[u8], offset: f64) -> f64 {
    number(call(|| {
        with_index(offset, |at| io::pwrite_all(fd, data, at))
    }))
}

#[deno_bindgen(non_blocking)]
fn dm_pread_async(fd: i32, into: &mut [u8], offset: f64) -> f64 {
    number(call(|| {
        with_index(offset, |at| io::pread_all(fd, into, at))
    }))
}

#[deno_bindgen]
fn dm_add_seals(fd: i32, seals: i64) -> i32 {
    call32(|| seals::add(fd, seals))
}

#[deno_bindgen]
fn dm_get_seals(fd: i32) -> i32 {
    call32(|| seals::get(fd))
}

#[deno_bindgen]
fn dm_map(fd: i32, offset: f64, length: f64, flags: i32) -> f64 {
    number(call(|| {
        with_indexes(offset, length, |o, l| mapping::map(fd, o, l, flags))
    }))
}

#[deno_bindgen]
fn dm_map_rest(fd: i32, offset: f64, flags: i32) -> f64 {
    number(call(|| {
        with_index(offset, |o| mapping::map_rest(fd, o, flags))
    }))
}

#[deno_bindgen]
fn dm_view_length(addr: f64) -> f64 {
    number(call(|| with_index(addr, mapping::view_length)))
}

#[deno_bindgen]
fn dm_map_ring(fd: i32, offset: f64, length: f64) -> f64 {
    number(call(|| {
        with_indexes(offset, length, |o, l| mapping::map_ring(fd, o, l))
    }))
}

#[deno_bindgen]
fn dm_unmap(addr: f64) -> i32 {
    call32(|| with_index(addr, mapping::unmap))
}

#[deno_bindgen]
fn dm_sync(addr: f64) -> i32 {
    call32(|| with_index(addr, mapping::sync))
}

#[deno_bindgen]
fn dm_retire(addr: f64) -> i32 {
    call32(|| with_index(addr, mapping::retire))
}

#[deno_bindgen]
fn dm_live_mappings() -> i32 {
    call32(mapping::live_count)
}

#[deno_bindgen]
fn dm_page_size() -> i32 {
    call32(mapping::page_size_bytes)
}

#[deno_bindgen]
fn dm_listen(path: &[u8], id: &mut [u8]) -> i32 {
    call32(|| socket::listen(path, id))
}

#[deno_bindgen]
fn dm_unlink_socket(path: &[u8], id: &[u8]) -> i32 {
    call32(|| socket::unlink(path, id))
}

#[deno_bindgen]
fn dm_wake_fd() -> i32 {
    call32(socket::wake_fd)
}

#[deno_bindgen]
fn dm_wake(fd: i32) -> i32 {
    call32(|| socket::wake(fd))
}

#[deno_bindgen(non_blocking)]
fn dm_accept(fd: i32, wake_fd: i32) -> i32 {
    call32(|| socket::accept(fd, wake_fd))
}

#[deno_bindgen(non_blocking)]
fn dm_receive(fd: i32, wake_fd: i32) -> i32 {
    call32(|| socket::receive(fd, wake_fd))
}

#[deno_bindgen(non_blocking)]
fn dm_send(path: &[u8], memfd: i32) -> i32 {
    call32(|| socket::send(path, memfd))
}

#[deno_bindgen(non_blocking)]
fn dm_futex_wait(addr: f64, expected: i32, timeout_ms: i32) -> i32 {
    call32(|| with_index(addr, |a| wait::wait(a, expected, timeout_ms)))
}

#[deno_bindgen]
fn dm_futex_wake(addr: f64) -> i32 {
    call32(|| with_index(addr, wait::wake))
}
