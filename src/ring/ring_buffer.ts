/**
 * `RingBuffer`: a single-producer single-consumer byte ring in a memfd,
 * usable across processes.
 * @module
 */

import type { Bytes } from "../input/bytes.ts";
import { Errno } from "../errors/errno.ts";
import { ringFailure } from "../errors/failures.ts";
import { ensureLoaded } from "../loader/library.ts";
import type { Mapping } from "../mapping/mapping.ts";
import { Memfd } from "../memfd/memfd.ts";
import { pageSize } from "../mapping/page_size.ts";
import { shown, toBytes, toWhole } from "../input/validate.ts";
import {
  CONSUMER,
  headerView,
  initHeader,
  MAX_CAPACITY,
  PRODUCER,
  readCapacity,
  type Role,
  SLOT_ENDED,
  SLOT_HEAD,
  SLOT_READER_WAITING,
  SLOT_TAIL,
  SLOT_WRITER_WAITING,
} from "./header.ts";
import {
  advance,
  checkCount,
  corrupt,
  position,
  usedBytes,
} from "./indices.ts";
import { mapOpenedRing, mapRing } from "./map.ts";
import { SideRecord } from "./peer.ts";
import { RING_SEALS, sealRing } from "./sealing.ts";
import { RingFutexes, type RingWaitOptions } from "./waits.ts";
import type { SyncWaitOptions } from "./sync_wait.ts";

const { EPIPE } = Errno;

function page(): number {
  ensureLoaded();
  return pageSize();
}

/**
 * A single-producer single-consumer byte ring in a memfd. One side writes
 * (`writable()`/`commit()` or `write()`), the other reads
 * (`readable()`/`consume()` or `read()`); the two may be different
 * processes, each with its own `RingBuffer` over the same memfd.
 *
 * Layout of the memfd: one header page (magic `"RING"`, version, capacity,
 * page size, then the write index `head` and the read index `tail` on
 * cache lines of their own), followed by `capacity` bytes of data mapped
 * twice back to back ({@linkcode Memfd.mapRing}), so free space and
 * pending data are always one contiguous view, even across the wrap point.
 *
 * The indices run modulo `2 * capacity` (so a full ring and an empty one
 * differ) and are int32s read and published with `Atomics`: the producer
 * stores `head` after writing the bytes, the consumer stores `tail` after
 * reading them. No locks, no BigInt, no system calls on the hot path.
 *
 * When there is nothing to do, {@linkcode RingBuffer.waitReadable} /
 * {@linkcode RingBuffer.waitWritable} first check the other side's index
 * in JavaScript for a short, adaptive budget (at most 20 µs, no system
 * call; the `spin` option fixes it, 0 sleeps at once), then sleep off the
 * event loop on a futex of that index; `commit` / `consume` / `end` wake
 * a sleeper (one system call, only when one is recorded in the header).
 * The same ring works between Workers of one process (each opens the
 * memfd: two mappings of one file) and with a peer in another language
 * that follows `docs/ring.md`. In a `Worker` or a process
 * dedicated to the ring, {@linkcode RingBuffer.waitReadableSync} /
 * {@linkcode RingBuffer.waitWritableSync} sleep on the same futex on the
 * calling thread instead, blocking it: no thread hand-off per wake-up.
 *
 * End of stream: the producer calls {@linkcode RingBuffer.end}; the
 * consumer reads what is left, then `waitReadable()` resolves with 0 (the
 * end marker) and `ended` is `true`. A side that goes away without that
 * (its process exited, or it closed its `RingBuffer`) after its first call
 * on the ring is noticed by the other side's waits within 100 ms: each
 * side records its pid, its start time and a `closed` flag in the header
 * (format version 2), and a sleeping wait checks them by pid alone (never
 * a path the peer could stall). The wait then rejects with `MemfdError`
 * `ECONNRESET` instead of sleeping forever. A peer that dies before its
 * first call left nothing to check: name it with
 * {@linkcode RingBuffer.expectPeer}, or give the wait a `timeout` or a
 * `signal`. Waits always settle by their `timeout`.
 *
 * The memfd is sealed against `"shrink"` and `"grow"`, so no process can
 * cut the mapped pages from under either side. Indices the other process
 * corrupted are `MemfdError` `EINVAL` before a call copies a byte or moves
 * an index.
 *
 * Needs the unscoped `--allow-ffi` (it maps memory).
 *
 * @example A ring shared with a child process
 * ```ts
 * import { RingBuffer } from "@memfd/memfd";
 * import { assertEquals } from "@std/assert";
 *
 * using ring = RingBuffer.create(64 * 1024);
 * // Another process: RingBuffer.open(Memfd.open(path, { write: true }))
 * // with path = ring.memfd.path.
 * assertEquals(ring.capacity, 64 * 1024);
 * ring.write(new TextEncoder().encode("hello"));
 * const out = new Uint8Array(ring.available);
 * ring.read(out);
 * assertEquals(new TextDecoder().decode(out), "hello");
 * ```
 */
export class RingBuffer implements Disposable {
  #memfd: Memfd;
  #ownsMemfd: boolean;
  #header: Mapping;
  #ring: Mapping;
  #h: Int32Array;
  #data: Bytes;
  #capacity: number;
  /** Futex waits and wakes on the header, and this side's sleepers. */
  #futexes: RingFutexes;
  #closed = false;
  /**
   * An fd of this side's own on the memfd, named in the header when it
   * claims a role: taken at construction, while the memfd is surely open
   * (its owner may close it and keep using the ring's mappings).
   */
  #anchor: Memfd;
  /** Which roles this object recorded in the header. */
  #sides: SideRecord;
  /**
   * The bytes the last writable() offered, until this object publishes
   * (commit, write): a count within the offer that the ring no longer has
   * room for means another process moved an index (corrupt).
   */
  #offered = 0;
  /** The same for readable(), until consume or read. */
  #pendingOffered = 0;

  private constructor(
    memfd: Memfd,
    ownsMemfd: boolean,
    header: Mapping,
    ring: Mapping,
    capacity: number,
  ) {
    this.#memfd = memfd;
    try {
      this.#anchor = memfd.dup();
    } catch (e) {
      ring.unmap();
      header.unmap();
      throw e;
    }
    this.#ownsMemfd = ownsMemfd;
    this.#header = header;
    this.#ring = ring;
    this.#h = headerView(header.buffer);
    this.#sides = new SideRecord(this.#h, this.#anchor.fd);
    this.#data = ring.bytes;
    this.#capacity = capacity;
    this.#futexes = new RingFutexes(
      {
        isClosed: () => this.#closed,
        enter: (op, peer) => this.#enter(op, peer),
      },
      memfd.name,
      header.buffer,
    );
  }

  /**
   * Creates a ring with at least `capacity` bytes of data (rounded up to
   * whole pages; at most 1 GiB) in a new memfd of its own, which
   * {@linkcode RingBuffer.close} closes. Share it with
   * {@linkcode RingBuffer.memfd}. The memfd is sealed against `"shrink"`
   * and `"grow"` (a ring never resizes, and no other process may cut its
   * pages from under a mapping); it stays writable, so the other side can
   * open it.
   *
   * @example
   * ```ts
   * import { RingBuffer } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using ring = RingBuffer.create(1000);
   * assertEquals(ring.capacity, 4096); // one page
   * const { seals } = ring.memfd;
   * assertEquals([seals.has("shrink"), seals.has("grow")], [true, true]);
   * ```
   *
   * @throws {TypeError} when `capacity` is not a number.
   * @throws {RangeError} when `capacity` is not a whole number from 1 to
   *   2^30 (1 GiB).
   * @throws {MemfdError} `EMFILE` when the process has no fd left; `ENOMEM`
   *   when memory or address space runs out.
   * @throws {Deno.errors.NotCapable} when the unscoped `--allow-ffi` is
   *   missing (a ring maps memory).
   * @throws {Deno.errors.NotSupported} when not on Linux.
   */
  static create(capacity: number): RingBuffer {
    const size = page();
    toWhole(
      capacity,
      "RingBuffer.create: capacity",
      MAX_CAPACITY,
      `${MAX_CAPACITY} bytes`,
      1,
    );
    const cap = Math.ceil(capacity / size) * size;
    const memfd = Memfd.create("ring", { size: size + cap });
    try {
      memfd.seal(...RING_SEALS);
      const [header, ring] = mapRing(memfd, size, cap);
      initHeader(headerView(header.buffer), cap, size);
      return new RingBuffer(memfd, true, header, ring, cap);
    } catch (e) {
      memfd.close();
      throw e;
    }
  }

  /**
   * Opens the ring in `memfd`, made by {@linkcode RingBuffer.create} here
   * or in another process: the other side of the ring. The memfd must be
   * writable (`Memfd.open(path, { write: true })`) and stays the caller's
   * to close. A memfd that is not a ring (bad magic, version or size, or a
   * capacity above 1 GiB) is `MemfdError` `EINVAL`, checked before anything
   * is mapped or sealed.
   *
   * The memfd must be sealed against `"shrink"` and `"grow"`, as
   * {@linkcode RingBuffer.create} leaves it: otherwise the process that made
   * it could shrink it and kill this one with SIGBUS. A ring made elsewhere
   * without those seals (another language following `docs/ring.md`) gets
   * them added here, when this fd may add seals; when it may not (the
   * memfd carries the `"seal"` seal), `open` refuses it with `MemfdError`
   * `EPERM` naming the missing seals.
   *
   * @example
   * ```ts
   * import { Memfd, RingBuffer } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using producer = RingBuffer.create(4096);
   * using fd = Memfd.open(producer.memfd.path, { write: true });
   * using consumer = RingBuffer.open(fd);
   * producer.write(new Uint8Array([1, 2, 3]));
   * assertEquals(consumer.available, 3);
   * ```
   *
   * @throws {TypeError} when `memfd` is not a {@linkcode Memfd}.
   * @throws {MemfdError} `EINVAL` when the memfd is not a ring this library
   *   can drive (the message says why); `EPERM` when it lacks the `"shrink"`
   *   or `"grow"` seal and this fd cannot add it (the message names them);
   *   `EACCES` when the memfd is read-only; `EBADF` when it is closed;
   *   `ENOMEM` when address space runs out.
   * @throws {Deno.errors.NotCapable} when the unscoped `--allow-ffi` is
   *   missing (a ring maps memory).
   */
  static open(memfd: Memfd): RingBuffer {
    if (!(memfd instanceof Memfd)) {
      throw new TypeError(
        `RingBuffer.open: memfd must be a Memfd, got ${shown(memfd)}`,
      );
    }
    const size = page();
    readCapacity(memfd, size);
    sealRing(memfd);
    // Checked again now that the size can no longer change.
    const cap = readCapacity(memfd, size);
    const [header, ring] = mapOpenedRing(memfd, size, cap);
    return new RingBuffer(memfd, false, header, ring, cap);
  }

  /**
   * The memfd holding the ring: share its `path` or send it.
   *
   * Never throws.
   *
   * @example A header page, then the data
   * ```ts
   * import { RingBuffer } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using ring = RingBuffer.create(4096);
   * assertEquals(ring.memfd.size, 8192);
   * ```
   */
  get memfd(): Memfd {
    return this.#memfd;
  }

  /**
   * Bytes of data the ring holds when full.
   *
   * Never throws.
   *
   * @example Rounded up to whole pages
   * ```ts
   * import { RingBuffer } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using ring = RingBuffer.create(5000);
   * assertEquals(ring.capacity, 8192);
   * assertEquals(ring.free, 8192);
   * ```
   */
  get capacity(): number {
    return this.#capacity;
  }

  /**
   * Whether {@linkcode RingBuffer.close} was called.
   *
   * Never throws.
   *
   * @example A closed ring refuses every call
   * ```ts
   * import { MemfdError, RingBuffer } from "@memfd/memfd";
   * import { assertEquals, assertThrows } from "@std/assert";
   * using ring = RingBuffer.create(4096);
   * ring.close();
   * assertEquals(ring.closed, true);
   * const error = assertThrows(
   *   () => ring.write(new Uint8Array([1])),
   *   MemfdError,
   *   "closed",
   * );
   * assertEquals(error.code, "EBADF");
   * ```
   */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Bytes written and not yet consumed: what a reader can take now.
   *
   * @example Pending bytes
   * ```ts
   * import { RingBuffer } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using ring = RingBuffer.create(4096);
   * ring.write(new Uint8Array([1, 2, 3]));
   * assertEquals(ring.available, 3);
   * ring.read(new Uint8Array(1));
   * assertEquals(ring.available, 2);
   * ```
   *
   * @throws {MemfdError} `EBADF` when the ring is closed; `EINVAL` when the
   *   indices in its header are corrupt (another process wrote them).
   */
  get available(): number {
    const h = this.#live("available");
    return this.#used(
      Atomics.load(h, SLOT_HEAD),
      Atomics.load(h, SLOT_TAIL),
      "available",
    );
  }

  /**
   * Bytes a writer can add now: `capacity - available`.
   *
   * @example Room left for the writer
   * ```ts
   * import { RingBuffer } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using ring = RingBuffer.create(4096);
   * ring.write(new Uint8Array(100));
   * assertEquals(ring.free, 3996);
   * ```
   *
   * @throws {MemfdError} `EBADF` when the ring is closed; `EINVAL` when the
   *   indices in its header are corrupt (another process wrote them).
   */
  get free(): number {
    const h = this.#live("free");
    return this.#capacity -
      this.#used(
        Atomics.load(h, SLOT_HEAD),
        Atomics.load(h, SLOT_TAIL),
        "free",
      );
  }

  /**
   * All free space as one view (empty when the ring is full). Fill a
   * prefix of it, then {@linkcode RingBuffer.commit} that many bytes.
   * The view is only valid until then.
   *
   * @example Encode text straight into the ring
   * ```ts
   * import { RingBuffer } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using ring = RingBuffer.create(4096);
   * const space = ring.writable();
   * const { written } = new TextEncoder().encodeInto("hello", space);
   * ring.commit(written);
   * assertEquals(written, 5);
   * assertEquals(ring.available, 5);
   * ```
   *
   * @throws {MemfdError} `EBADF` when the ring is closed; `EINVAL` when the
   *   indices in its header are corrupt (another process wrote them).
   */
  writable(): Bytes {
    const h = this.#writer("writable");
    const head = Atomics.load(h, SLOT_HEAD);
    const free = this.#capacity -
      this.#used(head, Atomics.load(h, SLOT_TAIL), "writable");
    this.#offered = free;
    const at = position(head, this.#capacity);
    return this.#data.subarray(at, at + free);
  }

  /**
   * Publishes `n` bytes written into {@linkcode RingBuffer.writable} to the
   * reader. `n` larger than {@linkcode RingBuffer.free} is a `RangeError`.
   *
   * @example Nothing is visible before the commit
   * ```ts
   * import { RingBuffer } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using ring = RingBuffer.create(4096);
   * ring.writable().set([1, 2, 3]);
   * assertEquals(ring.available, 0);
   * ring.commit(3);
   * assertEquals(ring.available, 3);
   * ```
   *
   * @throws {TypeError} when `n` is not a number.
   * @throws {RangeError} when `n` is not a whole number from 0 to
   *   {@linkcode RingBuffer.free}; nothing is published.
   * @throws {MemfdError} `EBADF` when the ring is closed; `EINVAL` when the
   *   indices in its header are corrupt.
   */
  commit(n: number): void {
    const h = this.#writer("commit");
    const head = Atomics.load(h, SLOT_HEAD);
    const tail = Atomics.load(h, SLOT_TAIL);
    const free = this.#capacity - this.#used(head, tail, "commit");
    if (typeof n === "number" && n > free && n <= this.#offered) {
      // writable() offered those bytes and nothing here published since:
      // only an index another process moved can have taken them away.
      throw corrupt(
        "commit",
        this.#memfd.name,
        `head ${head}, tail ${tail} leave ${free} bytes free, but ` +
          `writable() offered ${this.#offered} and nothing was committed since`,
      );
    }
    checkCount(n, free, "commit", "free");
    this.#publishHead(h, head, n);
  }

  /** Moves `head` (as loaded) on by `n` checked bytes; wakes a reader. */
  #publishHead(h: Int32Array, head: number, n: number): void {
    this.#offered = 0;
    Atomics.store(h, SLOT_HEAD, advance(head, n, this.#capacity));
    if (Atomics.load(h, SLOT_READER_WAITING) !== 0) {
      this.#futexes.wake(SLOT_HEAD);
    }
  }

  /**
   * All pending data as one view (empty when the ring is empty). Read a
   * prefix of it, then {@linkcode RingBuffer.consume} that many bytes.
   * The view is only valid until then.
   *
   * @example Data across the wrap point is one view
   * ```ts
   * import { RingBuffer } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using ring = RingBuffer.create(4096);
   * ring.write(new Uint8Array(4000));
   * ring.read(new Uint8Array(4000)); // now 96 bytes before the end
   * ring.write(new Uint8Array(200).fill(1));
   * const pending = ring.readable();
   * assertEquals(pending.length, 200);
   * assertEquals(pending[199], 1);
   * ```
   *
   * @throws {MemfdError} `EBADF` when the ring is closed; `EINVAL` when the
   *   indices in its header are corrupt (another process wrote them).
   */
  readable(): Bytes {
    const h = this.#reader("readable");
    const tail = Atomics.load(h, SLOT_TAIL);
    const used = this.#used(Atomics.load(h, SLOT_HEAD), tail, "readable");
    this.#pendingOffered = used;
    const at = position(tail, this.#capacity);
    return this.#data.subarray(at, at + used);
  }

  /**
   * Releases `n` bytes read from {@linkcode RingBuffer.readable} to the
   * writer. `n` larger than {@linkcode RingBuffer.available} is a
   * `RangeError`.
   *
   * @example Take bytes from the front
   * ```ts
   * import { RingBuffer } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using ring = RingBuffer.create(4096);
   * ring.write(new Uint8Array([1, 2, 3]));
   * ring.consume(1);
   * assertEquals(ring.readable(), new Uint8Array([2, 3]));
   * ```
   *
   * @throws {TypeError} when `n` is not a number.
   * @throws {RangeError} when `n` is not a whole number from 0 to
   *   {@linkcode RingBuffer.available}; nothing is released.
   * @throws {MemfdError} `EBADF` when the ring is closed; `EINVAL` when the
   *   indices in its header are corrupt.
   */
  consume(n: number): void {
    const h = this.#reader("consume");
    const tail = Atomics.load(h, SLOT_TAIL);
    const head = Atomics.load(h, SLOT_HEAD);
    const used = this.#used(head, tail, "consume");
    if (typeof n === "number" && n > used && n <= this.#pendingOffered) {
      // readable() offered those bytes and nothing here consumed since:
      // only an index another process moved can have taken them away.
      throw corrupt(
        "consume",
        this.#memfd.name,
        `head ${head}, tail ${tail} leave ${used} bytes pending, but ` +
          `readable() offered ${this.#pendingOffered} and nothing was ` +
          `consumed since`,
      );
    }
    checkCount(n, used, "consume", "available");
    this.#publishTail(h, tail, n);
  }

  /** Moves `tail` (as loaded) on by `n` checked bytes; wakes a writer. */
  #publishTail(h: Int32Array, tail: number, n: number): void {
    this.#pendingOffered = 0;
    Atomics.store(h, SLOT_TAIL, advance(tail, n, this.#capacity));
    if (Atomics.load(h, SLOT_WRITER_WAITING) !== 0) {
      this.#futexes.wake(SLOT_TAIL);
    }
  }

  /**
   * Resolves with {@linkcode RingBuffer.available} once it is above zero,
   * sleeping off the event loop until the writer commits (in any process).
   *
   * Before it sleeps it checks the index in JavaScript for up to
   * `options.spin` µs (blocking the event loop that long, using that much
   * CPU; no FFI call): a producer running on another CPU answers without
   * a futex round trip. By default the budget adapts per ring and per
   * direction: 20 µs while spins end the waits; 0 (sleep at once) after
   * a spin that ran out of budget, probing again after
   * 2 waits, then 4, … up to 1024 after repeated failures; always 0 when
   * the process may use one CPU only. An idle
   * waiter spins at most once per call, then sleeps: no CPU while nothing
   * comes.
   *
   * End of stream: once the producer called {@linkcode RingBuffer.end}
   * and everything it wrote was consumed, resolves with **0** (the end
   * marker; {@linkcode RingBuffer.ended} is then `true` and `readable()`
   * empty), so `while (await ring.waitReadable() > 0)` drains a ring.
   *
   * Rejects with `options.signal`'s reason when it aborts, with a
   * `DOMException` `"TimeoutError"` after `options.timeout` ms, with
   * `MemfdError` `ECONNRESET` when the producer, in another process,
   * exited or closed its side without `end()` (checked every 100 ms while
   * asleep, by pid: nothing the peer controls can stall the check), or
   * exited before its first call after {@linkcode RingBuffer.expectPeer}
   * named it, and `EBADF` when this ring is closed meanwhile. A producer
   * that never attaches and was not named is never noticed: pass a
   * `timeout` or a `signal`. The `timeout` always wins, whatever the peer
   * does. Once it rejects, nothing of it is left waiting natively.
   *
   * @example Read until the producer ends
   * ```ts
   * import { RingBuffer } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using ring = RingBuffer.create(4096);
   * setTimeout(() => {
   *   ring.write(new Uint8Array([1, 2]));
   *   ring.end();
   * }, 10);
   * let total = 0;
   * while (await ring.waitReadable() > 0) {
   *   total += ring.read(new Uint8Array(16));
   * }
   * assertEquals([total, ring.ended], [2, true]);
   * ```
   *
   * @throws {TypeError} (as a rejection) when `options` is not an object,
   *   has an unknown key, its `signal` is not an `AbortSignal` or its
   *   `timeout` or `spin` not a number.
   * @throws {RangeError} (as a rejection) when `timeout` is negative,
   *   fractional or above 2^31-1 ms, or `spin` negative, fractional or
   *   above 1 000 000 µs.
   * @throws {DOMException} (as a rejection) `options.signal.reason` when
   *   the signal aborts (any value the signal was aborted with), or a
   *   `TimeoutError` when `options.timeout` passes.
   * @throws {MemfdError} (as a rejection) `ECONNRESET` when the producer
   *   in another process is gone without `end()`; `EBADF` when the ring is
   *   closed before or during the wait; `EINVAL` when the indices in its
   *   header are corrupt.
   */
  waitReadable(options?: RingWaitOptions): Promise<number> {
    return this.#futexes.wait(
      "waitReadable",
      SLOT_HEAD,
      SLOT_READER_WAITING,
      () => this.#readableOrEnd("waitReadable"),
      PRODUCER,
      options,
    );
  }

  /**
   * {@linkcode RingBuffer.waitReadable} without a promise: returns
   * {@linkcode RingBuffer.available} once it is above zero, or **0** at
   * the end of stream, sleeping on the futex on the calling thread. Each
   * wake-up costs no thread hand-off, so a round trip between two
   * processes is several times faster than with the async wait. It spins
   * first as {@linkcode RingBuffer.waitReadable} does (`options.spin` µs,
   * adaptive by default).
   *
   * **It blocks the thread**: no timer, promise or I/O callback runs until
   * it returns. Use it in a `Worker` or in a process dedicated to the
   * ring, never on an event loop that serves anything else. The producer
   * is checked every 100 ms while asleep, as the async wait does.
   *
   * @example Drain what a producer left, then the end marker
   * ```ts
   * import { RingBuffer } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using ring = RingBuffer.create(4096);
   * ring.write(new Uint8Array([1, 2, 3]));
   * ring.end();
   * let total = 0;
   * while (ring.waitReadableSync({ timeout: 1000 }) > 0) {
   *   total += ring.read(new Uint8Array(16));
   * }
   * assertEquals([total, ring.ended], [3, true]);
   * ```
   *
   * @throws {TypeError} when `options` is not an object, has an unknown
   *   key (a `signal` too: nothing can abort a blocked thread), or its
   *   `timeout` or `spin` is not a number.
   * @throws {RangeError} when `timeout` is negative, fractional or above
   *   2^31-1 ms, or `spin` negative, fractional or above 1 000 000 µs.
   * @throws {DOMException} a `TimeoutError` when `options.timeout` ms pass
   *   first (0 polls).
   * @throws {MemfdError} `ECONNRESET` when the producer in another process
   *   is gone without `end()`; `EBADF` when the ring is closed; `EINVAL`
   *   when the indices in its header are corrupt.
   */
  waitReadableSync(options?: SyncWaitOptions): number {
    return this.#futexes.waitSync(
      "waitReadableSync",
      SLOT_HEAD,
      SLOT_READER_WAITING,
      () => this.#readableOrEnd("waitReadableSync"),
      PRODUCER,
      options,
    );
  }

  /**
   * Resolves with {@linkcode RingBuffer.free} once it is above zero,
   * sleeping off the event loop until the reader consumes (in any
   * process). Rejects as {@linkcode RingBuffer.waitReadable} does (signal,
   * timeout, `EBADF`), with `MemfdError` `ECONNRESET` when the consumer in
   * another process is gone, and `EPIPE` after {@linkcode RingBuffer.end}.
   *
   * @example
   * ```ts
   * import { RingBuffer } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using ring = RingBuffer.create(4096);
   * ring.write(new Uint8Array(4096));
   * setTimeout(() => ring.consume(100), 10);
   * assertEquals(await ring.waitWritable(), 100);
   * ```
   *
   * @example Give up when no room comes
   * ```ts
   * import { RingBuffer } from "@memfd/memfd";
   * import { assertEquals, assertRejects } from "@std/assert";
   * using ring = RingBuffer.create(4096);
   * ring.write(new Uint8Array(4096));
   * const error = await assertRejects(
   *   () => ring.waitWritable({ timeout: 10 }),
   *   DOMException,
   * );
   * assertEquals(error.name, "TimeoutError");
   * ```
   *
   * @throws {TypeError} (as a rejection) as
   *   {@linkcode RingBuffer.waitReadable} does, for bad `options`.
   * @throws {RangeError} (as a rejection) as
   *   {@linkcode RingBuffer.waitReadable} does, for a bad `timeout`.
   * @throws {DOMException} (as a rejection) `options.signal.reason` when
   *   the signal aborts (any value the signal was aborted with), or a
   *   `TimeoutError` when `options.timeout` passes.
   * @throws {MemfdError} (as a rejection) `ECONNRESET` when the consumer
   *   in another process is gone while the ring is full; `EPIPE` after
   *   {@linkcode RingBuffer.end}; `EBADF` when the ring is closed before or
   *   during the wait; `EINVAL` when the indices in its header are corrupt.
   */
  waitWritable(options?: RingWaitOptions): Promise<number> {
    return this.#futexes.wait(
      "waitWritable",
      SLOT_TAIL,
      SLOT_WRITER_WAITING,
      () => this.#writableNow("waitWritable"),
      CONSUMER,
      options,
    );
  }

  /**
   * {@linkcode RingBuffer.waitWritable} without a promise: returns
   * {@linkcode RingBuffer.free} once it is above zero, sleeping on the
   * futex on the calling thread.
   *
   * **It blocks the thread**: no timer, promise or I/O callback runs until
   * it returns. Use it in a `Worker` or in a process dedicated to the
   * ring. The consumer is checked every 100 ms while asleep.
   *
   * @example
   * ```ts
   * import { RingBuffer } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using ring = RingBuffer.create(4096);
   * ring.write(new Uint8Array(4000));
   * assertEquals(ring.waitWritableSync({ timeout: 1000 }), 96);
   * ```
   *
   * @throws {TypeError} as {@linkcode RingBuffer.waitReadableSync} does,
   *   for bad `options`.
   * @throws {RangeError} when `timeout` is negative, fractional or above
   *   2^31-1 ms, or `spin` negative, fractional or above 1 000 000 µs.
   * @throws {DOMException} a `TimeoutError` when `options.timeout` ms pass
   *   first (0 polls).
   * @throws {MemfdError} `ECONNRESET` when the consumer in another process
   *   is gone while the ring is full; `EPIPE` after
   *   {@linkcode RingBuffer.end}; `EBADF` when the ring is closed; `EINVAL`
   *   when the indices in its header are corrupt.
   */
  waitWritableSync(options?: SyncWaitOptions): number {
    return this.#futexes.waitSync(
      "waitWritableSync",
      SLOT_TAIL,
      SLOT_WRITER_WAITING,
      () => this.#writableNow("waitWritableSync"),
      CONSUMER,
      options,
    );
  }

  /** What a readable wait (call `op`) returns now (0 at end), if anything. */
  #readableOrEnd(op: string): number | undefined {
    const h = this.#live(op);
    // `ended` first: the producer stores it after its last `head`, so
    // once it reads 1 the `head` loaded next is final. The other order
    // could load an old `head`, then `ended`, and report the end while
    // the last commit is still unread.
    const ended = Atomics.load(h, SLOT_ENDED) !== 0;
    const n = this.#used(
      Atomics.load(h, SLOT_HEAD),
      Atomics.load(h, SLOT_TAIL),
      op,
    );
    if (n > 0) return n;
    return ended ? 0 : undefined;
  }

  /** What a writable wait (call `op`) returns now, if anything. */
  #writableNow(op: string): number | undefined {
    const h = this.#writer(op);
    const n = this.#capacity -
      this.#used(Atomics.load(h, SLOT_HEAD), Atomics.load(h, SLOT_TAIL), op);
    return n > 0 ? n : undefined;
  }

  /**
   * Producer: no more data will come. The consumer reads what is left, then
   * its {@linkcode RingBuffer.waitReadable} resolves with 0 and
   * {@linkcode RingBuffer.ended} is `true`, on both sides. Writing after it
   * is `MemfdError` `EPIPE`. Idempotent.
   *
   * @example
   * ```ts
   * import { RingBuffer } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using ring = RingBuffer.create(4096);
   * ring.write(new Uint8Array([7]));
   * ring.end();
   * assertEquals(await ring.waitReadable(), 1); // pending data first
   * assertEquals(ring.ended, true);
   * ring.consume(1);
   * assertEquals(await ring.waitReadable(), 0); // then the end marker
   * ```
   *
   * @throws {MemfdError} `EBADF` when the ring is closed.
   */
  end(): void {
    const h = this.#live("end");
    if (Atomics.exchange(h, SLOT_ENDED, 1) !== 0) return;
    // Sleepers on `head` see the flag when the futex wakes them.
    if (Atomics.load(h, SLOT_READER_WAITING) !== 0) {
      this.#futexes.wake(SLOT_HEAD);
    }
  }

  /**
   * Names the process expected to open the other side of this ring (a pid,
   * or a `Deno.ChildProcess`): until some process makes its first call on
   * the other side, this ring's waits check on that process, and reject
   * with `MemfdError` `ECONNRESET` once it has exited (within 100 ms). A
   * peer that never attaches is otherwise never noticed: nothing names it
   * in the header. Once the peer made a call, its own record in the header
   * is checked instead. A later call replaces the name.
   *
   * @example A child that exits without opening the ring
   * ```ts
   * import { MemfdError, RingBuffer } from "@memfd/memfd";
   * import { assertEquals, assertRejects } from "@std/assert";
   * using ring = RingBuffer.create(4096);
   * const child = new Deno.Command("true").spawn(); // never opens it
   * ring.expectPeer(child);
   * await child.status;
   * const error = await assertRejects(() => ring.waitReadable(), MemfdError);
   * assertEquals(error.code, "ECONNRESET");
   * ```
   *
   * @throws {TypeError} when `peer` is neither a number nor an object with
   *   a numeric `pid`.
   * @throws {RangeError} when the pid is not a whole number from 1 to
   *   2^31-1.
   * @throws {MemfdError} `EBADF` when the ring is closed.
   */
  expectPeer(peer: number | { readonly pid: number }): void {
    this.#live("expectPeer");
    const pid = typeof peer === "object" && peer !== null ? peer.pid : peer;
    if (typeof pid !== "number") {
      throw new TypeError(
        "RingBuffer.expectPeer(peer): peer must be a pid or a process " +
          `with a pid (a Deno.ChildProcess), got ${typeof pid}`,
      );
    }
    if (!Number.isInteger(pid) || pid < 1 || pid > 2 ** 31 - 1) {
      throw new RangeError(
        `RingBuffer.expectPeer(${pid}): a pid is a whole number from 1 ` +
          `to ${2 ** 31 - 1}`,
      );
    }
    this.#sides.expect(pid);
  }

  /**
   * Whether the producer called {@linkcode RingBuffer.end}, in this or
   * another process. Data written before it may still be pending: the
   * stream is over when `ended` is `true` and `available` is 0.
   *
   * @example
   * ```ts
   * import { RingBuffer } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using ring = RingBuffer.create(4096);
   * assertEquals(ring.ended, false);
   * ring.end();
   * assertEquals(ring.ended, true);
   * ```
   *
   * @throws {MemfdError} `EBADF` when the ring is closed.
   */
  get ended(): boolean {
    return Atomics.load(this.#live("ended"), SLOT_ENDED) !== 0;
  }

  /**
   * Copies as much of `data` as fits and commits it; returns the count.
   *
   * @example Only what fits is written
   * ```ts
   * import { RingBuffer } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using ring = RingBuffer.create(4096);
   * assertEquals(ring.write(new Uint8Array(5000)), 4096);
   * assertEquals(ring.write(new Uint8Array(1)), 0); // full
   * ```
   *
   * @throws {TypeError} when `data` is not a `Uint8Array`.
   * @throws {MemfdError} `EBADF` when the ring is closed; `EINVAL` when the
   *   indices in its header are corrupt.
   */
  write(data: Uint8Array): number {
    const h = this.#writer("write");
    toBytes(data, "RingBuffer.write: data");
    // One snapshot of each index, checked before a byte is copied: the
    // other process may rewrite them at any moment.
    const head = Atomics.load(h, SLOT_HEAD);
    const used = this.#used(head, Atomics.load(h, SLOT_TAIL), "write");
    const n = Math.min(this.#capacity - used, data.length);
    if (n === 0) return 0;
    this.#data.set(
      n === data.length ? data : data.subarray(0, n),
      position(head, this.#capacity),
    );
    this.#publishHead(h, head, n);
    return n;
  }

  /**
   * Copies as much pending data as fits into `into` and consumes it.
   *
   * @example Read part of the pending data
   * ```ts
   * import { RingBuffer } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using ring = RingBuffer.create(4096);
   * ring.write(new TextEncoder().encode("hello"));
   * const into = new Uint8Array(3);
   * assertEquals(ring.read(into), 3);
   * assertEquals(ring.available, 2);
   * assertEquals(new TextDecoder().decode(into), "hel");
   * ```
   *
   * @throws {TypeError} when `into` is not a `Uint8Array`.
   * @throws {MemfdError} `EBADF` when the ring is closed; `EINVAL` when the
   *   indices in its header are corrupt.
   */
  read(into: Uint8Array): number {
    const h = this.#reader("read");
    toBytes(into, "RingBuffer.read: into");
    // One snapshot of each index, checked before `into` is touched.
    const tail = Atomics.load(h, SLOT_TAIL);
    const used = this.#used(Atomics.load(h, SLOT_HEAD), tail, "read");
    const n = Math.min(used, into.length);
    if (n === 0) return 0;
    const at = position(tail, this.#capacity);
    into.set(this.#data.subarray(at, at + n));
    this.#publishTail(h, tail, n);
    return n;
  }

  /**
   * Unmaps the ring (every view handed out is detached) and closes the
   * memfd if {@linkcode RingBuffer.create} made it. Idempotent.
   *
   * @example An opened ring leaves its memfd open
   * ```ts
   * import { Memfd, RingBuffer } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using producer = RingBuffer.create(4096);
   * producer.write(new Uint8Array([1, 2, 3]));
   * using fd = Memfd.open(producer.memfd.path, { write: true });
   * using consumer = RingBuffer.open(fd);
   * const view = consumer.readable();
   * consumer.close();
   * assertEquals(view.length, 0); // detached
   * assertEquals(fd.closed, false);
   * ```
   *
   * @throws {MemfdError} only as {@linkcode Mapping.unmap} and
   *   {@linkcode Memfd.close} do.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Withdraw this side's sleepers from the shared flags, then wake them:
    // their native waits return, and the header is unmapped after them.
    this.#futexes.withdraw(this.#h);
    this.#sides.release();
    this.#ring.unmap();
    this.#header.unmap();
    this.#anchor.close();
    if (this.#ownsMemfd) this.#memfd.close();
  }

  /**
   * Same as {@linkcode RingBuffer.close}.
   *
   * @example A created ring closes its memfd
   * ```ts
   * import { type Memfd, RingBuffer } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * let memfd: Memfd;
   * {
   *   using ring = RingBuffer.create(4096);
   *   memfd = ring.memfd;
   * }
   * assertEquals(memfd.closed, true);
   * ```
   *
   * @throws {MemfdError} as {@linkcode RingBuffer.close} does.
   */
  [Symbol.dispose](): void {
    this.close();
  }

  #live(op: string): Int32Array {
    if (this.#closed) {
      throw ringFailure(op, Errno.EBADF, this.#memfd.name);
    }
    return this.#h;
  }

  /** The header, for a producer's call `op`: refused once it ended. */
  #writer(op: string): Int32Array {
    const h = this.#live(op);
    if (Atomics.load(h, SLOT_ENDED) !== 0) {
      throw ringFailure(op, EPIPE, this.#memfd.name);
    }
    this.#sides.claim(PRODUCER);
    return h;
  }

  /** The header, for a consumer's call `op`. */
  #reader(op: string): Int32Array {
    const h = this.#live(op);
    this.#sides.claim(CONSUMER);
    return h;
  }

  /** The header for a wait's call `op`, as the side opposite `peer`. */
  #enter(op: string, peer: Role): Int32Array {
    const h = this.#live(op);
    this.#sides.claimOpposite(peer);
    return h;
  }

  /**
   * Bytes between the indices, for call `op`; checks them, they are the
   * peer's to write.
   */
  #used(head: number, tail: number, op: string): number {
    return usedBytes(head, tail, this.#capacity, this.#memfd.name, op);
  }
}
