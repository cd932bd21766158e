/**
 * Is the other side of a ring still there? Each side records in the header
 * its pid and the number of an fd it holds on the ring's memfd for as long
 * as its `RingBuffer` is open; the waiting side looks that fd up under
 * `/proc/<pid>/fd`. It is gone when the process exited (or the pid now
 * belongs to a process without that fd) or the side closed its ring; and
 * the error a wait gives up with then.
 * @module
 */

import { dm_close, dm_open } from "../native.ts";
import { Errno } from "../errno.ts";
import { MemfdError } from "../errors.ts";
import { PRODUCER, type Role } from "./header.ts";

const { ENOENT, EINVAL, ECONNRESET } = Errno;
const encoder = new TextEncoder();

/**
 * `false` only when the side that recorded `pid` and `fd` is certainly
 * gone; `true` when it is there or cannot be told (another user's process:
 * `EACCES`). The probe opens the `/proc` path as `O_PATH` natively (no
 * permission prompt, nothing read) and closes it at once.
 */
export function sideIsAlive(pid: number, fd: number): boolean {
  const path = encoder.encode(`/proc/${pid}/fd/${fd}\0`).subarray(0, -1);
  const opened = dm_open(path, 0);
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
  return new MemfdError(
    ECONNRESET,
    `RingBuffer.${op}`,
    `ring buffer '${name}': the ${who} (pid ${pid}) exited ` +
      `or closed its side ${what}`,
  );
}
