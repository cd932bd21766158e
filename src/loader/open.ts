/**
 * Opening a library file: permissions asked about (never prompted for),
 * the file checked, then `dlopen` through the generated bindings.
 * @module
 */

import { load } from "../native.ts";
import { granted } from "./grants.ts";
import { requireElf } from "./verify.ts";

/** Throws `NotCapable` naming every flag missing to open `path`. */
export function requireOpenable(path: string, readScope = path): void {
  const missing: string[] = [];
  if (!granted({ name: "ffi", path })) missing.push(`--allow-ffi=${path}`);
  if (!granted({ name: "read", path })) {
    missing.push(`--allow-read=${readScope}`);
  }
  if (missing.length === 0) return;
  const why = missing.some((flag) => flag.startsWith("--allow-read"))
    ? " (it reads the file before opening it: opening a truncated library " +
      "would crash the process)"
    : "";
  throw new Deno.errors.NotCapable(
    `deno_memfd needs permission to open its library ${path}: run with ` +
      `${missing.join(" ")}${why}. Plain --allow-ffi covers it too, and ` +
      `map() needs that`,
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
