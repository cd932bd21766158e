import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertMatch,
  assertNotEquals,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import { Memfd } from "../mod.ts";
import {
  assertNoMemfdLeaks,
  type MemfdLeak,
  MemfdLeakError,
  noMemfdLeaks,
} from "../testing.ts";
import { dm_live_mappings } from "../src/native.ts";
import { stalledBuffer, stallUnavailable } from "./support/stall.ts";
import { openFdsSync } from "./support/run.ts";

const THIS_FILE = new URL(import.meta.url).pathname;

/** What `fd` of this process links to (`undefined` when it is not open). */
function linkOf(fd: number): string | undefined {
  return openFdsSync(Deno.pid).get(fd);
}

Deno.test("assertNoMemfdLeaks passes and returns when everything is released", async () => {
  const value = await assertNoMemfdLeaks(async () => {
    using fd = Memfd.create("tidy", { size: 4096 });
    using map = fd.map();
    map.bytes[0] = 1;
    await fd.writeAsync(new Uint8Array([2]), 1);
    return 42;
  });
  assertEquals(value, 42);
});

Deno.test("a memfd left open is named, with where it was created, and closed", async () => {
  let fd = -1;
  const error = await assertRejects(
    () =>
      assertNoMemfdLeaks(() => {
        fd = Memfd.create("forgotten").fd;
      }),
    MemfdLeakError,
  );
  assertEquals(error.leaks.length, 1);
  assertEquals(error.leaks[0].kind, "memfd");
  assertStringIncludes(
    error.message,
    `memfd 'forgotten' (fd ${fd}), never closed`,
  );
  assertStringIncludes(error.leaks[0].createdAt, THIS_FILE);
  assert(
    !error.leaks[0].createdAt.includes("/src/memfd/memfd.ts"),
    "library frames are left out of the stack",
  );
  // Not "not open": a closed number is free for whatever opens next.
  assertNotEquals(
    linkOf(fd),
    "/memfd:forgotten (deleted)",
    "the leaked memfd was closed by the cleanup",
  );
});

Deno.test("the created-at stack leaves out Deno's test runner frames", async () => {
  const error = await assertRejects(
    () =>
      noMemfdLeaks(() => void Memfd.create("runner"))({} as Deno.TestContext),
    MemfdLeakError,
  );
  const { createdAt } = error.leaks[0];
  assertStringIncludes(createdAt, THIS_FILE);
  for (const internal of ["ext:", "innerWrapped", "exitSanitizer"]) {
    assert(!createdAt.includes(internal), `${internal} in:\n${createdAt}`);
  }
});

Deno.test("a mapping left mapped is named and unmapped", async () => {
  using fd = Memfd.create("mapped", { size: 8192 });
  const before = dm_live_mappings();
  const error = await assertRejects(
    () =>
      assertNoMemfdLeaks(() => {
        fd.map({ offset: 4096, access: "private" });
      }),
    MemfdLeakError,
  );
  assertEquals(error.leaks.map((l: MemfdLeak) => l.kind), ["mapping"]);
  assertStringIncludes(
    error.message,
    "mapping of 'mapped' (4096 bytes at offset 4096, private), never unmapped",
  );
  assertStringIncludes(error.message, THIS_FILE);
  assertEquals(dm_live_mappings(), before, "the cleanup unmapped it");
});

Deno.test("every leak is listed, in creation order", async () => {
  const error = await assertRejects(
    () =>
      assertNoMemfdLeaks(() => {
        const a = Memfd.create("a", { size: 4096 });
        Memfd.create("b");
        a.mapRing();
        using c = Memfd.create("c");
        c.dup();
      }),
    MemfdLeakError,
  );
  assertEquals(
    error.leaks.map((l: MemfdLeak) => l.description.split(" (")[0]),
    [
      "memfd 'a'",
      "memfd 'b'",
      "mapping of 'a'",
      "memfd 'c'",
    ],
  );
  assertMatch(error.message, /^4 deno_memfd resource\(s\) leaked:/);
});

Deno.test("the function's own error wins, and leaks are still cleaned up", async () => {
  let fd = -1;
  await assertRejects(
    () =>
      assertNoMemfdLeaks(() => {
        fd = Memfd.create("thrower").fd;
        throw new SyntaxError("boom");
      }),
    SyntaxError,
    "boom",
  );
  assertNotEquals(linkOf(fd), "/memfd:thrower (deleted)");
});

Deno.test("cleanup: false leaves leaked resources alone", async () => {
  let leaked: Memfd | undefined;
  await assertRejects(
    () =>
      assertNoMemfdLeaks(() => {
        leaked = Memfd.create("kept");
      }, { cleanup: false }),
    MemfdLeakError,
  );
  const kept = leaked!;
  assert(!kept.closed);
  assertEquals(linkOf(kept.fd), "/memfd:kept (deleted)");
  kept.close();
});

Deno.test({
  name: "a close deferred behind an in-flight call is still a leak",
  ignore: stallUnavailable !== undefined,
}, async () => {
  // The read's copy into `stall` waits until released: the call is in
  // flight for as long as the test says, however fast or loaded the machine.
  using stall = stalledBuffer();
  let pending: Promise<number> | undefined;
  let fd = -1;
  const error = await assertRejects(
    () =>
      assertNoMemfdLeaks(() => {
        const memfd = Memfd.create("busy", { size: 4096 });
        fd = memfd.fd;
        pending = memfd.readAsync(stall.bytes);
        memfd.close();
      }, { cleanup: false }),
    MemfdLeakError,
  );
  assertStringIncludes(
    error.message,
    "memfd 'busy': close() was called but a readAsync/writeAsync still holds its fd",
  );
  assertEquals(
    linkOf(fd),
    "/memfd:busy (deleted)",
    "still open while in flight",
  );
  stall.release();
  assertEquals(await pending, 4096);
  assertNotEquals(linkOf(fd), "/memfd:busy (deleted)", "closed once done");
});

Deno.test("adopted fds that the Memfd does not own are not leaks", async () => {
  using original = Memfd.create("original");
  await assertNoMemfdLeaks(() => {
    Memfd.fromFd(original.fd, { owned: false });
  });
});

Deno.test("nested checks each see their own leaks", async () => {
  await assertNoMemfdLeaks(async () => {
    using outer = Memfd.create("outer");
    await assertRejects(
      () => assertNoMemfdLeaks(() => void Memfd.create("inner")),
      MemfdLeakError,
      "memfd 'inner'",
    );
    assert(!outer.closed);
  });
});

Deno.test("noMemfdLeaks wraps a test function", async (t) => {
  await noMemfdLeaks((ctx) => {
    assertEquals(ctx, t);
    using _ = Memfd.create("wrapped");
  })(t);
  const error = await assertRejects(
    () => noMemfdLeaks(() => void Memfd.create("wrapped leak"))(t),
    MemfdLeakError,
  );
  assertInstanceOf(error, Error);
  assertStringIncludes(error.message, "memfd 'wrapped leak'");
});

Deno.test(
  "noMemfdLeaks in use: a clean test passes",
  noMemfdLeaks(async () => {
    using fd = Memfd.create("clean", { size: 8192 });
    using ring = fd.mapRing();
    ring.bytes[0] = 7;
    assertEquals(ring.bytes[8192], 7);
    using copy = fd.dup();
    assertEquals(await copy.readAsync(new Uint8Array(1)), 1);
  }),
);
