/**
 * Opening a library file: permissions asked about (never prompted for),
 * the file checked, then `dlopen` through the generated bindings.
 * @module
 */

import { load } from "../native.ts";
import {
  ffiGrant,
  granted,
  type Need,
  readGrant,
} from "../permissions/grants.ts";
import { requireAll } from "../permissions/messages.ts";
import { requireElf } from "./verify.ts";

/**
 * What opening the library at `path` needs: FFI for it, and read, since
 * the file is checked before it is opened.
 */
export function openNeeds(path: string): Need[] {
  return [
    {
      grants: [ffiGrant(path)],
      why: "Plain --allow-ffi covers the library too, and map() needs that",
    },
    {
      grants: [readGrant(path)],
      why: "The library is read before it is opened: opening a truncated " +
        "library would crash the process",
    },
  ];
}

/** Whether the library at `path` may be opened with the grants held. */
export function openable(path: string): boolean {
  return granted({ name: "ffi", path }) && granted({ name: "read", path });
}

/** Throws `NotCapable` naming every flag missing to open `path`. */
export function requireOpenable(path: string): void {
  requireAll(
    `deno_memfd needs permission to open its library ${path}`,
    openNeeds(path),
  );
}

/**
 * Opens the library at `path` (whose contents are `bytes` when already
 * read and checked) after checking it is a complete library for this
 * machine.
 */
export function openLibraryFile(
  path: string,
  origin: string,
  bytes?: Uint8Array,
): void {
  requireOpenable(path);
  if (bytes === undefined) {
    try {
      bytes = Deno.readFileSync(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new Deno.errors.NotFound(
          `deno_memfd's library ${path} (from ${origin}) does not exist`,
        );
      }
      throw e;
    }
  }
  requireElf(bytes, path);
  try {
    load(path);
  } catch (e) {
    throw new Error(
      `deno_memfd could not open its library ${path} (from ${origin}): ` +
        `${e instanceof Error ? e.message : e}`,
      { cause: e },
    );
  }
}
