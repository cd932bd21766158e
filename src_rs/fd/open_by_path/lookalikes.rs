//! Files that only look like memfds: a path that reads `/memfd:…` (made
//! with a chroot in a forked child, since the link text is the path from
//! the process's root), and a missing `/proc`.

use super::*;
use crate::sys::constants::MFD_CLOEXEC;
use crate::testing::test_child::{code, in_child};
use crate::testing::test_util::memfd;
use std::os::fd::AsRawFd;

/// The lowest fd number free in this process.
fn lowest_free_fd(any_fd: i32) -> i64 {
    // SAFETY: F_DUPFD takes the lowest acceptable number.
    let fd = unsafe { libc::fcntl(any_fd, libc::F_DUPFD, 0) };
    // SAFETY: the copy just made.
    unsafe { libc::close(fd) };
    i64::from(fd)
}

/// `mount(2)` with paths as Rust strings.
fn mount(source: &str, target: &str, fstype: Option<&str>, flags: libc::c_ulong) -> bool {
    let c = |s: &str| std::ffi::CString::new(s).unwrap();
    let (source, target) = (c(source), c(target));
    let fstype = fstype.map(c);
    let fstype = fstype.as_ref().map_or(std::ptr::null(), |s| s.as_ptr());
    // SAFETY: NUL-terminated strings that outlive the call; no data.
    let r = unsafe {
        libc::mount(
            source.as_ptr(),
            target.as_ptr(),
            fstype,
            flags,
            std::ptr::null(),
        )
    };
    r == 0
}

/// Numbers the child reports when it cannot chroot here (neither root nor
/// allowed to make a user namespace).
const NO_CHROOT: [i64; 7] = [i64::MIN; 7];

/// A directory removed when dropped, whether or not the test passed.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_path_that_reads_like_a_memfd_link_is_refused_and_nothing_stays_open() {
    let dir =
        TempDir(std::env::temp_dir().join(format!("deno_memfd_chroot_{}", std::process::id())));
    let root = &dir.0;
    std::fs::create_dir_all(root.join("proc")).unwrap();
    std::fs::create_dir_all(root.join("memfd:dir")).unwrap();
    std::fs::write(root.join("memfd:file"), b"not a memfd").unwrap();
    let real = memfd("real", MFD_CLOEXEC);
    let got = in_child(|| {
        // SAFETY: integer arguments; the child is single-threaded, as a new
        // user namespace requires.
        let private = unsafe {
            libc::unshare(libc::CLONE_NEWNS) == 0
                || libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNS) == 0
        };
        let root = root.to_str().unwrap();
        let proc_dir = format!("{root}/proc");
        let c_root = std::ffi::CString::new(root).unwrap();
        if !private
            || !mount("none", "/", None, libc::MS_REC | libc::MS_PRIVATE)
            || !mount("/proc", &proc_dir, None, libc::MS_BIND | libc::MS_REC)
            // SAFETY: a NUL-terminated path.
            || unsafe { libc::chroot(c_root.as_ptr()) } != 0
        {
            return NO_CHROOT;
        }
        let mut out = [0; 7];
        out[0] = code(crate::fd::memfd_link::check_memfd(real.as_raw_fd()).map(|()| 0));
        let file = std::fs::File::open("/memfd:file").unwrap();
        let file = std::os::fd::AsRawFd::as_raw_fd(&file);
        out[1] = code(crate::fd::memfd_link::check_memfd(file).map(|()| 0));
        let free = lowest_free_fd(real.as_raw_fd());
        out[2] = code(open(b"/memfd:file", false, Reach::Anywhere));
        out[3] = code(open(b"/memfd:dir", true, Reach::Anywhere));
        out[4] = lowest_free_fd(real.as_raw_fd()) - free;
        // Without /proc no link can be read: an error, not a panic.
        // SAFETY: a NUL-terminated path in the child's own mount namespace.
        out[5] = i64::from(unsafe { libc::umount2(c"/proc".as_ptr(), libc::MNT_DETACH) });
        let mut link = [0u8; 512];
        out[6] = code(
            crate::fd::memfd_link::fd_link(real.as_raw_fd(), &mut link).map(|l| l.len() as i64),
        );
        out
    });
    drop(dir);
    if got == NO_CHROOT {
        eprintln!("skipped: no chroot here (not root, no user namespaces)");
        return;
    }
    let (einval, enoent) = (-i64::from(libc::EINVAL), -i64::from(libc::ENOENT));
    assert_eq!(got[0], 0, "a real memfd, /proc bound into the chroot");
    assert_eq!(got[1], einval, "a regular file that cannot take seals");
    assert_eq!(got[2..4], [einval, einval], "open: the file, the directory");
    assert_eq!(got[4], 0, "fds left open by the refused opens");
    assert_eq!(got[5..], [0, enoent], "fd_link without /proc");
}

#[test]
fn refused_opens_leave_no_fd_open() {
    let real = memfd("real", MFD_CLOEXEC);
    // A child has an fd table no other test thread changes.
    let got = in_child(|| {
        let free = lowest_free_fd(real.as_raw_fd());
        let status = code(open(b"/proc/self/status", false, Reach::Anywhere));
        let null = code(open(b"/dev/null", true, Reach::Anywhere));
        [status, null, lowest_free_fd(real.as_raw_fd()) - free]
    });
    let einval = -i64::from(libc::EINVAL);
    assert_eq!(got, [einval, einval, 0]);
}

#[test]
fn a_tmpfs_file_under_a_mount_at_memfd_colon_is_refused_on_open_and_receive() {
    let dir =
        TempDir(std::env::temp_dir().join(format!("deno_memfd_tmpfs_{}", std::process::id())));
    let root = &dir.0;
    std::fs::create_dir_all(root.join("proc")).unwrap();
    std::fs::create_dir_all(root.join("memfd:lookalike")).unwrap();
    let got = in_child(|| {
        // SAFETY: integer arguments; the child is single-threaded.
        let private = unsafe {
            libc::unshare(libc::CLONE_NEWNS) == 0
                || libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNS) == 0
        };
        let root = root.to_str().unwrap();
        let c_root = std::ffi::CString::new(root).unwrap();
        let tmpfs = format!("{root}/memfd:lookalike");
        if !private
            || !mount("none", "/", None, libc::MS_REC | libc::MS_PRIVATE)
            || !mount("/proc", &format!("{root}/proc"), None, libc::MS_BIND | libc::MS_REC)
            || !mount("tmpfs", &tmpfs, Some("tmpfs"), 0)
            // SAFETY: a NUL-terminated path.
            || unsafe { libc::chroot(c_root.as_ptr()) } != 0
        {
            return [i64::MIN; 6];
        }
        std::fs::write("/memfd:lookalike/f", b"fake").unwrap();
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/memfd:lookalike/f")
            .unwrap();
        let fake = std::os::fd::AsRawFd::as_raw_fd(&file);
        let mut out = [0; 6];
        // What used to convince: the link names a memfd and seals answer.
        let mut link = [0u8; 512];
        let shown = crate::fd::memfd_link::fd_link(fake, &mut link).unwrap();
        out[0] = i64::from(crate::fd::memfd_link::memfd_name(shown).is_some());
        // SAFETY: F_GET_SEALS takes no argument.
        out[1] = i64::from(unsafe { libc::fcntl(fake, crate::sys::constants::F_GET_SEALS) } >= 0);
        out[2] = code(crate::fd::memfd_link::check_memfd(fake).map(|()| 0));
        out[3] = code(open(b"/memfd:lookalike/f", true, Reach::Anywhere));
        let fake_by_fd = format!("/proc/self/fd/{fake}");
        out[4] = code(open(fake_by_fd.as_bytes(), false, Reach::FdPathOnly));
        // Received over a socket, as a peer would send it.
        let mut pair = [0; 2];
        let kind = libc::SOCK_STREAM | libc::SOCK_CLOEXEC;
        // SAFETY: `pair` has room for two fds.
        let made = unsafe { libc::socketpair(libc::AF_UNIX, kind, 0, pair.as_mut_ptr()) };
        assert_eq!(made, 0);
        send_fd(pair[0], fake);
        let wake = crate::net::wakeable_wait::wake_fd().unwrap();
        out[5] = code(crate::net::fd_passing::receive(pair[1], wake));
        out
    });
    drop(dir);
    if got == [i64::MIN; 6] {
        eprintln!("skipped: no tmpfs mount here (not root, no user namespaces)");
        return;
    }
    let einval = -i64::from(libc::EINVAL);
    assert_eq!(
        got[..2],
        [1, 1],
        "the lookalike's link and seals look right"
    );
    assert_eq!(got[2..], [einval; 4], "check, open by path, by fd, receive");
}

/// Sends `fd` with one byte on the connected socket `sock`.
fn send_fd(sock: i32, fd: i32) {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    let mut control = [0u64; 4];
    // SAFETY: an all-zero `msghdr` is a valid value of this C struct.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    // SAFETY: CMSG_SPACE is arithmetic on its argument.
    msg.msg_controllen = unsafe { libc::CMSG_SPACE(4) } as _;
    // SAFETY: the control buffer holds one header with one int.
    unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(4) as _;
        libc::CMSG_DATA(cmsg).cast::<i32>().write_unaligned(fd);
    }
    // SAFETY: `msg` points at live buffers.
    assert_eq!(unsafe { libc::sendmsg(sock, &msg, 0) }, 1);
}
