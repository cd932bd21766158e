/**
 * Checks of the memfd suite's state against the model: a file's size,
 * seals and bytes (read back through a handle), a mapping's bytes (read
 * through its view), and, for the whole run, the native mapping registry
 * and the memfds open in `/proc/self/fd`.
 * @module
 */

import { dm_live_mappings } from "../../../src/native.ts";
import { mismatch } from "../expect.ts";
import { q } from "../format.ts";
import { openMemfds } from "../system.ts";
import { type FileModel, PAGE, sealNames } from "./model.ts";
import type { Live, MemfdWorld } from "./world.ts";

/** Files up to this size are compared whole; larger ones at spots. */
const WHOLE_FILE = 256 * 1024;
const WHOLE_MAPPING = 64 * 1024;

export function verifyRange(
  w: MemfdWorld,
  file: FileModel,
  pos: number,
  n: number,
  why: string,
): void {
  const h = w.handleOf(file);
  if (h === undefined || n <= 0) return;
  const buf = new Uint8Array(n);
  const got = h.memfd.read(buf, pos);
  const want = pos >= file.size ? 0 : Math.min(n, file.size - pos);
  if (got !== want) {
    mismatch(
      `${why}: read(${n} @${pos}) of ${
        q(file.name)
      } returned ${got}, model says ${want} (size ${file.size})`,
    );
  }
  const expected = file.read(pos, want);
  for (let i = 0; i < want; i++) {
    if (buf[i] !== expected[i]) {
      mismatch(
        `${why}: ${q(file.name)} byte ${pos + i} is ${buf[i]}, model says ${
          expected[i]
        }`,
      );
    }
  }
}

/** The file's size, seals, bytes (around `focus` when it is big) and mappings. */
export function verifyFile(
  w: MemfdWorld,
  file: FileModel,
  why: string,
  focus?: [number, number],
): void {
  const h = w.handleOf(file);
  if (h !== undefined) {
    const size = h.memfd.size;
    if (size !== file.size) {
      mismatch(
        `${why}: ${q(file.name)} size is ${size}, model says ${file.size}`,
      );
    }
    const seals = [...h.memfd.seals].sort().join(",");
    const want = sealNames(file.seals).sort().join(",");
    if (seals !== want) {
      mismatch(
        `${why}: ${q(file.name)} seals are {${seals}}, model says {${want}}`,
      );
    }
    if (file.size <= WHOLE_FILE) {
      verifyRange(w, file, 0, file.size, why);
    } else {
      if (focus) {
        verifyRange(w, file, Math.max(0, focus[0] - 64), focus[1] + 128, why);
      }
      const pages = [...file.pages.keys()];
      for (let i = 0; i < Math.min(8, pages.length); i++) {
        verifyRange(w, file, w.rng.pick(pages) * PAGE, PAGE, why);
      }
      for (let i = 0; i < 4; i++) {
        verifyRange(w, file, w.rng.int(file.size), 64, why);
      }
      verifyRange(w, file, Math.max(0, file.size - 64), 128, why);
    }
  }
  for (const live of w.maps) {
    if (live.model.file === file) verifyMapping(w, live, why);
  }
}

export function verifyMapping(w: MemfdWorld, live: Live, why: string): void {
  const m = live.model;
  const bytes = live.mapping.bytes;
  if (
    bytes.length !== m.viewLength || live.mapping.byteLength !== m.viewLength
  ) {
    mismatch(
      `${why}: mapping ${m.id} is ${bytes.length} bytes, model says ${m.viewLength}`,
    );
  }
  const check = (i: number) => {
    const want = m.get(i);
    if (bytes[i] !== want) {
      mismatch(
        `${why}: mapping ${m.id} (${m.access}${
          m.ring ? " ring" : ""
        } @${m.offset} of ${q(m.file.name)}) byte ${i} is ${
          bytes[i]
        }, model says ${want}`,
      );
    }
  };
  if (m.viewLength <= WHOLE_MAPPING) {
    for (let i = 0; i < m.viewLength; i++) check(i);
    return;
  }
  const spots: number[] = [0, m.viewLength - 1];
  for (let i = 0; i < 16; i++) spots.push(w.rng.int(m.viewLength));
  for (const index of [...m.file.pages.keys()].slice(0, 16)) {
    const at = index * PAGE - m.offset;
    if (at >= 0 && at < m.length) spots.push(at + w.rng.int(PAGE));
  }
  for (const s of spots) {
    for (let i = s; i < Math.min(s + 32, m.viewLength); i++) check(i);
  }
}

/**
 * Every file and mapping, the native registry's count of mappings, and the
 * memfds open: exactly the handles' fds.
 */
export function verifyAll(w: MemfdWorld, why: string): void {
  for (const file of w.files()) verifyFile(w, file, why);
  const native = dm_live_mappings();
  if (native !== w.maps.length) {
    mismatch(
      `${why}: the native registry holds ${native} mappings, model says ${w.maps.length}`,
    );
  }
  const open = openMemfds();
  for (const h of w.handles) {
    const link = open.get(h.fd);
    if (link === undefined) {
      mismatch(`${why}: fd ${h.fd} of ${q(h.file.name)} is not open`);
    }
    open.delete(h.fd);
  }
  if (open.size > 0) {
    mismatch(
      `${why}: memfds open that no Memfd owns: ${[...open].join("; ")}`,
    );
  }
}
