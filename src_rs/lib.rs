//! Linux `memfd_create`, file sealing and `mmap` for Deno.
//!
//! Every function exported to Deno (`exports.rs`) returns a plain integer:
//! `>= 0` on success (an fd, a size, an address, a count) and `-errno` on
//! failure, with errno read right after the failing call. Inside, modules
//! return `Result<T, Errno>`. Nothing panics across the FFI boundary: every
//! export runs behind [`panic_barrier::shielded`]. The exports act only on
//! fds the library owns ([`owned_fds`]) and mappings it made
//! ([`live_mappings`]).

#![deny(clippy::undocumented_unsafe_blocks)]

mod exports;

// Registries and plumbing (leaves: they import no other module).
mod c_string;
mod constants;
mod eintr;
mod errno;
mod file_size_limit;
mod fstat;
mod js_number;
mod live_mappings;
mod owned_fds;
mod page_size;
mod panic_barrier;

// One concern each.
mod cloexec;
mod duplicate;
mod fd_passing;
mod file_size;
mod futex;
mod memfd_create;
mod memfd_device;
mod memfd_link;
mod mmap;
mod open_by_path;
mod positional_io;
mod ring_mapping;
mod seals;
mod socket_listener;
mod unix_address;
mod wakeable_wait;

#[cfg(test)]
mod test_util;

#[cfg(test)]
mod seccomp_bpf;

#[cfg(test)]
mod syscall_faults;

#[cfg(test)]
mod temp_dir;

#[cfg(test)]
mod test_child;

#[cfg(test)]
mod proptests;
