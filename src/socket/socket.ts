/**
 * Socket paths and what a failed socket call means, for passing memfds
 * between processes.
 * @module
 */

import { Errno } from "../errors/errno.ts";
import {
  operationOf,
  SOCKET_PATH_MAX,
  socketFailure,
  type SocketOperation,
} from "../errors/failures.ts";
import { shown } from "../input/validate.ts";

export { SOCKET_PATH_MAX, socketFailure, type SocketOperation };

/** What the native layer answers besides a plain errno. */
export const SocketErrno = {
  /** A wait was woken because the listener is closing. */
  ECANCELED: Errno.ECANCELED,
  /** The peer closed the connection. */
  ENODATA: Errno.ENODATA,
  /** The peer sent bytes without an fd. */
  EBADMSG: Errno.EBADMSG,
  EINVAL: Errno.EINVAL,
  EBADF: Errno.EBADF,
  ENAMETOOLONG: Errno.ENAMETOOLONG,
} as const;

const encoder = new TextEncoder();

/**
 * `path` as bytes for the native layer: a `TypeError` for a non-string, an
 * empty string or one with a NUL; `MemfdError` `ENAMETOOLONG` when it does
 * not fit a socket address (the kernel would cut it). `name` is the memfd
 * being sent, for the message.
 */
export function encodeSocketPath(
  path: unknown,
  op: SocketOperation,
  name = "",
): Uint8Array {
  const what = `${operationOf(op)}: socketPath`;
  if (typeof path !== "string") {
    throw new TypeError(`${what} must be a string, got ${shown(path)}`);
  }
  if (path === "") throw new TypeError(`${what} must not be empty, got ""`);
  if (path.includes("\0")) {
    throw new TypeError(`${what} must not contain NUL, got ${shown(path)}`);
  }
  const bytes = encoder.encode(path);
  if (bytes.length > SOCKET_PATH_MAX) {
    throw socketFailure(op, SocketErrno.ENAMETOOLONG, path, name);
  }
  return bytes;
}
