//! Memory: mappings of memfds, the registry of the mappings the library
//! made, ring mappings and futexes on mapped words.

pub(crate) mod futex;
pub(crate) mod live_mappings;
pub(crate) mod mmap;
pub(crate) mod ring_mapping;
