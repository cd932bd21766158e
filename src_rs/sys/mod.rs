//! Plumbing every other group uses: errno, EINTR retries, C strings, the
//! kernel's constants, the page size and the file size limit.

pub(crate) mod c_string;
pub(crate) mod constants;
pub(crate) mod eintr;
pub(crate) mod errno;
pub(crate) mod file_size_limit;
pub(crate) mod page_size;
