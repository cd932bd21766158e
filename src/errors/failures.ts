/**
 * What a failed call means for the user, in words they can act on.
 * @module
 */

import { MemfdError } from "./errors.ts";
import { Errno } from "./errno.ts";

/** An operation of the public API, as named in error messages. */
export type Operation =
  | "create"
  | "open"
  | "adopt"
  | "size"
  | "resize"
  | "write"
  | "read"
  | "seal"
  | "seals"
  | "map"
  | "mapRing"
  | "ringWait"
  | "unmap"
  | "sync"
  | "dup"
  | "send"
  | "close";

const SYSCALLS: Readonly<Record<Operation, string>> = {
  create: "memfd_create",
  open: "open",
  adopt: "readlink",
  size: "fstat",
  resize: "ftruncate",
  write: "pwrite",
  read: "pread",
  seal: "fcntl(F_ADD_SEALS)",
  seals: "fcntl(F_GET_SEALS)",
  map: "mmap",
  mapRing: "mmap",
  ringWait: "futex",
  unmap: "munmap",
  sync: "msync",
  dup: "fcntl(F_DUPFD_CLOEXEC)",
  send: "sendmsg",
  close: "close",
};

const ATTEMPTS: Readonly<Record<Operation, string>> = {
  create: "cannot create memfd",
  open: "cannot open memfd",
  adopt: "cannot adopt fd",
  size: "cannot read the size of",
  resize: "cannot resize",
  write: "cannot write to",
  read: "cannot read from",
  seal: "cannot add seals to",
  seals: "cannot read the seals of",
  map: "cannot map",
  mapRing: "cannot map (as a ring)",
  ringWait: "cannot wait on ring buffer",
  unmap: "cannot unmap a mapping of",
  sync: "cannot sync a mapping of",
  dup: "cannot duplicate",
  send: "cannot send",
  close: "cannot close",
};

/** Why, per operation and errno, beyond the errno's own meaning. */
const REASONS: Partial<Record<Operation, Partial<Record<number, string>>>> = {
  create: {
    [Errno.EINVAL]:
      "the kernel refused the name or flags (names are at most 249 UTF-8 bytes; hugetlb sizes need a kernel that knows them)",
    [Errno.ENODEV]:
      "the kernel has no huge page pool of that size (see /sys/kernel/mm/hugepages)",
    [Errno.EMFILE]:
      "this process has too many open files (raise `ulimit -n` or close memfds)",
    [Errno.ENFILE]: "the system has too many open files",
    [Errno.EACCES]:
      "the vm.memfd_noexec sysctl forbids executable memfds (use executable: false)",
  },
  open: {
    [Errno.ENOENT]: "no such path (is the process alive and the fd open?)",
    [Errno.EACCES]:
      "permission denied (another user's process, or a write-sealed memfd opened for writing)",
    [Errno.EINVAL]: "the path is not a memfd",
    [Errno.EMFILE]: "this process has too many open files",
  },
  adopt: {
    [Errno.EBADF]: "the fd is not open",
    [Errno.EINVAL]: "the fd is open but is not a memfd",
  },
  resize: {
    [Errno.EPERM]:
      "the memfd is sealed against this change ('shrink' or 'grow' seal)",
    [Errno.EBUSY]:
      "a live mapping of this memfd reaches past the new size (touching it would crash with SIGBUS); unmap it first",
    // ftruncate answers EINVAL, not EBADF, for an fd not open for writing.
    [Errno.EINVAL]:
      "the size is not valid for this memfd (hugetlb memfds take multiples of the huge page size), or the fd is read-only (open it with write: true)",
    [Errno.EBADF]: "the fd was opened read-only",
    [Errno.EFBIG]:
      "the new size is above this process's file size limit (`ulimit -f`, RLIMIT_FSIZE)",
  },
  write: {
    [Errno.EPERM]:
      "the memfd is sealed against writes ('write' or 'future-write'), or against growing past its end ('grow')",
    [Errno.EINVAL]:
      "the kernel refuses write() here (hugetlb memfds can only be written through a mapping)",
    [Errno.EBADF]: "the fd was opened read-only",
    [Errno.EFAULT]: "the buffer is no longer mapped",
    [Errno.EFBIG]:
      "the position is at or past this process's file size limit (`ulimit -f`, RLIMIT_FSIZE)",
  },
  read: {
    [Errno.EFAULT]: "the buffer is no longer mapped",
  },
  seal: {
    [Errno.EPERM]:
      "sealing is not allowed (created with allowSealing: false, the 'seal' seal is set, or the fd is read-only)",
    [Errno.EBUSY]:
      "a shared mapping of this memfd is still alive, here or in another process; unmap it first",
    [Errno.EINVAL]: "the kernel does not know one of these seals",
  },
  map: {
    [Errno.EPERM]:
      "the memfd is sealed against writes; map it with access: 'private' or read it with read()",
    [Errno.EACCES]:
      "the fd is read-only; map it with access: 'private' or open it with write: true",
    [Errno.EINVAL]:
      "the offset must be a multiple of the page size (the huge page size for hugetlb)",
    [Errno.ENOMEM]:
      "out of memory or address space (hugetlb: no free huge pages; reserve some in /proc/sys/vm/nr_hugepages)",
  },
  dup: {
    [Errno.EMFILE]:
      "this process has too many open files (raise `ulimit -n` or close memfds)",
  },
  mapRing: {
    [Errno.EPERM]: "the memfd is sealed against writes",
    [Errno.EACCES]: "the fd is read-only; open it with write: true",
    [Errno.EINVAL]:
      "offset and length must be multiples of the page size (the huge page size for hugetlb)",
    [Errno.ENOMEM]: "out of memory or address space",
  },
};

const BADF = "the memfd is closed";

/** The system call behind `op`, for an error of `op` made without one. */
export function syscallOf(op: Operation): string {
  return SYSCALLS[op];
}

/** What `op` attempted, as its errors begin (`"cannot resize"`). */
export function attemptOf(op: Operation): string {
  return ATTEMPTS[op];
}

/**
 * The `MemfdError` for `op` on the memfd called `name` failing with
 * `errno`.
 */
export function failure(
  op: Operation,
  errno: number,
  name: string,
): MemfdError {
  const reason = REASONS[op]?.[errno] ??
    (errno === Errno.EBADF ? BADF : undefined) ??
    `the kernel refused`;
  return new MemfdError(
    errno,
    SYSCALLS[op],
    `${ATTEMPTS[op]} '${name}': ${reason}`,
  );
}

/**
 * The `EBADF` for `op` on a `Memfd` that was closed: the call never reached
 * the kernel, so the kernel's reasons for `EBADF` (a read-only fd) do not
 * apply.
 */
export function closedFailure(op: Operation, name: string): MemfdError {
  return new MemfdError(
    Errno.EBADF,
    SYSCALLS[op],
    `${ATTEMPTS[op]} '${name}': ${BADF}`,
  );
}

/** Throws `failure(op, -result, name)` when `result` is negative. */
export function check(result: number, op: Operation, name: string): number {
  if (result < 0) throw failure(op, -result, name);
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
    : REASONS.resize?.[errno] ?? "the kernel refused";
  return new MemfdError(
    errno,
    SYSCALLS.resize,
    `cannot create memfd '${name}' with size ${size}: ${reason}`,
  );
}
