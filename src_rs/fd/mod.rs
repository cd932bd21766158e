//! File descriptors: the registry of the fds the library owns, making
//! memfds, reading and writing them, their size, seals and flags.

pub(crate) mod cloexec;
pub(crate) mod duplicate;
pub(crate) mod file_size;
pub(crate) mod fstat;
pub(crate) mod memfd_create;
pub(crate) mod memfd_device;
pub(crate) mod memfd_link;
pub(crate) mod open_by_path;
pub(crate) mod owned_fds;
pub(crate) mod positional_io;
pub(crate) mod seals;
