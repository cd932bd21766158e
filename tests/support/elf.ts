/**
 * Reading a shipped library's ELF file: its machine, its dynamic symbols
 * and the glibc symbol versions its undefined symbols need. The loader's
 * own pre-`dlopen` sanity check (headers, truncation) is
 * src/loader/elf.ts; this is what the release tests look at beyond it.
 * 64-bit little-endian only (every target deno_memfd ships).
 * @module
 */

const SHT_DYNSYM = 11;
const SHT_GNU_VERNEED = 0x6ffffffe;
const SHT_GNU_VERSYM = 0x6fffffff;
const STB_WEAK = 2;
const VERSYM_HIDDEN = 0x8000;

interface Section {
  type: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  entrySize: number;
}

/** One entry of `.dynsym`. */
export interface DynamicSymbol {
  name: string;
  /** `false` for a symbol the library needs from another one. */
  defined: boolean;
  weak: boolean;
  /** The version it is bound to (`GLIBC_2.14`), from `.gnu.version`. */
  version?: string;
  /** The library that version belongs to (`libc.so.6`), when needed. */
  from?: string;
}

/** A parsed 64-bit ELF file. */
export interface Elf {
  /** `e_machine`: 62 is x86_64, 183 aarch64. */
  machine: number;
  symbols: DynamicSymbol[];
}

/** Reads the machine and the dynamic symbols, with their versions. */
export function readElf(elf: Uint8Array): Elf {
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);
  const u64 = (at: number) => Number(view.getBigUint64(at, true));
  const sectionsAt = u64(0x28);
  const sections: Section[] = [];
  for (let i = 0; i < u16(0x3c); i++) {
    const at = sectionsAt + i * u16(0x3a);
    sections.push({
      type: u32(at + 4),
      offset: u64(at + 0x18),
      size: u64(at + 0x20),
      link: u32(at + 0x28),
      info: u32(at + 0x2c),
      entrySize: u64(at + 0x38),
    });
  }
  const decoder = new TextDecoder();
  const text = (table: Section, at: number) => {
    const start = table.offset + at;
    return decoder.decode(elf.subarray(start, elf.indexOf(0, start)));
  };
  const dynsym = sections.find((s) => s.type === SHT_DYNSYM);
  if (dynsym === undefined) return { machine: u16(18), symbols: [] };
  const strings = sections[dynsym.link]!; // sh_link names a section

  // .gnu.version_r: per needed library, the versions asked of it, keyed by
  // the index .gnu.version gives each symbol.
  const needed = new Map<number, { version: string; from: string }>();
  const verneed = sections.find((s) => s.type === SHT_GNU_VERNEED);
  if (verneed !== undefined) {
    const names = sections[verneed.link]!; // sh_link names a section
    let at = verneed.offset;
    for (let file = 0; file < verneed.info; file++) {
      const from = text(names, u32(at + 4));
      let aux = at + u32(at + 8);
      for (let n = 0; n < u16(at + 2); n++) {
        needed.set(u16(aux + 6), { version: text(names, u32(aux + 8)), from });
        aux += u32(aux + 12);
      }
      at += u32(at + 12);
    }
  }
  const versym = sections.find((s) => s.type === SHT_GNU_VERSYM);

  const symbols: DynamicSymbol[] = [];
  const count = dynsym.size / dynsym.entrySize;
  for (let i = 1; i < count; i++) {
    const at = dynsym.offset + i * dynsym.entrySize;
    const name = u32(at);
    if (name === 0) continue;
    const index = versym === undefined
      ? 0
      : u16(versym.offset + 2 * i) & ~VERSYM_HIDDEN;
    symbols.push({
      name: text(strings, name),
      defined: u16(at + 6) !== 0,
      weak: view.getUint8(at + 4) >> 4 === STB_WEAK,
      ...needed.get(index),
    });
  }
  return { machine: u16(18), symbols };
}

/** `GLIBC_2.14` → `[2, 14]`; anything else `undefined`. */
export function glibcVersion(version: string): number[] | undefined {
  const match = /^GLIBC_(\d+(?:\.\d+)*)$/.exec(version);
  return match?.[1]?.split(".").map(Number);
}

/** Whether version `a` is newer than `b` (`[2, 28]` vs `[2, 17]`). */
export function newer(a: number[], b: number[]): boolean {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return false;
}

/**
 * The glibc versions the library's undefined, non-weak symbols need, each
 * with the symbols needing it, oldest first. (A weak one is looked up and
 * may be missing: the library runs without it.)
 */
export function glibcNeeds(elf: Elf): Map<string, string[]> {
  const needs = new Map<string, string[]>();
  for (const symbol of elf.symbols) {
    if (symbol.defined || symbol.weak || symbol.version === undefined) {
      continue;
    }
    if (glibcVersion(symbol.version) === undefined) continue;
    needs.set(symbol.version, [
      ...(needs.get(symbol.version) ?? []),
      symbol.name,
    ]);
  }
  return new Map(
    [...needs].sort(([a], [b]) =>
      newer(glibcVersion(a)!, glibcVersion(b)!) ? 1 : -1
    ),
  );
}
