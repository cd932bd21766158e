/**
 * Checks of the ring suite's state against the model: what every live
 * side reports (available, free, the bytes of its views), the raw bytes of
 * the memfd (header slots and data), the native mapping registry and the
 * memfds this process holds.
 * @module
 */

import { dm_live_mappings } from "../../../src/native.ts";
import { type Expect, fails, mismatch } from "../expect.ts";
import { openMemfds } from "../system.ts";
import {
  readableOf,
  type RingFile,
  type RingWorld,
  type Side,
  writableOf,
} from "./world.ts";

/**
 * What any call on `side` meets before its own argument checks: `EBADF`
 * once closed, `EINVAL` when the header's indices are corrupt.
 */
export function gate(side: Side): Expect | undefined {
  if (side.closed) return fails("EBADF");
  if (side.file.model.used() === undefined) return fails("EINVAL");
  return undefined;
}

function sameBytes(got: Uint8Array, want: Uint8Array, what: string): void {
  if (got.length !== want.length) {
    mismatch(`${what}: ${got.length} bytes, model says ${want.length}`);
  }
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) {
      mismatch(`${what}: byte ${i} is ${got[i]}, model says ${want[i]}`);
    }
  }
}

/** Side `side` (of a file whose indices are sound) agrees with the model. */
export function verifySide(side: Side, why: string): void {
  const m = side.file.model;
  const used = m.used()!;
  const what = `${why}: side ${side.id} of ring ${side.file.id}`;
  const { available, free } = side.ring;
  if (available !== used || free !== m.capacity - used) {
    mismatch(
      `${what}: available ${available}, free ${free}; model says ${used}, ${
        m.capacity - used
      }`,
    );
  }
  sameBytes(readableOf(side), m.pending(), `${what} readable()`);
  sameBytes(
    writableOf(side),
    m.dataAt(m.freeStart(), m.capacity - used),
    `${what} writable()`,
  );
}

/** The memfd's size and raw bytes, read through any `Memfd` of it. */
export function verifyRaw(w: RingWorld, file: RingFile, why: string): void {
  const memfd = w.memfdsOf(file)[0];
  if (memfd === undefined) return;
  const m = file.model;
  if (memfd.size !== m.size) {
    mismatch(`${why}: ring ${file.id} size ${memfd.size}, model ${m.size}`);
  }
  const header = new Int32Array(m.page / 4);
  memfd.read(new Uint8Array(header.buffer), 0);
  for (let i = 0; i < header.length; i++) {
    if (ROLE_SLOTS.has(i)) continue;
    if (header[i] !== m.header[i]) {
      mismatch(
        `${why}: ring ${file.id} header slot ${i} is ${header[i]}, model says ${
          m.header[i]
        }`,
      );
    }
  }
  const data = new Uint8Array(m.capacity);
  memfd.read(data, m.page);
  sameBytes(data, m.data, `${why}: ring ${file.id} data`);
}

/**
 * The pid, fd, start time and closed flag each side records when it first
 * acts as producer or consumer, or closes (for the other side's liveness
 * checks): which side claims a role first is up to the calls, so the model
 * leaves these slots alone.
 */
const ROLE_SLOTS = new Set([19, 20, 21, 22, 34, 35, 36, 37]);
const RING_NAMES = /^\/memfd:(ring|handmade) \(deleted\)$/;

export function verifyFile(w: RingWorld, file: RingFile, why: string): void {
  for (const side of file.sides) verifySide(side, why);
  verifyRaw(w, file, why);
}

/** Every file, two mappings a live side, and exactly the memfds expected. */
export function verifyAll(w: RingWorld, why: string): void {
  let sides = 0;
  const fds = new Set<number>();
  for (const file of w.files) {
    verifyFile(w, file, why);
    sides += file.sides.length;
    for (const memfd of w.memfdsOf(file)) fds.add(memfd.fd);
  }
  const native = dm_live_mappings();
  if (native !== 2 * sides) {
    mismatch(
      `${why}: the native registry holds ${native} mappings, ${sides} live sides need ${
        2 * sides
      }`,
    );
  }
  const open = openMemfds();
  for (const fd of fds) {
    if (!open.delete(fd)) mismatch(`${why}: fd ${fd} of a ring is not open`);
  }
  // Each live side holds one fd of its ring's memfd of its own: the mark of
  // life it names in the header for the other side's waits.
  const anchors = [...open].filter(([, link]) => RING_NAMES.test(link));
  if (anchors.length !== sides) {
    mismatch(
      `${why}: ${anchors.length} ring fds held by sides, ${sides} live sides`,
    );
  }
  for (const [fd] of anchors) open.delete(fd);
  if (open.size > 0) {
    mismatch(`${why}: memfds open that nothing owns: ${[...open].join("; ")}`);
  }
}
