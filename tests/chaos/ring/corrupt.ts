/**
 * Corruption steps: another party rewrites a ring's header through a third
 * mapping of the memfd (or tries to resize the memfd), the suite probes open() and
 * the live sides, then puts the header back. Every probe must give the
 * model's answer: a clear `EINVAL` for what cannot be a ring or for
 * indices out of bounds, plain behaviour for indices that are merely
 * moved, and never a crash or a view past the data.
 * @module
 */

import { type Expect, fails, mismatch, OK } from "../expect.ts";
import type { Rng } from "../rng.ts";
import { opCreate } from "./lifecycle.ts";
import { RingBuffer } from "../../../mod.ts";
import { type RingModel, SLOT, type SlotName } from "./model.ts";
import { gate, verifyFile } from "./verify.ts";
import {
  MAX_SIDES,
  pastLimit,
  readableOf,
  type RingFile,
  type RingWorld,
  type Side,
  writableOf,
} from "./world.ts";

/** A value another process might leave in `slot`. */
function genSlotValue(r: Rng, m: RingModel, slot: SlotName): number {
  const now = m.header[SLOT[slot]]!; // SLOT indexes the header page
  if (slot === "head" || slot === "tail") {
    switch (
      r.weighted({ inside: 5, wrap: 1, past: 1, negative: 1, max: 0.5 })
    ) {
      case "inside":
        return r.int(m.wrap);
      case "wrap":
        return m.wrap;
      case "past":
        return m.wrap + r.int(100_000);
      case "negative":
        return -r.range(1, 2 ** 31);
      default:
        return 2 ** 31 - 1;
    }
  }
  if (slot === "writerWaiting" || slot === "readerWaiting") {
    return r.pick([1, 2, 7, -1]);
  }
  return r.pick([0, -1, now + 1, now - 1, r.u32() | 0]);
}

/** One call on `side` while the header is as the model says. */
function probeSide(w: RingWorld, side: Side): void {
  const r = w.rng;
  const m = side.file.model;
  const used = m.used();
  const free = used === undefined ? 0 : m.capacity - used;
  const gated = gate(side);
  const expect = (ok: boolean): Expect =>
    gated ?? (ok ? OK : fails("RangeError"));
  const what = `side ${side.id} of ring ${side.file.id}`;
  const check = (got: number, want: number, call: string) => {
    if (got !== want) mismatch(`${call}, ${what}: ${got}, model says ${want}`);
  };
  switch (r.int(8)) {
    case 0: {
      const out = w.call(
        `available, ${what}`,
        expect(true),
        () => side.ring.available,
      );
      if (out.ok) check(out.value, used!, "available");
      break;
    }
    case 1: {
      const out = w.call(`free, ${what}`, expect(true), () => side.ring.free);
      if (out.ok) check(out.value, free, "free");
      break;
    }
    case 2: {
      const out = w.call(
        `writable(), ${what}`,
        expect(true),
        () => writableOf(side),
      );
      if (out.ok) check(out.value.length, free, "writable().length");
      break;
    }
    case 3: {
      const out = w.call(
        `readable(), ${what}`,
        expect(true),
        () => readableOf(side),
      );
      if (out.ok) check(out.value.length, used!, "readable().length");
      break;
    }
    case 4: {
      const n = r.pick([0, 1, free, free + 1]);
      const out = w.call(
        `commit(${n}), ${what}`,
        gated ??
          (n <= free ? OK : fails(pastLimit(side.writeOffer, n))),
        () => side.ring.commit(n),
      );
      if (out.ok) {
        m.commit(n);
        side.writeOffer = undefined;
      }
      break;
    }
    case 5: {
      const n = r.pick([0, 1, used ?? 0, (used ?? 0) + 1]);
      const out = w.call(
        `consume(${n}), ${what}`,
        gated ??
          (n <= (used ?? 0) ? OK : fails(pastLimit(side.readOffer, n))),
        () => side.ring.consume(n),
      );
      if (out.ok) {
        m.consume(n);
        side.readOffer = undefined;
      }
      break;
    }
    case 6: {
      const data = r.bytes(r.range(1, 64));
      const out = w.call(
        `write(${data.length}), ${what}`,
        expect(true),
        () => side.ring.write(data),
      );
      if (out.ok) {
        const n = Math.min(free, data.length);
        check(out.value, n, "write");
        m.writeAt(m.freeStart(), data.subarray(0, n));
        m.commit(n);
        if (n > 0) side.writeOffer = undefined;
      }
      break;
    }
    default: {
      const into = new Uint8Array(r.range(1, 64));
      const out = w.call(
        `read(${into.length}), ${what}`,
        expect(true),
        () => side.ring.read(into),
      );
      if (out.ok) {
        check(out.value, Math.min(used!, into.length), "read");
        m.consume(out.value);
        if (out.value > 0) side.readOffer = undefined;
      }
    }
  }
  if (gated?.errors[0] === "EINVAL") {
    w.lastErrorSays(/is corrupt/, `${what} with a corrupt header`);
  }
}

/** RingBuffer.open of the file as its header and size now stand. */
function probeOpen(w: RingWorld, file: RingFile): void {
  if (file.sides.length >= MAX_SIDES) return;
  const memfd = w.rng.pick(w.memfdsOf(file));
  const refusal = file.model.openRefusal();
  const out = w.call(
    `RingBuffer.open(ring ${file.id}${refusal ? `, bad ${refusal}` : ""})`,
    refusal ? fails("EINVAL") : OK,
    () => RingBuffer.open(memfd),
  );
  if (out.ok) w.addSide(file, out.value, false);
  else w.lastErrorSays(/is not a ring buffer/, `open with a bad ${refusal}`);
}

function probe(w: RingWorld, file: RingFile): void {
  const n = w.rng.range(1, 4);
  for (let i = 0; i < n; i++) {
    const side = w.pickSide(file);
    if (side === undefined || w.rng.chance(0.3)) probeOpen(w, file);
    else probeSide(w, side);
  }
}

/** Rewrites header slots through a third mapping, probes, puts them back. */
function corruptHeader(w: RingWorld, file: RingFile): void {
  const r = w.rng;
  const m = file.model;
  const mapping = r.pick(w.memfdsOf(file)).map({ offset: 0, length: w.page });
  const slots = new Int32Array(mapping.buffer, 0, w.page / 4);
  const saved = m.header.slice();
  const names = Object.keys(SLOT) as SlotName[];
  const chosen = [r.pick(names), ...(r.chance(0.3) ? [r.pick(names)] : [])];
  for (const name of chosen) {
    const value = genSlotValue(r, m, name);
    Atomics.store(slots, SLOT[name], value);
    m.header[SLOT[name]] = value;
  }
  w.note(
    `corrupt ring ${file.id}: ${
      chosen.map((n) => `${n}=${m.header[SLOT[n]]}`).join(", ")
    }`,
  );
  probe(w, file);
  // Indices still in bounds are just a moved ring: leave them.
  const keep: SlotName[] = m.used() === undefined ? [] : ["head", "tail"];
  for (const name of names) {
    if (keep.includes(name)) continue;
    Atomics.store(slots, SLOT[name], saved[SLOT[name]]!); // a header copy
    m.header[SLOT[name]] = saved[SLOT[name]]!;
  }
  mapping.unmap();
}

/**
 * Tries to grow the memfd past what its header says and to cut it: a
 * ring's memfd is sealed against both ("shrink" and "grow", set by
 * create() or added by open()), so each is refused (EBUSY first for a cut
 * into live sides' mappings) and the ring is as it was.
 */
function corruptSize(w: RingWorld, file: RingFile): void {
  const r = w.rng;
  const m = file.model;
  const memfd = r.pick(w.memfdsOf(file));
  const size = m.size;
  const grown = size +
    (r.chance(0.5) ? w.page * r.range(1, 3) : r.range(1, w.page - 1));
  w.call(
    `resize(ring ${file.id} to ${grown})`,
    fails("EPERM"),
    () => memfd.resize(grown),
  );
  const cut = size - r.range(1, w.page);
  w.call(
    `resize(ring ${file.id} to ${cut})`,
    // The sides' mappings reach the end of the data.
    fails(file.sides.length > 0 ? "EBUSY" : "EPERM"),
    () => memfd.resize(cut),
  );
  probe(w, file);
}

export function opCorrupt(w: RingWorld): void {
  const files = w.files.filter((f) => w.memfdsOf(f).length > 0);
  if (files.length === 0) return opCreate(w);
  const file = w.rng.pick(files);
  if (w.rng.chance(0.25)) corruptSize(w, file);
  else corruptHeader(w, file);
  verifyFile(w, file, "after the header was put back");
}
