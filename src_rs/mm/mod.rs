//! Memory: mappings of memfds, the registry of the mappings the library
//! made, ring mappings, futexes on mapped words, and the SIGBUS handler
//! that repairs mappings of files another process shrank.

pub(crate) mod futex;
pub(crate) mod live_mappings;
pub(crate) mod mmap;
pub(crate) mod ring_mapping;
pub(crate) mod sigbus;
