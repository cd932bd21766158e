import { dm_live_mappings } from "../../src/native.ts";
import { mismatch } from "./expect.ts";

/**
 * What the kernel offers and what this process holds, read from `/sys` and
 * `/proc` synchronously: a check made while async calls are in flight must
 * not let their continuations run.
 * @module
 */

/** Which hugetlb page sizes this kernel has a pool directory for. */
export function hugeSizes(): Set<string> {
  const sizes = new Set<string>();
  try {
    for (const e of Deno.readDirSync("/sys/kernel/mm/hugepages")) {
      const kb = Number(/hugepages-(\d+)kB/.exec(e.name)?.[1]);
      if (kb === 2048) sizes.add("2MB");
      if (kb === 1048576) sizes.add("1GB");
      if (kb === 64) sizes.add("64KB");
    }
  } catch {
    // No hugetlb at all: every hugetlb create is ENODEV.
  }
  return sizes;
}

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
