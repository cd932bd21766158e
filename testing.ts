/**
 * Leak checks for tests of code that uses deno_memfd: fail a test that leaves
 * a {@linkcode Memfd} open or a {@linkcode Mapping} mapped, naming each one
 * and the place it was created.
 *
 * Tracking only runs inside {@linkcode assertNoMemfdLeaks} (or a test wrapped
 * by {@linkcode noMemfdLeaks}); code outside them pays nothing, and no stack
 * is captured.
 *
 * @example Wrap a test
 * ```ts
 * import { Memfd } from "@memfd/memfd";
 * import { noMemfdLeaks } from "@memfd/memfd/testing";
 * import { assertEquals } from "@std/assert";
 *
 * Deno.test("frames are released", noMemfdLeaks(() => {
 *   using fd = Memfd.create("frames", { size: 4096 });
 *   using map = fd.map();
 *   map.bytes[0] = 1;
 *   assertEquals(fd.size, 4096);
 * }));
 * ```
 *
 * @module
 */

export {
  assertNoMemfdLeaks,
  type LeakCheckOptions,
  type MemfdLeak,
  MemfdLeakError,
  noMemfdLeaks,
} from "./src/testing/leak_check.ts";
