/**
 * The ring's header page: its layout (int32 slots, format version 2, as
 * specified in `docs/ring.md`: keep the two in sync), writing it for a new
 * ring, and checking a memfd's header before `RingBuffer.open` maps it.
 * @module
 */

import { Errno } from "../errors/errno.ts";
import type { MemfdError } from "../errors/errors.ts";
import { memfdFailure } from "../errors/failures.ts";
import type { Memfd } from "../memfd/memfd.ts";

/** "RING" in the first four bytes of the header (little-endian int32). */
export const MAGIC = 0x474e4952;
/**
 * The header format. 2 added end of stream and the two sides' pids, fds,
 * start times and closed flags (slots 18-22 and 34-37; a start time or
 * flag left 0 by a peer that does not write it only weakens the liveness
 * checks); version 1 rings are refused, not misread.
 */
export const VERSION = 2;
/** Largest capacity: indices run modulo 2 * capacity and must fit an int32. */
export const MAX_CAPACITY = 2 ** 30;

// Header layout, in int32 slots of the header page. The two indices live on
// separate 64-byte cache lines: each side writes only its own.
export const SLOT_MAGIC = 0;
export const SLOT_VERSION = 1;
export const SLOT_CAPACITY = 2;
export const SLOT_PAGE = 3;
export const SLOT_HEAD = 16; // byte 64: written by the producer
export const SLOT_WRITER_WAITING = 17; // producers sleeping until `tail` moves
export const SLOT_ENDED = 18; // 1 once the producer called end()
export const SLOT_PRODUCER_PID = 19; // who writes, for the consumer to check on
export const SLOT_PRODUCER_FD = 20; // its fd on the memfd (informational)
export const SLOT_PRODUCER_START = 21; // its start time, low 32 bits (0: unknown)
export const SLOT_PRODUCER_CLOSED = 22; // 1 once it closed its RingBuffer
export const SLOT_TAIL = 32; // byte 128: written by the consumer
export const SLOT_READER_WAITING = 33; // consumers sleeping until `head` moves
export const SLOT_CONSUMER_PID = 34;
export const SLOT_CONSUMER_FD = 35;
export const SLOT_CONSUMER_START = 36;
export const SLOT_CONSUMER_CLOSED = 37;
export const HEADER_SLOTS = 48;

/** The two roles, by the header slots that record who plays them. */
export const PRODUCER = {
  pid: SLOT_PRODUCER_PID,
  fd: SLOT_PRODUCER_FD,
  start: SLOT_PRODUCER_START,
  closed: SLOT_PRODUCER_CLOSED,
};
export const CONSUMER = {
  pid: SLOT_CONSUMER_PID,
  fd: SLOT_CONSUMER_FD,
  start: SLOT_CONSUMER_START,
  closed: SLOT_CONSUMER_CLOSED,
};
/** A side of the ring: {@linkcode PRODUCER} or {@linkcode CONSUMER}. */
export type Role = typeof PRODUCER;

/** The header slots of a mapped header page. */
export function headerView(buffer: ArrayBufferLike): Int32Array {
  return new Int32Array(buffer, 0, HEADER_SLOTS);
}

/**
 * Writes a new ring's header: `capacity` data bytes after a `page`-byte
 * header. The magic goes last, so a reader that sees it sees the rest.
 */
export function initHeader(h: Int32Array, capacity: number, page: number) {
  Atomics.store(h, SLOT_CAPACITY, capacity);
  Atomics.store(h, SLOT_PAGE, page);
  Atomics.store(h, SLOT_VERSION, VERSION);
  Atomics.store(h, SLOT_MAGIC, MAGIC);
}

function notARing(memfd: Memfd, why: string): MemfdError {
  return memfdFailure("ringOpen", Errno.EINVAL, memfd.name, { detail: why });
}

/**
 * The capacity of the ring in `memfd`, read from its header with `pread`
 * (nothing mapped yet); `MemfdError` `EINVAL` saying why when it is not a
 * ring of this format made for `page`-byte pages.
 */
export function readCapacity(memfd: Memfd, page: number): number {
  const total = memfd.size;
  if (total < 2 * page || total % page !== 0) {
    throw notARing(
      memfd,
      `its size (${total} bytes) is not a header page plus whole data pages`,
    );
  }
  const head = new Int32Array(4);
  memfd.read(new Uint8Array(head.buffer));
  if (head[SLOT_MAGIC] !== MAGIC) {
    throw notARing(
      memfd,
      `its header does not start with the ring magic 0x${
        MAGIC.toString(16)
      } ("RING") but 0x${(head[0]! >>> 0).toString(16)}; ` +
        `was it made by RingBuffer.create?`,
    );
  }
  if (head[SLOT_VERSION] !== VERSION) {
    const age = head[SLOT_VERSION]! < VERSION ? "an older" : "a newer";
    throw notARing(
      memfd,
      `its header is format version ${head[SLOT_VERSION]}, made by ` +
        `${age} deno_memfd; this one reads version ${VERSION}: use the ` +
        `same deno_memfd version on both sides`,
    );
  }
  if (head[SLOT_PAGE] !== page) {
    throw notARing(
      memfd,
      `made for ${head[SLOT_PAGE]}-byte pages, this system has ${page}`,
    );
  }
  const cap = head[SLOT_CAPACITY];
  if (cap !== total - page) {
    throw notARing(
      memfd,
      `its header says ${cap} bytes of data, its size leaves ${total - page}`,
    );
  }
  // Past this, indices (below 2 * capacity) no longer fit an int32.
  if (cap > MAX_CAPACITY) {
    throw notARing(
      memfd,
      `its capacity (${cap} bytes) is above the ${MAX_CAPACITY} a ring can hold`,
    );
  }
  return cap;
}
