/**
 * The system page size, asked of the native library once: the unit of
 * mapping offsets, ring capacities and ring lengths.
 * @module
 */

import { dm_page_size } from "../native.ts";

let cached = 0;

/** The page size in bytes; the native library must be loaded. */
export function pageSize(): number {
  return cached ||= dm_page_size();
}
