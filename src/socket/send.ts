/**
 * Sending a memfd to another process over a Unix domain socket.
 * @module
 */

import { dm_close, dm_dup, dm_send } from "../native.ts";
import { check } from "../errors/failures.ts";
import { requireAll } from "../permissions/messages.ts";
import { normalizePath } from "../permissions/grants.ts";
import { connectNeeds } from "../permissions/needs.ts";
import { encodeSocketPath, socketFailure } from "./socket.ts";

/**
 * Sends the memfd open as `fd` (called `name`) to the listener at
 * `socketPath` as `SCM_RIGHTS`. The fd is duplicated before this returns,
 * so the caller may close its memfd at once; the copy is closed when the
 * send is done. Connecting and sending run off the event loop. Needs what
 * `Deno.connect({ transport: "unix", path })` needs; without it,
 * `NotCapable` and nothing is connected to or sent. Like Deno, connects to
 * the normalized path (absolute, `.`/`..` collapsed), the one checked.
 */
export async function sendMemfd(
  fd: number,
  name: string,
  socketPath: string,
): Promise<void> {
  encodeSocketPath(socketPath, "send", name);
  // The normalized path is the one checked, so it is the one connected to.
  const normalized = normalizePath(socketPath);
  const path = encodeSocketPath(normalized, "send", name);
  requireAll(
    `sendTo(${JSON.stringify(socketPath)}) needs permission`,
    connectNeeds(socketPath),
  );
  const copy = check(dm_dup(fd, 1), "dup", name);
  let result: number;
  try {
    result = await dm_send(path, copy);
  } finally {
    dm_close(copy);
  }
  if (result < 0) throw socketFailure("send", -result, socketPath, name);
}
