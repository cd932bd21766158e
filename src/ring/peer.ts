/**
 * Who plays each side of a ring, and is the other side still there? Each
 * side records in the header its pid and the number of an fd it holds on
 * the ring's memfd for as long as its `RingBuffer` is open
 * ({@linkcode SideRecord}); the waiting side looks that fd up under
 * `/proc/<pid>/fd`. It is gone when the process exited (or the pid now
 * belongs to a process without that fd) or the side closed its ring; and
 * the error a wait gives up with then.
 * @module
 */

import { dm_close, dm_open } from "../native.ts";
import { Errno } from "../errors/errno.ts";
import type { MemfdError } from "../errors/errors.ts";
import { ringFailure } from "../errors/failures.ts";
import { encodePath } from "../memfd/memfd_name.ts";
import { CONSUMER, PRODUCER, type Role } from "./header.ts";

const { ENOENT, EINVAL, ECONNRESET } = Errno;

/** The roles this `RingBuffer` object recorded in the header. */
export class SideRecord {
  readonly #h: Int32Array;
  readonly #fd: number;
  #producer = false;
  #consumer = false;

  /**
   * `h` is the header; `fd` an fd of this side's own on the memfd, taken
   * while the memfd is surely open (its owner may close it and keep using
   * the ring's mappings), and open as long as the ring is.
   */
  constructor(h: Int32Array, fd: number) {
    this.#h = h;
    this.#fd = fd;
  }

  /**
   * Records this process as playing `role` (once per ring object): its pid
   * and its fd on the memfd, which the other side's waits look up to tell
   * a live peer from one that exited.
   */
  claim(role: Role): void {
    if (role === PRODUCER ? this.#producer : this.#consumer) return;
    Atomics.store(this.#h, role.fd, this.#fd);
    Atomics.store(this.#h, role.pid, Deno.pid);
    if (role === PRODUCER) this.#producer = true;
    else this.#consumer = true;
  }

  /** {@linkcode SideRecord.claim} of the role that waits for `peer`. */
  claimOpposite(peer: Role): void {
    this.claim(peer === PRODUCER ? CONSUMER : PRODUCER);
  }
}

/**
 * `false` only when the side that recorded `pid` and `fd` is certainly
 * gone; `true` when it is there or cannot be told (another user's process:
 * `EACCES`). The probe opens the `/proc` path as `O_PATH` natively (no
 * permission prompt, nothing read) and closes it at once.
 */
export function sideIsAlive(pid: number, fd: number): boolean {
  const opened = dm_open(encodePath(`/proc/${pid}/fd/${fd}`), 0);
  if (opened >= 0) {
    dm_close(opened);
    return true;
  }
  // ENOENT: no such process, or no such fd; EINVAL: that fd number is now
  // something other than a memfd.
  return opened !== -ENOENT && opened !== -EINVAL;
}

/**
 * The error for a wait (call `op`) on ring `name` whose other side (`role`,
 * as recorded in the header `h`) is gone, or `undefined` while it is
 * alive. A peer in this process is never judged: its closing is this
 * program's own doing.
 */
export function peerGone(
  h: Int32Array,
  role: Role,
  op: string,
  name: string,
): MemfdError | undefined {
  const pid = Atomics.load(h, role.pid);
  if (pid === 0 || pid === Deno.pid) return undefined;
  if (sideIsAlive(pid, Atomics.load(h, role.fd))) return undefined;
  const [who, what] = role === PRODUCER
    ? ["producer", "without calling end(); all it committed was read"]
    : ["consumer", "while the ring is full; nobody will make room"];
  return ringFailure(
    op,
    ECONNRESET,
    name,
    `the ${who} (pid ${pid}) exited or closed its side ${what}`,
  );
}
