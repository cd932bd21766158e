//! Property tests: every plain function the FFI exports call, fed arbitrary
//! arguments (invalid fds, sizes and offsets near `i64::MAX`, negative
//! numbers, seal bits above 32, arbitrary addresses to unmap and sync). None
//! may panic, and each must answer `>= 0` or `-errno`, as the exports
//! promise.
//!
//! The fds these tests pass are their own (a memfd, a pipe, `/dev/null`) or
//! numbers no process can have open (negative, or at least `fs.nr_open`):
//! never the harness's own fds, nor a closed number another test thread may
//! since have been given.
//!
//! Tests that map take [`crate::mm::live_mappings::test_lock`], so that an address one of
//! them fuzzes can never be another test's live mapping.
//!
//! The case count is proptest's (256, or `PROPTEST_CASES`).

use std::sync::MutexGuard;

use proptest::prelude::*;

use crate::fd::open_by_path::Reach;
use crate::mm::live_mappings::live_mappings;
use crate::panic_barrier::shielded;
use crate::sys::constants::{F_SEAL_KNOWN, F_SEAL_WRITE, MFD_ALLOW_SEALING, MFD_CLOEXEC, NAME_MAX};
use crate::sys::errno::{Errno, Result};
use crate::{
    fd::{
        cloexec, duplicate, file_size, memfd_create, memfd_link, open_by_path, positional_io, seals,
    },
    mm::{futex, mmap, ring_mapping},
    net::{fd_passing, socket_listener, wakeable_wait},
};

const EBADF: i64 = -(libc::EBADF as i64);
const EINVAL: i64 = -(libc::EINVAL as i64);
const EBUSY: i64 = -(libc::EBUSY as i64);
const PAGE: i64 = 4096;

fn map_lock() -> MutexGuard<'static, ()> {
    crate::mm::live_mappings::test_lock()
}

/// A module result as the `>= 0` or `-errno` integer an export returns.
trait IntoInt {
    fn into_int(self) -> i64;
}

impl IntoInt for i64 {
    fn into_int(self) -> i64 {
        self
    }
}

impl IntoInt for i32 {
    fn into_int(self) -> i64 {
        self.into()
    }
}

impl IntoInt for bool {
    fn into_int(self) -> i64 {
        self.into()
    }
}

impl IntoInt for () {
    fn into_int(self) -> i64 {
        0
    }
}

fn int<T: IntoInt>(x: Result<T>) -> i64 {
    x.map_or_else(|e| -i64::from(e.raw()), IntoInt::into_int)
}

/// 1 for a memfd, else `-errno`.
fn is_memfd(fd: i32) -> i64 {
    int(memfd_link::check_memfd(fd).map(|()| 1i64))
}

/// `close(fd)`: 0 or `-errno`.
fn close(fd: i32) -> i64 {
    // SAFETY: closes an fd the test case owns (or a number no one has).
    int(crate::sys::errno::check(i64::from(unsafe {
        libc::close(fd)
    })))
}

/// A result the exports may return: success or a plausible `-errno`.
fn is_result(r: i64) -> bool {
    r >= 0 || (-4095..0).contains(&r)
}

/// The lowest fd number the kernel can never hand out (`fs.nr_open`).
fn nr_open() -> i32 {
    std::fs::read_to_string("/proc/sys/fs/nr_open")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(1 << 30)
}

/// Fd numbers that are not open in any process.
fn invalid_fd() -> impl Strategy<Value = i32> {
    prop_oneof![
        Just(-1),
        Just(i32::MIN),
        Just(i32::MAX),
        i32::MIN..0,
        nr_open()..=i32::MAX,
    ]
}

/// Offsets, sizes and lengths: arbitrary `i64`s, with weight on the edges.
fn any_i64() -> impl Strategy<Value = i64> {
    prop_oneof![
        any::<i64>(),
        Just(0i64),
        Just(-1i64),
        Just(i64::MAX),
        Just(i64::MIN),
        Just(i64::MAX - 1),
        (i64::MAX - 70_000)..=i64::MAX,
        -70_000i64..70_000,
        (0i64..64).prop_map(|k| k * PAGE),
        (1i64 << 40)..(1i64 << 60),
    ]
}

/// A memfd owned by one test case, closed when dropped.
struct Own(i32);

impl Own {
    fn memfd(size: i64) -> Own {
        let fd = memfd_create::create(b"proptest", MFD_CLOEXEC | MFD_ALLOW_SEALING).unwrap();
        assert_eq!(file_size::resize(fd, size), Ok(()));
        Own(fd)
    }

    fn pipe() -> (Own, Own) {
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two fds pipe2 writes.
        assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
        (Own(fds[0]), Own(fds[1]))
    }

    fn dev_null() -> Own {
        // SAFETY: a constant NUL-terminated path.
        let fd = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
        assert!(fd >= 0);
        Own(fd)
    }
}

impl Drop for Own {
    fn drop(&mut self) {
        close(self.0);
    }
}

/// Which kind of fd a case passes.
#[derive(Debug, Clone, Copy)]
enum Target {
    Memfd,
    Pipe,
    DevNull,
    Invalid(i32),
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        3 => Just(Target::Memfd),
        1 => Just(Target::Pipe),
        1 => Just(Target::DevNull),
        2 => invalid_fd().prop_map(Target::Invalid),
    ]
}

/// The fds a case may use: `fd` is the target's; the rest keep them open.
struct Fds {
    fd: i32,
    _keep: Vec<Own>,
}

fn open_target(t: Target, size: i64) -> Fds {
    match t {
        Target::Memfd => {
            let m = Own::memfd(size);
            Fds {
                fd: m.0,
                _keep: vec![m],
            }
        }
        Target::Pipe => {
            let (r, w) = Own::pipe();
            Fds {
                fd: r.0,
                _keep: vec![r, w],
            }
        }
        Target::DevNull => {
            let n = Own::dev_null();
            Fds {
                fd: n.0,
                _keep: vec![n],
            }
        }
        Target::Invalid(fd) => Fds { fd, _keep: vec![] },
    }
}

/// Reads and writes every page of a live mapping (and its last byte): a
/// SIGBUS or SIGSEGV here would be the bug these tests look for.
fn touch(addr: i64, len: usize) {
    let p = addr as *mut u8;
    let mut i = 0;
    while i < len {
        // SAFETY: [addr, addr + len) is a live read-write mapping of ours.
        unsafe { p.add(i).write_volatile(p.add(i).read_volatile()) };
        i += PAGE as usize;
    }
    // SAFETY: as above; len > 0.
    unsafe {
        p.add(len - 1)
            .write_volatile(p.add(len - 1).read_volatile())
    };
}

proptest! {
    #[test]
    fn create_takes_any_name_and_flags(
        name in prop::collection::vec(any::<u8>(), 0..300),
        flags in prop_oneof![any::<u32>(), 0u32..0x40],
    ) {
        let fd = int(memfd_create::create(&name, flags));
        prop_assert!(is_result(fd));
        if name.len() > NAME_MAX || name.contains(&0) {
            prop_assert_eq!(fd, EINVAL);
        }
        if fd >= 0 {
            prop_assert_eq!(is_memfd(fd as i32), 1);
            let mut out = vec![0u8; name.len()];
            prop_assert_eq!(int(memfd_link::name(fd as i32, &mut out)), name.len() as i64);
            prop_assert_eq!(&out, &name);
            prop_assert_eq!(close(fd as i32), 0);
        }
    }

    #[test]
    fn fd_queries_answer_any_fd(t in target(), out_len in 0usize..600, cloexec: bool) {
        let fds = open_target(t, 0);
        let fd = fds.fd;
        let memfd = matches!(t, Target::Memfd);
        let invalid = matches!(t, Target::Invalid(_));
        let is = is_memfd(fd);
        prop_assert_eq!(is, if memfd { 1 } else if invalid { EBADF } else { EINVAL });
        let mut out = vec![0u8; out_len];
        let n = int(memfd_link::name(fd, &mut out));
        prop_assert!(is_result(n));
        if memfd {
            prop_assert_eq!(n, 8);
            prop_assert_eq!(&out[..out_len.min(8)], &b"proptest"[..out_len.min(8)]);
        }
        for r in [int(file_size::size(fd)), int(cloexec::cloexec(fd)), int(seals::get(fd))] {
            prop_assert!(is_result(r));
            if invalid {
                prop_assert_eq!(r, EBADF);
            }
        }
        let d = int(duplicate::dup(fd, cloexec));
        prop_assert!(is_result(d));
        if invalid {
            prop_assert_eq!(d, EBADF);
            prop_assert_eq!(close(fd), EBADF);
        } else {
            prop_assert!(d >= 0);
            prop_assert_eq!(int(cloexec::cloexec(d as i32)), i64::from(cloexec));
            prop_assert_eq!(close(d as i32), 0);
        }
    }

    #[test]
    fn open_takes_any_path(
        path in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..5000),
            "[a-z/.]{0,40}".prop_map(String::into_bytes),
            Just(b"/proc/self/status".to_vec()),
            Just(vec![b'/'; 4096]),
        ],
        write: bool,
        anywhere: bool,
    ) {
        let reach = if anywhere { Reach::Anywhere } else { Reach::FdPathOnly };
        let fd = int(open_by_path::open(&path, write, reach));
        prop_assert!(is_result(fd));
        if path.len() >= libc::PATH_MAX as usize || path.contains(&0) {
            prop_assert_eq!(fd, EINVAL);
        }
        if fd >= 0 {
            prop_assert_eq!(is_memfd(fd as i32), 1);
            close(fd as i32);
        }
    }

    #[test]
    fn open_by_proc_path_of_own_and_invalid_fds(t in target(), write: bool) {
        let fds = open_target(t, 16);
        let path = format!("/proc/self/fd/{}", fds.fd);
        let fd = int(open_by_path::open(path.as_bytes(), write, Reach::FdPathOnly));
        prop_assert!(is_result(fd));
        if matches!(t, Target::Memfd) {
            prop_assert!(fd >= 0);
            prop_assert_eq!(int(file_size::size(fd as i32)), 16);
            prop_assert_eq!(close(fd as i32), 0);
        } else {
            prop_assert!(fd < 0, "{path} opened as a memfd");
        }
    }

    #[test]
    fn resize_takes_any_size(t in target(), size in any_i64()) {
        let fds = open_target(t, 100);
        let r = int(file_size::resize(fds.fd, size));
        prop_assert!(is_result(r));
        if size < 0 {
            prop_assert_eq!(r, EINVAL);
        }
        if matches!(t, Target::Memfd) {
            let now = int(file_size::size(fds.fd));
            prop_assert_eq!(now, if r == 0 { size } else { 100 });
        } else {
            prop_assert!(r < 0);
        }
    }

    #[test]
    fn pwrite_and_pread_take_any_offset(
        t in target(),
        data in prop::collection::vec(any::<u8>(), 0..10_000),
        offset in any_i64(),
    ) {
        let fds = open_target(t, 0);
        let w = int(positional_io::pwrite_all(fds.fd, &data, offset));
        prop_assert!(is_result(w));
        prop_assert!(w <= data.len() as i64);
        if offset < 0 || offset.checked_add(data.len() as i64).is_none() {
            prop_assert_eq!(w, EINVAL);
        }
        let mut back = vec![0u8; data.len()];
        let r = int(positional_io::pread_all(fds.fd, &mut back, offset));
        prop_assert!(is_result(r));
        prop_assert!(r <= back.len() as i64);
        if matches!(t, Target::Memfd) && w > 0 {
            prop_assert_eq!(r, w);
            prop_assert_eq!(&back[..w as usize], &data[..w as usize]);
        }
    }

    #[test]
    fn add_seals_takes_any_bits(t in target(), bits in prop_oneof![
        any::<i64>(),
        0i64..0x80,
        (0u32..64).prop_map(|b| 1i64 << b),
        (0i64..0x40).prop_map(|b| b | (1 << 32)),
    ]) {
        let fds = open_target(t, 0);
        let before = int(seals::get(fds.fd));
        let r = int(seals::add(fds.fd, bits));
        prop_assert!(is_result(r));
        if bits < 0 || bits & !i64::from(F_SEAL_KNOWN) != 0 {
            // Refused before the call: nothing is silently truncated.
            prop_assert_eq!(r, EINVAL);
            prop_assert_eq!(int(seals::get(fds.fd)), before);
        }
        if r == 0 {
            prop_assert!(matches!(t, Target::Memfd));
            prop_assert_eq!(int(seals::get(fds.fd)) & bits, bits);
        }
    }

    #[test]
    fn map_takes_any_range(
        t in target(),
        size in 0i64..(64 * PAGE),
        offset in any_i64(),
        length in any_i64(),
        flags in any::<i32>(),
        inside in any::<bool>(),
    ) {
        let _lock = map_lock();
        let fds = open_target(t, size);
        // Half the cases pick a range that fits, the rest anything at all.
        let (offset, length) = if inside && size > 0 {
            let off = (offset.rem_euclid(size) / PAGE) * PAGE;
            (off, 1 + length.rem_euclid(size - off))
        } else {
            (offset, length)
        };
        let before = mmap::live_count();
        let addr = int(mmap::map(fds.fd, offset, Some(length), flags));
        prop_assert!(is_result(addr));
        if addr >= 0 {
            let fits = offset >= 0
                && length > 0
                && offset.checked_add(length).is_some_and(|end| end <= size);
            prop_assert!(fits && matches!(t, Target::Memfd));
            prop_assert_eq!(mmap::live_count(), before + 1);
            touch(addr, length as usize);
            // The file cannot be cut under the mapping.
            prop_assert_eq!(int(file_size::resize(fds.fd, offset + length - 1)), EBUSY);
            prop_assert_eq!(int(file_size::resize(fds.fd, offset + length)), 0);
            touch(addr, length as usize);
            prop_assert_eq!(int(mmap::sync(addr)), 0);
            prop_assert_eq!(int(mmap::unmap(addr)), 0);
            prop_assert_eq!(int(mmap::unmap(addr)), EINVAL);
            prop_assert_eq!(int(mmap::sync(addr)), EINVAL);
        }
        prop_assert_eq!(mmap::live_count(), before);
    }

    #[test]
    fn map_ring_takes_any_range(
        t in target(),
        pages in 0i64..16,
        offset in any_i64(),
        length in any_i64(),
        inside in any::<bool>(),
    ) {
        let _lock = map_lock();
        let size = pages * PAGE;
        let fds = open_target(t, size);
        let (offset, length) = if inside && pages > 0 {
            let off = offset.rem_euclid(pages) * PAGE;
            (off, PAGE * (1 + length.rem_euclid(pages - off / PAGE)))
        } else {
            (offset, length)
        };
        let before = mmap::live_count();
        let addr = int(ring_mapping::map_ring(fds.fd, offset, length));
        prop_assert!(is_result(addr));
        if addr >= 0 {
            prop_assert!(matches!(t, Target::Memfd));
            prop_assert!(offset >= 0 && length > 0);
            prop_assert!(offset.checked_add(length).is_some_and(|end| end <= size));
            prop_assert_eq!(length % PAGE, 0);
            let len = length as usize;
            touch(addr, 2 * len);
            let p = addr as *mut u8;
            // SAFETY: [addr, addr + 2 * len) is our live ring mapping.
            unsafe {
                p.write_volatile(0x5a);
                prop_assert_eq!(p.add(len).read_volatile(), 0x5a);
                p.add(2 * len - 1).write_volatile(0xa5);
                prop_assert_eq!(p.add(len - 1).read_volatile(), 0xa5);
            }
            prop_assert_eq!(int(mmap::unmap(addr)), 0);
        }
        prop_assert_eq!(mmap::live_count(), before);
    }

    #[test]
    fn unmap_and_sync_only_touch_registered_mappings(
        addrs in prop::collection::vec(prop_oneof![
            any::<i64>(),
            Just(0i64),
            Just(1i64), // stands for an address that was unmapped
            Just(-1i64),
            Just(i64::MIN),
            Just(i64::MAX),
            (0i64..(1 << 47)).prop_map(|a| a & !(PAGE - 1)),
            // Inside our own mappings, and just past them (see below).
            (0i64..3, 1i64..(4 * PAGE)).prop_map(|(m, d)| -(m * 1_000_000 + d)),
        ], 1..40),
    ) {
        let _lock = map_lock();
        let file = Own::memfd(4 * PAGE);
        let before = mmap::live_count();
        let maps: Vec<(i64, usize)> = [(0, 4 * PAGE), (PAGE, PAGE), (0, 2 * PAGE)]
            .iter()
            .map(|&(off, len)| (int(mmap::map(file.0, off, Some(len), 0)), len as usize))
            .collect();
        let ring = int(ring_mapping::map_ring(file.0, 0, 2 * PAGE));
        prop_assert!(ring >= 0);
        let mut mine: Vec<i64> = maps.iter().map(|m| m.0).collect();
        mine.push(ring);
        prop_assert!(mine.iter().all(|&a| a >= 0));
        // A stale address: mapped, then unmapped.
        let stale = int(mmap::map(file.0, 0, Some(PAGE), 1));
        prop_assert_eq!(int(mmap::unmap(stale)), 0);
        for &a in &addrs {
            // Negative encodings pick an address near one of our mappings.
            let a = if (-3_000_000..0).contains(&a) {
                let m = (-a / 1_000_000) as usize;
                let d = -a % 1_000_000;
                mine[m] + d
            } else {
                a
            };
            let a = if a == 1 { stale } else { a };
            if mine.contains(&a) {
                continue;
            }
            prop_assert_eq!(int(mmap::unmap(a)), EINVAL, "unmap({:#x})", a);
            prop_assert_eq!(int(mmap::sync(a)), EINVAL, "sync({:#x})", a);
            let truncated = mmap::truncated(a).map(i64::from);
            prop_assert_eq!(int(truncated), EINVAL, "truncated({:#x})", a);
        }
        // Every mapping of ours is still mapped and usable.
        prop_assert_eq!(mmap::live_count(), before + 4);
        for &(addr, len) in &maps {
            touch(addr, len);
        }
        touch(ring, 4 * PAGE as usize);
        prop_assert_eq!(int(seals::add(file.0, i64::from(F_SEAL_WRITE))), EBUSY);
        for a in mine {
            prop_assert_eq!(int(mmap::unmap(a)), 0);
        }
        prop_assert_eq!(mmap::live_count(), before);
    }

    #[test]
    fn liveness_takes_any_pid_and_start(pid in any::<i32>(), start in any::<u32>()) {
        let alive = crate::process::liveness::alive(pid, start);
        if pid <= 0 {
            prop_assert_eq!(alive, Err(Errno::EINVAL));
        } else {
            prop_assert!(alive.is_ok(), "{:?}", alive);
        }
        let started = crate::process::liveness::start_time(pid);
        prop_assert!(pid > 0 || started == Err(Errno::EINVAL));
    }

    #[test]
    fn the_panic_barrier_passes_results_through(x in any::<i64>()) {
        prop_assert_eq!(shielded(|| Ok(x)), Ok(x));
        prop_assert_eq!(shielded::<i64>(|| Err(Errno::EBADF)), Err(Errno::EBADF));
    }
}

/// A fresh directory for socket files, removed with everything in it.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("dm-prop-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// `name` inside the directory, as bytes (any bytes but `/` and NUL).
    fn path(&self, name: &[u8]) -> Vec<u8> {
        use std::os::unix::ffi::OsStrExt;
        let mut p = self.0.as_os_str().as_bytes().to_vec();
        p.push(b'/');
        p.extend(
            name.iter()
                .map(|&b| if b == b'/' || b == 0 { b'_' } else { b }),
        );
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Socket paths: inside our own directory (any bytes, any length, so some
/// are too long for `sun_path`), or invalid (empty, with a NUL).
#[derive(Debug, Clone)]
enum SocketPath {
    Inside(Vec<u8>),
    Empty,
    WithNul(Vec<u8>),
}

fn socket_path() -> impl Strategy<Value = SocketPath> {
    prop_oneof![
        4 => prop::collection::vec(any::<u8>(), 1..150).prop_map(SocketPath::Inside),
        1 => Just(SocketPath::Empty),
        1 => prop::collection::vec(any::<u8>(), 0..20).prop_map(|mut v| {
            v.push(0);
            SocketPath::WithNul(v)
        }),
    ]
}

fn resolve(dir: &TempDir, p: &SocketPath) -> Vec<u8> {
    match p {
        SocketPath::Inside(name) => dir.path(name),
        SocketPath::Empty => Vec::new(),
        SocketPath::WithNul(name) => {
            let mut v = dir.path(b"nul");
            v.extend(name);
            v
        }
    }
}

proptest! {
    #[test]
    fn listen_unlink_and_send_take_any_path(
        path in socket_path(),
        memfd_kind in prop_oneof![Just(None), invalid_fd().prop_map(Some)],
    ) {
        let dir = TempDir::new();
        let p = resolve(&dir, &path);
        let l = int(socket_listener::listen(&p));
        prop_assert!(is_result(l));
        if !matches!(path, SocketPath::Inside(_)) {
            prop_assert!(l < 0);
        }
        if l >= 0 {
            let memfd = Own::memfd(4096);
            let sent = int(fd_passing::send(&p, memfd_kind.unwrap_or(memfd.0)));
            prop_assert!(is_result(sent));
            let wake = wakeable_wait::wake_fd().unwrap();
            // A connection is pending, so accept cannot block.
            let conn = int(socket_listener::accept(l as i32, wake));
            prop_assert!(conn >= 0, "accept: {conn}");
            // The connection is readable (a message or the end).
            let got = int(fd_passing::receive(conn as i32, wake));
            if memfd_kind.is_none() {
                prop_assert_eq!(sent, 0);
                prop_assert!(got >= 0, "receive: {got}");
                prop_assert_eq!(is_memfd(got as i32), 1);
                close(got as i32);
            } else {
                prop_assert_eq!(sent, EBADF);
                prop_assert!(got < 0);
            }
            prop_assert_eq!(wakeable_wait::wake(wake), Ok(()));
            prop_assert_eq!(socket_listener::accept(l as i32, wake), Err(Errno::ECANCELED));
            close(conn as i32);
            close(wake);
            prop_assert_eq!(socket_listener::unlink_socket(l as i32), Ok(true));
            prop_assert_eq!(socket_listener::unlink_socket(l as i32), Ok(false));
            close(l as i32);
        }
    }

    #[test]
    fn accept_receive_and_wake_take_any_fds(
        t in target(),
        wake_valid: bool,
        wake_bad in invalid_fd(),
    ) {
        let fds = open_target(t, 4096);
        let wake = wakeable_wait::wake_fd().unwrap();
        let w = if wake_valid { wake } else { wake_bad };
        let woke = int(wakeable_wait::wake(w));
        prop_assert!(is_result(woke));
        prop_assert_eq!(woke == 0, wake_valid);
        // Never block: the wake fd is signalled, or an fd is invalid
        // (POLLNVAL), or the target is a readable memfd or /dev/null.
        // Negative fds, which poll() would skip, must not block either.
        let a = int(socket_listener::accept(fds.fd, w));
        let m = int(fd_passing::receive(fds.fd, w));
        for x in [a, m] {
            prop_assert!(is_result(x));
            prop_assert!(x < 0, "a non-socket fd produced {x}");
        }
        close(wake);
    }

    #[test]
    fn futex_wait_and_wake_only_touch_our_mappings(
        addr in any_i64(),
        offset in 0i64..(2 * PAGE),
        inside: bool,
        expected in any::<i32>(),
        timeout_ms in prop_oneof![-5i32..0, 0i32..3, Just(i32::MIN)],
    ) {
        let _lock = map_lock();
        let file = Own::memfd(2 * PAGE);
        let base = int(mmap::map(file.0, 0, Some(2 * PAGE), 0));
        prop_assert!(base >= 0);
        let a = if inside { base + offset } else { addr };
        let ours = a >= base && a.checked_add(4).is_some_and(|end| end <= base + 2 * PAGE)
            && a % 4 == 0;
        let w = int(futex::wait(a, expected, timeout_ms));
        let k = int(futex::wake(a));
        prop_assert!(is_result(w) && is_result(k));
        if !ours && !live_mappings().covers(a.max(0) as usize, 4) {
            prop_assert_eq!(w, EINVAL);
            prop_assert_eq!(k, EINVAL);
        }
        if ours {
            prop_assert!(k >= 0);
            if timeout_ms < 0 {
                prop_assert_eq!(w, EINVAL);
            } else if expected != 0 {
                prop_assert_eq!(w, -i64::from(libc::EAGAIN));
            } else {
                prop_assert_eq!(w, -i64::from(libc::ETIMEDOUT));
            }
        }
        prop_assert_eq!(int(mmap::unmap(base)), 0);
    }
}
