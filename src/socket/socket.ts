/**
 * Socket paths and what a failed socket call means, for passing memfds
 * between processes.
 * @module
 */

import { Errno, errnoName } from "../errors/errno.ts";
import { MemfdError } from "../errors/errors.ts";

/** Longest socket path: `sun_path` holds 108 bytes with the terminating NUL. */
export const SOCKET_PATH_MAX = 107;

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

/** A socket operation, as named in error messages. */
export type SocketOperation = "send" | "listen" | "receive";

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
  if (typeof path !== "string") {
    throw new TypeError(`socketPath must be a string, got ${typeof path}`);
  }
  if (path === "") throw new TypeError("socketPath must not be empty");
  if (path.includes("\0")) {
    throw new TypeError("socketPath must not contain NUL");
  }
  const bytes = encoder.encode(path);
  if (bytes.length > SOCKET_PATH_MAX) {
    throw socketFailure(op, SocketErrno.ENAMETOOLONG, path, name);
  }
  return bytes;
}

const CONNECT_ERRORS = new Set([
  "ENOENT",
  "ECONNREFUSED",
  "EACCES",
  "EPROTOTYPE",
  "ENOTDIR",
  "ENAMETOOLONG",
  "ELOOP",
]);

const REASONS: Readonly<Record<SocketOperation, Record<string, string>>> = {
  send: {
    ENOENT: "no socket exists at that path (is the listener running?)",
    ECONNREFUSED:
      "nothing is listening there (a socket left behind by a listener that exited, or a file that is not a socket)",
    EACCES:
      "permission denied (the socket file needs write permission, its directories search permission)",
    EPROTOTYPE:
      "the socket there is not a stream socket (SOCK_STREAM); memfds are passed over stream sockets",
    ENOTDIR: "a component of the path is not a directory",
    ENAMETOOLONG:
      `socket paths are at most ${SOCKET_PATH_MAX} bytes; use a shorter one (e.g. in a directory from Deno.makeTempDir())`,
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
    ENAMETOOLONG:
      `socket paths are at most ${SOCKET_PATH_MAX} bytes; use a shorter one (e.g. in a directory from Deno.makeTempDir())`,
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
};

function syscallOf(op: SocketOperation, code: string): string {
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
  const reason = REASONS[op][errnoName(errno)] ?? "the kernel refused";
  if (errno === SocketErrno.ENODATA) errno = SocketErrno.EBADMSG;
  const code = errnoName(errno);
  const what = op === "send"
    ? `cannot send memfd '${name}' to ${path}`
    : op === "listen"
    ? `cannot listen on ${path}`
    : `cannot receive a memfd on ${path}`;
  return new MemfdError(errno, syscallOf(op, code), `${what}: ${reason}`);
}
