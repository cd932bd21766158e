/**
 * Ring data steps, producers and consumers interleaved at random over the
 * same memfd: write and read (from and into every kind of memory, a ring's
 * own views included), writable/commit and readable/consume, misuse that
 * must change nothing, and waits that the other side ends.
 * @module
 */

import { type Expect, fails, mismatch, OK, type Outcome } from "../expect.ts";
import { fmt } from "../format.ts";
import { BAD_BUFFERS, BAD_NUMBERS } from "../hostile.ts";
import { inMemory } from "../memory.ts";
import { later } from "../runner.ts";
import { opCreate } from "./lifecycle.ts";
import { gate, verifyFile } from "./verify.ts";
import {
  readableOf,
  type RingFile,
  type RingWorld,
  type Side,
  writableOf,
} from "./world.ts";

/** Views kept per side for the check that closing detaches them. */
const KEEP_VIEWS = 8;

/** Memory for a ring write or read, and which ring's data it is, if any. */
interface Memory {
  bytes: Uint8Array;
  kind: string;
  alias?: { file: RingFile; start: number };
}

function keep(side: Side, view: Uint8Array): Uint8Array {
  side.views.push(view);
  if (side.views.length > KEEP_VIEWS) side.views.shift();
  return view;
}

/** A live side to act on, or none (after making a ring instead). */
function sideToUse(w: RingWorld): Side | undefined {
  const side = w.pickSide();
  if (side === undefined) opCreate(w);
  return side;
}

/**
 * About `n` bytes of memory of some kind: plain, offset, shared, resizable,
 * detached, or a view of a ring's free space or pending data. `into` is
 * the file a read goes from: its pending data is never the target (the
 * double mapping would make the copy overlap itself).
 */
function genMemory(w: RingWorld, n: number, into?: RingFile): Memory {
  const r = w.rng;
  const sides = w.files.flatMap((f) => f.sides);
  const others = sides.filter((s) => s.file !== into);
  const kind = r.weighted({
    plain: 5,
    offset: 1,
    shared: 1,
    resizable: 1,
    stale: w.closedSides.length > 0 ? 0.5 : 0,
    free: sides.length > 0 ? 1.5 : 0,
    pending: (into ? others : sides).length > 0 ? 1.5 : 0,
  });
  const content = r.bytes(n);
  switch (kind) {
    case "offset":
    case "shared":
    case "resizable":
      return { bytes: inMemory(kind, content), kind };
    case "stale": {
      const side = r.pick(w.closedSides);
      return { bytes: side.views[0] ?? new Uint8Array(0), kind };
    }
    case "free":
    case "pending": {
      const side = r.pick(kind === "pending" && into ? others : sides);
      const m = side.file.model;
      const view = kind === "free" ? writableOf(side) : readableOf(side);
      const len = Math.min(n, view.length);
      const start = kind === "free" ? m.freeStart() : m.at(m.tail);
      return {
        bytes: keep(side, view).subarray(0, len),
        kind: `${kind} of ring ${side.file.id}`,
        alias: { file: side.file, start },
      };
    }
  }
  return { bytes: content, kind: "plain" };
}

/** What `memory` holds now, by the model. */
function contentOf(memory: Memory): Uint8Array {
  const { bytes, alias } = memory;
  // A detached view cannot even be sliced.
  if (bytes.length === 0) return new Uint8Array(0);
  return alias
    ? alias.file.model.dataAt(alias.start, bytes.length)
    : bytes.slice();
}

/** A transfer length: mostly small, up to more than the ring holds. */
function genLength(w: RingWorld, side: Side): number {
  const r = w.rng;
  if (r.chance(0.05)) return 0;
  return r.range(1, r.chance(0.6) ? 300 : side.file.model.capacity + w.page);
}

export function opWrite(w: RingWorld): void {
  const side = sideToUse(w);
  if (side === undefined) return;
  const m = side.file.model;
  const memory = genMemory(w, genLength(w, side));
  const content = contentOf(memory);
  const used = m.used();
  const count = used === undefined
    ? 0
    : Math.min(m.capacity - used, memory.bytes.length);
  const out = w.call(
    `write(side ${side.id} of ring ${side.file.id}, ${memory.kind} ${memory.bytes.length})`,
    gate(side) ?? OK,
    () => side.ring.write(memory.bytes),
  );
  if (out.ok) {
    if (out.value !== count) {
      mismatch(`write: wrote ${out.value}, model says ${count}`);
    }
    m.writeAt(m.freeStart(), content.subarray(0, count));
    m.commit(count);
  }
  verifyFile(w, side.file, "after write");
}

export function opRead(w: RingWorld): void {
  const side = sideToUse(w);
  if (side === undefined) return;
  const m = side.file.model;
  const memory = genMemory(w, genLength(w, side), side.file);
  const before = contentOf(memory);
  const used = m.used();
  const count = used === undefined ? 0 : Math.min(used, memory.bytes.length);
  const want = used === undefined ? before : m.dataAt(m.at(m.tail), count);
  const out = w.call(
    `read(side ${side.id} of ring ${side.file.id}, ${memory.kind} ${memory.bytes.length})`,
    gate(side) ?? OK,
    () => side.ring.read(memory.bytes),
  );
  if (out.ok) {
    if (out.value !== count) {
      mismatch(`read: read ${out.value}, model says ${count}`);
    }
    m.consume(count);
    if (memory.alias) {
      memory.alias.file.model.writeAt(memory.alias.start, want);
    }
  }
  for (let i = 0; i < memory.bytes.length; i++) {
    const expected = out.ok && i < count ? want[i] : before[i];
    if (memory.bytes[i] !== expected) {
      mismatch(`read: byte ${i} is ${memory.bytes[i]}, model says ${expected}`);
    }
  }
  verifyFile(w, side.file, "after read");
  if (memory.alias) verifyFile(w, memory.alias.file, "after read into a ring");
}

/** Fill part of writable() (scribbling past it sometimes), commit that. */
export function opCommit(w: RingWorld): void {
  const r = w.rng;
  const side = sideToUse(w);
  if (side === undefined) return;
  const m = side.file.model;
  const view = keep(side, writableOf(side));
  const n = r.int(view.length + 1);
  const scribble = r.chance(0.3) ? r.int(view.length - n + 1) : 0;
  const bytes = r.bytes(n + scribble);
  view.set(bytes);
  m.writeAt(m.freeStart(), bytes);
  w.call(
    `commit(${n}) of side ${side.id} of ring ${side.file.id} (${scribble} more scribbled)`,
    OK,
    () => side.ring.commit(n),
  );
  m.commit(n);
  verifyFile(w, side.file, "after commit");
}

/** Look at readable() (checked against the model), consume part of it. */
export function opConsume(w: RingWorld): void {
  const r = w.rng;
  const side = sideToUse(w);
  if (side === undefined) return;
  const m = side.file.model;
  const view = keep(side, readableOf(side));
  const want = m.pending();
  if (view.length !== want.length || view.some((b, i) => b !== want[i])) {
    mismatch(`readable() of side ${side.id} is not the pending data`);
  }
  const n = r.int(view.length + 1);
  w.call(
    `consume(${n}) of side ${side.id} of ring ${side.file.id}`,
    OK,
    () => side.ring.consume(n),
  );
  m.consume(n);
  verifyFile(w, side.file, "after consume");
}

/** Committing or consuming too much or not a count, writing not bytes. */
export function opMisuse(w: RingWorld): void {
  const r = w.rng;
  const side = sideToUse(w);
  if (side === undefined) return;
  const m = side.file.model;
  const used = m.used()!;
  const [bad, error] = r.pick(BAD_NUMBERS);
  const over = (limit: number) => limit + r.range(1, m.capacity + 1);
  const ring = side.ring;
  const what = `side ${side.id} of ring ${side.file.id}`;
  switch (r.int(6)) {
    case 0: {
      const n = over(m.capacity - used);
      w.call(
        `commit(${n}) past free, ${what}`,
        fails("RangeError"),
        () => ring.commit(n),
      );
      break;
    }
    case 1: {
      const n = over(used);
      w.call(
        `consume(${n}) past available, ${what}`,
        fails("RangeError"),
        () => ring.consume(n),
      );
      break;
    }
    case 2:
      w.call(
        `commit(${fmt(bad)}), ${what}`,
        fails(error),
        () => ring.commit(bad as number),
      );
      break;
    case 3:
      w.call(
        `consume(${fmt(bad)}), ${what}`,
        fails(error),
        () => ring.consume(bad as number),
      );
      break;
    case 4: {
      const value = r.pick(BAD_BUFFERS);
      w.call(
        `write(${fmt(value)}), ${what}`,
        fails("TypeError"),
        () => ring.write(value as Uint8Array),
      );
      break;
    }
    default: {
      const value = r.pick(BAD_BUFFERS);
      w.call(
        `read(${fmt(value)}), ${what}`,
        fails("TypeError"),
        () => ring.read(value as Uint8Array),
      );
    }
  }
  verifyFile(w, side.file, "after a refused call");
}

/**
 * waitReadable / waitWritable: resolved at once when there is something
 * to do; otherwise ended by a side of the same ring (this one included)
 * writing or consuming, or rejected by closing the waiting side.
 */
export async function opWait(w: RingWorld): Promise<void> {
  const r = w.rng;
  const side = sideToUse(w);
  if (side === undefined) return;
  const m = side.file.model;
  const readable = r.chance(0.5);
  const amount = () => readable ? m.used()! : m.capacity - m.used()!;
  const waiters = r.range(1, 2);
  const what = `${
    readable ? "waitReadable" : "waitWritable"
  }() ×${waiters}, side ${side.id} of ring ${side.file.id}`;
  const waits = Array.from(
    { length: waiters },
    () => later(readable ? side.ring.waitReadable() : side.ring.waitWritable()),
  );
  let expect: Expect = OK;
  if (amount() === 0) {
    if (r.chance(0.25)) {
      w.note(`${what}: closing the waiting side`);
      side.ring.close();
      w.forgetSide(side);
      expect = fails("EBADF");
    } else {
      const other = r.pick(side.file.sides);
      const n = r.range(1, m.capacity);
      w.note(
        `${what}: side ${other.id} ${readable ? "writes" : "consumes"} ${n}`,
      );
      if (readable) {
        const data = r.bytes(n);
        other.ring.write(data);
        m.writeAt(m.freeStart(), data);
        m.commit(n);
      } else {
        other.ring.consume(n);
        m.consume(n);
      }
    }
  }
  for (const wait of waits) {
    const out: Outcome<number> = await w.callAsync(what, expect, () => wait);
    if (out.ok && out.value !== amount()) {
      mismatch(`${what}: resolved with ${out.value}, model says ${amount()}`);
    }
  }
  if (w.files.includes(side.file)) verifyFile(w, side.file, `after ${what}`);
}
