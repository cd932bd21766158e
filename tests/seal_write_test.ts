/**
 * The "write" and "future-write" seals: what they stop, what they let
 * through, and when they can be added (CONFORMANCE #19–#29). The read-only
 * and PROT_NONE mappings of #20 and #23 are checked in Rust (src_rs/).
 */

import { test } from "./support/leak_checked.ts";
import { assert, assertEquals } from "@std/assert";
import { Memfd } from "../mod.ts";
import {
  assertMemfdError,
  assertMemfdRejects,
  assertRefusedWithoutEffect,
  assertSeals,
  memfdError,
  stateOf,
} from "./support/assert.ts";
import { runPython, spawnPeer } from "./support/run.ts";
import { kernel } from "./support/kernel.ts";

const PAGE = 4096;
/** Before Linux 5.1 (probed) there is no future-write seal: see the last test. */
const FUTURE_WRITE = { ignore: !kernel.futureWrite };
const hello = new TextEncoder().encode("hello");

function readAll(fd: Memfd): Uint8Array {
  const out = new Uint8Array(fd.size);
  fd.read(out);
  return out;
}

test("#19 write seal: write and writeAsync are EPERM, shared map is EPERM, nothing changes", async () => {
  using fd = Memfd.create("sealed-write", { size: PAGE });
  fd.write(hello);
  fd.seal("write");
  await assertRefusedWithoutEffect(
    fd,
    () => fd.write(hello, 100),
    memfdError("EPERM", "sealed against writes"),
  );
  await assertRefusedWithoutEffect(
    fd,
    () => fd.write(hello, PAGE),
    memfdError("EPERM", "sealed against writes"),
  );
  await assertMemfdRejects(() => fd.writeAsync(hello, 0), "EPERM");
  await assertRefusedWithoutEffect(
    fd,
    () => fd.map(),
    memfdError("EPERM", "access: 'private'"),
  );
  await assertRefusedWithoutEffect(fd, () => fd.mapRing(), memfdError("EPERM"));
});

test("#20 write seal: another process can still map it read-only (MAP_SHARED, PROT_READ)", async () => {
  using fd = Memfd.create("sealed-read-map", { size: PAGE });
  fd.write(hello);
  fd.seal("write");
  const out = await runPython(
    `
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
m = mmap.mmap(fd, 0, mmap.MAP_SHARED, mmap.PROT_READ)
print(m[:5].decode())
`,
    [fd.path],
  );
  assertEquals(out.stdout.trim(), "hello", out.stderr);
});

test("#21 write seal: a private mapping is writable and the memfd stays unchanged", () => {
  using fd = Memfd.create("sealed-private", { size: PAGE });
  fd.write(hello);
  fd.seal("write");
  const before = stateOf(fd);
  using map = fd.map({ access: "private" });
  assertEquals(map.access, "private");
  assertEquals(map.bytes.subarray(0, 5), hello);
  map.bytes.fill(0xee);
  assertEquals(map.bytes[PAGE - 1], 0xee);
  assertEquals(stateOf(fd), before);
});

test("#22 write seal: resizing both ways still works, and fallocate grows", async () => {
  using fd = Memfd.create("sealed-resize", { size: PAGE });
  fd.seal("write");
  fd.resize(2 * PAGE);
  assertEquals(fd.size, 2 * PAGE);
  fd.resize(100);
  assertEquals(fd.size, 100);
  const out = await runPython(
    `
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
os.posix_fallocate(fd, 0, 3 * 4096)
print(os.fstat(fd).st_size)
`,
    [fd.path],
  );
  assertEquals(out.stdout.trim(), String(3 * PAGE), out.stderr);
  assertEquals(fd.size, 3 * PAGE);
});

test("#23 write seal with a live shared mapping is EBUSY and applies nothing, also with grow", async () => {
  using fd = Memfd.create("busy", { size: PAGE });
  using map = fd.map();
  map.bytes.set(hello);
  const busy = memfdError("EBUSY", "unmap it first");
  await assertRefusedWithoutEffect(fd, () => fd.seal("write"), busy);
  await assertRefusedWithoutEffect(fd, () => fd.seal("write", "grow"), busy);
  assertSeals(fd.seals, []);
  map.bytes[0] = 1; // still writable: nothing was sealed
  map.unmap();
  assertSeals(fd.seal("write", "grow"), ["write", "grow"]);
});

test("#23 write seal: a ring mapping and a mapping through a dup count too", () => {
  using fd = Memfd.create("busy-ring", { size: PAGE });
  using dup = fd.dup();
  const ring = fd.mapRing();
  assertMemfdError(() => fd.seal("write"), "EBUSY");
  ring.unmap();
  const viaDup = dup.map();
  assertMemfdError(() => fd.seal("write"), "EBUSY");
  viaDup.unmap();
  assertSeals(fd.seal("write"), ["write"]);
});

test("#24 write seal with only a private mapping alive succeeds", () => {
  using fd = Memfd.create("private-only", { size: PAGE });
  using map = fd.map({ access: "private" });
  map.bytes[0] = 1;
  assertSeals(fd.seal("write"), ["write"]);
  map.bytes[1] = 2; // the private copy stays writable
});

test("#25 write seal is EBUSY while a child process holds a shared mapping, and works once it exits", async () => {
  using fd = Memfd.create("child-map", { size: PAGE });
  await using peer = spawnPeer("python3", [
    "-c",
    `
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
m = mmap.mmap(fd, 4096)
os.close(fd)  # the mapping alone must keep the seal out
print("mapped", flush=True)
sys.stdin.read()
m.close()
`,
    fd.path,
  ]);
  assertEquals(await peer.readLine(), "mapped");
  assertMemfdError(() => fd.seal("write"), "EBUSY", "another process");
  assertSeals(fd.seals, []);
  const end = await peer.finish();
  assertEquals(end.code, 0, end.stderr);
  assertSeals(fd.seal("write"), ["write"]);
});

test("#26 a write-sealed memfd reopened read-write: open works, write is EPERM, read works", () => {
  using fd = Memfd.create("reopen-sealed", { size: 16 });
  fd.write(hello);
  fd.seal("write");
  using rw = Memfd.open(fd.path, { write: true });
  assertMemfdError(() => rw.write(hello, 8), "EPERM");
  const out = new Uint8Array(5);
  assertEquals(rw.read(out), 5);
  assertEquals(out, hello);
});

test(
  "#27 future-write with a live shared mapping: the old mapping keeps writing, nothing new can",
  FUTURE_WRITE,
  async () => {
    using fd = Memfd.create("future", { size: PAGE });
    using old = fd.map();
    assertSeals(fd.seal("future-write"), ["future-write"]);
    old.bytes.set(hello);
    assertEquals(readAll(fd).subarray(0, 5), hello, "visible through pread");
    const before = stateOf(fd);
    await assertRefusedWithoutEffect(
      fd,
      () => fd.write(hello, 10),
      memfdError("EPERM"),
    );
    await assertRefusedWithoutEffect(fd, () => fd.map(), memfdError("EPERM"));
    using priv = fd.map({ access: "private" });
    priv.bytes[0] = 0;
    assertEquals(stateOf(fd), before);
  },
);

test(
  "#28 future-write, then write: EBUSY while the old mapping lives, fine after unmap",
  FUTURE_WRITE,
  () => {
    using fd = Memfd.create("future-then-write", { size: PAGE });
    const old = fd.map();
    fd.seal("future-write");
    assertMemfdError(() => fd.seal("write"), "EBUSY");
    assertSeals(fd.seals, ["future-write"]);
    old.unmap();
    assertSeals(fd.seal("write"), ["future-write", "write"]);
  },
);

test("#29 future-write: resizing works both ways", FUTURE_WRITE, () => {
  using fd = Memfd.create("future-resize", { size: PAGE });
  fd.seal("future-write");
  fd.resize(3 * PAGE);
  assertEquals(fd.size, 3 * PAGE);
  fd.resize(1);
  assertEquals(fd.size, 1);
  assert(!fd.seals.has("shrink"));
});

test(
  "before 5.1 the future-write seal is a typed EINVAL that changes nothing",
  {
    ignore: kernel.futureWrite,
  },
  async () => {
    using fd = Memfd.create("no-future-write", { size: PAGE });
    await assertRefusedWithoutEffect(
      fd,
      () => fd.seal("future-write"),
      memfdError("EINVAL", "the kernel does not know one of these seals"),
    );
    await assertRefusedWithoutEffect(
      fd,
      () => fd.seal("shrink", "future-write"),
      memfdError("EINVAL"),
    );
  },
);
