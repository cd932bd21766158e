//! Processes: whether the process a ring's peer recorded is still the one
//! running under its pid (pidfd, or `kill(pid, 0)`, plus its start time).

pub(crate) mod liveness;
