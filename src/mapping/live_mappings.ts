/**
 * How many mappings the native library holds (its registry of the
 * mappings it made), for the leak checks to catch one that no `Mapping`
 * object accounts for.
 * @module
 */

import { dm_live_mappings } from "../native.ts";
import { isLoaded } from "../loader/library.ts";

/** The native library's count of live mappings; 0 before it is loaded. */
export function liveMappings(): number {
  return isLoaded() ? dm_live_mappings() : 0;
}
