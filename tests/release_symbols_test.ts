/**
 * The shipped libraries export the FFI surface and nothing bench-only: the
 * release build's and each dist/ library's dynamic symbol table, read
 * straight from the ELF file.
 *
 * Fails until `src_rs/bench.rs` and its `dm_bench_*` exports move to their
 * own crate (issue 9 part 2, the "bench" branch); that is the point of it.
 */
import { assert, assertEquals } from "@std/assert";
import { ARTIFACTS } from "../src/loader/artifacts.ts";
import { readElf } from "./support/elf.ts";
import { ROOT } from "./support/run.ts";

/** Names of the symbols the library defines in its `.dynsym`. */
function dynamicSymbols(elf: Uint8Array): string[] {
  return readElf(elf).symbols.filter((s) => s.defined).map((s) => s.name);
}

Deno.test("the release library exports every dm_ symbol of ffi/ and no bench code", () => {
  const elf = Deno.readFileSync(`${ROOT}target/release/libdeno_memfd.so`);
  const exported = new Set(dynamicSymbols(elf));
  const declared = [
    ...Deno.readTextFileSync(`${ROOT}ffi/mod.ts`).matchAll(
      /^\s{4}(dm_\w+): \{/gm,
    ),
  ].map((m) => m[1]!); // the pattern's one group
  // Guards the reader: an empty table would prove nothing.
  assert(declared.length > 10 && declared.every((s) => exported.has(s)));
  const bench = [...exported].filter((s) => s.includes("bench"));
  assertEquals(bench, [], "bench-only symbols in the shipped library");
  assertEquals(declared.filter((s) => s.includes("bench")), [], "in ffi/");
});

Deno.test("each library in dist/ exports exactly the dm_ symbols of ffi/", () => {
  const declared = [
    ...Deno.readTextFileSync(`${ROOT}ffi/mod.ts`).matchAll(
      /^\s{4}(dm_\w+): \{/gm,
    ),
  ].map((m) => m[1]).sort();
  for (const pin of Object.values(ARTIFACTS)) {
    const elf = Deno.readFileSync(`${ROOT}dist/${pin.file}`);
    const exported = dynamicSymbols(elf).filter((s) => s.startsWith("dm_"));
    assertEquals(
      exported.sort(),
      declared,
      `dist/${pin.file} is stale: run \`deno task release\``,
    );
  }
});
