/**
 * `MemfdListener`: receiving memfds from other processes over a Unix domain
 * socket.
 * @module
 */

import {
  dm_accept,
  dm_close,
  dm_listen,
  dm_receive,
  dm_unlink_socket,
  dm_wake,
  dm_wake_fd,
} from "../native.ts";
import { ensureLoaded } from "../loader/library.ts";
import { type Memfd, receivedMemfd } from "../memfd/memfd.ts";
import { normalizePath } from "../permissions/grants.ts";
import { listenNeeds } from "../permissions/needs.ts";
import {
  encodeSocketPath,
  SocketErrno,
  socketFailure,
} from "../socket/socket.ts";
import { Cancellation, type WaitOptions } from "../input/abort.ts";

/**
 * Receives memfds sent to a Unix domain socket (`SOCK_STREAM`) as
 * `SCM_RIGHTS`: by {@linkcode Memfd.sendTo} in this or another Deno
 * process, or by any language that can pass fds (Python's
 * `socket.send_fds`).
 *
 * Each message yields one memfd, which arrives close-on-exec. A message
 * whose fd is not a memfd, or that carries no fd, rejects that `receive()`
 * (nothing is kept open); extra fds in one message are closed. Connections
 * are served one at a time, in order; a peer may send several memfds over
 * one connection. Waiting runs off the event loop: timers and I/O go on.
 *
 * A sender cannot be trusted to leave the memory alone: check its seals
 * with {@linkcode Memfd.requireSeals} before relying on the contents.
 *
 * @example Receive one memfd from a child process
 * ```ts
 * import { Memfd, MemfdListener } from "@memfd/memfd";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * using listener = MemfdListener.listen(`${dir}/memfd.sock`);
 * {
 *   using fd = Memfd.create("greeting", { size: 5 });
 *   fd.write(new TextEncoder().encode("hello"));
 *   fd.seal("shrink", "grow", "write");
 *   await fd.sendTo(listener.path); // usually another process
 * }
 * using received = await listener.receive();
 * received.requireSeals("shrink", "grow", "write");
 * const text = new Uint8Array(received.size);
 * received.read(text);
 * assertEquals(new TextDecoder().decode(text), "hello");
 * listener.close();
 * await Deno.remove(dir);
 * ```
 */
export class MemfdListener implements Disposable, AsyncIterable<Memfd> {
  #path: string;
  #fd: number;
  #wake: number;
  /** The connection being read, or -1. */
  #conn = -1;
  /** Whether the current connection has delivered a memfd yet. */
  #delivered = false;
  /** Native calls running off the event loop that use the fds. */
  #inFlight = 0;
  #closed = false;
  /** The tail of the queue of `receive()` calls: they run one at a time. */
  #queue: Promise<unknown> = Promise.resolve();
  /** Memfds that arrived for a receive() aborted meanwhile: the next ones'. */
  #pending: Memfd[] = [];

  private constructor(path: string, fd: number, wake: number) {
    this.#path = path;
    this.#fd = fd;
    this.#wake = wake;
  }

  /**
   * Creates a socket at `socketPath` and listens on it. Like
   * `Deno.listen`, the socket is made at the normalized path (absolute,
   * `.`/`..` collapsed without following symlinks), the one checked. That
   * path must not exist (`MemfdError` `EADDRINUSE`) and is at most 107
   * bytes (`ENAMETOOLONG`); {@linkcode MemfdListener.close} removes it
   * again. Needs what `Deno.listen({ transport: "unix", path })` needs
   * (Deno 2.9: `--allow-read`, `--allow-write` and
   * `--allow-net=unix:<normalized path>`, and `--allow-all` under `/proc`,
   * `/dev` and `/sys`), else `Deno.errors.NotCapable` naming every missing
   * flag, and nothing is created. A memfd that arrives with `O_APPEND` or
   * `O_DIRECT` is reopened without them (the sender's fd keeps them).
   *
   * @example
   * ```ts
   * import { MemfdListener } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * const dir = await Deno.makeTempDir();
   * using listener = MemfdListener.listen(`${dir}/in.sock`);
   * assertEquals(listener.path, `${dir}/in.sock`);
   * listener.close();
   * await Deno.remove(dir);
   * ```
   *
   * @throws {TypeError} when `socketPath` is not a string or holds a NUL
   *   character.
   * @throws {MemfdError} `EADDRINUSE` when something exists at the path (a
   *   stale socket, say); `ENAMETOOLONG` for a path over 107 bytes;
   *   `ENOENT` or `EACCES` when its directory is missing or not writable;
   *   `EMFILE` when the process has no fd left.
   * @throws {Deno.errors.NotCapable} when the permissions
   *   `Deno.listen({ transport: "unix" })` would need for the path, or FFI
   *   permission for the native library, are missing.
   * @throws {Deno.errors.NotSupported} when not on Linux.
   */
  static listen(socketPath: string): MemfdListener {
    encodeSocketPath(socketPath, "listen");
    // The normalized path is the one checked, so it is the one bound.
    const path = encodeSocketPath(normalizePath(socketPath), "listen");
    ensureLoaded(
      `MemfdListener.listen(${JSON.stringify(socketPath)})`,
      listenNeeds(socketPath),
    );
    // The socket file's identity stays native, keyed by the fd: unlinking
    // can only ever remove the file this listener created.
    const fd = dm_listen(path);
    if (fd < 0) throw socketFailure("listen", -fd, socketPath);
    const wake = dm_wake_fd();
    if (wake < 0) {
      dm_unlink_socket(fd);
      dm_close(fd);
      throw socketFailure("listen", -wake, socketPath);
    }
    return new MemfdListener(socketPath, fd, wake);
  }

  /**
   * The socket path given to {@linkcode MemfdListener.listen}.
   *
   * Never throws.
   *
   * @example The socket is a file at the path
   * ```ts
   * import { MemfdListener } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * const dir = Deno.makeTempDirSync();
   * using listener = MemfdListener.listen(`${dir}/in.sock`);
   * assertEquals(Deno.statSync(listener.path).isSocket, true);
   * listener.close();
   * Deno.removeSync(dir);
   * ```
   */
  get path(): string {
    return this.#path;
  }

  /**
   * Whether {@linkcode MemfdListener.close} was called.
   *
   * Never throws.
   *
   * @example A closed listener refuses to receive
   * ```ts
   * import { MemfdError, MemfdListener } from "@memfd/memfd";
   * import { assertEquals, assertRejects } from "@std/assert";
   * const dir = Deno.makeTempDirSync();
   * using listener = MemfdListener.listen(`${dir}/in.sock`);
   * listener.close();
   * assertEquals(listener.closed, true);
   * const error = await assertRejects(() => listener.receive(), MemfdError);
   * assertEquals(error.code, "EBADF");
   * Deno.removeSync(dir);
   * ```
   */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The next memfd sent to this listener, waiting as long as it takes
   * without blocking the event loop. Calls made while one is pending
   * queue up and resolve in order. Rejects with `MemfdError`: `EINVAL` when
   * the peer sent an fd that is not a memfd, `EBADMSG` when it sent no fd,
   * `ECANCELED` when the listener is closed while waiting, `EBADF` when it
   * was closed before.
   *
   * `options.signal` and `options.timeout` end the wait early: the promise
   * rejects with the signal's reason (a `DOMException` `"TimeoutError"`
   * for the timeout), whether the call was still queued or waiting; the
   * native wait is woken and has returned by then. A memfd that arrives as
   * the wait is aborted is kept for the next `receive()`.
   *
   * @example Wait for a memfd while it is sent
   * ```ts
   * import { Memfd, MemfdListener } from "@memfd/memfd";
   * import { assertEquals, assertNotEquals } from "@std/assert";
   * const dir = Deno.makeTempDirSync();
   * using listener = MemfdListener.listen(`${dir}/in.sock`);
   * const next = listener.receive(); // waits off the event loop
   * using fd = Memfd.create("frame");
   * await fd.sendTo(listener.path);
   * using received = await next;
   * assertEquals(received.name, "frame");
   * assertNotEquals(received.fd, fd.fd); // an fd of its own
   * listener.close();
   * Deno.removeSync(dir);
   * ```
   *
   * @example Wait at most 50 ms
   * ```ts
   * import { MemfdListener } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * const dir = Deno.makeTempDirSync();
   * using listener = MemfdListener.listen(`${dir}/in.sock`);
   * const error = await listener.receive({ timeout: 50 }).catch((e) => e);
   * assertEquals(error.name, "TimeoutError");
   * listener.close();
   * Deno.removeSync(dir);
   * ```
   *
   * @throws {MemfdError} (as a rejection) `EINVAL` when the peer sent an fd
   *   that is not a memfd; `EBADMSG` when a message or connection carried
   *   no fd; `ECANCELED` when the listener is closed while waiting; `EBADF`
   *   when it was closed before; `EMFILE` when the process has no fd left.
   * @throws {DOMException} (as a rejection) `options.signal.reason` when the
   *   signal aborts, or a `TimeoutError` when `options.timeout` passes.
   * @throws {TypeError} (as a rejection) for an unknown option key.
   */
  receive(options?: WaitOptions): Promise<Memfd> {
    if (this.#closed) {
      return Promise.reject(
        socketFailure("receive", SocketErrno.EBADF, this.#path),
      );
    }
    let started = false;
    let rejectNow: (reason: unknown) => void = () => {};
    const early = new Promise<never>((_, reject) => rejectNow = reject);
    let cancel: Cancellation;
    try {
      cancel = new Cancellation(options, "MemfdListener.receive", () => {
        // Queued: give up at once. Waiting natively: wake that wait; the
        // loop then throws the reason once the native call has returned.
        if (!started) {
          try {
            cancel.throwIfAborted();
          } catch (reason) {
            rejectNow(reason);
          }
        } else if (this.#wake >= 0) dm_wake(this.#wake);
      });
    } catch (e) {
      return Promise.reject(e);
    }
    const turn = this.#queue.then(() => {
      started = true;
      return this.#receiveOne(cancel);
    });
    this.#queue = turn.catch(() => {});
    return Promise.race([turn, early]).finally(() => cancel[Symbol.dispose]());
  }

  /**
   * The memfds sent to this listener, one per message, until it is closed
   * (then the loop ends): `for await (const memfd of listener)`. A message
   * that carries no memfd (a peer's mistake, closed and dropped) is
   * skipped; other failures end the loop with their error. Use
   * {@linkcode MemfdListener.receive} to see every failure.
   *
   * @example Serve until closed
   * ```ts
   * import { Memfd, MemfdListener } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * const dir = Deno.makeTempDirSync();
   * using listener = MemfdListener.listen(`${dir}/in.sock`);
   * using fd = Memfd.create("frame", { size: 8 });
   * await fd.sendTo(listener.path);
   * await fd.sendTo(listener.path);
   * let count = 0;
   * for await (const received of listener) {
   *   received.close();
   *   if (++count === 2) listener.close(); // ends the loop
   * }
   * assertEquals(count, 2);
   * Deno.removeSync(dir);
   * ```
   *
   * @throws {MemfdError} (as a rejection of `next()`) what
   *   {@linkcode MemfdListener.receive} rejects with, except `EINVAL` and
   *   `EBADMSG` (skipped) and anything after the listener is closed (the
   *   loop ends): e.g. `EMFILE` when the process has no fd left.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<Memfd, void, undefined> {
    while (!this.#closed) {
      let memfd: Memfd;
      try {
        memfd = await this.receive();
      } catch (e) {
        if (this.#closed) return;
        const code = (e as { code?: string }).code;
        if (code === "EINVAL" || code === "EBADMSG") continue;
        throw e;
      }
      yield memfd;
    }
  }

  /**
   * Stops listening: removes the socket file (if it is still this
   * listener's), makes a pending {@linkcode MemfdListener.receive} reject
   * with `ECANCELED`, and closes the socket. Idempotent. Memfds queued by
   * senders but not yet received are dropped by the kernel.
   *
   * Never throws.
   *
   * @example
   * ```ts
   * import { MemfdError, MemfdListener } from "@memfd/memfd";
   * import { assertEquals, assertRejects } from "@std/assert";
   * const dir = await Deno.makeTempDir();
   * const listener = MemfdListener.listen(`${dir}/in.sock`);
   * const pending = listener.receive();
   * listener.close();
   * const error = await assertRejects(() => pending, MemfdError);
   * assertEquals(error.code, "ECANCELED");
   * await Deno.remove(dir);
   * ```
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#wake >= 0) dm_wake(this.#wake);
    dm_unlink_socket(this.#fd);
    if (this.#inFlight === 0) this.#release();
  }

  /**
   * Same as {@linkcode MemfdListener.close}.
   *
   * Never throws.
   *
   * @example The socket file goes at the end of the block
   * ```ts
   * import { MemfdListener } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * const dir = Deno.makeTempDirSync();
   * {
   *   using _listener = MemfdListener.listen(`${dir}/in.sock`);
   * }
   * assertEquals([...Deno.readDirSync(dir)], []); // the socket file is gone
   * Deno.removeSync(dir);
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }

  async #receiveOne(cancel: Cancellation): Promise<Memfd> {
    while (true) {
      if (this.#closed) {
        throw socketFailure("receive", SocketErrno.ECANCELED, this.#path);
      }
      cancel.throwIfAborted();
      const kept = this.#pending.shift();
      if (kept !== undefined) return kept;
      if (this.#conn < 0) {
        const conn = await this.#native(() => dm_accept(this.#fd, this.#wake));
        if (conn === -SocketErrno.ECANCELED && !this.#closed) {
          this.#renewWake();
          continue;
        }
        if (conn < 0) throw socketFailure("receive", -conn, this.#path);
        if (this.#closed) {
          dm_close(conn);
          continue;
        }
        this.#conn = conn;
        this.#delivered = false;
      }
      const fd = await this.#native(() => dm_receive(this.#conn, this.#wake));
      if (fd >= 0) {
        if (this.#closed) {
          dm_close(fd);
          continue;
        }
        this.#delivered = true;
        const memfd = receivedMemfd(fd);
        if (!cancel.aborted) return memfd;
        // It came as the wait was aborted: it is the next receive()'s.
        this.#pending.push(memfd);
        continue;
      }
      const errno = -fd;
      if (errno === SocketErrno.ECANCELED) {
        if (!this.#closed) this.#renewWake();
        continue;
      }
      const delivered = this.#delivered;
      // The connection ended, or its peer broke the protocol: drop it.
      this.#dropConnection();
      if (errno === SocketErrno.ENODATA && delivered) continue;
      throw socketFailure("receive", errno, this.#path);
    }
  }

  /** Runs a native call off the event loop, keeping the fds open for it. */
  async #native(call: () => Promise<number>): Promise<number> {
    this.#inFlight++;
    try {
      return await call();
    } finally {
      if (--this.#inFlight === 0 && this.#closed) this.#release();
    }
  }

  /**
   * A fresh wake eventfd after an aborted wait signalled the old one (an
   * eventfd stays readable once signalled). Only called with no native
   * call in flight: receives run one at a time.
   */
  #renewWake(): void {
    dm_close(this.#wake);
    this.#wake = -1;
    const wake = dm_wake_fd();
    if (wake < 0) {
      this.close();
      throw socketFailure("receive", -wake, this.#path);
    }
    this.#wake = wake;
  }

  #dropConnection(): void {
    if (this.#conn >= 0) dm_close(this.#conn);
    this.#conn = -1;
  }

  #release(): void {
    if (this.#fd < 0) return;
    this.#dropConnection();
    for (const memfd of this.#pending.splice(0)) memfd.close();
    dm_close(this.#fd);
    if (this.#wake >= 0) dm_close(this.#wake);
    this.#fd = -1;
    this.#wake = -1;
  }
}
