/**
 * `Memfd`: an anonymous, sealable, mappable memory file.
 * @module
 */

import {
  dm_add_seals,
  dm_close,
  dm_create,
  dm_dup,
  dm_get_seals,
  dm_is_memfd,
  dm_map,
  dm_map_rest,
  dm_map_ring,
  dm_name,
  dm_open,
  dm_page_size,
  dm_pread,
  dm_pread_async,
  dm_pwrite,
  dm_pwrite_async,
  dm_resize,
  dm_size,
  dm_view_length,
} from "./native.ts";
import { type CreateOptions, planCreate } from "./create_options.ts";
import { Errno } from "./errno.ts";
import { MemfdError } from "./errors.ts";
import { ensureLoaded } from "./loader/library.ts";
import {
  adoptMapping,
  type MapAccess,
  type Mapping,
  pinMapping,
} from "./mapping.ts";
import { check, closedFailure, failure, type Operation } from "./failures.ts";
import { missingSeals, type Seal, sealBits, sealSet } from "./seals.ts";
import { sendMemfd } from "./sharing/send.ts";
import { acquired, released } from "./tracking.ts";
import { toBoolean, toBytes, toIndex, toOptions } from "./validate.ts";

/**
 * Options for {@linkcode Memfd.map}.
 *
 * @example
 * ```ts
 * import { type MapOptions, Memfd } from "@memfd/memfd";
 * using fd = Memfd.create("frames", { size: 8192 });
 * const options: MapOptions = { offset: 4096, length: 4096 };
 * using map = fd.map(options);
 * ```
 */
export interface MapOptions {
  /** Where the mapping starts; a multiple of the page size. Default 0. */
  offset?: number;
  /** Bytes to map; default the rest of the file. Must not pass its end. */
  length?: number;
  /**
   * `"shared"` (default): `MAP_SHARED`, writes reach the memfd.
   * `"private"`: copy-on-write, works on write-sealed and read-only memfds.
   */
  access?: MapAccess;
  /** Pre-fault every page now (`MAP_POPULATE`) instead of on first touch. */
  populate?: boolean;
}

/**
 * Options for {@linkcode Memfd.mapRing}.
 *
 * @example
 * ```ts
 * import { Memfd, type RingOptions } from "@memfd/memfd";
 * using fd = Memfd.create("ring", { size: 8192 });
 * const options: RingOptions = { offset: 4096, length: 4096 };
 * using ring = fd.mapRing(options);
 * ```
 */
export interface RingOptions {
  /** Where the region starts; a multiple of the page size. Default 0. */
  offset?: number;
  /** Bytes in the region; a non-zero multiple of the page size. */
  length?: number;
}

const SEAL_SEAL = 0x1;
const MAP_PRIVATE = 0x1;
const MAP_POPULATE = 0x2;
const NAME_MAX = 249;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Names are encoded here: a view of a non-empty buffer is never a null pointer. */
const nameScratch = new Uint8Array(NAME_MAX + 8);
let pageSize = 0;

function encodeName(name: unknown): Uint8Array {
  if (typeof name !== "string") {
    throw new TypeError(`name must be a string, got ${typeof name}`);
  }
  if (name.includes("\0")) throw new TypeError("name must not contain NUL");
  const { read, written } = encoder.encodeInto(name, nameScratch);
  if (read !== name.length || written > NAME_MAX) {
    throw new MemfdError(
      Errno.EINVAL,
      "memfd_create",
      `cannot create memfd: the name is longer than ${NAME_MAX} UTF-8 bytes`,
    );
  }
  return nameScratch.subarray(0, written);
}

function encodePath(path: unknown): Uint8Array {
  if (typeof path !== "string") {
    throw new TypeError(`path must be a string, got ${typeof path}`);
  }
  if (path.includes("\0")) throw new TypeError("path must not contain NUL");
  // The extra byte keeps even an empty path a non-null pointer.
  return encoder.encode(path + "\0").subarray(0, -1);
}

/** The name of the memfd open as `fd` ("" when unreadable). */
export function nameOf(fd: number): string {
  const out = new Uint8Array(NAME_MAX + 8);
  const n = dm_name(fd, out);
  return n < 0 ? "" : decoder.decode(out.subarray(0, Math.min(n, out.length)));
}

/**
 * A write must leave the file's size representable as a JavaScript number:
 * one that would end past 2^53-1 is a `RangeError`, before any syscall.
 */
function checkEnd(position: number, length: number): void {
  if (position + length > Number.MAX_SAFE_INTEGER) {
    throw new RangeError(
      `cannot write ${length} bytes at position ${position}: the file would ` +
        `end past 2^53-1 bytes, beyond what a JavaScript number holds exactly`,
    );
  }
}

let make: (fd: number, name: string, owned: boolean) => Memfd;

/**
 * An anonymous memory file (`memfd_create`): resizable, readable and
 * writable by position, sealable against change, mappable into memory and
 * shareable with other processes by path or fd.
 *
 * @example
 * ```ts
 * import { Memfd } from "@memfd/memfd";
 *
 * using fd = Memfd.create("frames", { size: 1 << 20 });
 * using map = fd.map();
 * map.bytes.set([1, 2, 3]);
 * map.unmap(); // a "write" seal needs every shared mapping gone
 * fd.seal("shrink", "grow", "write");
 * console.log(fd.seals.has("write")); // true
 * ```
 */
export class Memfd implements Disposable {
  #fd: number;
  #name: string;
  #owned: boolean;
  /** Calls running off the event loop that still use the fd. */
  #inFlight = 0;
  #closing = false;

  static {
    make = (fd, name, owned) => new Memfd(fd, name, owned);
  }

  private constructor(fd: number, name: string, owned: boolean) {
    this.#fd = fd;
    this.#name = name;
    this.#owned = owned;
    if (owned) acquired(this, "memfd", name);
  }

  /**
   * Creates a memfd called `name` (at most 249 UTF-8 bytes; it shows in
   * `/proc/<pid>/fd` as `/memfd:<name>`). By default it is close-on-exec,
   * sealable and not executable.
   *
   * @example
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * using fd = Memfd.create("frames", { size: 4096, allowSealing: false });
   * console.log(fd.size, fd.seals.has("seal")); // 4096 true
   * ```
   */
  static create(name: string, options?: CreateOptions): Memfd {
    ensureLoaded();
    const bytes = encodeName(name);
    const plan = planCreate(options, (size) => toIndex(size, "size"));
    const fd = check(dm_create(bytes, plan.flags), "create", name);
    try {
      if (plan.sealSeal && !(dm_get_seals(fd) & SEAL_SEAL)) {
        check(dm_add_seals(fd, SEAL_SEAL), "seal", name);
      }
      if (plan.size) check(dm_resize(fd, plan.size), "resize", name);
    } catch (e) {
      dm_close(fd);
      throw e;
    }
    return new Memfd(fd, name, true);
  }

  /**
   * Wraps an fd that is already open, e.g. one inherited from a parent.
   * With `owned: true` (the default) closing the `Memfd` closes the fd, so
   * an fd that another `Memfd` already owns must be adopted with
   * `owned: false` (or use that one's `dup()`), or it would be closed twice.
   * An fd that is not open is `EBADF`; one that is not a memfd `EINVAL`.
   *
   * @example
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * using original = Memfd.create("shared");
   * using view = Memfd.fromFd(original.fd, { owned: false });
   * console.log(view.name); // "shared"
   * ```
   */
  static fromFd(fd: number, options?: { owned?: boolean }): Memfd {
    ensureLoaded();
    const o = toOptions(options, "options");
    const owned = toBoolean(o.owned, true, "owned");
    toIndex(fd, "fd");
    if (fd > 0x7fffffff) throw failure("adopt", Errno.EBADF, `fd ${fd}`);
    check(dm_is_memfd(fd), "adopt", `fd ${fd}`);
    return new Memfd(fd, nameOf(fd), owned);
  }

  /**
   * Opens a memfd by path, normally `/proc/<pid>/fd/<n>` (see
   * {@linkcode Memfd.path}): read-only unless `write: true`. The open is
   * done natively, so Deno's `--allow-all` rule for `/proc` does not apply.
   * A path that is not a memfd is `EINVAL`.
   *
   * @example
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * using original = Memfd.create("shared", { size: 16 });
   * using reopened = Memfd.open(original.path);
   * console.log(reopened.size); // 16
   * ```
   */
  static open(path: string, options?: { write?: boolean }): Memfd {
    ensureLoaded();
    const bytes = encodePath(path);
    const o = toOptions(options, "options");
    const write = toBoolean(o.write, false, "write");
    const fd = check(dm_open(bytes, write ? 1 : 0), "open", path);
    return new Memfd(fd, nameOf(fd), true);
  }

  /**
   * The fd number, or -1 once closed.
   *
   * @example The fd number is -1 once closed
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * using fd = Memfd.create("scratch");
   * console.log(fd.fd > 2); // true
   * fd.close();
   * console.log(fd.fd); // -1
   * ```
   */
  get fd(): number {
    return this.#closing ? -1 : this.#fd;
  }

  /**
   * The name the memfd was created with.
   *
   * @example The name travels with the file
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * using fd = Memfd.create("frames");
   * using reopened = Memfd.open(fd.path); // read back from the kernel
   * console.log(fd.name, reopened.name); // frames frames
   * ```
   */
  get name(): string {
    return this.#name;
  }

  /**
   * Whether {@linkcode Memfd.close} was called.
   *
   * @example A closed memfd refuses every call
   * ```ts
   * import { Memfd, MemfdError } from "@memfd/memfd";
   * using fd = Memfd.create("scratch");
   * fd.close();
   * console.log(fd.closed); // true
   * try {
   *   fd.resize(1);
   * } catch (e) {
   *   console.log((e as MemfdError).code); // "EBADF"
   * }
   * ```
   */
  get closed(): boolean {
    return this.#closing;
  }

  /**
   * `/proc/<pid>/fd/<n>`: a path other processes (of the same user) can
   * open while this fd is open, with {@linkcode Memfd.open} or any
   * language's `open()`.
   *
   * @example Another process reads it by path
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * using fd = Memfd.create("shared");
   * fd.write(new TextEncoder().encode("hello"));
   * const cat = new Deno.Command("cat", { args: [fd.path] });
   * const { stdout } = await cat.output();
   * console.log(new TextDecoder().decode(stdout)); // "hello"
   * ```
   */
  get path(): string {
    return `/proc/${Deno.pid}/fd/${this.#live("open")}`;
  }

  /**
   * The current size in bytes (`fstat`).
   *
   * @example Writes past the end grow the file
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * using fd = Memfd.create("scratch");
   * console.log(fd.size); // 0
   * fd.write(new Uint8Array(10), 90);
   * console.log(fd.size); // 100
   * ```
   */
  get size(): number {
    return this.#sizeOf(this.#live("size"));
  }

  /**
   * Sets the size (`ftruncate`); new bytes read as zero. A size that would
   * cut into a live mapping of this memfd made in this process is `EBUSY`.
   *
   * @example Shrinking drops bytes, growing adds zeros
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * using fd = Memfd.create("scratch");
   * fd.write(new Uint8Array([1, 2, 3]));
   * fd.resize(1);
   * fd.resize(3);
   * const out = new Uint8Array(3);
   * fd.read(out);
   * console.log(out); // Uint8Array(3) [ 1, 0, 0 ]
   * ```
   */
  resize(size: number): void {
    const fd = this.#live("resize");
    check(dm_resize(fd, toIndex(size, "size")), "resize", this.#name);
  }

  /**
   * Writes `data` at `position` (default 0), growing the file as needed.
   * Returns the bytes written: fewer than `data.length` only when the kernel
   * stopped part way (a `"grow"` seal at the end of the file). Throws only
   * when nothing could be written.
   *
   * @example A short write at a "grow" seal
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * using fd = Memfd.create("scratch", { size: 65536 });
   * fd.seal("grow");
   * // Only the 4 bytes before the end fit: the rest would grow the file.
   * console.log(fd.write(new Uint8Array(8), 65532)); // 4
   * ```
   */
  write(data: Uint8Array, position = 0): number {
    const fd = this.#live("write");
    const bytes = toBytes(data, "data");
    const at = toIndex(position, "position");
    if (bytes.byteLength === 0) return 0;
    checkEnd(at, bytes.byteLength);
    return this.#transferred(dm_pwrite(fd, bytes, at), "write");
  }

  /**
   * Reads into `into` from `position` (default 0) until it is full or the
   * file ends. Returns the bytes read; 0 at the end of the file.
   *
   * @example Reads stop at the end of the file
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * using fd = Memfd.create("scratch");
   * fd.write(new TextEncoder().encode("hello"));
   * const into = new Uint8Array(8);
   * console.log(fd.read(into, 2)); // 3
   * console.log(new TextDecoder().decode(into.subarray(0, 3))); // "llo"
   * console.log(fd.read(into, 5)); // 0
   * ```
   */
  read(into: Uint8Array, position = 0): number {
    const fd = this.#live("read");
    const bytes = toBytes(into, "into");
    const at = toIndex(position, "position");
    if (bytes.byteLength === 0) return 0;
    return this.#transferred(dm_pread(fd, bytes, at), "read");
  }

  /**
   * {@linkcode Memfd.write} on a worker thread, off the event loop.
   *
   * @example Write a large buffer without blocking the event loop
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * using fd = Memfd.create("scratch");
   * const data = new Uint8Array(1 << 20).fill(1);
   * const written = await fd.writeAsync(data);
   * console.log(written, fd.size); // 1048576 1048576
   * ```
   */
  writeAsync(data: Uint8Array, position = 0): Promise<number> {
    return this.#async(data, position, "write");
  }

  /**
   * {@linkcode Memfd.read} on a worker thread, off the event loop.
   *
   * @example Read two halves concurrently
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * using fd = Memfd.create("scratch");
   * fd.write(new Uint8Array([1, 2, 3, 4]));
   * const [a, b] = [new Uint8Array(2), new Uint8Array(2)];
   * await Promise.all([fd.readAsync(a, 0), fd.readAsync(b, 2)]);
   * console.log(a, b); // Uint8Array(2) [ 1, 2 ] Uint8Array(2) [ 3, 4 ]
   * ```
   */
  readAsync(into: Uint8Array, position = 0): Promise<number> {
    return this.#async(into, position, "read");
  }

  /**
   * Adds seals; returns the resulting seal set. `"write"` fails with
   * `EBUSY` while any shared mapping of the memfd is alive.
   *
   * @example Writes fail once the "write" seal is set
   * ```ts
   * import { Memfd, MemfdError } from "@memfd/memfd";
   * using fd = Memfd.create("frozen", { size: 4 });
   * console.log(fd.seal("write").has("write")); // true
   * try {
   *   fd.write(new Uint8Array([1]));
   * } catch (e) {
   *   console.log((e as MemfdError).code); // "EPERM"
   * }
   * ```
   */
  seal(...seals: Seal[]): ReadonlySet<Seal> {
    const fd = this.#live("seal");
    const bits = sealBits(seals);
    if (bits !== 0) check(dm_add_seals(fd, bits), "seal", this.#name);
    return this.seals;
  }

  /**
   * The seals set on the memfd (shared by every fd of it).
   *
   * @example Check for one seal
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * using fd = Memfd.create("scratch");
   * console.log(fd.seals.has("grow")); // false
   * fd.seal("grow");
   * console.log(fd.seals.has("grow")); // true
   * ```
   */
  get seals(): ReadonlySet<Seal> {
    return sealSet(
      check(dm_get_seals(this.#live("seals")), "seals", this.#name),
    );
  }

  /**
   * Throws `MemfdError` `EPERM` unless every seal in `seals` is set: how a
   * receiver checks that a buffer it was handed can no longer change.
   *
   * @example A receiver refuses a memfd that can still change
   * ```ts
   * import { Memfd, MemfdError } from "@memfd/memfd";
   * using fd = Memfd.create("frame", { size: 4096 });
   * fd.seal("shrink", "grow");
   * using received = Memfd.open(fd.path); // as the receiving side would
   * received.requireSeals("shrink", "grow"); // passes
   * try {
   *   received.requireSeals("shrink", "grow", "write");
   * } catch (e) {
   *   console.log((e as MemfdError).code); // "EPERM": "write" is missing
   * }
   * ```
   */
  requireSeals(...seals: Seal[]): void {
    const required = sealBits(seals);
    const present = check(
      dm_get_seals(this.#live("seals")),
      "seals",
      this.#name,
    );
    const missing = missingSeals(present, required);
    if (missing.length > 0) {
      throw new MemfdError(
        Errno.EPERM,
        "fcntl(F_GET_SEALS)",
        `memfd '${this.#name}' is missing required seals: ${
          missing.join(", ")
        }`,
      );
    }
  }

  /**
   * Maps the memfd into memory. The range must lie inside the file: an
   * empty one or one that passes the end is a `RangeError` (touching it
   * would kill the process with SIGBUS).
   *
   * @example Map the second page of a file
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * using fd = Memfd.create("frames", { size: 8192 });
   * fd.write(new Uint8Array([7]), 4096);
   * using page = fd.map({ offset: 4096, length: 4096 });
   * console.log(page.bytes[0], page.byteLength); // 7 4096
   * ```
   */
  map(options?: MapOptions): Mapping {
    const fd = this.#live("map");
    const o = toOptions(options, "options");
    const access = o.access === undefined ? "shared" : o.access;
    if (access !== "shared" && access !== "private") {
      throw new TypeError(`access must be "shared" or "private"`);
    }
    const offset = o.offset === undefined ? 0 : toIndex(o.offset, "offset");
    const populate = toBoolean(o.populate, false, "populate");
    const flags = (access === "private" ? MAP_PRIVATE : 0) |
      (populate ? MAP_POPULATE : 0);
    if (o.length !== undefined) {
      const length = this.#requested(o.length);
      const addr = this.#mapped(
        dm_map(fd, offset, length, flags),
        "map",
        offset,
        length,
      );
      return adoptMapping(addr, length, offset, access, this.#name);
    }
    // The rest of the file, sized natively by the fstat that checks the
    // range anyway: a size query from here would be a second fstat.
    const addr = dm_map_rest(fd, offset, flags);
    if (addr < 0) throw this.#restFailure(fd, addr, offset);
    const length = dm_view_length(addr);
    return adoptMapping(addr, length, offset, access, this.#name);
  }

  /**
   * Maps a region twice, back to back: the mapping's `bytes` has length
   * `2 * length`, and `bytes[i]` is the same memory as `bytes[i + length]`,
   * so data that wraps around the end of the region reads as one piece.
   *
   * @example Both halves are the same memory
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * using fd = Memfd.create("ring", { size: 4096 });
   * using ring = fd.mapRing();
   * console.log(ring.byteLength); // 8192
   * ring.bytes[4096] = 42; // the second copy of byte 0
   * console.log(ring.bytes[0]); // 42
   * ```
   */
  mapRing(options?: RingOptions): Mapping {
    const fd = this.#live("mapRing");
    const o = toOptions(options, "options");
    const offset = o.offset === undefined ? 0 : toIndex(o.offset, "offset");
    const length = this.#length(fd, offset, o.length);
    pageSize ||= dm_page_size();
    if (length % pageSize !== 0) {
      throw new RangeError(
        `a ring's length must be a multiple of the page size (${pageSize}), got ${length}`,
      );
    }
    const addr = this.#mapped(
      dm_map_ring(fd, offset, length),
      "mapRing",
      offset,
      length,
    );
    return adoptMapping(addr, 2 * length, offset, "shared", this.#name);
  }

  /**
   * Sends this memfd to the {@linkcode MemfdListener} (or any peer that
   * accepts `SCM_RIGHTS` over a Unix stream socket, like Python's
   * `socket.recv_fds`) listening at `socketPath`. Resolves once the memfd
   * is on its way: the receiver gets its own fd for the same file, so this
   * one may be closed right after the call. A path that does not exist is
   * `MemfdError` `ENOENT`, one nobody listens on `ECONNREFUSED`.
   *
   * @example Send a memfd, then close it
   * ```ts
   * import { Memfd, MemfdListener } from "@memfd/memfd";
   * const dir = Deno.makeTempDirSync();
   * using listener = MemfdListener.listen(`${dir}/in.sock`);
   * using fd = Memfd.create("frame", { size: 4096 });
   * await fd.sendTo(listener.path); // usually to another process
   * fd.close(); // the receiver gets an fd of its own
   * using received = await listener.receive();
   * console.log(received.name, received.size); // frame 4096
   * listener.close();
   * Deno.removeSync(dir);
   * ```
   */
  async sendTo(socketPath: string): Promise<void> {
    return await sendMemfd(this.#live("send"), this.#name, socketPath);
  }

  /**
   * A new `Memfd` for the same file, with its own close-on-exec fd.
   *
   * @example Seals belong to the file, not the fd
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * using fd = Memfd.create("scratch", { size: 16 });
   * using copy = fd.dup();
   * copy.seal("shrink");
   * console.log(fd.seals.has("shrink")); // true
   * fd.close();
   * console.log(copy.size); // 16
   * ```
   */
  dup(): Memfd {
    const fd = check(dm_dup(this.#live("dup"), 1), "dup", this.#name);
    return new Memfd(fd, this.#name, true);
  }

  /**
   * Closes the fd (if owned). Idempotent. Mappings stay valid. Calls still
   * running off the event loop finish first; new calls fail with `EBADF`.
   *
   * @example Mappings outlive the fd
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * using fd = Memfd.create("frames", { size: 4096 });
   * using map = fd.map();
   * fd.close();
   * map.bytes[0] = 1; // still mapped
   * console.log(fd.closed, map.bytes[0]); // true 1
   * ```
   */
  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#inFlight === 0) this.#release();
  }

  /**
   * Same as {@linkcode Memfd.close}.
   *
   * @example Closed at the end of its block
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * let outer: Memfd;
   * {
   *   using fd = Memfd.create("scoped");
   *   outer = fd;
   * }
   * console.log(outer.closed); // true
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }

  #release(): void {
    const fd = this.#fd;
    this.#fd = -1;
    if (!this.#owned) return;
    released(this);
    check(dm_close(fd), "close", this.#name);
  }

  /** The fd, or `EBADF` for `op` once closed (never a reused number). */
  #live(op: Operation): number {
    if (this.#closing) throw closedFailure(op, this.#name);
    return this.#fd;
  }

  /** `fstat` size of `fd`; a `RangeError` past 2^53-1 (never a rounded size). */
  #sizeOf(fd: number): number {
    const size = dm_size(fd);
    if (size > Number.MAX_SAFE_INTEGER) {
      throw new RangeError(
        `the size of '${this.#name}' (${size} bytes) is beyond 2^53-1, ` +
          `more than a JavaScript number holds exactly`,
      );
    }
    return check(size, "size", this.#name);
  }

  #transferred(result: number, op: "read" | "write"): number {
    return check(result, op, this.#name);
  }

  /** A `length` option: a non-zero index. */
  #requested(requested: unknown): number {
    const length = toIndex(requested, "length");
    if (length === 0) throw new RangeError("cannot map an empty range");
    return length;
  }

  /** The mapping length: `requested`, or the rest of the file. */
  #length(fd: number, offset: number, requested: unknown): number {
    if (requested !== undefined) return this.#requested(requested);
    const size = this.#sizeOf(fd);
    if (offset >= size) throw this.#pastEnd(offset, size);
    return size - offset;
  }

  #pastEnd(offset: number, size: number): RangeError {
    return new RangeError(
      `cannot map '${this.#name}' from offset ${offset}: the file is ` +
        `${size} bytes, and touching pages past its end would kill the ` +
        `process (SIGBUS); resize it first`,
    );
  }

  /**
   * The error of a failed map of the rest of the file, as the size query
   * that used to come first would have reported it.
   */
  #restFailure(fd: number, result: number, offset: number): Error {
    const size = check(dm_size(fd), "size", this.#name);
    if (result === -Errno.ENXIO) return this.#pastEnd(offset, size);
    return failure("map", -result, this.#name);
  }

  #mapped(
    addr: number,
    op: "map" | "mapRing",
    offset: number,
    length: number,
  ): number {
    // Addresses arrive as plain numbers (exact: Linux hands out user-space
    // addresses below 2^47 unless asked for more).
    if (addr >= 0) return addr;
    const errno = -addr;
    if (errno === Errno.ENXIO) {
      throw new RangeError(
        `cannot map bytes ${offset}..${offset + length} of '${this.#name}': ` +
          `the file is ${this.size} bytes, and touching pages past its end ` +
          `would kill the process (SIGBUS); resize it first`,
      );
    }
    throw failure(op, errno, this.#name);
  }

  async #async(
    buffer: Uint8Array,
    position: number,
    op: "read" | "write",
  ): Promise<number> {
    const fd = this.#live(op);
    const bytes = toBytes(buffer, op === "read" ? "into" : "data");
    const at = toIndex(position, "position");
    if (bytes.byteLength === 0) return 0;
    if (op === "write") checkEnd(at, bytes.byteLength);
    // Deno before 2.9 passes a resizable buffer to a nonblocking call as
    // is: shrinking it mid-call would free memory the call is writing.
    // Refuse it on every Deno, as later ones do themselves.
    if ((bytes.buffer as { resizable?: boolean }).resizable === true) {
      throw new TypeError(
        `${op}Async cannot use a view of a resizable ArrayBuffer: it could ` +
          `shrink while the call runs; use ${op}() or a fixed-size buffer`,
      );
    }
    this.#inFlight++;
    const unpin = pinMapping(bytes.buffer);
    try {
      const call = op === "read" ? dm_pread_async : dm_pwrite_async;
      return this.#transferred(await call(fd, bytes, at), op);
    } finally {
      unpin();
      if (--this.#inFlight === 0 && this.#closing) this.#release();
    }
  }
}

/** Wraps an fd known to be an open memfd (received, inherited). */
export function adoptMemfd(fd: number, name: string, owned: boolean): Memfd {
  return make(fd, name, owned);
}
