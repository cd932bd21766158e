/**
 * `test`: `Deno.test` with deno_memfd's own leak check around every test
 * function, so the project's suites fail when they (or the library) leave a
 * memfd open or a mapping mapped.
 * @module
 */

import { noMemfdLeaks } from "../../testing.ts";

type Fn = (t: Deno.TestContext) => void | Promise<void>;
type Options = Omit<Deno.TestDefinition, "name" | "fn">;

/** `Deno.test(name, fn)` or `Deno.test(name, options, fn)`, leak-checked. */
export function test(name: string, fn: Fn): void;
export function test(name: string, options: Options, fn: Fn): void;
export function test(name: string, a: Fn | Options, b?: Fn): void {
  if (typeof a === "function") Deno.test(name, noMemfdLeaks(a));
  else Deno.test(name, a, noMemfdLeaks(b!));
}
