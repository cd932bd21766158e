/**
 * Mapping steps: map (shared, private, populated, any offset and length),
 * mapRing, writes through live views, pokes at stale views, unmap, sync.
 * @module
 */

import type { Mapping } from "../../../mod.ts";
import { type Expect, fails, mismatch, OK, okOr } from "../expect.ts";
import { fmt, q } from "../format.ts";
import { opCreate } from "./lifecycle.ts";
import { MappingModel, MAX_SAFE, PAGE } from "./model.ts";
import { predictMmap, rangeRefused } from "./predict.ts";
import { verifyFile, verifyMapping } from "./verify.ts";
import { type Handle, MAX_MAPPINGS, type MemfdWorld } from "./world.ts";
import { emulated } from "../../support/emulation.ts";

/**
 * The handle a new mapping goes through; none when the step went to
 * making room (an unmap) or making a memfd to map instead.
 */
function handleToMap(w: MemfdWorld): Handle | undefined {
  if (w.maps.length >= MAX_MAPPINGS) {
    opUnmap(w);
    return undefined;
  }
  const h = w.pickHandle();
  if (h === undefined) opCreate(w);
  return h;
}

export function opMap(w: MemfdWorld): void {
  const r = w.rng;
  const h = handleToMap(w);
  if (h === undefined) return;
  const f = h.file;
  const size = f.size;
  let offset: number;
  switch (r.weighted({ zero: 4, aligned: 4, unaligned: 1, beyond: 0.5 })) {
    case "zero":
      offset = 0;
      break;
    case "aligned":
      offset = f.granule * r.int(Math.floor(size / f.granule) + 1);
      break;
    case "unaligned":
      offset = r.int(size + 1);
      break;
    default:
      offset = size + PAGE * r.int(4);
  }
  let length: number | undefined;
  switch (r.weighted({ rest: 3, inside: 5, past: 1, zero: 0.3, huge: 0.2 })) {
    case "rest":
      length = undefined;
      break;
    case "inside":
      length = r.range(1, Math.max(1, Math.min(size - offset, 3 * PAGE)));
      break;
    case "past":
      length = Math.max(0, size - offset) + r.range(1, 2 * PAGE);
      break;
    case "zero":
      length = 0;
      break;
    default:
      length = MAX_SAFE - r.int(PAGE);
  }
  const access = r.pick<"shared" | "private" | undefined>([
    undefined,
    "shared",
    "private",
  ]);
  const shared = access !== "private";
  const resolved = length ?? size - offset;
  // qemu-user does not break copy-on-write when it populates a private
  // mapping (later writes to the file show through), so under emulation
  // only shared mappings are populated; the draw stays, so seeds replay.
  const populate = resolved <= 1 << 20 && r.chance(0.2) &&
    (shared || emulated === undefined);
  const options: Record<string, unknown> = {};
  if (r.chance(0.8) || offset !== 0) options.offset = offset;
  if (length !== undefined) options.length = length;
  if (access !== undefined) options.access = access;
  if (populate) options.populate = true;
  const expect: Expect = rangeRefused(offset, length, resolved, size)
    ? fails("RangeError")
    : predictMmap(h, offset, resolved, shared);
  const what = `map(fd ${h.fd} ${q(f.name)} size ${size}, ${fmt(options)})`;
  const out = w.call(
    what,
    expect,
    () =>
      Object.keys(options).length === 0 && r.chance(0.5)
        ? h.memfd.map()
        : h.memfd.map(options),
  );
  if (!out.ok) return;
  const mapping = out.value;
  const model = new MappingModel(
    w.nextId++,
    f,
    offset,
    resolved,
    shared ? "shared" : "private",
    false,
  );
  if (populate) model.populate();
  if (
    mapping.byteLength !== resolved || mapping.offset !== offset ||
    mapping.access !== model.access || mapping.unmapped
  ) {
    mismatch(
      `${what}: got ${mapping.byteLength} bytes @${mapping.offset} ${mapping.access}`,
    );
  }
  track(w, model, mapping);
}

/** Records a new mapping, with views of it taken now (to go stale later). */
function track(w: MemfdWorld, model: MappingModel, mapping: Mapping): void {
  model.file.mappings.add(model);
  const views = [mapping.bytes];
  const len = model.viewLength;
  if (len > 2) {
    const s = w.rng.int(len - 1);
    views.push(
      mapping.bytes.subarray(s, s + 1 + w.rng.int(Math.min(64, len - s))),
    );
    views.push(new Uint8Array(mapping.buffer, 0, Math.min(len, 16)));
  }
  const live = { model, mapping, views };
  w.maps.push(live);
  verifyMapping(w, live, "after map");
}

export function opMapRing(w: MemfdWorld): void {
  const r = w.rng;
  const h = handleToMap(w);
  if (h === undefined) return;
  const f = h.file;
  const size = f.size;
  const offset = r.chance(0.85)
    ? PAGE * r.int(Math.floor(size / PAGE) + 1)
    : r.int(size + 1);
  let length: number | undefined;
  switch (r.weighted({ rest: 1, pages: 5, odd: 1, past: 1 })) {
    case "rest":
      length = size <= 1 << 20 ? undefined : PAGE;
      break;
    case "pages":
      length = PAGE *
        r.range(
          1,
          Math.max(1, Math.min(8, Math.floor((size - offset) / PAGE))),
        );
      break;
    case "odd":
      length = r.range(1, 3 * PAGE);
      break;
    default:
      length = PAGE * (Math.floor(Math.max(0, size - offset) / PAGE) + 1);
  }
  const resolved = length ?? size - offset;
  let expect: Expect;
  if (rangeRefused(offset, length, resolved, size) || resolved % PAGE !== 0) {
    expect = fails("RangeError");
  } else if (resolved % f.granule !== 0) expect = fails("EINVAL");
  else expect = predictMmap(h, offset, resolved, true);
  const options = length === undefined ? { offset } : { offset, length };
  const what = `mapRing(fd ${h.fd} ${q(f.name)} size ${size}, ${fmt(options)})`;
  const out = w.call(what, expect, () => h.memfd.mapRing(options));
  if (!out.ok) return;
  const mapping = out.value;
  const model = new MappingModel(
    w.nextId++,
    f,
    offset,
    resolved,
    "shared",
    true,
  );
  if (mapping.byteLength !== 2 * resolved || mapping.access !== "shared") {
    mismatch(`${what}: got ${mapping.byteLength} bytes ${mapping.access}`);
  }
  track(w, model, mapping);
}

export function opPoke(w: MemfdWorld): void {
  const r = w.rng;
  const live = w.pickLive();
  if (live === undefined) return opMap(w);
  const m = live.model;
  const len = m.viewLength;
  const n = Math.min(len, r.range(1, 256));
  const start = r.int(len - n + 1);
  const data = r.bytes(n);
  const bytes = live.mapping.bytes;
  w.note(
    `poke mapping ${m.id} (${m.access}${m.ring ? " ring" : ""} ${
      q(m.file.name)
    }) [${start}, +${n})`,
  );
  switch (r.int(4)) {
    case 0:
      bytes.set(data, start);
      m.write(start, data);
      break;
    case 1:
      for (let i = 0; i < n; i++) bytes[start + i] = data[i]!; // n = data.length
      m.write(start, data);
      break;
    case 2:
      bytes.fill(data[0]!, start, start + n); // n > 0
      m.write(start, new Uint8Array(n).fill(data[0]!));
      break;
    default: {
      // Through a view taken at map time, when it covers the range.
      const view = live.views[0]!; // every live mapping has its map-time view
      view.set(data, start);
      m.write(start, data);
    }
  }
  const s = Math.max(0, start - 8);
  for (let i = s; i < Math.min(len, start + n + 8); i++) {
    if (bytes[i] !== m.get(i)) {
      mismatch(
        `poke: mapping ${m.id} byte ${i} reads ${bytes[i]}, model says ${
          m.get(i)
        }`,
      );
    }
  }
  if (m.ring) {
    const i = start % m.length;
    if (bytes[i] !== bytes[i + m.length]) {
      mismatch(`ring ${m.id}: ${i} and ${i + m.length} differ`);
    }
  }
  verifyFile(w, m.file, "after poke", [m.filePos(start), n]);
}

export function opPokeStale(w: MemfdWorld): void {
  const r = w.rng;
  if (w.stale.length === 0 && w.unmapped.length === 0) return opUnmap(w);
  w.note(
    `poke stale views (${w.stale.length}) and unmapped mappings (${w.unmapped.length})`,
  );
  for (const view of w.stale) {
    if (
      view.length !== 0 || view.byteLength !== 0 ||
      view.buffer.byteLength !== 0
    ) {
      mismatch(`a view of an unmapped mapping still has ${view.length} bytes`);
    }
    view[r.int(4096)] = 1;
    if (view[0] !== undefined) mismatch(`a stale view reads ${view[0]}`);
    // Detached views refuse or ignore everything; none may reach memory.
    const refused = okOr("TypeError", "RangeError");
    w.call(`staleView.fill(7)`, refused, () => view.fill(7), false);
    w.call(`staleView.set([1])`, refused, () => view.set([1]), false);
    w.call(`staleView.subarray(0, 10)`, refused, () => {
      if (view.subarray(0, 10).length !== 0) {
        mismatch(`a stale subarray has bytes`);
      }
    }, false);
    w.call(
      `new DataView(staleBuffer)`,
      fails("TypeError"),
      () => new DataView(view.buffer),
      false,
    );
  }
  for (const mapping of w.unmapped) {
    if (
      !mapping.unmapped || mapping.byteLength !== 0 ||
      mapping.bytes.length !== 0
    ) {
      mismatch(`an unmapped Mapping still shows ${mapping.byteLength} bytes`);
    }
    w.call(`unmapped.sync()`, OK, () => mapping.sync(), false);
    w.call(`unmapped.unmap()`, OK, () => mapping.unmap(), false);
    mapping.bytes[0] = 9;
  }
}

export function opUnmap(w: MemfdWorld): void {
  const live = w.pickLive();
  if (live === undefined) return;
  const m = live.model;
  w.call(
    `unmap(mapping ${m.id} ${q(m.file.name)})`,
    OK,
    () => live.mapping.unmap(),
  );
  w.forgetMapping(live);
  for (const v of live.views) {
    if (v.length !== 0) mismatch(`unmap: a view still has ${v.length} bytes`);
  }
  if (!live.mapping.unmapped || live.mapping.byteLength !== 0) {
    mismatch(`unmap: not unmapped`);
  }
  w.call(`unmap() again`, OK, () => live.mapping.unmap());
  verifyFile(w, m.file, "after unmap");
}

export function opSync(w: MemfdWorld): void {
  const live = w.pickLive();
  if (live === undefined) return opMap(w);
  w.call(`sync(mapping ${live.model.id})`, OK, () => live.mapping.sync());
}
