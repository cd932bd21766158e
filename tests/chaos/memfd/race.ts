/**
 * Race steps: close() and unmap() called while a readAsync/writeAsync is
 * in flight. The fd must stay open, and the pages mapped, until the call
 * completes; views detach at once.
 * @module
 */

import { dm_live_mappings } from "../../../src/native.ts";
import { fails, mismatch, type Outcome } from "../expect.ts";
import { q } from "../format.ts";
import { openMemfds } from "../system.ts";
import { genPos, overlaps } from "./gen.ts";
import { opCreate } from "./lifecycle.ts";
import { opMap } from "./mapping.ts";
import { MAX_SAFE, WRITE } from "./model.ts";
import { predictSeal, predictTransfer } from "./predict.ts";
import { verifyFile } from "./verify.ts";
import type { MemfdWorld } from "./world.ts";

/** A finished racing call moved what the model said it would. */
function checkCount(what: string, out: Outcome<number>, count: number): void {
  if (out.ok && out.value !== count) {
    mismatch(`${what}: transferred ${out.value}, model says ${count}`);
  }
}

/** close() while a readAsync/writeAsync is in flight: deferred. */
export async function opRaceClose(w: MemfdWorld): Promise<void> {
  const r = w.rng;
  const h = w.pickHandle();
  if (h === undefined) return opCreate(w);
  const write = r.chance(0.5);
  const n = r.range(1, 5000);
  // A call refused before it starts (RangeError) races nothing.
  const pos = Math.min(genPos(r, h.file.size), MAX_SAFE - n);
  const data = r.bytes(n);
  const p = predictTransfer(h, write, pos, n);
  const what = `${write ? "writeAsync" : "readAsync"}(fd ${h.fd} ${
    q(h.file.name)
  }, ${n}, @${pos}) racing close()`;
  w.note(what);
  const fd = h.fd;
  const promise = write
    ? h.memfd.writeAsync(data, pos)
    : h.memfd.readAsync(data, pos);
  h.memfd.close();
  if (!h.memfd.closed || h.memfd.fd !== -1) {
    mismatch(`${what}: close() did not mark it closed`);
  }
  if (!openMemfds().has(fd)) {
    mismatch(`${what}: fd ${fd} was closed while a call used it`);
  }
  w.call(`size while closing`, fails("EBADF"), () => h.memfd.size);
  const out = await w.callAsync(what, p, () => promise);
  if (openMemfds().has(fd)) {
    mismatch(`${what}: fd ${fd} is still open after the call completed`);
  }
  w.forgetHandle(h);
  checkCount(what, out, p.count);
  if (out.ok) {
    if (write) h.file.write(pos, data.subarray(0, p.count));
    else {
      const want = h.file.read(pos, p.count);
      for (let i = 0; i < p.count; i++) {
        if (data[i] !== want[i]) {
          mismatch(`${what}: byte ${i} is ${data[i]}, want ${want[i]}`);
        }
      }
    }
  }
  verifyFile(w, h.file, `after ${what}`);
}

/** unmap() while a readAsync/writeAsync uses the mapping's memory. */
export async function opRaceUnmap(w: MemfdWorld): Promise<void> {
  const r = w.rng;
  const live = w.pickLive();
  const h = w.pickHandle();
  if (live === undefined || h === undefined) return opMap(w);
  const m = live.model;
  const limit = m.ring ? m.length : m.viewLength;
  const n = Math.min(limit, r.range(1, 8192));
  const start = r.int(m.viewLength - n + 1);
  const pos = Math.min(genPos(r, h.file.size), MAX_SAFE - n);
  if (overlaps(live, start, n, h.file, pos)) return;
  const write = r.chance(0.5);
  const view = live.mapping.bytes.subarray(start, start + n);
  const content = m.read(start, n);
  const p = predictTransfer(h, write, pos, n);
  const what = `${write ? "writeAsync" : "readAsync"}(fd ${h.fd} ${
    q(h.file.name)
  }, mapping ${m.id} [${start}, +${n}), @${pos}) racing unmap()`;
  w.note(what);
  const before = dm_live_mappings();
  const promise = write
    ? h.memfd.writeAsync(view, pos)
    : h.memfd.readAsync(view, pos);
  live.mapping.unmap();
  for (const v of [view, ...live.views]) {
    if (v.length !== 0) {
      mismatch(`${what}: a view kept ${v.length} bytes after unmap()`);
    }
  }
  if (dm_live_mappings() !== before) {
    mismatch(`${what}: pages were unmapped while a call still used them`);
  }
  // The mapping is still there for the kernel: "write" stays EBUSY.
  const owner = w.handleOf(m.file);
  if (m.access === "shared" && owner) {
    const seal = predictSeal(owner, WRITE);
    const out = w.call(
      `seal("write") of ${q(m.file.name)} while pinned`,
      seal,
      () => owner.memfd.seal("write"),
    );
    if (out.ok) owner.file.seals = seal.seals;
  }
  const out = await w.callAsync(what, p, () => promise);
  w.forgetMapping(live);
  if (dm_live_mappings() !== before - 1) {
    mismatch(`${what}: the mapping was not unmapped when the call completed`);
  }
  checkCount(what, out, p.count);
  if (out.ok) {
    if (write) h.file.write(pos, content.subarray(0, p.count));
    else m.write(start, h.file.read(pos, p.count));
  }
  verifyFile(w, h.file, `after ${what}`);
  verifyFile(w, m.file, `after ${what}`);
}
