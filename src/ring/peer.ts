/**
 * Who plays each side of a ring, and is the other side still there? Each
 * side records in the header its pid and its process's start time when it
 * claims a role, and raises its `closed` flag when it closes its
 * `RingBuffer` ({@linkcode SideRecord}). A waiting side judges its peer by
 * those alone ({@linkcode peerGone}): the flag, then the pid, probed
 * natively with a pidfd (or `kill(pid, 0)`) and the start time in
 * `/proc/<pid>/stat`, which catches a pid reused by a newer process.
 * Nothing here opens, stats or reads a path or an object the peer names or
 * controls, so no check can sleep in the kernel on the peer's behalf (a
 * FUSE file, a FIFO, a stalled page); each costs a few system calls.
 *
 * The creating side may also name the process it expects to attach
 * ({@linkcode SideRecord.expect}); its waits then reject when that process
 * exits before it made its first call on the ring.
 *
 * The state of one `RingBuffer` object is kept here by its header view
 * (each object makes its own), so the waits find it from the header alone.
 * @module
 */

import { dm_process_alive, dm_process_start } from "../native.ts";
import { Errno } from "../errors/errno.ts";
import type { MemfdError } from "../errors/errors.ts";
import { ringFailure } from "../errors/failures.ts";
import { CONSUMER, PRODUCER, type Role } from "./header.ts";

const { ECONNRESET } = Errno;

/**
 * A process, by pid and start time (low 32 bits; 0 when unknown,
 * `undefined` when there was no such process already when it was named).
 */
interface Process {
  pid: number;
  start: number | undefined;
}

let own: number | undefined;

/**
 * This process's start time, low 32 bits as an int32 (what a header slot
 * holds); 0 when procfs cannot say, which only skips the pid reuse check.
 */
function ownStart(): number {
  return own ??= startOf(Deno.pid) ?? 0;
}

/** The start time of `pid` as a header slot holds it; `undefined`: none. */
function startOf(pid: number): number | undefined {
  const ticks = dm_process_start(pid);
  // Low 32 bits, as an int32 (ToInt32 is exact: ticks are below 2^53).
  return ticks < 0 ? undefined : ticks | 0;
}

/** The state of each `RingBuffer` object, by its header view. */
const records = new WeakMap<Int32Array, SideRecord>();

/** The roles this `RingBuffer` object recorded in the header. */
export class SideRecord {
  readonly #h: Int32Array;
  readonly #fd: number;
  #producer = false;
  #consumer = false;
  /** The process named to attach as the other side, if any. */
  #expected: Process | undefined;

  /**
   * `h` is the header view of this ring object (one of its own); `fd` an
   * fd of this side's on the memfd, recorded for anyone inspecting the
   * header (no check reads it).
   */
  constructor(h: Int32Array, fd: number) {
    this.#h = h;
    this.#fd = fd;
    records.set(h, this);
  }

  /**
   * Records this process as playing `role` (once per ring object): its
   * pid, start time and fd, and a lowered `closed` flag.
   */
  claim(role: Role): void {
    if (role === PRODUCER ? this.#producer : this.#consumer) return;
    const h = this.#h;
    Atomics.store(h, role.fd, this.#fd);
    Atomics.store(h, role.start, ownStart());
    Atomics.store(h, role.pid, Deno.pid);
    Atomics.store(h, role.closed, 0);
    if (role === PRODUCER) this.#producer = true;
    else this.#consumer = true;
  }

  /** {@linkcode SideRecord.claim} of the role that waits for `peer`. */
  claimOpposite(peer: Role): void {
    this.claim(peer === PRODUCER ? CONSUMER : PRODUCER);
  }

  /**
   * On close: raises the `closed` flag of each role this object claimed
   * and this process still holds, so the other side's waits give up.
   */
  release(): void {
    const h = this.#h;
    for (
      const [role, mine] of [[PRODUCER, this.#producer], [
        CONSUMER,
        this.#consumer,
      ]] as const
    ) {
      if (mine && Atomics.load(h, role.pid) === Deno.pid) {
        Atomics.store(h, role.closed, 1);
      }
    }
    records.delete(h);
  }

  /**
   * Names process `pid` as the one expected to attach: until some process
   * claims the other role, waits judge `pid` instead. A pid with no process
   * is recorded as already gone.
   */
  expect(pid: number): void {
    this.#expected = { pid, start: startOf(pid) };
  }

  /** The process named with {@linkcode SideRecord.expect}, if any. */
  get expected(): Process | undefined {
    return this.#expected;
  }
}

/**
 * `false` only when process `pid`, started at `start` (low 32 bits as an
 * int32; 0: unknown), is certainly gone; `true` while it runs or when that
 * cannot be told (a pid that is not positive, no procfs). Never blocks:
 * see the module docs.
 */
export function processIsAlive(pid: number, start: number): boolean {
  return dm_process_alive(pid, start) !== 0;
}

/** `ECONNRESET` for call `op` on ring `name`: the `role` side, `what`. */
function gone(
  role: Role,
  op: string,
  name: string,
  what: string,
): MemfdError {
  const who = role === PRODUCER ? "producer" : "consumer";
  return ringFailure(op, ECONNRESET, name, `the ${who} ${what}`);
}

/** Why the other side's leaving without a word leaves a wait stuck. */
function stuck(role: Role): string {
  return role === PRODUCER
    ? "without calling end(); all it committed was read"
    : "while the ring is full; nobody will make room";
}

/**
 * The error for a wait (call `op`) on ring `name` whose other side (`role`,
 * as recorded in the header `h`) is gone, or `undefined` while it is
 * alive. A peer in this process is never judged: its closing is this
 * program's own doing. Before any process claimed `role`, the process
 * named with {@linkcode SideRecord.expect} (if any) is judged instead.
 */
export function peerGone(
  h: Int32Array,
  role: Role,
  op: string,
  name: string,
): MemfdError | undefined {
  const pid = Atomics.load(h, role.pid);
  if (pid === 0) {
    const expected = records.get(h)?.expected;
    if (expected === undefined) return undefined;
    if (expected.pid === Deno.pid) return undefined;
    const alive = expected.start !== undefined &&
      processIsAlive(expected.pid, expected.start);
    return alive ? undefined : gone(
      role,
      op,
      name,
      `named with expectPeer (pid ${expected.pid}) exited before it ` +
        `made its first call on the ring`,
    );
  }
  if (pid === Deno.pid) return undefined;
  if (!processIsAlive(pid, Atomics.load(h, role.start))) {
    return gone(role, op, name, `(pid ${pid}) exited ${stuck(role)}`);
  }
  return Atomics.load(h, role.closed) === 0
    ? undefined
    : gone(role, op, name, `(pid ${pid}) closed its side ${stuck(role)}`);
}
