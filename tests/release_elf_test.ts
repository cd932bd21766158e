/**
 * Each shipped library in dist/, read as an ELF file: built for its
 * target's machine, and needing no glibc symbol version newer than
 * {@linkcode GLIBC_FLOOR} (Deno's own binary needs GLIBC_2.25 at most, on
 * x86_64 and aarch64: a library needing more fails to load where Deno runs,
 * on Debian 11, Ubuntu 20.04, RHEL 8 or Amazon Linux 2).
 */

import { assert, assertEquals } from "@std/assert";
import { ARTIFACTS } from "../src/loader/artifacts.ts";
import { glibcNeeds, glibcVersion, newer, readElf } from "./support/elf.ts";
import { ROOT } from "./support/run.ts";

/**
 * The newest glibc symbol version a shipped library may need: 2.17, the
 * oldest glibc Rust supports. Never above GLIBC_2.25 (Deno's own floor).
 */
export const GLIBC_FLOOR = "GLIBC_2.17";

const MACHINE: Readonly<Record<string, number>> = {
  "x86_64-unknown-linux-gnu": 62,
  "aarch64-unknown-linux-gnu": 183,
};

const floor = glibcVersion(GLIBC_FLOOR)!;

Deno.test("the glibc floor is at most Deno's own, GLIBC_2.25", () => {
  assertEquals(newer(floor, [2, 25]), false);
});

Deno.test("the version reader orders glibc versions", () => {
  assertEquals(glibcVersion("GLIBC_2.2.5"), [2, 2, 5]);
  assertEquals(glibcVersion("GCC_3.0"), undefined);
  assert(newer([2, 27], floor) && newer([2, 17, 1], floor));
  assert(!newer([2, 17], floor) && !newer([2, 2, 5], floor));
  assert(newer([2, 10], [2, 3, 4]));
});

Deno.test("both Linux targets are pinned", () => {
  assertEquals(Object.keys(ARTIFACTS).sort(), Object.keys(MACHINE).sort());
});

for (const [target, machine] of Object.entries(MACHINE)) {
  const pin = ARTIFACTS[target]!; // "both Linux targets are pinned" checks it
  Deno.test(`dist/ ${target}: machine ${machine}, no glibc newer than ${GLIBC_FLOOR}`, () => {
    const elf = readElf(Deno.readFileSync(`${ROOT}dist/${pin.file}`));
    assertEquals(elf.machine, machine, `${pin.file} is for another machine`);
    const needs = glibcNeeds(elf);
    // Guards the reader: every library needs some glibc symbol.
    assert(needs.size > 0, `${pin.file}: no glibc version needs found`);
    const tooNew = [...needs].filter(([version]) =>
      newer(glibcVersion(version)!, floor)
    );
    assertEquals(
      tooNew,
      [],
      `${pin.file} needs glibc symbols newer than ${GLIBC_FLOOR}; call them ` +
        "through libc::syscall (see src_rs/memfd_create.rs), then " +
        "`deno task release`",
    );
    // Weak symbols (std's statx, gettid) are looked up, not required.
    const weak = elf.symbols.filter((s) => s.weak && !s.defined && s.version);
    assert(weak.every((s) => !needs.get(s.version!)?.includes(s.name)));
  });
}

Deno.test("a needed version above the floor is found; a weak one is not needed", () => {
  const symbol = (name: string, version: string, weak = false) => ({
    name,
    version,
    weak,
    defined: false,
    from: "libc.so.6",
  });
  const needs = glibcNeeds({
    machine: 62,
    symbols: [
      symbol("memfd_create", "GLIBC_2.27"),
      symbol("fstat", "GLIBC_2.33"),
      symbol("memcpy", "GLIBC_2.14"),
      symbol("statx", "GLIBC_2.28", true),
      { name: "dm_size", defined: true, weak: false },
    ],
  });
  assertEquals([...needs], [
    ["GLIBC_2.14", ["memcpy"]],
    ["GLIBC_2.27", ["memfd_create"]],
    ["GLIBC_2.33", ["fstat"]],
  ]);
});
