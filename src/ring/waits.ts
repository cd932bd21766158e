/**
 * Sleeping until the other side of a ring moves an index: the futex waits,
 * async (off the event loop) and sync (on the calling thread), in slices of
 * 100 ms that check the peer is still there, the waiting flags that tell
 * the other side to wake a sleeper, and the wakes themselves.
 * @module
 */

import { dm_futex_wait, dm_futex_wait_sync, dm_futex_wake } from "../native.ts";
import { Errno } from "../errors/errno.ts";
import { failure } from "../errors/failures.ts";
import { pinMapping } from "../mapping/pins.ts";
import { Cancellation, type WaitOptions } from "../input/abort.ts";
import {
  type Role,
  SLOT_HEAD,
  SLOT_READER_WAITING,
  SLOT_TAIL,
} from "./header.ts";
import { peerGone } from "./peer.ts";
import { SyncDeadline } from "./sync_wait.ts";

/** A sleeping wait wakes this often to notice a `close()` it missed. */
const WAIT_SLICE_MS = 100;
const { EAGAIN, ETIMEDOUT, EINTR } = Errno;

/** The ring a wait is on, as the waits need to see it. */
export interface WaitingSide {
  /** Whether the ring was closed (its header is then unmapped). */
  isClosed(): boolean;
  /**
   * The header for call `op` by the side opposite `peer`, recording this
   * process in that role; `MemfdError` `EBADF` once the ring is closed.
   */
  enter(op: string, peer: Role): Int32Array;
}

/** What a wait returns now, or `undefined` to sleep on. */
export type Settled = () => number | undefined;

/** The futexes of one ring's header, and this side's sleepers on them. */
export class RingFutexes {
  readonly #side: WaitingSide;
  readonly #name: string;
  /** The header page, pinned while an async wait sleeps on it. */
  readonly #buffer: ArrayBuffer;
  /** Address of the header mapping, for futex waits and wakes. */
  readonly #addr: number;
  /** Waits in flight, per waiting-flag slot, to withdraw on close. */
  readonly #sleeping = new Map<number, number>();

  constructor(side: WaitingSide, name: string, header: ArrayBuffer) {
    this.#side = side;
    this.#name = name;
    this.#buffer = header;
    const pointer = Deno.UnsafePointer.of(header);
    this.#addr = Number(Deno.UnsafePointer.value(pointer));
  }

  /** Wakes every sleeper on the index in `indexSlot`. */
  wake(indexSlot: number): void {
    dm_futex_wake(this.#addr + 4 * indexSlot);
  }

  /**
   * On close: withdraws this side's sleepers from the shared flags in the
   * header `h`, then wakes them: their native waits return before the
   * header is unmapped.
   */
  withdraw(h: Int32Array): void {
    for (const [slot, count] of this.#sleeping) {
      Atomics.sub(h, slot, count);
      this.wake(slot === SLOT_READER_WAITING ? SLOT_HEAD : SLOT_TAIL);
    }
    this.#sleeping.clear();
  }

  /**
   * Sleeps until `settled()` gives a number. The waiting flag is raised
   * before the index is checked again, and the other side stores its index
   * before it reads the flag (both sequentially consistent), so either this
   * side sees the move or the other side sees the flag and wakes it; the
   * futex itself refuses to sleep when the index moved since `seen`.
   */
  async wait(
    op: string,
    indexSlot: number,
    flagSlot: number,
    settled: Settled,
    peer: Role,
    options: WaitOptions | undefined,
  ): Promise<number> {
    const side = this.#side;
    // Aborting wakes every sleeper on the index (spurious wakes are
    // harmless: each re-checks); the loop then throws the reason once the
    // native wait has returned.
    using cancel = new Cancellation(options, `RingBuffer.${op}`, () => {
      if (!side.isClosed()) this.wake(indexSlot);
    });
    while (true) {
      cancel.throwIfAborted();
      const h = side.enter(op, peer);
      const seen = Atomics.load(h, indexSlot);
      const n = settled();
      if (n !== undefined) return n;
      Atomics.add(h, flagSlot, 1);
      this.#sleeping.set(flagSlot, (this.#sleeping.get(flagSlot) ?? 0) + 1);
      const unpin = pinMapping(this.#buffer);
      let result: number;
      try {
        result = Atomics.load(h, indexSlot) !== seen || cancel.aborted
          ? 0
          : await dm_futex_wait(
            this.#addr + 4 * indexSlot,
            seen,
            WAIT_SLICE_MS,
          );
      } finally {
        unpin();
        if (!side.isClosed()) {
          Atomics.sub(h, flagSlot, 1);
          this.#sleeping.set(flagSlot, this.#sleeping.get(flagSlot)! - 1);
        }
      }
      if (result === -ETIMEDOUT && !side.isClosed()) {
        const gone = peerGone(h, peer, op, this.#name);
        if (gone !== undefined && settled() === undefined) throw gone;
      } else if (result < 0 && ![EAGAIN, ETIMEDOUT, EINTR].includes(-result)) {
        throw failure("ringWait", -result, this.#name);
      }
    }
  }

  /**
   * {@linkcode RingFutexes.wait} on this thread, for the *Sync waits: the
   * same flag protocol, in slices of at most 100 ms so the peer is checked
   * as often. Nothing else on this thread can run meanwhile (no close, no
   * unmap), so the mapping needs no pin and no sleeper bookkeeping.
   */
  waitSync(
    op: string,
    indexSlot: number,
    flagSlot: number,
    settled: Settled,
    peer: Role,
    options: { timeout?: number } | undefined,
  ): number {
    const deadline = new SyncDeadline(options, `RingBuffer.${op}`);
    while (true) {
      const h = this.#side.enter(op, peer);
      const seen = Atomics.load(h, indexSlot);
      const n = settled();
      if (n !== undefined) return n;
      const slice = deadline.next(WAIT_SLICE_MS);
      Atomics.add(h, flagSlot, 1);
      let result: number;
      try {
        result = Atomics.load(h, indexSlot) !== seen
          ? 0
          : dm_futex_wait_sync(this.#addr + 4 * indexSlot, seen, slice);
      } finally {
        Atomics.sub(h, flagSlot, 1);
      }
      if (result === -ETIMEDOUT) {
        const gone = peerGone(h, peer, op, this.#name);
        if (gone !== undefined && settled() === undefined) throw gone;
      } else if (result < 0 && ![EAGAIN, EINTR].includes(-result)) {
        throw failure("ringWait", -result, this.#name);
      }
    }
  }
}
