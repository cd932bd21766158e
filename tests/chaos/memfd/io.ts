/**
 * Memfd content steps: resize, write and read (sync and async, from every
 * kind of buffer), seal and requireSeals.
 * @module
 */

import type { Memfd } from "../../../mod.ts";
import { type Expect, fails, mismatch, OK } from "../expect.ts";
import { fmt, q } from "../format.ts";
import { bufferContent, genBuffer, genLength, genPos, genSize } from "./gen.ts";
import { opCreate } from "./lifecycle.ts";
import { MAX_SAFE, SEAL_BITS, sealNames } from "./model.ts";
import { predictResize, predictSeal, predictTransfer } from "./predict.ts";
import { verifyFile } from "./verify.ts";
import type { MemfdWorld } from "./world.ts";

export function opResize(w: MemfdWorld): void {
  const h = w.pickHandle();
  if (h === undefined) return opCreate(w);
  const size = w.rng.chance(0.15) ? h.file.mappedEnd : genSize(w.rng, h.file);
  const out = w.call(
    `resize(fd ${h.fd} ${q(h.file.name)} ${h.file.size} -> ${size})`,
    predictResize(h, size),
    () => h.memfd.resize(size),
  );
  if (out.ok) h.file.resize(size);
  verifyFile(w, h.file, "after resize", [Math.min(size, h.file.size), 64]);
}

type Io = (bytes: Uint8Array, position?: number) => number | Promise<number>;

function ioOf(m: Memfd, write: boolean, async: boolean): Io {
  if (write) return async ? m.writeAsync.bind(m) : m.write.bind(m);
  return async ? m.readAsync.bind(m) : m.read.bind(m);
}

/** A write or read at a random position, the position sometimes left out. */
export async function opTransfer(
  w: MemfdWorld,
  write: boolean,
  async: boolean,
): Promise<void> {
  const r = w.rng;
  const h = w.pickHandle();
  if (h === undefined) return opCreate(w);
  const pos = genPos(r, h.file.size);
  const buf = genBuffer(w, genLength(r), h.file, pos);
  const n = buf.bytes.length;
  const before = bufferContent(buf);
  const omit = pos === 0 && r.chance(0.5);
  const p = predictTransfer(h, write, pos, n);
  let expect: Expect = p;
  // Nonblocking FFI calls refuse resizable buffers (after the range check).
  if (async && buf.kind === "resizable" && n > 0) {
    expect = write && pos + n > MAX_SAFE
      ? fails("RangeError")
      : fails("TypeError");
  }
  const name = `${write ? "write" : "read"}${async ? "Async" : ""}`;
  const what = `${name}(fd ${h.fd} ${
    q(h.file.name)
  }, ${buf.kind} ${n}, @${pos})`;
  const io = ioOf(h.memfd, write, async);
  const f = () => omit ? io(buf.bytes) : io(buf.bytes, pos);
  const out = async
    ? await w.callAsync(what, expect, f as () => Promise<number>)
    : w.call(what, expect, f as () => number);
  if (out.ok && out.value !== p.count) {
    mismatch(
      `${what}: moved ${out.value} bytes, model says ${p.count} (size ${h.file.size})`,
    );
  }
  if (write) {
    if (out.ok) h.file.write(pos, before.subarray(0, out.value));
    verifyFile(w, h.file, `after ${what}`, [pos, n]);
    return;
  }
  const want = h.file.read(pos, p.count);
  if (out.ok && buf.source) buf.source.live.model.write(buf.source.start, want);
  const got = buf.bytes;
  for (let i = 0; i < n; i++) {
    const expected = out.ok && i < p.count ? want[i] : before[i];
    if (got[i] !== expected) {
      mismatch(
        `${what}: buffer byte ${i} is ${got[i]}, model says ${expected}`,
      );
    }
  }
  if (buf.source) verifyFile(w, buf.source.live.model.file, `after ${what}`);
}

export function opSeal(w: MemfdWorld): void {
  const r = w.rng;
  const h = w.pickHandle();
  if (h === undefined) return opCreate(w);
  const names = Object.keys(SEAL_BITS);
  const chosen: string[] = [];
  const k = r.weighted({ none: 0.3, one: 6, two: 2, three: 1 });
  const count = { none: 0, one: 1, two: 2, three: 3 }[k];
  for (let i = 0; i < count; i++) {
    chosen.push(r.weighted({
      "seal": 0.6,
      "shrink": 1,
      "grow": 1,
      "write": 1.5,
      "future-write": 1,
      "exec": 1,
    }));
  }
  let bits = 0;
  for (const n of chosen) bits |= SEAL_BITS[n]!; // chosen from its keys
  const p = predictSeal(h, bits);
  const what = `seal(fd ${h.fd} ${q(h.file.name)} {${
    sealNames(h.file.seals)
  }} + ${fmt(chosen)})`;
  const out = w.call(what, p, () => h.memfd.seal(...(chosen as ["seal"])));
  if (out.ok) {
    h.file.seals = p.seals;
    const got = [...out.value].sort().join(",");
    const want = sealNames(p.seals).sort().join(",");
    if (got !== want) {
      mismatch(`${what}: returned {${got}}, model says {${want}}`);
    }
  }
  // requireSeals agrees with the set.
  const ask = r.pick(names);
  w.call(
    `requireSeals(${ask})`,
    h.file.seals & SEAL_BITS[ask]! ? OK : fails("EPERM"),
    () => h.memfd.requireSeals(ask as "seal"),
  );
  verifyFile(w, h.file, `after ${what}`);
}
