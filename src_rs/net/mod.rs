//! Unix sockets: listening, passing fds with `SCM_RIGHTS`, socket
//! addresses and waits a second thread can wake.

pub(crate) mod fd_passing;
pub(crate) mod socket_listener;
pub(crate) mod unix_address;
pub(crate) mod wakeable_wait;
