/**
 * The one table of error messages: for each operation, the system call
 * behind it, what it attempted, the public call it is by default, and why,
 * per errno, the kernel (or the library, for the ring) refused it. Every
 * `MemfdError` of the library is made here, by the functions at the end.
 * @module
 */

import { MemfdError } from "./errors.ts";
import { Errno, errnoName } from "./errno.ts";

/** Longest socket path: `sun_path` holds 108 bytes with the terminating NUL. */
export const SOCKET_PATH_MAX = 107;

/** An operation of the public API, as named in error messages. */
export type Operation =
  | "create"
  | "open"
  | "path"
  | "adopt"
  | "size"
  | "resize"
  | "write"
  | "read"
  | "seal"
  | "seals"
  | "requireSeals"
  | "map"
  | "mapRing"
  | "ring"
  | "ringOpen"
  | "ringWait"
  | "unmap"
  | "sync"
  | "dup"
  | "send"
  | "listen"
  | "receive"
  | "close";

/**
 * The system call behind each operation: the one that failed, or the one
 * that would have been made when the library refused the call first. `""`
 * (none) for `ring`, whose failures are states of the shared memory the
 * library detected itself (closed, ended, corrupt, a peer gone), and for
 * `path`, a getter that makes no system call.
 */
const SYSCALLS: Readonly<Record<Operation, string>> = {
  create: "memfd_create",
  open: "open",
  path: "",
  adopt: "readlink",
  size: "fstat",
  resize: "ftruncate",
  write: "pwrite",
  read: "pread",
  seal: "fcntl(F_ADD_SEALS)",
  seals: "fcntl(F_GET_SEALS)",
  requireSeals: "fcntl(F_GET_SEALS)",
  map: "mmap",
  mapRing: "mmap",
  ring: "",
  ringOpen: "pread",
  ringWait: "futex",
  unmap: "munmap",
  sync: "msync",
  dup: "fcntl(F_DUPFD_CLOEXEC)",
  send: "sendmsg",
  listen: "listen",
  receive: "recvmsg",
  close: "close",
};

/** The public call each operation is, unless its caller names another. */
const OPERATIONS: Readonly<Record<Operation, string>> = {
  create: "Memfd.create",
  open: "Memfd.open",
  path: "Memfd.path",
  adopt: "Memfd.fromFd",
  size: "Memfd.size",
  resize: "Memfd.resize",
  write: "Memfd.write",
  read: "Memfd.read",
  seal: "Memfd.seal",
  seals: "Memfd.seals",
  requireSeals: "Memfd.requireSeals",
  map: "Memfd.map",
  mapRing: "Memfd.mapRing",
  ring: "RingBuffer",
  ringOpen: "RingBuffer.open",
  ringWait: "RingBuffer.waitReadable",
  unmap: "Mapping.unmap",
  sync: "Mapping.sync",
  dup: "Memfd.dup",
  send: "Memfd.sendTo",
  listen: "MemfdListener.listen",
  receive: "MemfdListener.receive",
  close: "Memfd.close",
};

const ATTEMPTS: Readonly<Record<Operation, string>> = {
  create: "cannot create memfd",
  open: "cannot open memfd",
  path: "cannot give the path of memfd",
  adopt: "cannot adopt",
  size: "cannot read the size of",
  resize: "cannot resize",
  write: "cannot write to",
  read: "cannot read from",
  seal: "cannot add seals to",
  seals: "cannot read the seals of",
  requireSeals: "cannot rely on",
  map: "cannot map",
  mapRing: "cannot map (as a ring)",
  ring: "cannot use ring buffer",
  ringOpen: "cannot open as a ring buffer",
  ringWait: "cannot wait on ring buffer",
  unmap: "cannot unmap a mapping of",
  sync: "cannot sync a mapping of",
  dup: "cannot duplicate",
  send: "cannot send memfd",
  listen: "cannot listen on",
  receive: "cannot receive a memfd on",
  close: "cannot close",
};

const SOCKET_PATH_TOO_LONG =
  `socket paths are at most ${SOCKET_PATH_MAX} bytes; use a shorter one (e.g. in a directory from Deno.makeTempDir())`;

/** Why, per operation and errno, beyond the errno's own meaning. */
const REASONS: Partial<Record<Operation, Partial<Record<string, string>>>> = {
  create: {
    EINVAL:
      "the kernel refused the name or flags (names are at most 249 UTF-8 bytes; hugetlb sizes need a kernel that knows them)",
    ENODEV:
      "the kernel has no huge page pool of that size (see /sys/kernel/mm/hugepages)",
    EMFILE:
      "this process has too many open files (raise `ulimit -n` or close memfds)",
    ENFILE: "the system has too many open files",
    EACCES:
      "the vm.memfd_noexec sysctl forbids executable memfds (use executable: false)",
  },
  open: {
    ENOENT: "no such path (is the process alive and the fd open?)",
    EACCES:
      "permission denied (another user's process, or a write-sealed memfd opened for writing)",
    EINVAL: "the path is not a memfd",
    EMFILE: "this process has too many open files",
  },
  adopt: {
    EBADF: "the fd is not open",
    EINVAL: "the fd is open but is not a memfd",
  },
  resize: {
    EPERM: "the memfd is sealed against this change ('shrink' or 'grow' seal)",
    EBUSY:
      "a live mapping of this memfd reaches past the new size (touching it would crash with SIGBUS); unmap it first",
    // ftruncate answers EINVAL, not EBADF, for an fd not open for writing.
    EINVAL:
      "the size is not valid for this memfd (hugetlb memfds take multiples of the huge page size), or the fd is read-only (open it with write: true)",
    EBADF: "the fd was opened read-only",
    EFBIG:
      "the new size is above this process's file size limit (`ulimit -f`, RLIMIT_FSIZE)",
  },
  write: {
    EPERM:
      "the memfd is sealed against writes ('write' or 'future-write'), or against growing past its end ('grow')",
    EINVAL:
      "the kernel refuses write() here (hugetlb memfds can only be written through a mapping)",
    EBADF: "the fd was opened read-only",
    EFAULT: "the buffer is no longer mapped",
    EFBIG:
      "the position is at or past this process's file size limit (`ulimit -f`, RLIMIT_FSIZE)",
  },
  read: {
    EFAULT: "the buffer is no longer mapped",
  },
  seal: {
    EPERM:
      "sealing is not allowed (created with allowSealing: false, the 'seal' seal is set, or the fd is read-only)",
    EBUSY:
      "a shared mapping of this memfd is still alive, here or in another process; unmap it first",
    EINVAL: "the kernel does not know one of these seals",
  },
  map: {
    EPERM:
      "the memfd is sealed against writes; map it with access: 'private' or read it with read()",
    EACCES:
      "the fd is read-only; map it with access: 'private' or open it with write: true",
    EINVAL:
      "the offset must be a multiple of the page size (the huge page size for hugetlb)",
    ENOMEM:
      "out of memory or address space (hugetlb: no free huge pages; reserve some in /proc/sys/vm/nr_hugepages)",
  },
  dup: {
    EMFILE:
      "this process has too many open files (raise `ulimit -n` or close memfds)",
  },
  mapRing: {
    EPERM: "the memfd is sealed against writes",
    EACCES: "the fd is read-only; open it with write: true",
    EINVAL:
      "offset and length must be multiples of the page size (the huge page size for hugetlb)",
    ENOMEM: "out of memory or address space",
  },
  send: {
    ENOENT: "no socket exists at that path (is the listener running?)",
    ECONNREFUSED:
      "nothing is listening there (a socket left behind by a listener that exited, or a file that is not a socket)",
    EACCES:
      "permission denied (the socket file needs write permission, its directories search permission)",
    EPROTOTYPE:
      "the socket there is not a stream socket (SOCK_STREAM); memfds are passed over stream sockets",
    ENOTDIR: "a component of the path is not a directory",
    ENAMETOOLONG: SOCKET_PATH_TOO_LONG,
    EPIPE: "the listener closed the connection before the memfd was sent",
    ECONNRESET: "the listener closed the connection before the memfd was sent",
    EMFILE: "this process has too many open files",
  },
  listen: {
    EADDRINUSE:
      "something already exists at that path (a socket left behind by a listener that exited? remove it first)",
    ENOENT: "the directory of that path does not exist",
    EACCES: "permission denied (the directory is not writable)",
    ENOTDIR: "a component of the path is not a directory",
    ENAMETOOLONG: SOCKET_PATH_TOO_LONG,
    EMFILE: "this process has too many open files",
  },
  receive: {
    ECANCELED: "the listener was closed while receive() was waiting",
    EBADF: "the listener is closed",
    EINVAL:
      "the peer sent an fd that is not a memfd (it was closed, nothing was kept)",
    EBADMSG:
      "the peer sent data without an fd (each message must carry a memfd as SCM_RIGHTS ancillary data)",
    ENODATA: "the peer closed the connection without sending a memfd",
    EMFILE:
      "this process has too many open files to take the fd (the message was dropped)",
    EACCES:
      "the peer sent a memfd open with O_APPEND or O_DIRECT, and its file mode does not let this process reopen it without them (nothing was kept)",
  },
  path: {
    EBADF: "the memfd is closed; it has no path any more",
  },
  requireSeals: {
    EPERM: "it is missing required seals",
  },
  ring: {
    EBADF: "it is closed; its memory is unmapped, every view of it detached",
    EPIPE: "the producer called end(); nothing more can be written",
    EINVAL: "it is corrupt (another process wrote its header)",
    ECONNRESET: "the other side exited or closed its ring",
  },
  ringOpen: {
    EINVAL: "it is not a ring buffer",
    EACCES:
      "it is open read-only, and a ring writes its indices; open it with Memfd.open(path, { write: true })",
    EPERM:
      'it is sealed against writes ("write" or "future-write"), and a ring writes its indices',
  },
};

const BADF = "the memfd is closed";

/** Where a failure happened, beyond its operation and errno. */
export interface FailureContext {
  /** The public call, when not the operation's own (`"Memfd.readAsync"`). */
  operation?: string;
  /** The system call, when not the operation's own (`"bind"`). */
  syscall?: string;
  /** What the reason leaves out (the bad indices, a peer's pid). */
  detail?: string;
  /** The reason, when the table's is not the one (a finer diagnosis). */
  reason?: string;
}

/** The system call behind `op`, for an error of `op` made without one. */
export function syscallOf(op: Operation): string {
  return SYSCALLS[op];
}

/** What `op` attempted, as its errors begin (`"cannot resize"`). */
export function attemptOf(op: Operation): string {
  return ATTEMPTS[op];
}

/** The public call `op` is by default (`"Memfd.resize"`). */
export function operationOf(op: Operation): string {
  return OPERATIONS[op];
}

/** The table's reason for `op` failing with `errno`, if it has one. */
export function reasonOf(op: Operation, errno: number): string | undefined {
  return REASONS[op]?.[errnoName(errno)];
}

/**
 * The `MemfdError` for `op` on `subject` (a memfd's name, quoted; a path
 * or `fd 3`, as given) failing with `errno`: the one way the library makes
 * a `MemfdError`. `context` overrides the public call, the system call or
 * the reason, and adds a detail.
 */
export function failure(
  op: Operation,
  errno: number,
  subject: string,
  context: FailureContext = {},
): MemfdError {
  const reason = context.reason ?? reasonOf(op, errno) ??
    (errno === Errno.EBADF ? BADF : undefined) ??
    `the kernel refused`;
  const detail = context.detail === undefined ? "" : `: ${context.detail}`;
  return new MemfdError(
    errno,
    context.syscall ?? SYSCALLS[op],
    `${ATTEMPTS[op]} ${subject}: ${reason}${detail}`,
    context.operation ?? OPERATIONS[op],
  );
}

/** `name` as a memfd's name appears in messages: quoted. */
export function quoted(name: string): string {
  return `'${name}'`;
}

/** {@linkcode failure} of `op` on the memfd called `name`. */
export function memfdFailure(
  op: Operation,
  errno: number,
  name: string,
  context: FailureContext = {},
): MemfdError {
  return failure(op, errno, quoted(name), context);
}

/**
 * The `EBADF` for `op` on a `Memfd` that was closed: the call never reached
 * the kernel, so the kernel's reasons for `EBADF` (a read-only fd) do not
 * apply.
 */
export function closedFailure(
  op: Operation,
  name: string,
  operation?: string,
): MemfdError {
  return memfdFailure(op, Errno.EBADF, name, {
    operation,
    reason: op === "path" ? reasonOf("path", Errno.EBADF) : BADF,
  });
}

/** Throws `memfdFailure(op, -result, name)` when `result` is negative. */
export function check(
  result: number,
  op: Operation,
  name: string,
  operation?: string,
): number {
  if (result < 0) throw memfdFailure(op, -result, name, { operation });
  return result;
}

/**
 * The error of `Memfd.create(name, { size })` when setting the initial
 * size failed: named after the call the user made (create), not the
 * `ftruncate` inside it.
 */
export function createSizeFailure(
  errno: number,
  name: string,
  size: number,
  hugetlb: boolean,
): MemfdError {
  const reason = errno === Errno.EINVAL && hugetlb
    ? `a hugetlb memfd's size must be a multiple of its huge page size ` +
      `(2 MiB for the usual default; see /sys/kernel/mm/hugepages), so ` +
      `round size up`
    : errno === Errno.EINVAL
    ? "the kernel refused that size"
    : reasonOf("resize", errno) ?? "the kernel refused";
  return failure("create", errno, `${quoted(name)} with size ${size}`, {
    syscall: SYSCALLS.resize,
    reason,
  });
}

/** A socket operation, as named in error messages. */
export type SocketOperation = "send" | "listen" | "receive";

const CONNECT_ERRORS = new Set([
  "ENOENT",
  "ECONNREFUSED",
  "EACCES",
  "EPROTOTYPE",
  "ENOTDIR",
  "ENAMETOOLONG",
  "ELOOP",
]);

function socketSyscall(op: SocketOperation, code: string): string {
  if (op === "listen") return code === "EADDRINUSE" ? "bind" : "listen";
  if (op === "receive") {
    return code === "ECANCELED" || code === "EBADF" ? "poll" : "recvmsg";
  }
  return CONNECT_ERRORS.has(code) ? "connect" : "sendmsg";
}

/**
 * The `MemfdError` for a socket operation on `path` failing with `errno`;
 * the message names the path and the reason. `name` is the memfd being
 * sent. `ENODATA` (a connection that ended without an fd) is reported as
 * `EBADMSG`, with its own reason.
 */
export function socketFailure(
  op: SocketOperation,
  errno: number,
  path: string,
  name = "",
): MemfdError {
  const reason = reasonOf(op, errno) ?? "the kernel refused";
  if (errno === Errno.ENODATA) errno = Errno.EBADMSG;
  const subject = op === "send" ? `${quoted(name)} to ${path}` : path;
  return failure(op, errno, subject, {
    reason,
    syscall: socketSyscall(op, errnoName(errno)),
  });
}

/**
 * The error of the ring call `RingBuffer.<call>` on the ring of memfd
 * `name`, for a state the library detected itself (no system call):
 * `EBADF` closed, `EPIPE` ended, `EINVAL` corrupt, `ECONNRESET` a peer
 * gone; `detail` says more.
 */
export function ringFailure(
  call: string,
  errno: number,
  name: string,
  detail?: string,
): MemfdError {
  return memfdFailure("ring", errno, name, {
    operation: `RingBuffer.${call}`,
    detail,
  });
}
