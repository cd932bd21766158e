//! The FFI surface: every function Deno can call, generated into `ffi/` by
//! `deno_bindgen`. Each is a one-line wrapper that runs the plain Rust
//! function behind the panic barrier; the behaviour is documented there.

use deno_bindgen::deno_bindgen;

use crate::guard::{call, call32};
use crate::{create, fd, io, mapping, seals};

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
fn dm_size(fd: i32) -> i64 {
    call(|| fd::size(fd))
}

#[deno_bindgen]
fn dm_resize(fd: i32, size: i64) -> i32 {
    call32(|| fd::resize(fd, size))
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
fn dm_pwrite(fd: i32, data: &[u8], offset: i64) -> i64 {
    call(|| io::pwrite_all(fd, data, offset))
}

#[deno_bindgen]
fn dm_pread(fd: i32, into: &mut [u8], offset: i64) -> i64 {
    call(|| io::pread_all(fd, into, offset))
}

#[deno_bindgen(non_blocking)]
fn dm_pwrite_async(fd: i32, data: &[u8], offset: i64) -> i64 {
    call(|| io::pwrite_all(fd, data, offset))
}

#[deno_bindgen(non_blocking)]
fn dm_pread_async(fd: i32, into: &mut [u8], offset: i64) -> i64 {
    call(|| io::pread_all(fd, into, offset))
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
fn dm_map(fd: i32, offset: i64, length: i64, flags: i32) -> i64 {
    call(|| mapping::map(fd, offset, length, flags))
}

#[deno_bindgen]
fn dm_map_ring(fd: i32, offset: i64, length: i64) -> i64 {
    call(|| mapping::map_ring(fd, offset, length))
}

#[deno_bindgen]
fn dm_unmap(addr: i64) -> i32 {
    call32(|| mapping::unmap(addr))
}

#[deno_bindgen]
fn dm_retire(addr: i64) -> i32 {
    call32(|| mapping::retire(addr))
}

#[deno_bindgen]
fn dm_sync(addr: i64) -> i32 {
    call32(|| mapping::sync(addr))
}

#[deno_bindgen]
fn dm_live_mappings() -> i32 {
    call32(mapping::live_count)
}

#[deno_bindgen]
fn dm_page_size() -> i32 {
    call32(mapping::page_size_bytes)
}
