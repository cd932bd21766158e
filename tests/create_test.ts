/**
 * `Memfd.create`: names, flags, initial state (CONFORMANCE #1, #2, #6–#8,
 * #13). Raw flag bits the API cannot express (#3–#5) are checked in Rust.
 */

import { test } from "./support/leak_checked.ts";
import { assert, assertEquals } from "@std/assert";
import { Memfd } from "../mod.ts";
import {
  assertMemfdError,
  assertNoFdLeak,
  assertSeals,
  assertSealsExactly,
} from "./support/assert.ts";
import { birthSeals, kernel } from "./support/kernel.ts";
import {
  fdFlags,
  O_ACCMODE,
  O_CLOEXEC,
  O_RDWR,
  statL,
} from "./support/proc.ts";
import { runOk, runPython } from "./support/run.ts";

test("#1 a name of 249 bytes is accepted, 250 bytes is MemfdError EINVAL", async () => {
  using ok = Memfd.create("n".repeat(249));
  assertEquals(ok.name, "n".repeat(249));
  assertEquals(
    (await runOk("readlink", [ok.path])).trim(),
    `/memfd:${"n".repeat(249)} (deleted)`,
  );
  await assertNoFdLeak(() => {
    assertMemfdError(() => Memfd.create("n".repeat(250)), "EINVAL", "249");
  });
});

test("#1 a long name is refused in TypeScript, before any syscall", async () => {
  // The native side refuses it too, in other words ("the kernel refused the
  // name or flags"): this wording shows the TypeScript check ran first.
  const before = "the name is longer than 249 UTF-8 bytes";
  await assertNoFdLeak(() => {
    for (const name of ["n".repeat(250), "é".repeat(125), "😀".repeat(63)]) {
      const e = assertMemfdError(() => Memfd.create(name), "EINVAL", before);
      assertEquals(e.syscall, "memfd_create");
    }
  });
});

test("#1 the name limit counts UTF-8 bytes, not characters", async () => {
  // "é" is two bytes: 124 of them plus one ASCII byte is exactly 249.
  using ok = Memfd.create("é".repeat(124) + "n");
  assertEquals(ok.name, "é".repeat(124) + "n");
  await assertNoFdLeak(() => {
    assertMemfdError(() => Memfd.create("é".repeat(125)), "EINVAL", "UTF-8");
  });
});

test("#2 empty names and names with '/' or spaces are accepted and show in the link", async () => {
  for (const name of ["", "with/slash and spaces", "dir/", " "]) {
    using fd = Memfd.create(name);
    assertEquals(fd.name, name);
    assertEquals(
      (await runOk("readlink", [fd.path])).trim(),
      `/memfd:${name} (deleted)`,
    );
    using reopened = Memfd.open(fd.path);
    assertEquals(reopened.name, name, "the name is read back from the link");
  }
});

test("a name reused after a refused one is still the name the kernel records", () => {
  // Names are encoded once and reused; a refused name overwrites the
  // encoding, which must then not be reused for the name before it.
  const linkName = (fd: Memfd) => {
    using reopened = Memfd.open(fd.path); // its name is read from the link
    return reopened.name;
  };
  using first = Memfd.create("short");
  assertEquals(linkName(first), "short");
  assertMemfdError(() => Memfd.create("é".repeat(200)), "EINVAL");
  using second = Memfd.create("short");
  assertEquals(linkName(second), "short");
  using third = Memfd.create("other");
  assertEquals(linkName(third), "other");
});

test("#6 cloexec follows the option; allowSealing false leaves exactly {seal}", async () => {
  // executable: true asks for MFD_EXEC, which adds no seal of its own, so
  // these are the seal sets of the plain flag combinations of #6.
  for (const cloexec of [true, false]) {
    for (const allowSealing of [true, false]) {
      using fd = Memfd.create("flags", {
        cloexec,
        allowSealing,
        executable: true,
      });
      assertSealsExactly(fd.seals, allowSealing ? [] : ["seal"]);
      const flags = await fdFlags(fd.fd);
      assertEquals((flags & O_CLOEXEC) !== 0, cloexec, `cloexec ${cloexec}`);
    }
  }
});

test("#6 cloexec is on by default", async () => {
  using fd = Memfd.create("default-cloexec");
  assert((await fdFlags(fd.fd)) & O_CLOEXEC);
});

// Before Linux 6.3 (probed: kernel.noexecSeal) there is no MFD_NOEXEC_SEAL:
// the library drops the flag and every memfd is mode 0777 with no exec seal.
const NOEXEC_MODE = kernel.noexecSeal ? "666" : "777";

test("#7 the default (MFD_NOEXEC_SEAL) is mode 0666 with exactly {exec}, and more seals can be added", async () => {
  using fd = Memfd.create("noexec");
  assertSealsExactly(fd.seals, birthSeals);
  assertEquals(await statL(fd.path, "%a"), NOEXEC_MODE);
  assertSealsExactly(fd.seal("write"), [...birthSeals, "write"]);
});

test("#7 noexec without allowSealing: the library adds the seal seal the kernel left off", () => {
  using fd = Memfd.create("noexec-nosealing", { allowSealing: false });
  assertSealsExactly(fd.seals, [...birthSeals, "seal"]);
  assertMemfdError(() => fd.seal("write"), "EPERM");
});

test("#7 a noexec memfd cannot be chmod-ed executable (EPERM; before 6.3 it can)", async () => {
  using fd = Memfd.create("noexec-chmod");
  const out = await runPython(
    `
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
try:
    os.fchmod(fd, 0o777)
    print("changed")
except PermissionError as e:
    print("EPERM" if e.errno == 1 else e.errno)
`,
    [fd.path],
  );
  if (!kernel.noexecSeal) {
    assertEquals(out.stdout.trim(), "changed", out.stderr);
    return;
  }
  assertEquals(out.stdout.trim(), "EPERM", out.stderr);
  assertEquals(await statL(fd.path, "%a"), "666");
});

test("#8 executable: true (MFD_EXEC) is mode 0777 with no seals", async () => {
  using fd = Memfd.create("exec", { executable: true });
  assertSealsExactly(fd.seals, []);
  assertEquals(await statL(fd.path, "%a"), "777");
});

test("#13 a new memfd is an empty regular file, unlinked, open read-write", async () => {
  using fd = Memfd.create("fresh");
  assertEquals(fd.size, 0);
  assertEquals(
    await statL(fd.path, "%F|%s|%h"),
    "regular empty file|0|0",
  );
  assertEquals((await fdFlags(fd.fd)) & O_ACCMODE, O_RDWR);
  assertEquals(fd.closed, false);
  assertEquals(fd.path, `/proc/${Deno.pid}/fd/${fd.fd}`);
});

test("size option sets the initial size and the new bytes read as zero", () => {
  using fd = Memfd.create("sized", { size: 10_000 });
  assertEquals(fd.size, 10_000);
  const content = new Uint8Array(10_000).fill(1);
  assertEquals(fd.read(content), 10_000);
  assert(content.every((b) => b === 0));
  assertSeals(fd.seals, []);
});
