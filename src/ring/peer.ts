/**
 * Is the other side of a ring still there? Each side records in the header
 * its pid and the number of an fd it holds on the ring's memfd for as long
 * as its `RingBuffer` is open; the waiting side looks that fd up under
 * `/proc/<pid>/fd`. It is gone when the process exited (or the pid now
 * belongs to a process without that fd) or the side closed its ring.
 * @module
 */

import { dm_close, dm_open } from "../native.ts";
import { Errno } from "../errno.ts";

const { ENOENT, EINVAL } = Errno;
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
