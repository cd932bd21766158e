/**
 * Mapping a memfd into memory: the options of {@linkcode Memfd.map} and
 * {@linkcode Memfd.mapRing}, the range checks that keep a mapping inside
 * the file (a page past its end would kill the process with SIGBUS), and
 * the errors of a refused mapping.
 * @module
 */

import {
  dm_map,
  dm_map_rest,
  dm_map_ring,
  dm_size,
  dm_view_length,
  MapFlags,
} from "../native.ts";
import { Errno } from "../errors/errno.ts";
import { check, memfdFailure, operationOf } from "../errors/failures.ts";
import { sizeOf } from "./file_size.ts";
import {
  adoptMapping,
  type MapAccess,
  type Mapping,
} from "../mapping/mapping.ts";
import { pageSize } from "../mapping/page_size.ts";
import { shown, toBoolean, toIndex, toOptions } from "../input/validate.ts";

/**
 * Options for {@linkcode Memfd.map}.
 *
 * @example
 * ```ts
 * import { type MapOptions, Memfd } from "@memfd/memfd";
 * import { assertEquals } from "@std/assert";
 * using fd = Memfd.create("frames", { size: 8192 });
 * const options: MapOptions = { offset: 4096, length: 4096 };
 * using map = fd.map(options);
 * assertEquals([map.offset, map.byteLength], [4096, 4096]);
 * ```
 */
export interface MapOptions {
  /** Where the mapping starts; a multiple of the page size. Default 0. */
  offset?: number;
  /** Bytes to map; default the rest of the file. Must not pass its end. */
  length?: number;
  /**
   * `"shared"` (default): `MAP_SHARED`, writes reach the memfd.
   * `"private"`: copy-on-write, works on write-sealed and read-only memfds.
   */
  access?: MapAccess;
  /** Pre-fault every page now (`MAP_POPULATE`) instead of on first touch. */
  populate?: boolean;
}

/**
 * Options for {@linkcode Memfd.mapRing}.
 *
 * @example
 * ```ts
 * import { Memfd, type RingOptions } from "@memfd/memfd";
 * import { assertEquals } from "@std/assert";
 * using fd = Memfd.create("ring", { size: 8192 });
 * const options: RingOptions = { offset: 4096, length: 4096 };
 * using ring = fd.mapRing(options);
 * assertEquals(ring.byteLength, 2 * 4096); // the region, twice
 * ```
 */
export interface RingOptions {
  /** Where the region starts; a multiple of the page size. Default 0. */
  offset?: number;
  /** Bytes in the region; a non-zero multiple of the page size. */
  length?: number;
}

const MAP_KEYS: (keyof MapOptions)[] = [
  "offset",
  "length",
  "access",
  "populate",
];

const MAP_PRIVATE = MapFlags.MAP_FLAG_PRIVATE;
const MAP_POPULATE = MapFlags.MAP_FLAG_POPULATE;

/** Likely misspellings of the map keys, for the "did you mean" hint. */
const MAP_ALIASES: Readonly<Record<string, string>> = {
  mode: "access",
  private: "access",
  shared: "access",
  size: "length",
  start: "offset",
  position: "offset",
};

const RING_KEYS: (keyof RingOptions)[] = ["offset", "length"];
const RING_ALIASES: Readonly<Record<string, string>> = {
  size: "length",
  start: "offset",
  position: "offset",
};

/** {@linkcode Memfd.map} of the open memfd `fd` called `name`. */
export function mapMemfd(
  fd: number,
  name: string,
  options: MapOptions | undefined,
): Mapping {
  const o = toOptions(options, "Memfd.map options", MAP_KEYS, MAP_ALIASES);
  const access = o.access === undefined ? "shared" : o.access;
  if (access !== "shared" && access !== "private") {
    throw new TypeError(
      `Memfd.map: access must be "shared" or "private", got ${shown(access)}`,
    );
  }
  const offset = o.offset === undefined
    ? 0
    : toIndex(o.offset, "Memfd.map: offset");
  const populate = toBoolean(o.populate, false, "Memfd.map: populate");
  const flags = (access === "private" ? MAP_PRIVATE : 0) |
    (populate ? MAP_POPULATE : 0);
  if (o.length !== undefined) {
    const length = requested(o.length, "map");
    const addr = mapped(
      dm_map(fd, offset, length, flags),
      fd,
      name,
      "map",
      offset,
      length,
    );
    return adopted("map", addr, length, offset, access, name);
  }
  // The rest of the file, sized natively by the fstat that checks the
  // range anyway: a size query from here would be a second fstat.
  const addr = dm_map_rest(fd, offset, flags);
  if (addr < 0) throw restFailure(fd, name, addr, offset);
  const length = dm_view_length(addr);
  return adopted("map", addr, length, offset, access, name);
}

/** {@linkcode Memfd.mapRing} of the open memfd `fd` called `name`. */
export function mapMemfdRing(
  fd: number,
  name: string,
  options: RingOptions | undefined,
): Mapping {
  const o = toOptions(
    options,
    "Memfd.mapRing options",
    RING_KEYS,
    RING_ALIASES,
  );
  const offset = o.offset === undefined
    ? 0
    : toIndex(o.offset, "Memfd.mapRing: offset");
  const length = lengthOf(fd, name, offset, o.length);
  const page = pageSize();
  if (length % page !== 0) {
    throw new RangeError(
      `Memfd.mapRing: length must be a multiple of the page size (${page}), got ${length}`,
    );
  }
  const addr = mapped(
    dm_map_ring(fd, offset, length),
    fd,
    name,
    "mapRing",
    offset,
    length,
  );
  return adopted("mapRing", addr, 2 * length, offset, "shared", name);
}

/**
 * The `Mapping` of `addr`, for the call `op`: a missing FFI permission is
 * named after the public call.
 */
function adopted(
  op: "map" | "mapRing",
  addr: number,
  length: number,
  offset: number,
  access: MapAccess,
  name: string,
): Mapping {
  try {
    return adoptMapping(addr, length, offset, access, name);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotCapable)) throw e;
    throw new Deno.errors.NotCapable(`${operationOf(op)}: ${e.message}`);
  }
}

/** A `length` option of the call `op`: a non-zero index. */
function requested(length: unknown, op: "map" | "mapRing"): number {
  const n = toIndex(length, `${operationOf(op)}: length`);
  if (n === 0) {
    throw new RangeError(
      `${operationOf(op)}: cannot map an empty range (length 0)`,
    );
  }
  return n;
}

/** The mapping length: `length`, or the rest of the file. */
function lengthOf(
  fd: number,
  name: string,
  offset: number,
  length: unknown,
): number {
  if (length !== undefined) return requested(length, "mapRing");
  const size = sizeOf(fd, name);
  if (offset >= size) throw pastEnd(name, offset, size, "mapRing");
  return size - offset;
}

function pastEnd(
  name: string,
  offset: number,
  size: number,
  op: "map" | "mapRing",
): RangeError {
  return new RangeError(
    `${operationOf(op)}: cannot map '${name}' from offset ${offset}: ` +
      `the file is ` +
      `${size} bytes, and touching pages past its end would kill the ` +
      `process (SIGBUS); resize it first`,
  );
}

/**
 * The error of a failed map of the rest of the file, as the size query
 * that used to come first would have reported it.
 */
function restFailure(
  fd: number,
  name: string,
  result: number,
  offset: number,
): Error {
  const size = check(dm_size(fd), "size", name);
  if (result === -Errno.ENXIO) return pastEnd(name, offset, size, "map");
  return memfdFailure("map", -result, name);
}

/** The address a native map returned, or the error it stands for. */
function mapped(
  addr: number,
  fd: number,
  name: string,
  op: "map" | "mapRing",
  offset: number,
  length: number,
): number {
  // Addresses arrive as plain numbers (exact: Linux hands out user-space
  // addresses below 2^47 unless asked for more).
  if (addr >= 0) return addr;
  const errno = -addr;
  if (errno === Errno.ENXIO) {
    throw new RangeError(
      `${operationOf(op)}: cannot map bytes ${offset}..${
        offset + length
      } of '${name}': ` +
        `the file is ${sizeOf(fd, name)} bytes, and touching pages past ` +
        `its end would kill the process (SIGBUS); resize it first`,
    );
  }
  throw memfdFailure(op, errno, name);
}
