//! Test-only code: fixtures, child processes, seccomp filters that make
//! system calls fail, and the property tests of the exports.

pub(crate) mod seccomp_bpf;
pub(crate) mod syscall_faults;
pub(crate) mod temp_dir;
pub(crate) mod test_child;
pub(crate) mod test_util;

mod proptests;
