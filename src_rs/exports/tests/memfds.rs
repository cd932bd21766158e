//! The memfd exports: create, adopt, open, name, size, resize, dup, close,
//! close-on-exec, positional I/O and seals.

use super::*;
use crate::sys::constants::*;
use crate::testing::test_util::sized;
use std::os::fd::AsRawFd;

#[test]
fn create_registers_a_memfd_with_the_flags_asked_for() {
    let _lock = test_lock();
    let fd = Owned::new(create(b"frames", MFD_ALLOW_SEALING), Kind::Memfd);
    assert_eq!(crate::fd::memfd_link::check_memfd(fd.0), Ok(()));
    assert_eq!(dm_cloexec(fd.0), 0, "no MFD_CLOEXEC asked for");
    assert_eq!(raw_size(fd.0), 0);
    let fd = Owned::new(create(b"frames", MFD_CLOEXEC), Kind::Memfd);
    assert_eq!(dm_cloexec(fd.0), 1);
    assert_eq!(create(b"x", 0x100), err(libc::EINVAL), "unknown flag");
    assert_eq!(create(b"a\0b", 0), err(libc::EINVAL), "a NUL in the name");
}

#[test]
fn adopt_owns_a_memfd_and_refuses_anything_else_leaving_it_open() {
    let _lock = test_lock();
    let raw = sized("adopted", 7);
    assert_eq!(dm_size(raw.as_raw_fd()), errf(libc::EBADF), "not owned yet");
    let adopted = dm_adopt(raw.as_raw_fd());
    assert_eq!(adopted, raw.as_raw_fd());
    let raw = Owned::new(std::mem::ManuallyDrop::new(raw).as_raw_fd(), Kind::Memfd);
    assert_eq!(dm_size(raw.0), 7.0);
    assert_eq!(dm_adopt(raw.0), raw.0, "adopting twice changes nothing");
    let null = std::fs::File::open("/dev/null").unwrap();
    let null_fd = std::os::fd::AsRawFd::as_raw_fd(&null);
    assert_eq!(dm_adopt(null_fd), err(libc::EINVAL));
    assert_eq!((kind_of(null_fd), is_open(null_fd)), (None, true));
    assert_eq!(dm_adopt(0x7fff_fff0), err(libc::EBADF), "not open");
}

#[test]
fn name_copies_the_name_and_returns_its_full_length() {
    let _lock = test_lock();
    let fd = Owned::new(create("日本 frames".as_bytes(), 0), Kind::Memfd);
    let full = "日本 frames".len() as i32;
    let mut out = [0u8; 64];
    assert_eq!(name(fd.0, &mut out), full);
    assert_eq!(&out[..full as usize], "日本 frames".as_bytes());
    let mut short = [0u8; 4];
    assert_eq!(name(fd.0, &mut short), full);
    assert_eq!(&short, &"日本 frames".as_bytes()[..4]);
    let stranger = sized("stranger", 0);
    assert_eq!(name(stranger.as_raw_fd(), &mut out), err(libc::EBADF));
}

#[test]
fn open_reopens_a_memfd_read_only_unless_asked_to_write() {
    let _lock = test_lock();
    let fd = owned_memfd(4.0);
    let path = format!("/proc/self/fd/{}", fd.0).into_bytes();
    let access = |fd: i32| {
        // SAFETY: F_GETFL takes no argument.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
        flags & libc::O_ACCMODE
    };
    let ro = Owned::new(open(&path, 0), Kind::Memfd);
    assert_eq!(identity(ro.0), identity(fd.0));
    assert_eq!(access(ro.0), libc::O_RDONLY);
    assert_eq!(pwrite(ro.0, b"no", 0.0), errf(libc::EBADF), "the kernel's");
    let rw = Owned::new(open(&path, 1), Kind::Memfd);
    assert_eq!(access(rw.0), libc::O_RDWR);
    assert_eq!(pwrite(rw.0, b"yes", 0.0), 3.0);
    assert_eq!(raw_read(fd.0, 4, 0), b"yes\0");
    assert_eq!(open(b"/dev/null", 0), err(libc::EINVAL));
    assert_eq!(open(b"/nonexistent/memfd", 0), err(libc::ENOENT));
    // Bit 1 lets the path cross any magic link; other bits are refused.
    let around = format!("/proc/self/root/proc/self/fd/{}", fd.0).into_bytes();
    assert_eq!(open(&around, 0), err(libc::EXDEV));
    let anywhere = Owned::new(open(&around, 2), Kind::Memfd);
    assert_eq!(identity(anywhere.0), identity(fd.0));
    assert_eq!(open(&path, 4), err(libc::EINVAL));
}

#[test]
fn size_and_resize_follow_the_file() {
    let _lock = test_lock();
    let fd = owned_memfd(5000.0);
    assert_eq!(dm_size(fd.0), 5000.0);
    assert_eq!(dm_resize(fd.0, 123.0), 0);
    assert_eq!((dm_size(fd.0), raw_size(fd.0)), (123.0, 123));
    for bad in [-1.0, 0.5, f64::NAN] {
        assert_eq!(dm_resize(fd.0, bad), err(libc::EINVAL), "{bad}");
    }
    assert_eq!(dm_add_seals(fd.0, F_SEAL_SHRINK.into()), 0);
    assert_eq!(dm_resize(fd.0, 0.0), err(libc::EPERM), "the kernel's");
    assert_eq!(raw_size(fd.0), 123);
}

#[test]
fn dup_shares_the_file_and_sets_close_on_exec_as_asked() {
    let _lock = test_lock();
    let fd = owned_memfd(0.0);
    for cloexec in [0, 1] {
        let copy = Owned::new(dm_dup(fd.0, cloexec), Kind::Memfd);
        assert_ne!(copy.0, fd.0);
        assert_eq!(identity(copy.0), identity(fd.0));
        assert_eq!(dm_cloexec(copy.0), cloexec);
    }
}

#[test]
fn close_closes_owned_fds_once() {
    let _lock = test_lock();
    let fd = std::mem::ManuallyDrop::new(owned_memfd(0.0)).0;
    let file = identity(fd);
    assert_eq!(dm_close(fd), 0);
    assert_eq!(kind_of(fd), None);
    // The number may be another test's file already, never this one.
    let now = crate::fd::fstat::fstat(fd).map(|st| (st.st_dev, st.st_ino));
    assert_ne!(now, Ok(file), "closed");
    assert_eq!(dm_close(fd), err(libc::EBADF), "once");
}

#[test]
fn writes_and_reads_move_the_bytes_and_return_counts() {
    let _lock = test_lock();
    let fd = owned_memfd(0.0);
    assert_eq!(pwrite(fd.0, b"hello", 10.0), 5.0);
    assert_eq!(pwrite_async(fd.0, b"world", 15.0), 5.0);
    assert_eq!(raw_read(fd.0, 20, 10), b"helloworld");
    let mut out = [0u8; 4];
    assert_eq!(pread(fd.0, &mut out, 11.0), 4.0);
    assert_eq!(&out, b"ello");
    assert_eq!(pread_async(fd.0, &mut out, 16.0), 4.0);
    assert_eq!(&out, b"orld");
    assert_eq!(pread(fd.0, &mut out, 20.0), 0.0, "end of file");
    assert_eq!(pread_async(fd.0, &mut out, 18.0), 2.0);
    for bad in [-1.0, 0.5] {
        assert_eq!(pwrite(fd.0, b"x", bad), errf(libc::EINVAL));
        assert_eq!(pread(fd.0, &mut out, bad), errf(libc::EINVAL));
        assert_eq!(pwrite_async(fd.0, b"x", bad), errf(libc::EINVAL));
        assert_eq!(pread_async(fd.0, &mut out, bad), errf(libc::EINVAL));
    }
    assert_eq!(raw_size(fd.0), 20);
}

#[test]
fn seals_are_added_and_read_back_and_refusals_are_the_kernels() {
    let _lock = test_lock();
    let fd = owned_memfd(0.0);
    let both = F_SEAL_SHRINK | F_SEAL_GROW;
    assert_eq!(dm_add_seals(fd.0, both.into()), 0);
    assert_eq!(dm_get_seals(fd.0), raw_seals(fd.0));
    assert_eq!(dm_get_seals(fd.0) as u32 & both, both);
    assert_eq!(
        dm_add_seals(fd.0, 1 << 40),
        err(libc::EINVAL),
        "unknown bit"
    );
    assert_eq!(dm_add_seals(fd.0, -1), err(libc::EINVAL));
    let unsealable = Owned::new(create(b"x", MFD_CLOEXEC), Kind::Memfd);
    assert_eq!(
        dm_add_seals(unsealable.0, F_SEAL_WRITE.into()),
        err(libc::EPERM)
    );
    assert_eq!(dm_get_seals(unsealable.0), F_SEAL_SEAL as i32);
}

/// Every memfd export refuses a memfd the library does not own (which the
/// call would otherwise act on) and leaves it exactly as it was.
#[test]
fn a_memfd_the_library_does_not_own_is_ebadf_and_untouched() {
    let _lock = test_lock();
    let stranger = sized("stranger", 8);
    let fd = stranger.as_raw_fd();
    // SAFETY: a 1-byte write from a local buffer.
    assert_eq!(unsafe { libc::pwrite(fd, b"s".as_ptr().cast(), 1, 0) }, 1);
    let ebadf = err(libc::EBADF);
    let ebadf_f = errf(libc::EBADF);
    assert_eq!(dm_size(fd), ebadf_f);
    assert_eq!(dm_resize(fd, 0.0), ebadf);
    assert_eq!(dm_dup(fd, 1), ebadf);
    assert_eq!(dm_cloexec(fd), ebadf);
    assert_eq!(pwrite(fd, b"x", 0.0), ebadf_f);
    assert_eq!(pwrite_async(fd, b"x", 0.0), ebadf_f);
    let mut out = [7u8; 1];
    assert_eq!(pread(fd, &mut out, 0.0), ebadf_f);
    assert_eq!(pread_async(fd, &mut out, 0.0), ebadf_f);
    assert_eq!(out, [7], "nothing read");
    assert_eq!(dm_add_seals(fd, F_SEAL_GROW.into()), ebadf);
    assert_eq!(dm_get_seals(fd), ebadf);
    assert_eq!(dm_close(fd), ebadf);
    assert!(is_open(fd));
    assert_eq!((raw_size(fd), raw_seals(fd)), (8, 0));
    assert_eq!(raw_read(fd, 2, 0), b"s\0");
    assert_eq!(kind_of(fd), None);
}

/// The liveness exports answer for this process and refuse what `kill`
/// would read as a process group; they take no fd, so nothing is touched.
#[test]
fn process_liveness_answers_by_pid_and_start_time() {
    // SAFETY: getpid cannot fail.
    let pid = unsafe { libc::getpid() };
    let start = dm_process_start(pid);
    assert!(start > 0.0);
    let low = (start as u64) as u32 as i32;
    assert_eq!(dm_process_alive(pid, low), 1);
    assert_eq!(dm_process_alive(pid, 0), 1);
    assert_eq!(dm_process_alive(pid, low.wrapping_add(1)), 0);
    assert_eq!(dm_process_alive(i32::MAX, 0), 0);
    assert_eq!(dm_process_start(i32::MAX), errf(libc::ESRCH));
    for pid in [0, -1] {
        assert_eq!(dm_process_alive(pid, 0), err(libc::EINVAL));
        assert_eq!(dm_process_start(pid), errf(libc::EINVAL));
    }
}
