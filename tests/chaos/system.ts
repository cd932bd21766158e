import { dm_live_mappings } from "../../src/native.ts";
import { mismatch } from "./expect.ts";

/**
 * What this process holds, read from `/proc` synchronously: a check made while async calls are in flight must
 * not let their continuations run.
 * @module
 */

/**
 * Every fd this process has open, from `/proc/self/fd`: fd → link target
 * (Deno 2 wants `--allow-all` for it).
 */
export function openFdLinks(): Map<number, string> {
  const out = new Map<number, string>();
  for (const e of Deno.readDirSync("/proc/self/fd")) {
    try {
      out.set(Number(e.name), Deno.readLinkSync(`/proc/self/fd/${e.name}`));
    } catch {
      // The directory's own fd, gone by now.
    }
  }
  return out;
}

/** The memfds this process has open: fd → link. */
export function openMemfds(): Map<number, string> {
  const out = new Map<number, string>();
  for (const [fd, link] of openFdLinks()) {
    if (link.startsWith("/memfd:")) out.set(fd, link);
  }
  return out;
}

/** After a teardown: no mapping left in the native registry, no memfd open. */
export function verifyNothingLeft(why: string): void {
  if (dm_live_mappings() !== 0) {
    mismatch(`${why}: ${dm_live_mappings()} mappings still registered`);
  }
  const open = openMemfds();
  if (open.size > 0) {
    mismatch(`${why}: memfds still open: ${[...open].join("; ")}`);
  }
}
