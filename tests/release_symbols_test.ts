/**
 * The shipped library exports the FFI surface and nothing bench-only: the
 * release build's dynamic symbol table, read straight from the ELF file.
 *
 * Fails until `src_rs/bench.rs` and its `dm_bench_*` exports move to their
 * own crate (issue 9 part 2, the "bench" branch); that is the point of it.
 */
import { assert, assertEquals } from "@std/assert";
import { ROOT } from "./support/run.ts";

const SHT_DYNSYM = 11;

/** Names of the defined symbols in the `.dynsym` table of a 64-bit ELF. */
function dynamicSymbols(elf: Uint8Array): string[] {
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const sectionsAt = Number(view.getBigUint64(0x28, true));
  const sectionSize = view.getUint16(0x3a, true);
  const sectionCount = view.getUint16(0x3c, true);
  const section = (i: number) => {
    const at = sectionsAt + i * sectionSize;
    return {
      type: view.getUint32(at + 4, true),
      offset: Number(view.getBigUint64(at + 0x18, true)),
      size: Number(view.getBigUint64(at + 0x20, true)),
      link: view.getUint32(at + 0x28, true),
      entrySize: Number(view.getBigUint64(at + 0x38, true)),
    };
  };
  const decoder = new TextDecoder();
  const names: string[] = [];
  for (let i = 0; i < sectionCount; i++) {
    const symbols = section(i);
    if (symbols.type !== SHT_DYNSYM) continue;
    const strings = section(symbols.link);
    for (let at = symbols.offset; at < symbols.offset + symbols.size;) {
      const name = view.getUint32(at, true);
      const shndx = view.getUint16(at + 6, true);
      at += symbols.entrySize;
      if (name === 0 || shndx === 0) continue; // unnamed or undefined
      const start = strings.offset + name;
      const end = elf.indexOf(0, start);
      names.push(decoder.decode(elf.subarray(start, end)));
    }
  }
  return names;
}

Deno.test("the release library exports every dm_ symbol of ffi/ and no bench code", () => {
  const elf = Deno.readFileSync(`${ROOT}target/release/libdeno_memfd.so`);
  const exported = new Set(dynamicSymbols(elf));
  const declared = [
    ...Deno.readTextFileSync(`${ROOT}ffi/mod.ts`).matchAll(
      /^\s{4}(dm_\w+): \{/gm,
    ),
  ].map((m) => m[1]);
  // Guards the reader: an empty table would prove nothing.
  assert(declared.length > 10 && declared.every((s) => exported.has(s)));
  const bench = [...exported].filter((s) => s.includes("bench"));
  assertEquals(bench, [], "bench-only symbols in the shipped library");
  assertEquals(declared.filter((s) => s.includes("bench")), [], "in ffi/");
});
