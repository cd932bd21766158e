/**
 * One definition of each constant per language, and both languages agree:
 * the flag and seal bits in `src/native.ts` against `src_rs/sys/constants.rs`,
 * and the errno table of `src/errors/errno.ts` against Python's `errno` module, the
 * runtime's own table (`node:os`, which tests may use and the library may
 * not) and the names the Rust side returns.
 */
import { assert, assertEquals } from "@std/assert";
import { constants } from "node:os";
import { MapFlags, MemfdFlags, NAME_MAX, SealBits } from "../src/native.ts";
import { Errno, errnoName } from "../src/errors/errno.ts";
import { ROOT, runOk } from "./support/run.ts";

/** `NAME → value` of every `pub const NAME: type = value;` in Rust. */
function rustConstants(source: string): Map<string, number> {
  const found = new Map<string, number>();
  const pattern = /pub const (\w+): [\w:]+ = (0x[0-9a-f]+|\d+);/g;
  for (const [, name, value] of source.matchAll(pattern)) {
    found.set(name!, Number(value)); // both groups always match
  }
  return found;
}

Deno.test("flag and seal bits are the same numbers in TypeScript and Rust", () => {
  const rust = rustConstants(
    Deno.readTextFileSync(`${ROOT}src_rs/sys/constants.rs`),
  );
  const ts: Record<string, number> = {
    ...MemfdFlags,
    ...SealBits,
    ...MapFlags,
    NAME_MAX,
  };
  // Rust's table also has the fcntl commands, which only Rust uses.
  const shared = [...rust].filter(([name]) =>
    !name.startsWith("F_ADD") && !name.startsWith("F_GET")
  );
  assert(shared.length >= 17, "the Rust table was read");
  assertEquals(
    Object.fromEntries(shared),
    ts,
    "src/native.ts and src_rs/sys/constants.rs disagree",
  );
});

Deno.test("the errno table is Linux's (checked against Python and node:os)", async () => {
  const python = JSON.parse(
    await runOk("python3", [
      "-c",
      "import errno, json; print(json.dumps(errno.errorcode))",
    ]),
  ) as Record<string, string>;
  // Python names aliases by their last spelling; the table keeps the
  // first one, as the runtime's table does.
  const aliases: Record<string, string> = {
    EWOULDBLOCK: "EAGAIN",
    EDEADLOCK: "EDEADLK",
    EOPNOTSUPP: "ENOTSUP",
  };
  assert(Object.keys(python).length > 120, "Python's table was read");
  for (const [number, name] of Object.entries(python)) {
    assertEquals(errnoName(Number(number)), aliases[name] ?? name, number);
  }
  for (const [name, number] of Object.entries(Errno)) {
    assertEquals(errnoName(number), name);
  }
  const runtime = constants.errno as Record<string, number>;
  for (const [name, number] of Object.entries(runtime)) {
    assertEquals(errnoName(number), aliases[name] ?? name, name);
  }
  // Every errno the Rust side can name resolves to the same number here.
  const rust = Deno.readTextFileSync(`${ROOT}src_rs/sys/errno.rs`);
  const named = [...rust.matchAll(/Errno\(libc::(E\w+)\)/g)].map((m) =>
    m[1] ?? ""
  );
  assert(named.length > 15, "the Rust errno list was read");
  for (const name of named) {
    assertEquals(errnoName(runtime[name] ?? 0), aliases[name] ?? name, name);
  }
});
