/**
 * Ring lifecycle steps: create (any capacity, wrong ones too), open the
 * other side through a reopened, duplicated or shared memfd, open what is
 * not a ring (or a ring made by hand, as another process would), close
 * sides and memfds, and use closed sides.
 * @module
 */

import { Memfd, RingBuffer } from "../../../mod.ts";
import { type Expect, fails, mismatch, OK } from "../expect.ts";
import { fmt } from "../format.ts";
import { BAD_NUMBERS } from "../hostile.ts";
import { MAGIC, MAX_CAPACITY, RingModel, SLOT, VERSION } from "./model.ts";
import { verifyFile } from "./verify.ts";
import { kernel } from "../../support/kernel.ts";
import {
  MAX_FILES,
  MAX_MEMFDS,
  MAX_SIDES,
  type RingFile,
  type RingWorld,
  type Side,
} from "./world.ts";

function newFile(w: RingWorld, model: RingModel): RingFile {
  const file = { id: w.nextId++, model, sides: [], memfds: [] };
  w.files.push(file);
  return file;
}

export function opCreate(w: RingWorld): void {
  const r = w.rng;
  if (w.files.length >= MAX_FILES) return opCloseFile(w);
  const page = w.page;
  let capacity: unknown;
  let expect: Expect = OK;
  switch (
    r.weighted({ small: 4, pages: 4, odd: 2, bigger: 1, bad: 1, edge: 0.5 })
  ) {
    case "small":
      capacity = r.range(1, page);
      break;
    case "pages":
      capacity = page * r.range(1, 4);
      break;
    case "odd":
      capacity = r.range(1, 5 * page);
      break;
    case "bigger":
      capacity = page * r.range(5, 16);
      break;
    case "bad": {
      const [value, error] = r.pick(BAD_NUMBERS);
      capacity = value;
      expect = fails(error);
      break;
    }
    default:
      capacity = r.pick([0, MAX_CAPACITY + 1, MAX_CAPACITY + page, 2 ** 31]);
      expect = fails("RangeError");
  }
  const out = w.call(
    `RingBuffer.create(${fmt(capacity)})`,
    expect,
    () => RingBuffer.create(capacity as number),
  );
  if (!out.ok) return;
  const ring = out.value;
  const cap = Math.ceil((capacity as number) / page) * page;
  const file = newFile(w, new RingModel(cap, page));
  w.addSide(file, ring, true);
  if (ring.capacity !== cap || ring.memfd.size !== page + cap) {
    mismatch(
      `create(${capacity}): capacity ${ring.capacity}, memfd ${ring.memfd.size} bytes; want ${cap}`,
    );
  }
  if (ring.memfd.name !== "ring" || ring.closed) {
    mismatch(`create: memfd '${ring.memfd.name}', closed ${ring.closed}`);
  }
  verifyFile(w, file, "after create");
}

/** `RingBuffer.open` on a memfd of `file`, checked against its header. */
function openSide(
  w: RingWorld,
  file: RingFile,
  memfd: Memfd,
  how: string,
  expect?: Expect,
): Side | undefined {
  const refusal = file.model.openRefusal();
  const out = w.call(
    `RingBuffer.open(${how} memfd of ring ${file.id})`,
    refusal ? fails("EINVAL") : expect ?? OK,
    () => RingBuffer.open(memfd),
  );
  if (!out.ok) {
    if (refusal) w.lastErrorSays(/is not a ring buffer/, "open");
    return undefined;
  }
  const side = w.addSide(file, out.value, false);
  if (side.ring.capacity !== file.model.capacity || side.ring.memfd !== memfd) {
    mismatch(`open: capacity ${side.ring.capacity} or memfd is not the ring's`);
  }
  return side;
}

export function opOpen(w: RingWorld): void {
  const r = w.rng;
  const file = w.pickFile();
  if (file === undefined) return opCreate(w);
  const memfds = w.memfdsOf(file);
  if (memfds.length === 0 || file.sides.length >= MAX_SIDES) {
    return opCloseSide(w);
  }
  const base = r.pick(memfds);
  const how = r.weighted({
    reopened: file.memfds.length < MAX_MEMFDS ? 3 : 0,
    duplicated: file.memfds.length < MAX_MEMFDS ? 2 : 0,
    shared: 2,
    readOnly: 1,
  });
  if (how === "shared") {
    openSide(w, file, base, how);
    verifyFile(w, file, "after open");
    return;
  }
  const memfd = how === "duplicated"
    ? base.dup()
    : Memfd.open(base.path, { write: how === "reopened" });
  if (how === "readOnly") {
    // Read-only memory is never handed out writable: the shared map fails.
    openSide(w, file, memfd, how, fails("EACCES"));
    memfd.close();
    return;
  }
  file.memfds.push(memfd);
  openSide(w, file, memfd, how);
  // The memfd stays the caller's: closing it leaves the ring working.
  if (r.chance(0.3)) {
    w.note(`close the ${how} memfd of ring ${file.id} at once`);
    memfd.close();
    w.forgetMemfd(file, memfd);
  }
  verifyFile(w, file, "after open");
}

/**
 * A ring memfd made by hand, as another process could: a sound header or
 * one with a field wrong, sometimes sealed against writing, sometimes of a
 * capacity too large for int32 indices.
 */
export function opHandmade(w: RingWorld): void {
  const r = w.rng;
  if (w.files.length >= MAX_FILES) return opCloseFile(w);
  const page = w.page;
  const cap = r.chance(0.1) ? MAX_CAPACITY + page : page * r.range(1, 3);
  const model = new RingModel(cap, page);
  const flaw = r.weighted({
    none: 4,
    magic: 1,
    version: 1,
    capacity: 1,
    page: 1,
    short: 1,
    ragged: 1,
  });
  if (flaw === "short") model.size = page;
  else if (flaw === "ragged") model.size += r.range(1, page - 1);
  else if (flaw !== "none") {
    const slot = SLOT[flaw];
    model.header[slot] = r.pick([0, -1, model.header[slot]! + 1, 2 ** 31 - 1]);
  }
  const seal = r.weighted({
    none: 4,
    write: 1,
    // Before 5.1 the kernel has no such seal (probed).
    "future-write": kernel.futureWrite ? 1 : 0,
  });
  const memfd = Memfd.create("handmade", { size: model.size });
  memfd.write(new Uint8Array(model.header.buffer), 0);
  if (seal !== "none") memfd.seal(seal);
  const file = newFile(w, model);
  file.memfds.push(memfd);
  w.note(
    `handmade ring ${file.id}: capacity ${cap}, flaw ${flaw}, seal ${seal} ` +
      `(magic ${MAGIC.toString(16)} v${VERSION})`,
  );
  // A write seal forbids the shared mappings a ring needs.
  const side = openSide(
    w,
    file,
    memfd,
    "handmade",
    seal === "none" ? OK : fails("EPERM"),
  );
  if (side === undefined) {
    memfd.close();
    w.forgetMemfd(file, memfd);
    return;
  }
  verifyFile(w, file, "after open");
}

/** Opening what is not a usable memfd: not a Memfd, or a closed one. */
export function opOpenBad(w: RingWorld): void {
  const r = w.rng;
  if (r.chance(0.5)) {
    const value = r.pick<unknown>([null, undefined, 42, "ring", {}, []]);
    w.call(
      `RingBuffer.open(${fmt(value)})`,
      fails("TypeError"),
      () => RingBuffer.open(value as Memfd),
    );
    return;
  }
  const closed = w.closedSides.find((s) => s.owner)?.ring.memfd ??
    Memfd.create("closed");
  closed.close();
  w.call(
    `RingBuffer.open(closed memfd)`,
    fails("EBADF"),
    () => RingBuffer.open(closed),
  );
  w.lastErrorSays(/ is closed/, "open(closed memfd)");
}

function closeSide(w: RingWorld, side: Side): void {
  w.call(
    `close(side ${side.id} of ring ${side.file.id})`,
    OK,
    () => side.ring.close(),
  );
  w.forgetSide(side);
  if (!side.ring.closed) mismatch(`close: side ${side.id} is not closed`);
  for (const v of side.views) {
    if (v.length !== 0) mismatch(`close: a view kept ${v.length} bytes`);
  }
  if (side.owner && !side.ring.memfd.closed) {
    mismatch(`close: the ring's own memfd is still open`);
  }
  w.call(`close() again`, OK, () => side.ring.close());
}

export function opCloseSide(w: RingWorld): void {
  const side = w.pickSide();
  if (side === undefined) return;
  closeSide(w, side);
  if (w.files.includes(side.file)) verifyFile(w, side.file, "after close");
}

/** Closes one of the run's own memfds of a ring; its sides go on. */
export function opCloseMemfd(w: RingWorld): void {
  const file = w.pickFile();
  if (file === undefined || file.memfds.length === 0) return opCloseSide(w);
  const memfd = w.rng.pick(file.memfds);
  w.call(
    `close(memfd fd ${memfd.fd} of ring ${file.id})`,
    OK,
    () => memfd.close(),
  );
  w.forgetMemfd(file, memfd);
  if (w.files.includes(file)) verifyFile(w, file, "after memfd close");
}

/** Closes every side and memfd of a ring. */
export function opCloseFile(w: RingWorld): void {
  const file = w.pickFile();
  if (file === undefined) return;
  for (const side of [...file.sides]) closeSide(w, side);
  for (const memfd of [...file.memfds]) {
    memfd.close();
    w.forgetMemfd(file, memfd);
  }
}

/** Every call on a closed side: EBADF saying it is closed. */
const ON_CLOSED: readonly [string, (r: RingBuffer) => unknown][] = [
  ["available", (r) => r.available],
  ["free", (r) => r.free],
  ["writable()", (r) => r.writable()],
  ["readable()", (r) => r.readable()],
  ["commit(0)", (r) => r.commit(0)],
  ["consume(0)", (r) => r.consume(0)],
  ["write(1 byte)", (r) => r.write(new Uint8Array(1))],
  ["read(1 byte)", (r) => r.read(new Uint8Array(1))],
];
const ON_CLOSED_ASYNC: readonly [
  string,
  (r: RingBuffer) => Promise<unknown>,
][] = [
  ["waitReadable()", (r) => r.waitReadable()],
  ["waitWritable()", (r) => r.waitWritable()],
];

export async function opUseClosed(w: RingWorld): Promise<void> {
  const r = w.rng;
  if (w.closedSides.length === 0) return opCloseSide(w);
  const side = r.pick(w.closedSides);
  const what = `closed side ${side.id}.`;
  const i = r.int(ON_CLOSED.length + ON_CLOSED_ASYNC.length);
  if (i < ON_CLOSED.length) {
    const [call, f] = ON_CLOSED[i]!; // i < ON_CLOSED.length
    w.call(what + call, fails("EBADF"), () => f(side.ring));
  } else {
    const [call, f] = ON_CLOSED_ASYNC[i - ON_CLOSED.length]!; // i is below both
    await w.callAsync(what + call, fails("EBADF"), () => f(side.ring));
  }
  w.lastErrorSays(/ is closed/, what);
  if (side.ring.capacity !== side.file.model.capacity || !side.ring.closed) {
    mismatch(
      `${what}: capacity ${side.ring.capacity}, closed ${side.ring.closed}`,
    );
  }
}
