/**
 * readAsync/writeAsync racing close() and unmap(): the fd and the pages stay
 * the kernel's until the call completes, then go; the objects refuse new
 * calls at once and never touch a freed fd or unmapped memory.
 *
 * The checks read /proc/<pid>/fd and /proc/<pid>/maps through a python3
 * child run synchronously (`openFdsSync`, `memfdMappingsSync`): while it
 * runs, no promise continuation of this process can, so a deferred close or
 * unmap is observed deterministically, without timing.
 */

import {
  assert,
  assertEquals,
  assertFalse,
  assertNotEquals,
  assertRejects,
  assertThrows,
} from "@std/assert";
import { Memfd, MemfdError } from "../mod.ts";
import { dm_live_mappings } from "../src/native.ts";
import { noMemfdLeaks } from "../testing.ts";
import { memfdMappingsSync, openFdsSync } from "./support/run.ts";
import { stalledBuffer, stallUnavailable } from "./support/stall.ts";

const PID = Deno.pid;
const MIB = 1 << 20;

function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

function fdLink(fd: number): string | undefined {
  return openFdsSync(PID).get(fd);
}

/**
 * Asserts `fd` no longer holds memfd `name`. Not "not open": once closed,
 * the number is free for anything this process opens next.
 */
function assertNotMemfd(fd: number, name: string, message?: string): void {
  assertNotEquals(fdLink(fd), `/memfd:${name} (deleted)`, message);
}

Deno.test(
  {
    name:
      "close() during readAsync: the fd stays open until the call completes, then closes",
    // The test awaits while the read is in flight: the read must be held
    // (by a userfaultfd page) or it may complete first.
    ignore: stallUnavailable !== undefined,
  },
  noMemfdLeaks(async () => {
    using stall = stalledBuffer();
    const memfd = Memfd.create("race-close-read", { size: stall.bytes.length });
    const data = pattern(stall.bytes.length, 1);
    memfd.write(data);
    const fd = memfd.fd;
    const into = stall.bytes;
    const pending = memfd.readAsync(into);
    memfd.close();

    // The object is closed at once…
    assert(memfd.closed);
    assertEquals(memfd.fd, -1);
    const e = assertThrows(() => memfd.size, MemfdError);
    assertEquals(e.code, "EBADF");
    await assertRejects(() => memfd.readAsync(new Uint8Array(1)), MemfdError);
    // …but the fd number is still the memfd's, so the kernel cannot hand it
    // to anyone else while the call may still use it.
    assertEquals(fdLink(fd), "/memfd:race-close-read (deleted)");
    using other = Memfd.create("while-in-flight");
    assertNotEquals(other.fd, fd);

    stall.release();
    assertEquals(await pending, data.length);
    assertEquals(into, data);
    assertNotMemfd(fd, "race-close-read", "closed once the call completed");
  }),
);

Deno.test(
  "close() during writeAsync: the write lands, then the fd closes",
  noMemfdLeaks(async () => {
    const memfd = Memfd.create("race-close-write");
    using reader = memfd.dup();
    const fd = memfd.fd;
    const data = pattern(2 * MIB, 2);
    const pending = memfd.writeAsync(data, 100);
    memfd.close();
    assertEquals(fdLink(fd), "/memfd:race-close-write (deleted)");
    assertEquals(await pending, 2 * MIB);
    assertNotMemfd(fd, "race-close-write");
    const back = new Uint8Array(2 * MIB);
    assertEquals(reader.read(back, 100), 2 * MIB);
    assertEquals(back, data);
  }),
);

Deno.test(
  "close() with several calls in flight closes the fd once, after the last",
  noMemfdLeaks(async () => {
    const memfd = Memfd.create("race-many", { size: 8 * MIB });
    using reader = memfd.dup();
    const fd = memfd.fd;
    const chunks = Array.from({ length: 8 }, (_, i) => pattern(MIB, i));
    const writes = chunks.map((c, i) => memfd.writeAsync(c, i * MIB));
    const reads = Array.from(
      { length: 4 },
      () => memfd.readAsync(new Uint8Array(MIB), 0),
    );
    memfd.close();
    memfd.close();
    assert(openFdsSync(PID).has(fd));
    const results = await Promise.all([...writes, ...reads]);
    assert(results.every((n) => n === MIB));
    assertNotMemfd(fd, "race-many");
    for (let i = 0; i < 8; i++) {
      const back = new Uint8Array(MIB);
      reader.read(back, i * MIB);
      assertEquals(back, chunks[i]);
    }
  }),
);

Deno.test(
  "a call that fails while close() waits still releases the fd, with a typed error",
  noMemfdLeaks(async () => {
    const memfd = Memfd.create("race-fail", { size: 4096 });
    memfd.seal("write");
    const fd = memfd.fd;
    const pending = memfd.writeAsync(new Uint8Array(16));
    memfd.close();
    assert(openFdsSync(PID).has(fd));
    const e = await assertRejects(() => pending, MemfdError);
    assertEquals(e.code, "EPERM");
    assertNotMemfd(fd, "race-fail");
  }),
);

Deno.test(
  "a call refused before it starts does not hold the fd open",
  noMemfdLeaks(async () => {
    const memfd = Memfd.create("race-refused");
    const fd = memfd.fd;
    const pending = memfd.writeAsync(
      new Uint8Array(8),
      Number.MAX_SAFE_INTEGER,
    );
    memfd.close();
    assertFalse(openFdsSync(PID).has(fd), "nothing was in flight");
    await assertRejects(() => pending, RangeError);
  }),
);

Deno.test(
  "after the deferred close, a reused fd number is never touched by the old object",
  noMemfdLeaks(async () => {
    const old = Memfd.create("old", { size: 4096 });
    const fd = old.fd;
    const pending = old.readAsync(new Uint8Array(4096));
    old.close();
    await pending;
    // The number is free now; the next memfd is likely to get it.
    using fresh = Memfd.create("fresh", { size: 4 });
    fresh.write(new Uint8Array([1, 2, 3, 4]));
    assertThrows(() => old.write(new Uint8Array([9])), MemfdError, "closed");
    assertThrows(() => old.resize(0), MemfdError, "closed");
    old.close();
    const back = new Uint8Array(4);
    fresh.read(back);
    assertEquals([...back], [1, 2, 3, 4]);
    assertEquals(fresh.size, 4);
    if (fresh.fd === fd) assertEquals(fdLink(fd), "/memfd:fresh (deleted)");
  }),
);

Deno.test(
  "unmap() during readAsync into the mapping: views detach at once, pages stay until completion",
  noMemfdLeaks(async () => {
    using source = Memfd.create("race-source", { size: 2 * MIB });
    const data = pattern(2 * MIB, 3);
    source.write(data);
    using target = Memfd.create("race-target", { size: 4 * MIB });
    const mapping = target.map();
    const view = mapping.bytes.subarray(MIB, 3 * MIB);
    const whole = mapping.bytes;
    const addr = memfdMappingsSync(PID, "race-target");
    assertEquals(addr.length, 1);
    const live = dm_live_mappings();

    const pending = source.readAsync(view);
    mapping.unmap();
    // Views are detached immediately: JavaScript can no longer reach the pages.
    assertEquals(view.length, 0);
    assertEquals(whole.length, 0);
    assertEquals(mapping.byteLength, 0);
    assert(mapping.unmapped);
    // The kernel still has them mapped, and the registry still holds them.
    assertEquals(memfdMappingsSync(PID, "race-target"), addr);
    assertEquals(dm_live_mappings(), live);
    // A shared mapping still alive means "write" cannot be sealed yet.
    const busy = assertThrows(() => target.seal("write"), MemfdError);
    assertEquals(busy.code, "EBUSY");

    assertEquals(await pending, 2 * MIB);
    assertEquals(memfdMappingsSync(PID, "race-target"), []);
    assertEquals(dm_live_mappings(), live - 1);
    // The read went into the still-mapped pages, so into the target file.
    const back = new Uint8Array(2 * MIB);
    target.read(back, MIB);
    assertEquals(back, data);
    target.seal("write");
  }),
);

Deno.test(
  "unmap() during writeAsync from the mapping: the data written is the mapping's",
  noMemfdLeaks(async () => {
    using source = Memfd.create("race-wsource", { size: 2 * MIB });
    const mapping = source.map({ access: "private" });
    const data = pattern(2 * MIB, 4);
    mapping.bytes.set(data);
    using sink = Memfd.create("race-sink");
    const pending = sink.writeAsync(mapping.bytes);
    mapping.unmap();
    assertEquals(memfdMappingsSync(PID, "race-wsource").length, 1);
    assertEquals(await pending, 2 * MIB);
    assertEquals(memfdMappingsSync(PID, "race-wsource"), []);
    const back = new Uint8Array(2 * MIB);
    sink.read(back);
    assertEquals(back, data);
  }),
);

Deno.test(
  "pages pinned by several calls are unmapped after the last one",
  noMemfdLeaks(async () => {
    using file = Memfd.create("race-pins", { size: 4 * MIB });
    using other = Memfd.create("race-other", { size: 4 * MIB });
    other.write(pattern(4 * MIB, 5));
    const mapping = file.map();
    const bytes = mapping.bytes;
    const first = other.readAsync(bytes.subarray(0, MIB), 0);
    const second = other.readAsync(bytes.subarray(MIB, 4 * MIB), MIB);
    const third = other.writeAsync(bytes.subarray(0, 16), 8 * MIB);
    mapping.unmap();
    mapping.unmap();
    assertEquals(memfdMappingsSync(PID, "race-pins").length, 1);
    await first;
    await third;
    await second;
    assertEquals(memfdMappingsSync(PID, "race-pins"), []);
    const back = new Uint8Array(4 * MIB);
    file.read(back);
    assertEquals(back, pattern(4 * MIB, 5));
  }),
);

Deno.test(
  "close() of the memfd and unmap() of its mapping, both during one call",
  noMemfdLeaks(async () => {
    const memfd = Memfd.create("race-both", { size: 2 * MIB });
    const mapping = memfd.map();
    const fd = memfd.fd;
    const pending = memfd.readAsync(mapping.bytes.subarray(0, MIB), MIB);
    memfd.close();
    mapping.unmap();
    assert(openFdsSync(PID).has(fd));
    assertEquals(memfdMappingsSync(PID, "race-both").length, 1);
    assertEquals(await pending, MIB);
    assertFalse(openFdsSync(PID).has(fd));
    assertEquals(memfdMappingsSync(PID, "race-both"), []);
  }),
);
