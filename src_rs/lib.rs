//! Linux `memfd_create`, file sealing and `mmap` for Deno.
//!
//! Every function exported to Deno (`exports.rs`) returns a plain integer:
//! `>= 0` on success (an fd, a size, an address, a count) and `-errno` on
//! failure, with errno read right after the failing call. Inside, modules
//! return `Result<T, Errno>`. Nothing panics across the FFI boundary: every
//! export runs behind [`panic_barrier::shielded`]. The exports act only on
//! fds the library owns ([`fd::owned_fds`]) and mappings it made
//! ([`mm::live_mappings`]).

#![deny(clippy::undocumented_unsafe_blocks)]

// The FFI edge: the only modules that know about JavaScript.
mod exports;
mod js_number;
mod panic_barrier;

// Below the edge, grouped as rustix groups the kernel's interfaces.
mod fd;
mod mm;
mod net;
mod process;
mod sys;

#[cfg(test)]
mod testing;
