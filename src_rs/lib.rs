//! Linux `memfd_create`, file sealing and `mmap` for Deno.
//!
//! Every function exported to Deno returns a plain integer: `>= 0` on
//! success (an fd, a size, an address, a count) and `-errno` on failure, with
//! errno read right after the failing call. Nothing panics across the FFI
//! boundary: every export runs inside [`guard::call`].

mod exports;
mod guard;

pub mod constants;
pub mod create;
pub mod fd;
pub mod io;
pub mod js_number;
pub mod mapping;
pub mod seals;
pub mod socket;
pub mod wait;

#[cfg(test)]
mod test_util;

#[cfg(test)]
mod proptests;
