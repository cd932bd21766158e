/**
 * Random arguments for the memfd suite: names, sizes, positions and
 * lengths weighted towards the edges, and I/O buffers of every kind
 * (including a live mapping's own memory and detached views).
 * @module
 */

import { NAMES } from "../hostile.ts";
import { inMemory } from "../memory.ts";
import type { Rng } from "../rng.ts";
import { type FileModel, HUGE, MAX_SAFE, PAGE } from "./model.ts";
import type { Live, MemfdWorld } from "./world.ts";

/** An I/O buffer and, when it is a mapping's memory, where it lies. */
export interface Buffer {
  bytes: Uint8Array;
  kind: string;
  source?: { live: Live; start: number };
}

export function genName(r: Rng): string {
  if (r.chance(0.3)) return r.pick(NAMES);
  let s = "c";
  const n = r.int(24);
  for (let i = 0; i < n; i++) s += String.fromCharCode(r.range(0x20, 0x7e));
  return s;
}

/** A size for a new or resized file: mostly small, sometimes up to 2^53-1. */
export function genSize(r: Rng, file?: FileModel): number {
  if (file?.hugetlb) {
    return r.chance(0.1)
      ? r.pick([PAGE, HUGE - 1, HUGE + PAGE])
      : r.pick([0, HUGE, HUGE, 2 * HUGE]);
  }
  switch (
    r.weighted({
      zero: 1,
      tiny: 4,
      small: 6,
      pages: 4,
      medium: 2,
      big: 0.4,
      huge: 0.3,
      extreme: 0.15,
    })
  ) {
    case "zero":
      return 0;
    case "tiny":
      return r.int(300);
    case "small":
      return r.int(20000);
    case "pages":
      return PAGE * r.range(1, 16);
    case "medium":
      return r.int(300_000);
    case "big":
      return r.int(4 << 20);
    case "huge":
      return r.chance(0.5) ? 2 ** r.range(30, 44) : r.int(2 ** 44);
    default:
      return MAX_SAFE - r.int(10000);
  }
}

/** A valid position (0 to 2^53-1), mostly near the file's data. */
export function genPos(r: Rng, size: number): number {
  return Math.min(MAX_SAFE, anyPos(r, size));
}

function anyPos(r: Rng, size: number): number {
  switch (
    r.weighted({
      inside: 8,
      end: 2,
      near: 3,
      beyond: 2,
      aligned: 2,
      huge: 0.3,
      extreme: 0.3,
      negzero: 0.1,
    })
  ) {
    case "inside":
      return r.int(size + 1);
    case "end":
      return size;
    case "near":
      return Math.max(0, size - 64 + r.int(128));
    case "beyond":
      return size + r.int(20000);
    case "aligned":
      return PAGE * r.int(Math.floor(size / PAGE) + 2);
    case "huge":
      return r.int(2 ** 44);
    case "extreme":
      return MAX_SAFE - r.int(100);
    default:
      return -0;
  }
}

export function genLength(r: Rng): number {
  switch (r.weighted({ zero: 0.5, tiny: 5, small: 4, large: 0.7 })) {
    case "zero":
      return 0;
    case "tiny":
      return r.range(1, 16);
    case "small":
      return r.range(17, 5000);
    default:
      return r.range(5000, 70000);
  }
}

/** Whether view index `start` of `m` for `n` bytes overlaps `pos` of `file`. */
export function overlaps(
  live: Live,
  start: number,
  n: number,
  file: FileModel,
  pos: number,
): boolean {
  const m = live.model;
  const lo = m.filePos(start);
  return m.file === file && (m.ring || (lo < pos + n && pos < lo + n));
}

/**
 * A buffer of about `n` bytes for I/O on `file` at `pos`: plain memory of
 * several kinds, or a live mapping's memory (never one whose file range
 * overlaps the transfer: the kernel's copy order would decide the result).
 */
export function genBuffer(
  w: MemfdWorld,
  n: number,
  file: FileModel,
  pos: number,
): Buffer {
  const r = w.rng;
  const kind = r.weighted({
    plain: 6,
    offset: 2,
    shared: 1,
    resizable: 1,
    mapping: w.maps.length > 0 ? 3 : 0,
    stale: w.stale.length > 0 ? 0.5 : 0,
  });
  const content = r.bytes(n);
  switch (kind) {
    case "offset":
    case "shared":
    case "resizable":
      return { bytes: inMemory(kind, content), kind };
    case "mapping": {
      const live = r.pick(w.maps);
      const m = live.model;
      const limit = m.ring ? m.length : m.viewLength;
      const len = Math.min(n, limit, 8192);
      const start = r.int(m.viewLength - len + 1);
      if (!overlaps(live, start, len, file, pos) && len > 0) {
        return {
          bytes: live.mapping.bytes.subarray(start, start + len),
          kind,
          source: { live, start },
        };
      }
      break;
    }
    case "stale":
      return { bytes: r.pick(w.stale), kind };
  }
  return { bytes: content, kind: "plain" };
}

/** What the kernel holds in `buf` now, by the model. */
export function bufferContent(buf: Buffer): Uint8Array {
  if (buf.bytes.length === 0) return new Uint8Array(0);
  if (buf.source === undefined) return buf.bytes.slice();
  return buf.source.live.model.read(buf.source.start, buf.bytes.length);
}
