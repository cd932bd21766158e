/**
 * `Memfd`: an anonymous, sealable, mappable memory file.
 * @module
 */

import {
  dm_add_seals,
  dm_adopt,
  dm_close,
  dm_create,
  dm_dup,
  dm_file_truncated,
  dm_get_seals,
  dm_open,
  dm_pread,
  dm_pread_async,
  dm_pwrite,
  dm_pwrite_async,
  dm_resize,
  SealBits,
} from "../native.ts";
import type { Bytes } from "../input/bytes.ts";
import { type CreateOptions, planCreate } from "./create_options.ts";
import { Errno } from "../errors/errno.ts";
import { ensureLoaded } from "../loader/library.ts";
import { magicLinkRefusal } from "../permissions/messages.ts";
import { memfdOpenPlan } from "../permissions/needs.ts";
import type { Mapping } from "../mapping/mapping.ts";
import { pinMapping } from "../mapping/pins.ts";
import {
  mapMemfd,
  mapMemfdRing,
  type MapOptions,
  type RingOptions,
} from "./memfd_map.ts";
import { encodeName, encodePath, nameOf } from "./memfd_name.ts";
import { checkEnd, sizeOf } from "./file_size.ts";
import {
  check,
  closedFailure,
  createSizeFailure,
  failure,
  memfdFailure,
  type Operation,
  operationOf,
} from "../errors/failures.ts";
import { missingSeals, type Seal, sealBits, sealSet } from "./seals.ts";
import { sendMemfd } from "../socket/send.ts";
import {
  readableStreamOf,
  type ReadableStreamOptions,
  writableStreamOf,
  type WritableStreamOptions,
} from "./streams.ts";
import { type FromOptions, memfdFrom, type MemfdSource } from "./from.ts";
import { acquired, released } from "../leaks/tracking.ts";
import {
  truncatedBufferFailure,
  truncatedFailure,
  truncations,
} from "../mapping/truncation.ts";
import { toBoolean, toBytes, toIndex, toOptions } from "../input/validate.ts";

const SEAL_SEAL = SealBits.F_SEAL_SEAL;
const toSize = (size: unknown) => toIndex(size, "Memfd.create: size");

let make: (fd: number, name: string, owned: boolean) => Memfd;

/**
 * An anonymous memory file (`memfd_create`): resizable, readable and
 * writable by position, sealable against change, mappable into memory and
 * shareable with other processes by path or fd.
 *
 * When another process shrank the file under a mapping of it that this
 * process then touched past the new end (see {@linkcode Mapping.truncated}),
 * the next call on a `Memfd` of the file throws `MemfdError` `EFAULT` once,
 * saying so; `close()` never does.
 *
 * @example
 * ```ts
 * import { Memfd } from "@memfd/memfd";
 * import { assertEquals } from "@std/assert";
 *
 * using fd = Memfd.create("frames", { size: 1 << 20 });
 * using map = fd.map();
 * map.bytes.set([1, 2, 3]);
 * map.unmap(); // a "write" seal needs every shared mapping gone
 * fd.seal("shrink", "grow", "write");
 * assertEquals(fd.seals.has("write"), true);
 * ```
 */
export class Memfd implements Disposable {
  #fd: number;
  #name: string;
  #owned: boolean;
  /** Calls running off the event loop that still use the fd. */
  #inFlight = 0;
  #closing = false;
  /** The SIGBUS handler's repair count when this object last looked. */
  #seenTruncations = 0;

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
   * import { assertEquals } from "@std/assert";
   * using fd = Memfd.create("frames", { size: 4096, allowSealing: false });
   * assertEquals(fd.size, 4096);
   * assertEquals(fd.seals.has("seal"), true); // nobody can add seals
   * ```
   *
   * @throws {TypeError} when `name` is not a string or holds a NUL
   *   character, or an option has the wrong type or an unknown key.
   * @throws {RangeError} when `size` is negative, fractional or above
   *   `Number.MAX_SAFE_INTEGER`.
   * @throws {MemfdError} `EINVAL` for a name longer than 249 UTF-8 bytes or
   *   a flag this kernel lacks; `ENODEV` for a huge page size without a
   *   pool; `EMFILE` when the process has no fd left; `ENOMEM` when huge
   *   pages or memory run out; `EFBIG` for a size past `RLIMIT_FSIZE`.
   * @throws {Deno.errors.NotCapable} when FFI permission for the native
   *   library (or `--allow-read` for it) is missing; the message names the
   *   flags.
   * @throws {Deno.errors.NotSupported} when not on Linux.
   */
  static create(name: string, options?: CreateOptions): Memfd {
    ensureLoaded();
    const bytes = encodeName(name);
    const plan = planCreate(options, toSize);
    const fd = check(dm_create(bytes, plan.flags), "create", name);
    try {
      if (plan.sealSeal && !(dm_get_seals(fd) & SEAL_SEAL)) {
        check(dm_add_seals(fd, SEAL_SEAL), "seal", name);
      }
      if (plan.size) {
        const resized = dm_resize(fd, plan.size);
        if (resized < 0) {
          throw createSizeFailure(-resized, name, plan.size, plan.hugetlb);
        }
      }
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
   * import { assertEquals } from "@std/assert";
   * using original = Memfd.create("shared");
   * using view = Memfd.fromFd(original.fd, { owned: false });
   * assertEquals(view.name, "shared");
   * ```
   *
   * @throws {TypeError} when an option has the wrong type or an unknown key.
   * @throws {RangeError} when `fd` is not a whole non-negative number.
   * @throws {MemfdError} `EBADF` when `fd` is not open; `EINVAL` when it is
   *   open but not a memfd.
   * @throws {Deno.errors.NotCapable} when FFI permission for the native
   *   library (or `--allow-read` for it) is missing; the message names the
   *   flags.
   * @throws {Deno.errors.NotSupported} when not on Linux.
   */
  static fromFd(fd: number, options?: { owned?: boolean }): Memfd {
    ensureLoaded();
    const o = toOptions(options, "Memfd.fromFd options", ["owned"]);
    const owned = toBoolean(o.owned, true, "Memfd.fromFd: owned");
    toIndex(fd, "Memfd.fromFd: fd");
    if (fd > 0x7fffffff) throw failure("adopt", Errno.EBADF, `fd ${fd}`);
    // Checks it is a memfd, then the library owns it: only then do the
    // other exports act on it.
    const adopted = dm_adopt(fd);
    if (adopted < 0) throw failure("adopt", -adopted, `fd ${fd}`);
    return new Memfd(fd, nameOf(fd), owned);
  }

  /**
   * Opens a memfd by path, normally `/proc/<pid>/fd/<n>` (see
   * {@linkcode Memfd.path}): read-only unless `write: true`. The path is
   * made absolute and `.`/`..` collapsed as Deno's permission checks do,
   * and that string is both checked and opened. Exactly
   * `/proc/<pid>/fd/<n>`, `/proc/self/fd/<n>` or `/dev/fd/<n>` needs
   * `--allow-read` for the path (and `--allow-write` with `write: true`),
   * not the `--allow-all` Deno's own open demands there: the open is done
   * natively and can only ever open a memfd. Any other path needs what
   * `Deno.open` needs: `--allow-all` under `/proc`, `/dev` and `/sys`
   * (`/proc/<pid>/root/…`, `/proc/self/cwd/…`, a directory fd's link).
   * Missing grants are `Deno.errors.NotCapable` naming them, before
   * anything is looked up (the answer is the same whether the path exists
   * or not); the one exception is a path elsewhere that turns out to reach
   * the memfd through a magic link (a symlink to `/proc/<pid>/fd/<n>`),
   * refused with `NotCapable` after an `O_PATH` lookup, unless
   * `--allow-all` is held. A path that is not a memfd is `EINVAL`. The fd
   * opened is a new open file description, with none of the status flags
   * (`O_APPEND`) of the fd the path names.
   *
   * @example
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using original = Memfd.create("shared", { size: 16 });
   * using reopened = Memfd.open(original.path);
   * assertEquals(reopened.size, 16);
   * ```
   *
   * @throws {TypeError} when `path` is not a string or holds a NUL
   *   character, or an option has the wrong type or an unknown key.
   * @throws {MemfdError} `EINVAL` when the path is not a memfd; `ENOENT`
   *   when nothing is there; `EACCES` when the file may not be opened with
   *   the access asked for; `EMFILE` when the process has no fd left.
   * @throws {Deno.errors.NotCapable} when `--allow-read` for `path` (and
   *   `--allow-write` with `write: true`), `--allow-all` for a path that
   *   needs it, or FFI permission for the native library is missing; the
   *   message names the flags.
   * @throws {Deno.errors.NotSupported} when not on Linux.
   */
  static open(path: string, options?: { write?: boolean }): Memfd {
    encodePath(path, "Memfd.open: path");
    const o = toOptions(options, "Memfd.open options", ["write"], {
      writable: "write",
      readonly: "write",
      mode: "write",
    });
    const write = toBoolean(o.write, false, "Memfd.open: write");
    const what = `Memfd.open(${JSON.stringify(path)}${
      write ? ", { write: true }" : ""
    })`;
    const plan = memfdOpenPlan(path, write);
    ensureLoaded(what, plan.needs);
    // The normalized path is the one checked, so it is the one opened.
    const flags = (write ? 1 : 0) | (plan.anywhere ? 2 : 0);
    const fd = dm_open(encodePath(plan.path), flags);
    if (fd === -Errno.EXDEV) throw magicLinkRefusal(what);
    check(fd, "open", path);
    return new Memfd(fd, nameOf(fd), true);
  }

  /**
   * Creates a memfd, copies `source` into it (off the event loop) and adds
   * `options.seal` seals: the hand-off case in one call. `seal: true` adds
   * `"shrink"`, `"grow"`, `"write"` and `"seal"` (see
   * {@linkcode SEALED}), so a receiver can trust the contents with
   * `requireSeals("shrink", "grow", "write")`. On any failure the memfd is
   * closed and the error rethrown.
   *
   * @example A response body, sealed, ready to send
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * const body = new Response("hello").body!;
   * using fd = await Memfd.from(body, { name: "page", seal: true });
   * assertEquals(fd.size, 5);
   * assertEquals(fd.seals.has("write"), true);
   * ```
   *
   * @throws {TypeError} (as a rejection) when `source` is not a
   *   {@linkcode MemfdSource} or yields a chunk that is not a `Uint8Array`;
   *   when an option has the wrong type or an unknown key, `name` holds a
   *   NUL character, or a seal name is not a {@linkcode Seal}.
   * @throws {MemfdError} (as a rejection) as {@linkcode Memfd.create} does
   *   (`EINVAL` for a name longer than 249 UTF-8 bytes, `EMFILE`, `ENOMEM`),
   *   as {@linkcode Memfd.writeAsync} does (`EFBIG` past `RLIMIT_FSIZE`),
   *   and as {@linkcode Memfd.seal} does (`EINVAL` for a seal this kernel
   *   lacks).
   * @throws {Deno.errors.NotCapable} (as a rejection) when FFI permission
   *   for the native library is missing, as {@linkcode Memfd.create}.
   * @throws {Deno.errors.NotSupported} (as a rejection) when not on Linux.
   * @throws {unknown} (as a rejection) whatever a stream or iterable
   *   `source` fails with.
   */
  static from(source: MemfdSource, options?: FromOptions): Promise<Memfd> {
    return memfdFrom(source, options, (name) => Memfd.create(name));
  }

  /**
   * The contents from position 0 to end of file as a byte stream (BYOB
   * readers welcome), read off the event loop: the same as
   * `readableStream()`. Each access makes a new stream.
   *
   * @example Serve a memfd as a response body
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using fd = Memfd.create("page");
   * fd.write(new TextEncoder().encode("hello"));
   * assertEquals(await new Response(fd.readable).text(), "hello");
   * ```
   *
   * @throws {MemfdError} `EBADF` when the memfd is closed. The stream
   *   errors as {@linkcode Memfd.readableStream}'s does.
   */
  get readable(): ReadableStream<Bytes> {
    return this.readableStream();
  }

  /**
   * A stream writing into the memfd from position 0, off the event loop:
   * the same as `writableStream()`. Each access makes a new stream.
   *
   * @example Fill a memfd from a fetch body
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using fd = Memfd.create("download");
   * await new Response("hello").body!.pipeTo(fd.writable);
   * assertEquals(fd.size, 5);
   * ```
   *
   * @throws {MemfdError} `EBADF` when the memfd is closed. The stream
   *   errors as {@linkcode Memfd.writableStream}'s does.
   */
  get writable(): WritableStream<Uint8Array> {
    return this.writableStream();
  }

  /**
   * A byte stream of the contents from `options.position` (default 0) to
   * end of file, read with {@linkcode Memfd.readAsync}. A `close()` while a
   * read runs lets that read finish; the next one errors the stream with
   * `EBADF`, as `readAsync` would.
   *
   * @example Compress a memfd's contents
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * import { assert } from "@std/assert";
   * using fd = Memfd.create("log");
   * fd.write(new Uint8Array(100_000));
   * const gz = fd.readableStream().pipeThrough(new CompressionStream("gzip"));
   * const compressed = await new Response(gz).bytes();
   * assert(compressed.length < 1000, `${compressed.length} bytes`);
   * ```
   *
   * @throws {TypeError} when an option has the wrong type or an unknown key.
   * @throws {RangeError} when `position` or `chunkSize` is negative,
   *   fractional or above `Number.MAX_SAFE_INTEGER`, or `chunkSize` is 0.
   * @throws {MemfdError} `EBADF` when the memfd is closed. Later, the
   *   stream errors with what {@linkcode Memfd.readAsync} rejects with
   *   (`EBADF` once the memfd is closed).
   */
  readableStream(
    options?: ReadableStreamOptions,
  ): ReadableStream<Bytes> {
    this.#live("read", "Memfd.readableStream");
    return readableStreamOf(this, options);
  }

  /**
   * A stream writing each chunk with {@linkcode Memfd.writeAsync}, in
   * order, from `options.position` (default 0) or, with `append: true`,
   * from the end of file. It does not truncate: bytes past the last write
   * stay. A chunk the kernel refuses (a seal) errors the stream.
   *
   * @example Write after what is there
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using fd = Memfd.create("log");
   * fd.write(new TextEncoder().encode("one "));
   * await new Response("two").body!.pipeTo(fd.writableStream({ append: true }));
   * assertEquals(await new Response(fd.readable).text(), "one two");
   * ```
   *
   * @throws {TypeError} when an option has the wrong type or an unknown
   *   key, or both `position` and `append: true` are given.
   * @throws {RangeError} when `position` is negative, fractional or above
   *   `Number.MAX_SAFE_INTEGER`.
   * @throws {MemfdError} `EBADF` when the memfd is closed. Later, the
   *   stream errors with a `TypeError` for a chunk that is not a
   *   `Uint8Array`, and with what {@linkcode Memfd.writeAsync} rejects with
   *   (`EPERM` under a seal, `EFBIG`, `EBADF` once the memfd is closed).
   */
  writableStream(options?: WritableStreamOptions): WritableStream<Uint8Array> {
    this.#live("write", "Memfd.writableStream");
    return writableStreamOf(this, options);
  }

  /**
   * The fd number, or -1 once closed.
   *
   * Never throws.
   *
   * @example The fd number is -1 once closed
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * import { assert, assertEquals } from "@std/assert";
   * using fd = Memfd.create("scratch");
   * assert(fd.fd > 2);
   * fd.close();
   * assertEquals(fd.fd, -1);
   * ```
   */
  get fd(): number {
    return this.#closing ? -1 : this.#fd;
  }

  /**
   * The name the memfd was created with.
   *
   * Never throws.
   *
   * @example The name travels with the file
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using fd = Memfd.create("frames");
   * using reopened = Memfd.open(fd.path); // read back from the kernel
   * assertEquals(reopened.name, "frames");
   * ```
   */
  get name(): string {
    return this.#name;
  }

  /**
   * Whether {@linkcode Memfd.close} was called.
   *
   * Never throws.
   *
   * @example A closed memfd refuses every call
   * ```ts
   * import { Memfd, MemfdError } from "@memfd/memfd";
   * import { assertEquals, assertThrows } from "@std/assert";
   * using fd = Memfd.create("scratch");
   * fd.close();
   * assertEquals(fd.closed, true);
   * const error = assertThrows(() => fd.resize(1), MemfdError, "closed");
   * assertEquals(error.code, "EBADF");
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
   * import { assertEquals } from "@std/assert";
   * using fd = Memfd.create("shared");
   * fd.write(new TextEncoder().encode("hello"));
   * const cat = new Deno.Command("cat", { args: [fd.path] });
   * const { stdout } = await cat.output();
   * assertEquals(new TextDecoder().decode(stdout), "hello");
   * ```
   *
   * @throws {MemfdError} `EBADF` when the memfd is closed.
   */
  get path(): string {
    if (this.#closing) throw closedFailure("path", this.#name);
    return `/proc/${Deno.pid}/fd/${this.#fd}`;
  }

  /**
   * The current size in bytes (`fstat`).
   *
   * @example Writes past the end grow the file
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using fd = Memfd.create("scratch");
   * assertEquals(fd.size, 0);
   * fd.write(new Uint8Array(10), 90);
   * assertEquals(fd.size, 100);
   * ```
   *
   * @throws {MemfdError} `EBADF` when the memfd is closed.
   * @throws {RangeError} when another process made the file larger than
   *   `Number.MAX_SAFE_INTEGER` bytes (never a rounded size).
   */
  get size(): number {
    return sizeOf(this.#live("size"), this.#name);
  }

  /**
   * Sets the size (`ftruncate`); new bytes read as zero. A size that would
   * cut into a live mapping of this memfd made in this process is `EBUSY`.
   *
   * @example Shrinking drops bytes, growing adds zeros
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using fd = Memfd.create("scratch");
   * fd.write(new Uint8Array([1, 2, 3]));
   * fd.resize(1);
   * fd.resize(3);
   * const out = new Uint8Array(3);
   * fd.read(out);
   * assertEquals(out, new Uint8Array([1, 0, 0]));
   * ```
   *
   * @throws {RangeError} when `size` is negative, fractional or above
   *   `Number.MAX_SAFE_INTEGER`.
   * @throws {MemfdError} `EBUSY` when a live mapping would be cut; `EPERM`
   *   when a `"shrink"` or `"grow"` seal forbids it; `EINVAL` through a
   *   read-only fd; `EFBIG` past `RLIMIT_FSIZE`; `EBADF` when the memfd is
   *   closed.
   */
  resize(size: number): void {
    const fd = this.#live("resize");
    check(
      dm_resize(fd, toIndex(size, "Memfd.resize: size")),
      "resize",
      this.#name,
    );
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
   * import { assertEquals } from "@std/assert";
   * using fd = Memfd.create("scratch", { size: 65536 });
   * fd.seal("grow");
   * // Only the 4 bytes before the end fit: the rest would grow the file.
   * assertEquals(fd.write(new Uint8Array(8), 65532), 4);
   * ```
   *
   * @throws {TypeError} when `data` is not a `Uint8Array`.
   * @throws {RangeError} when `position` is negative, fractional or above
   *   `Number.MAX_SAFE_INTEGER`, or the file would end past it.
   * @throws {MemfdError} when nothing could be written: `EPERM` under a
   *   `"write"` or `"future-write"` seal, or a `"grow"` seal at the end of
   *   the file; `EBADF` through a read-only fd or when the memfd is closed;
   *   `EFBIG` past `RLIMIT_FSIZE`.
   */
  write(data: Uint8Array, position = 0): number {
    const fd = this.#live("write");
    const bytes = toBytes(data, "Memfd.write: data");
    const at = toIndex(position, "Memfd.write: position");
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
   * import { assertEquals } from "@std/assert";
   * using fd = Memfd.create("scratch");
   * fd.write(new TextEncoder().encode("hello"));
   * const into = new Uint8Array(8);
   * assertEquals(fd.read(into, 2), 3);
   * assertEquals(new TextDecoder().decode(into.subarray(0, 3)), "llo");
   * assertEquals(fd.read(into, 5), 0);
   * ```
   *
   * @throws {TypeError} when `into` is not a `Uint8Array`.
   * @throws {RangeError} when `position` is negative, fractional or above
   *   `Number.MAX_SAFE_INTEGER`.
   * @throws {MemfdError} `EBADF` when the memfd is closed.
   */
  read(into: Uint8Array, position = 0): number {
    const fd = this.#live("read");
    const bytes = toBytes(into, "Memfd.read: into");
    const at = toIndex(position, "Memfd.read: position");
    if (bytes.byteLength === 0) return 0;
    return this.#transferred(dm_pread(fd, bytes, at), "read");
  }

  /**
   * {@linkcode Memfd.write} on a worker thread, off the event loop.
   *
   * @example Write a large buffer without blocking the event loop
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using fd = Memfd.create("scratch");
   * const data = new Uint8Array(1 << 20).fill(1);
   * const written = await fd.writeAsync(data);
   * assertEquals(written, 1 << 20);
   * assertEquals(fd.size, 1 << 20);
   * ```
   *
   * @throws {TypeError} (as a rejection) when `data` is not a `Uint8Array`.
   * @throws {RangeError} (as a rejection) as {@linkcode Memfd.write} does.
   * @throws {MemfdError} (as a rejection) as {@linkcode Memfd.write} does.
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
   * import { assertEquals } from "@std/assert";
   * using fd = Memfd.create("scratch");
   * fd.write(new Uint8Array([1, 2, 3, 4]));
   * const [a, b] = [new Uint8Array(2), new Uint8Array(2)];
   * await Promise.all([fd.readAsync(a, 0), fd.readAsync(b, 2)]);
   * assertEquals(a, new Uint8Array([1, 2]));
   * assertEquals(b, new Uint8Array([3, 4]));
   * ```
   *
   * @throws {TypeError} (as a rejection) when `into` is not a `Uint8Array`.
   * @throws {RangeError} (as a rejection) as {@linkcode Memfd.read} does.
   * @throws {MemfdError} (as a rejection) as {@linkcode Memfd.read} does.
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
   * import { assertEquals, assertThrows } from "@std/assert";
   * using fd = Memfd.create("frozen", { size: 4 });
   * assertEquals(fd.seal("write").has("write"), true);
   * const error = assertThrows(
   *   () => fd.write(new Uint8Array([1])),
   *   MemfdError,
   * );
   * assertEquals(error.code, "EPERM");
   * ```
   *
   * @throws {TypeError} when a name is not a {@linkcode Seal}.
   * @throws {MemfdError} `EPERM` when sealing is not allowed (the `"seal"`
   *   seal is set, or the fd is read-only); `EBUSY` for `"write"` while a
   *   shared mapping is alive; `EINVAL` for a seal this kernel lacks;
   *   `EBADF` when the memfd is closed.
   */
  seal(...seals: Seal[]): ReadonlySet<Seal> {
    const fd = this.#live("seal");
    const bits = sealBits(seals, "Memfd.seal");
    if (bits !== 0) check(dm_add_seals(fd, bits), "seal", this.#name);
    return this.seals;
  }

  /**
   * The seals set on the memfd (shared by every fd of it).
   *
   * @example Check for one seal
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using fd = Memfd.create("scratch");
   * assertEquals(fd.seals.has("grow"), false);
   * fd.seal("grow");
   * assertEquals(fd.seals.has("grow"), true);
   * ```
   *
   * @throws {MemfdError} `EBADF` when the memfd is closed.
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
   * import { assertEquals, assertThrows } from "@std/assert";
   * using fd = Memfd.create("frame", { size: 4096 });
   * fd.seal("shrink", "grow");
   * using received = Memfd.open(fd.path); // as the receiving side would
   * received.requireSeals("shrink", "grow"); // passes
   * const error = assertThrows(
   *   () => received.requireSeals("shrink", "grow", "write"),
   *   MemfdError,
   *   "write", // the message names the missing seal
   * );
   * assertEquals(error.code, "EPERM");
   * ```
   *
   * @throws {TypeError} when a name is not a {@linkcode Seal}.
   * @throws {MemfdError} `EPERM` when a named seal is missing (the message
   *   lists them); `EBADF` when the memfd is closed.
   */
  requireSeals(...seals: Seal[]): void {
    const required = sealBits(seals, "Memfd.requireSeals");
    const present = check(
      dm_get_seals(this.#live("requireSeals")),
      "requireSeals",
      this.#name,
    );
    const missing = missingSeals(present, required);
    if (missing.length > 0) {
      throw memfdFailure("requireSeals", Errno.EPERM, this.#name, {
        detail: missing.join(", "),
      });
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
   * import { assertEquals } from "@std/assert";
   * using fd = Memfd.create("frames", { size: 8192 });
   * fd.write(new Uint8Array([7]), 4096);
   * using page = fd.map({ offset: 4096, length: 4096 });
   * assertEquals(page.bytes[0], 7);
   * assertEquals(page.byteLength, 4096);
   * ```
   *
   * @throws {TypeError} when an option has the wrong type or an unknown
   *   key, or `access` is neither `"shared"` nor `"private"`.
   * @throws {RangeError} when `offset` or `length` is not a whole
   *   non-negative number, or the range is empty or passes the end of the
   *   file.
   * @throws {MemfdError} `EINVAL` when `offset` is not a multiple of the
   *   page size; `EACCES` for a shared mapping through a read-only fd;
   *   `EPERM` for a shared mapping of a write-sealed memfd (map it
   *   `"private"`); `ENOMEM` when address space or huge pages run out;
   *   `EBADF` when the memfd is closed.
   * @throws {Deno.errors.NotCapable} when only a path-scoped `--allow-ffi`
   *   is granted: mappings need the unscoped flag.
   */
  map(options?: MapOptions): Mapping {
    return mapMemfd(this.#live("map"), this.#name, options);
  }

  /**
   * Maps a region twice, back to back: the mapping's `bytes` has length
   * `2 * length`, and `bytes[i]` is the same memory as `bytes[i + length]`,
   * so data that wraps around the end of the region reads as one piece.
   *
   * @example Both halves are the same memory
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using fd = Memfd.create("ring", { size: 4096 });
   * using ring = fd.mapRing();
   * assertEquals(ring.byteLength, 8192);
   * ring.bytes[4096] = 42; // the second copy of byte 0
   * assertEquals(ring.bytes[0], 42);
   * ```
   *
   * @throws {TypeError} when an option has the wrong type or an unknown key.
   * @throws {RangeError} when `offset` or `length` is not a whole
   *   non-negative number, `length` is not a non-zero multiple of the page
   *   size, or the region passes the end of the file.
   * @throws {MemfdError} `EINVAL` when `offset` is not a multiple of the
   *   page size; `EACCES` through a read-only fd; `EPERM` on a write-sealed
   *   memfd; `ENOMEM` when address space runs out; `EBADF` when the memfd is
   *   closed.
   * @throws {Deno.errors.NotCapable} when only a path-scoped `--allow-ffi`
   *   is granted: mappings need the unscoped flag.
   */
  mapRing(options?: RingOptions): Mapping {
    return mapMemfdRing(this.#live("mapRing"), this.#name, options);
  }

  /**
   * Sends this memfd to the {@linkcode MemfdListener} (or any peer that
   * accepts `SCM_RIGHTS` over a Unix stream socket, like Python's
   * `socket.recv_fds`) listening at `socketPath`. Resolves once the memfd
   * is on its way: the receiver gets its own fd for the same file, so this
   * one may be closed right after the call. A path that does not exist is
   * `MemfdError` `ENOENT`, one nobody listens on `ECONNREFUSED`. Needs what
   * `Deno.connect({ transport: "unix", path })` needs (Deno 2.9:
   * `--allow-read`, `--allow-write` and `--allow-net=unix:<absolute path>`),
   * else the promise rejects with `Deno.errors.NotCapable` naming every
   * missing flag, and nothing is connected to or sent.
   *
   * @example Send a memfd, then close it
   * ```ts
   * import { Memfd, MemfdListener } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * const dir = Deno.makeTempDirSync();
   * using listener = MemfdListener.listen(`${dir}/in.sock`);
   * using fd = Memfd.create("frame", { size: 4096 });
   * await fd.sendTo(listener.path); // usually to another process
   * fd.close(); // the receiver gets an fd of its own
   * using received = await listener.receive();
   * assertEquals(received.name, "frame");
   * assertEquals(received.size, 4096);
   * listener.close();
   * Deno.removeSync(dir);
   * ```
   *
   * @throws {TypeError} (as a rejection) when `socketPath` is not a string.
   * @throws {MemfdError} (as a rejection) `ENOENT` when no socket is at
   *   `socketPath`; `ECONNREFUSED` when nobody listens there;
   *   `ENAMETOOLONG` for a path over 107 bytes; `EBADF` when the memfd is
   *   closed.
   * @throws {Deno.errors.NotCapable} (as a rejection) when the permissions
   *   `Deno.connect` would need for the socket path are missing.
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
   * import { assertEquals } from "@std/assert";
   * using fd = Memfd.create("scratch", { size: 16 });
   * using copy = fd.dup();
   * copy.seal("shrink");
   * assertEquals(fd.seals.has("shrink"), true);
   * fd.close();
   * assertEquals(copy.size, 16);
   * ```
   *
   * @throws {MemfdError} `EMFILE` when the process has no fd left; `EBADF`
   *   when the memfd is closed.
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
   * import { assertEquals } from "@std/assert";
   * using fd = Memfd.create("frames", { size: 4096 });
   * using map = fd.map();
   * fd.close();
   * map.bytes[0] = 1; // still mapped
   * assertEquals(fd.closed, true);
   * assertEquals(map.bytes[0], 1);
   * ```
   *
   * @throws {MemfdError} only when the kernel refuses to close the fd
   *   (`EBADF` when something else closed it behind this object's back).
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
   * import { assertEquals } from "@std/assert";
   * let outer: Memfd;
   * {
   *   using fd = Memfd.create("scoped");
   *   outer = fd;
   * }
   * assertEquals(outer.closed, true);
   * ```
   *
   * @throws {MemfdError} as {@linkcode Memfd.close} does.
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

  /**
   * The fd, or `EBADF` for `op` once closed (never a reused number); the
   * `EFAULT` of a mapping of this file that another process cut short,
   * once, when the SIGBUS handler's repair count moved since the last look.
   */
  /**
   * The fd, for `op` of the public call `operation`: `EBADF` once closed,
   * and the `EFAULT` of a truncation not told yet.
   */
  #live(op: Operation, operation: string = operationOf(op)): number {
    if (this.#closing) throw closedFailure(op, this.#name, operation);
    if (truncations() !== this.#seenTruncations) {
      this.#truncated(op, operation);
    }
    return this.#fd;
  }

  #truncated(op: Operation, operation: string): void {
    const now = truncations();
    const told = dm_file_truncated(this.#fd);
    this.#seenTruncations = now;
    if (told === 1) throw truncatedFailure(op, this.#name, operation);
  }

  #transferred(
    result: number,
    op: "read" | "write",
    operation: string = operationOf(op),
  ): number {
    // EFAULT with the repair count moved: the buffer was a mapping whose
    // file shrank, repaired by the library after the kernel refused it.
    if (
      result === -Errno.EFAULT && truncations() !== this.#seenTruncations
    ) {
      throw truncatedBufferFailure(op, this.#name, operation);
    }
    return check(result, op, this.#name, operation);
  }

  async #async(
    buffer: Uint8Array,
    position: number,
    op: "read" | "write",
  ): Promise<number> {
    const operation = `Memfd.${op}Async`;
    const fd = this.#live(op, operation);
    const bytes = toBytes(
      buffer,
      `${operation}: ${op === "read" ? "into" : "data"}`,
    );
    const at = toIndex(position, `${operation}: position`);
    if (bytes.byteLength === 0) return 0;
    if (op === "write") checkEnd(at, bytes.byteLength, operation);
    // Deno before 2.9 passes a resizable buffer to a nonblocking call as
    // is: shrinking it mid-call would free memory the call is writing.
    // Refuse it on every Deno, as later ones do themselves.
    if ((bytes.buffer as { resizable?: boolean }).resizable === true) {
      throw new TypeError(
        `${operation}: cannot use a view of a resizable ArrayBuffer: it could ` +
          `shrink while the call runs; use ${op}() or a fixed-size buffer`,
      );
    }
    this.#inFlight++;
    const unpin = pinMapping(bytes.buffer);
    try {
      const call = op === "read" ? dm_pread_async : dm_pwrite_async;
      return this.#transferred(await call(fd, bytes, at), op, operation);
    } finally {
      unpin();
      if (--this.#inFlight === 0 && this.#closing) this.#release();
    }
  }
}

/**
 * The `Memfd` owning `fd`, a memfd the native library received and
 * registered as one (`dm_receive`): the one way another part of the library
 * (`MemfdListener`) makes a `Memfd`, without knowing how one is built.
 */
export function receivedMemfd(fd: number): Memfd {
  return make(fd, nameOf(fd), true);
}
