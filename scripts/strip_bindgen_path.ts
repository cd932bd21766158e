/**
 * Post-processes `ffi/mod.ts` after `deno_bindgen` (run by `deno task
 * bindgen`): the generator writes the build machine's absolute path to the
 * library as `load()`'s default argument. The library never relies on it
 * (`src/loader/` always passes the path it resolved), and a published file
 * must not carry a checkout path, so the default is removed: the file is
 * then byte-identical wherever it is generated.
 *
 * Usage: `deno run --allow-read=ffi --allow-write=ffi scripts/strip_bindgen_path.ts ffi/mod.ts`
 * @module
 */

/**
 * `source` with `load()`'s default path removed; throws when not found.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { stripDefaultPath } from "./strip_bindgen_path.ts";
 * assertEquals(
 *   stripDefaultPath('export function load(path: string = "/a/lib.so") {}'),
 *   "export function load(path: string) {}",
 * );
 * ```
 */
export function stripDefaultPath(source: string): string {
  const pattern = /export function load\(path: string = "[^"]*"\)/;
  if (!pattern.test(source)) {
    throw new Error(
      "ffi/mod.ts: no `load(path = ...)` default found; did deno_bindgen change its output?",
    );
  }
  return source.replace(pattern, "export function load(path: string)");
}

if (import.meta.main) {
  const [file] = Deno.args;
  if (!file) throw new Error("usage: strip_bindgen_path.ts <ffi/mod.ts>");
  Deno.writeTextFileSync(file, stripDefaultPath(Deno.readTextFileSync(file)));
}
