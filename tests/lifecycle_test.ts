/**
 * Owning fds: close() and `using`, EBADF after close without ever touching
 * a reused fd number, dup(), fromFd() with and without ownership.
 */

import {
  assert,
  assertEquals,
  assertNotEquals,
  assertStringIncludes,
} from "@std/assert";
import { Memfd } from "../mod.ts";
import {
  assertMemfdError,
  assertMemfdRejects,
  assertNoFdLeak,
  stateOf,
} from "./support/assert.ts";
import { fdFlags, O_CLOEXEC, openFds } from "./support/proc.ts";

const PAGE = 4096;

Deno.test("close() closes the fd, is idempotent, and `using` does it at block end", async () => {
  const fd = Memfd.create("close");
  const number = fd.fd;
  assertEquals((await openFds()).get(number), "/memfd:close (deleted)");
  fd.close();
  assert(fd.closed);
  assertEquals(fd.fd, -1);
  fd.close();
  fd[Symbol.dispose]();
  assertEquals((await openFds()).get(number), undefined);
  let inner = -1;
  {
    using scoped = Memfd.create("close-using");
    inner = scoped.fd;
  }
  assertEquals((await openFds()).get(inner), undefined);
});

Deno.test("every operation after close() is EBADF and says the memfd is closed", async () => {
  const fd = Memfd.create("after-close", { size: PAGE });
  fd.close();
  const buffer = new Uint8Array(4);
  const syncOps: [string, () => unknown][] = [
    ["size", () => fd.size],
    ["path", () => fd.path],
    ["seals", () => fd.seals],
    ["resize", () => fd.resize(1)],
    ["write", () => fd.write(buffer)],
    ["read", () => fd.read(buffer)],
    ["seal", () => fd.seal("grow")],
    ["requireSeals", () => fd.requireSeals()],
    ["map", () => fd.map()],
    ["mapRing", () => fd.mapRing()],
    ["dup", () => fd.dup()],
  ];
  for (const [name, op] of syncOps) {
    const e = assertMemfdError(op, "EBADF");
    assertStringIncludes(e.message, "'after-close': the memfd is closed", name);
  }
  for (const op of [() => fd.writeAsync(buffer), () => fd.readAsync(buffer)]) {
    await assertMemfdRejects(op, "EBADF", "the memfd is closed");
  }
  assertEquals(fd.name, "after-close", "the name stays readable");
});

Deno.test("a closed Memfd never touches the memfd that reuses its fd number", async () => {
  const old = Memfd.create("old", { size: PAGE });
  const number = old.fd;
  old.close();
  using reused = Memfd.create("reused", { size: 2 * PAGE });
  // The kernel hands out the lowest free number: the same one.
  assertEquals(reused.fd, number);
  reused.write(new Uint8Array([1, 2, 3]));
  const before = stateOf(reused);
  assertMemfdError(() => old.write(new Uint8Array([9])), "EBADF");
  assertMemfdError(() => old.resize(0), "EBADF");
  assertMemfdError(() => old.seal("write", "shrink"), "EBADF");
  assertMemfdError(() => old.map(), "EBADF");
  assertMemfdError(() => old.read(new Uint8Array(1)), "EBADF");
  await assertMemfdRejects(() => old.writeAsync(new Uint8Array([9])), "EBADF");
  old.close();
  assertEquals(stateOf(reused), before);
  assertEquals((await openFds()).get(number), "/memfd:reused (deleted)");
});

Deno.test("close() during an async write lets it finish, then closes the fd", async () => {
  const fd = Memfd.create("close-in-flight");
  const number = fd.fd;
  const data = new Uint8Array(4 << 20).fill(3);
  const pending = fd.writeAsync(data);
  fd.close();
  assert(fd.closed);
  assertMemfdError(() => fd.size, "EBADF");
  assertEquals(await pending, data.length);
  assertEquals((await openFds()).get(number), undefined);
});

Deno.test("dup() is a new close-on-exec fd for the same file, closed independently", async () => {
  using fd = Memfd.create("dup", { size: 16, cloexec: false });
  const dup = fd.dup();
  assertNotEquals(dup.fd, fd.fd);
  assertEquals(dup.name, "dup");
  assert((await fdFlags(dup.fd)) & O_CLOEXEC);
  dup.write(new Uint8Array([4]));
  const out = new Uint8Array(1);
  fd.read(out);
  assertEquals(out[0], 4);
  dup.resize(32);
  assertEquals(fd.size, 32);
  dup.close();
  assertEquals(fd.size, 32, "the original is still open");
  assertEquals((await openFds()).get(fd.fd), "/memfd:dup (deleted)");
});

Deno.test("fromFd adopts an open memfd with its name; owned by default", async () => {
  // Not closed by this test: the adopted Memfd owns (and closes) its fd.
  const original = Memfd.create("adopt-me", { size: 8 });
  const number = original.fd;
  const adopted = Memfd.fromFd(number);
  assertEquals(adopted.name, "adopt-me");
  assertEquals(adopted.fd, number);
  assertEquals(adopted.size, 8);
  adopted.close();
  assertEquals((await openFds()).get(number), undefined, "owned: closed");
});

Deno.test("fromFd with owned: false leaves the fd open on close", async () => {
  using original = Memfd.create("borrow", { size: 8 });
  const borrowed = Memfd.fromFd(original.fd, { owned: false });
  borrowed.close();
  assert(borrowed.closed);
  assertMemfdError(() => borrowed.size, "EBADF");
  assertEquals(original.size, 8);
  assertEquals((await openFds()).get(original.fd), "/memfd:borrow (deleted)");
});

Deno.test("fromFd of an fd that is not open is EBADF; nothing is opened", async () => {
  const fd = Memfd.create("gone");
  const number = fd.fd;
  fd.close();
  await assertNoFdLeak(() => {
    assertMemfdError(() => Memfd.fromFd(number), "EBADF", "not open");
    assertMemfdError(() => Memfd.fromFd(1 << 20), "EBADF");
    assertMemfdError(() => Memfd.fromFd(2 ** 31), "EBADF");
  });
});

Deno.test("open() of a path that does not exist is ENOENT; of a memfd that closed too", async () => {
  const fd = Memfd.create("open-gone");
  const path = fd.path;
  fd.close();
  await assertNoFdLeak(() => {
    assertMemfdError(() => Memfd.open(path), "ENOENT");
    assertMemfdError(() => Memfd.open("/nonexistent/x"), "ENOENT");
    assertMemfdError(() => Memfd.open(""), "ENOENT");
  });
});

Deno.test("open() gives a read-only fd unless write: true, close-on-exec either way", async () => {
  using fd = Memfd.create("open-modes", { size: 4 });
  using ro = Memfd.open(fd.path);
  using rw = Memfd.open(fd.path, { write: true });
  assertEquals((await fdFlags(ro.fd)) & 3, 0);
  assertEquals((await fdFlags(rw.fd)) & 3, 2);
  assert((await fdFlags(ro.fd)) & O_CLOEXEC);
  assert((await fdFlags(rw.fd)) & O_CLOEXEC);
  assertEquals(ro.name, "open-modes");
});
