/**
 * Resource exhaustion: out of fds (EMFILE), out of address space (ENOMEM,
 * `prlimit --as`), out of huge pages (ENOMEM), over the file size limit
 * (EFBIG, `prlimit --fsize`), sizes past 2^53-1. Each gives a typed error,
 * leaks no fd and no mapping, and the process keeps working once objects are
 * closed or the limit is lifted. Limits are set on child processes.
 */

import {
  assert,
  assertEquals,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { Memfd, MemfdError } from "../mod.ts";
import { noMemfdLeaks } from "../testing.ts";
import { birthSeals, kernel } from "./support/kernel.ts";
import { skipWhenEmulated } from "./support/emulation.ts";
import {
  FFI,
  MOD,
  type Outcome,
  runDeno,
  runPython,
  TESTING,
} from "./support/run.ts";

const MIB = 1 << 20;
const HUGE = 2 * MIB;

/** Helpers every child script starts with. */
const PRELUDE = `
import { Memfd, MemfdError } from "${MOD}";
import { dm_live_mappings } from "${FFI}";
import { assertNoMemfdLeaks } from "${TESTING}";
const memfds = () => {
  let n = 0;
  for (const e of Deno.readDirSync("/proc/self/fd")) {
    try {
      if (Deno.readLinkSync("/proc/self/fd/" + e.name).startsWith("/memfd:")) n++;
    } catch { /* the directory's own fd */ }
  }
  return n;
};
const describe = (e) => e instanceof MemfdError
  ? { type: "MemfdError", code: e.code, message: e.message }
  : { type: e?.constructor?.name ?? typeof e, message: String(e) };
const attempt = (f) => { try { return { ok: f() ?? true }; } catch (e) { return describe(e); } };
const attemptAsync = async (f) => { try { return { ok: await f() }; } catch (e) { return describe(e); } };
const report = {};
`;

/** Runs a child script (after the prelude) and returns its JSON report. */
async function child(
  code: string,
  prefix: string[] = [],
): Promise<Record<string, unknown>> {
  // All: the child lists /proc/self/fd, which Deno 2 guards behind it.
  const out: Outcome = await runDeno(
    PRELUDE + code + "\nconsole.log(JSON.stringify(report));",
    ["--allow-all"],
    [],
    { prefix },
  );
  assertEquals(
    [out.code, out.signal],
    [0, null],
    `the child failed or died:\n${out.stderr}`,
  );
  return JSON.parse(out.stdout.trim().split("\n").pop()!);
}

function assertRefused(
  report: unknown,
  code: string,
  words: string,
): void {
  const r = report as { type: string; code: string; message: string };
  assertEquals([r.type, r.code], ["MemfdError", code], JSON.stringify(r));
  assertStringIncludes(r.message, words);
}

Deno.test("EMFILE: create, dup and open fail typed, leak nothing, and work again after closing", async () => {
  const report = await child(
    `
await assertNoMemfdLeaks(async () => {
  const before = memfds();
  const held = [];
  for (let i = 0; i < 10000 && report.create === undefined; i++) {
    try {
      held.push(Memfd.create("fill", { size: 4096 }));
    } catch (e) {
      report.create = describe(e);
    }
  }
  report.held = held.length;
  report.dup = attempt(() => held[0].dup());
  report.open = attempt(() => Memfd.open(held[0].path, { write: true }));
  report.sized = attempt(() => Memfd.create("sized", { size: 1 << 20 }));
  // Mapping, reading, writing and sealing need no new fd: they still work.
  const map = held[0].map();
  map.bytes[0] = 7;
  map.unmap();
  const one = new Uint8Array(1);
  held[0].read(one);
  report.readBack = one[0];
  report.writeAsync = await held[1].writeAsync(new Uint8Array([1, 2, 3]));
  report.seal = [...held[2].seal("grow")].join(",");
  held.pop().close(); // room for listing /proc/self/fd
  report.leakedAtLimit = memfds() - before - held.length;
  for (const m of held) m.close();
  report.leakedAfter = memfds() - before;
  report.live = dm_live_mappings();
  using again = Memfd.create("again", { size: 4096 });
  using copy = again.dup();
  using map2 = copy.map();
  map2.bytes[1] = 9;
  report.again = again.read(new Uint8Array(2));
});
`,
    ["prlimit", "--nofile=100", "--"],
  );
  assert((report.held as number) > 10, `only ${report.held} memfds fit`);
  const tooMany = "too many open files";
  assertRefused(report.create, "EMFILE", tooMany);
  assertRefused(report.dup, "EMFILE", tooMany);
  assertRefused(report.open, "EMFILE", tooMany);
  assertRefused(report.sized, "EMFILE", tooMany);
  assertEquals(report.readBack, 7);
  assertEquals(report.writeAsync, 3);
  // The child inherits this process's kernel (and any kernel_shim filter).
  assertEquals(report.seal, ["grow", ...birthSeals].join(","));
  assertEquals(report.leakedAtLimit, 0, "a refused call left an fd open");
  assertEquals(report.leakedAfter, 0);
  assertEquals(report.live, 0);
  assertEquals(report.again, 2);
});

Deno.test("ENOMEM: maps past the address-space limit fail typed, leak nothing, and succeed once it is lifted", async () => {
  const report = await child(`
const vmSize = () =>
  Number(/VmSize:\\s+(\\d+)/.exec(Deno.readTextFileSync("/proc/self/status"))[1]) * 1024;
const limitAs = (value) => {
  const out = new Deno.Command("prlimit", {
    args: ["--pid", String(Deno.pid), "--as=" + value],
  }).outputSync();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
};
await assertNoMemfdLeaks(() => {
  using fd = Memfd.create("address-space", { size: 2 ** 40 });
  const before = memfds();
  // 2 GiB of room above what this process already uses.
  limitAs(vmSize() + 2 ** 31 + ":unlimited");
  report.shared = attempt(() => fd.map({ length: 2 ** 33 }));
  report.private = attempt(() => fd.map({ length: 2 ** 33, access: "private" }));
  report.ring = attempt(() => fd.mapRing({ length: 2 ** 32 }));
  report.live = dm_live_mappings();
  report.leaked = memfds() - before;
  // Smaller mappings still fit under the limit.
  const small = fd.map({ length: 64 << 20 });
  small.bytes[(64 << 20) - 1] = 1;
  small.unmap();
  report.small = "ok";
  limitAs("unlimited:unlimited");
  const big = fd.map({ length: 2 ** 33 });
  big.bytes[2 ** 33 - 1] = 2;
  report.lifted = big.byteLength;
  big.unmap();
  report.liveAfter = dm_live_mappings();
});
`);
  const words = "out of memory or address space";
  assertRefused(report.shared, "ENOMEM", words);
  assertRefused(report.private, "ENOMEM", words);
  assertRefused(report.ring, "ENOMEM", words);
  assertEquals(report.live, 0, "a refused map left a mapping registered");
  assertEquals(report.leaked, 0);
  assertEquals(report.small, "ok");
  assertEquals(report.lifted, 2 ** 33);
  assertEquals(report.liveAfter, 0);
});

Deno.test("EFBIG: growing past the file size limit is a typed error, not a SIGXFSZ death", async () => {
  const LIMIT = 256 * MIB;
  const report = await child(
    `
const LIMIT = ${LIMIT};
await assertNoMemfdLeaks(async () => {
  using fd = Memfd.create("fsize");
  report.grow = attempt(() => fd.resize(2 * LIMIT));
  report.sizeAfterRefusal = fd.size;
  report.toLimit = attempt(() => fd.resize(LIMIT));
  report.writeAt = attempt(() => fd.write(new Uint8Array(10), LIMIT));
  report.writeAsyncPast = await attemptAsync(() =>
    fd.writeAsync(new Uint8Array(10), LIMIT + 5)
  );
  // A write that starts below the limit stops at it: a short count.
  report.straddle = fd.write(new Uint8Array(100).fill(1), LIMIT - 10);
  report.size = fd.size;
  report.shrink = attempt(() => fd.resize(4096));
  report.regrow = attempt(() => fd.resize(LIMIT));
  report.write = fd.write(new Uint8Array([1, 2, 3]), 5);
});
`,
    ["prlimit", `--fsize=${LIMIT}`, "--"],
  );
  const words = "file size limit";
  assertRefused(report.grow, "EFBIG", words);
  assertEquals(report.sizeAfterRefusal, 0);
  assertEquals(report.toLimit, { ok: true });
  assertRefused(report.writeAt, "EFBIG", words);
  assertRefused(report.writeAsyncPast, "EFBIG", words);
  assertEquals(report.straddle, 10);
  assertEquals(report.size, LIMIT);
  assertEquals(report.shrink, { ok: true });
  assertEquals(report.regrow, { ok: true });
  assertEquals(report.write, 3);
});

Deno.test(
  "hugetlb: a map the pool cannot back is a typed ENOMEM; exhausting the pool leaks nothing",
  {
    ignore: skipWhenEmulated(
      "hugetlb exhaustion: qemu-user places hugetlb mappings at addresses " +
        "that are not huge-page aligned (EINVAL, not the pool's ENOMEM)",
    ),
  },
  async () => {
    const report = await child(`
const HUGE = ${HUGE};
const meminfo = (key) => Number(
  new RegExp("^" + key + ":\\\\s+(\\\\d+)", "m")
    .exec(Deno.readTextFileSync("/proc/meminfo"))?.[1] ?? 0,
);
// Probed in the parent (tests/support/kernel.ts): MFD_HUGETLB and a 2 MiB pool.
const hstate = ${kernel.hugePageSizes.has("2MB")};
report.hstate = hstate;
if (!hstate) {
  report.create = attempt(() => Memfd.create("huge", { hugetlb: "2MB" }));
} else await assertNoMemfdLeaks(() => {
  const total = meminfo("HugePages_Total");
  const free = meminfo("HugePages_Free");
  const overcommit = Number(
    Deno.readTextFileSync("/proc/sys/vm/nr_overcommit_hugepages"),
  );
  const before = memfds();
  // More huge pages than the pool can ever have: never reservable.
  const pages = total + overcommit + 1;
  {
    using big = Memfd.create("huge-big", { hugetlb: "2MB", size: pages * HUGE });
    report.big = attempt(() => big.map());
    report.bigLive = dm_live_mappings();
    report.bigSize = big.size === pages * HUGE; // the memfd is unharmed
    big.resize(0);
  }
  // Exhaust the pool one page at a time: each mapping reserves its page,
  // so every one that succeeds can be touched (no SIGBUS), and the first
  // that cannot be backed is refused.
  const held = [];
  while (held.length <= total + overcommit && report.refusal === undefined) {
    const memfd = Memfd.create("huge-" + held.length, { hugetlb: "2MB", size: HUGE });
    try {
      const map = memfd.map();
      held.push([memfd, map]);
      map.bytes[0] = held.length;
      map.bytes[HUGE - 1] = held.length;
    } catch (e) {
      memfd.close();
      report.refusal = describe(e);
    }
  }
  report.held = held.length;
  report.heldLive = dm_live_mappings() === held.length;
  report.touched = held.every(([, map], i) => map.bytes[HUGE - 1] === i + 1);
  if (held.length > 0) {
    // Giving one page back makes room: the process keeps working.
    const [memfd, map] = held.pop();
    map.unmap();
    memfd.close();
    using again = Memfd.create("huge-again", { hugetlb: "2MB", size: HUGE });
    using map2 = again.map();
    map2.bytes[0] = 1;
    report.again = "ok";
  }
  for (const [memfd, map] of held) {
    map.unmap();
    memfd.close();
  }
  report.live = dm_live_mappings();
  report.leaked = memfds() - before;
  report.freeRestored = meminfo("HugePages_Free") === free;
  report.total = total;
  report.nrHugepages = Number(Deno.readTextFileSync("/proc/sys/vm/nr_hugepages"));
});
`);
    if (!report.hstate) {
      // Before 4.14 no hugetlb at all (EINVAL); otherwise no 2 MiB pool.
      if (kernel.hugetlb) assertRefused(report.create, "ENODEV", "huge page");
      else assertRefused(report.create, "EINVAL", "hugetlb");
      return;
    }
    assertEquals(report.total, report.nrHugepages, "meminfo was read right");
    assertRefused(report.big, "ENOMEM", "huge pages");
    assertEquals(report.bigLive, 0);
    assertEquals(report.bigSize, true);
    assertRefused(report.refusal, "ENOMEM", "huge pages");
    assert((report.held as number) <= (report.total as number));
    assertEquals(report.heldLive, true);
    assertEquals(report.touched, true);
    if ((report.held as number) > 0) assertEquals(report.again, "ok");
    assertEquals(report.live, 0);
    assertEquals(report.leaked, 0);
    assertEquals(report.freeRestored, true, "every huge page came back");
  },
);

Deno.test(
  "a size past 2^53-1 (grown by another process) is a RangeError, never a rounded number",
  noMemfdLeaks(async () => {
    using fd = Memfd.create("beyond-safe", { size: 4096 });
    const out = await runPython(
      `import os, sys
f = os.open(sys.argv[1], os.O_RDWR)
os.pwrite(f, b"x", 2**53)
os.close(f)`,
      [fd.path],
    );
    assertEquals(out.code, 0, out.stderr);
    assertThrows(() => fd.size, RangeError, "2^53-1");
    // The rest of an 8 PiB file does not fit in the address space.
    const e = assertThrows(() => fd.map(), MemfdError);
    assertEquals(e.code, "ENOMEM");
    // Explicit ranges still work (the end of the file too), and so does
    // shrinking it back.
    using tail = fd.map({ offset: 2 ** 53 - 4096 });
    assertEquals(tail.byteLength, 4097);
    assertEquals(tail.bytes[4096], "x".charCodeAt(0));
    tail.unmap();
    using map = fd.map({ length: 4096 });
    map.bytes[0] = 1;
    assertThrows(
      () => fd.write(new Uint8Array(2), Number.MAX_SAFE_INTEGER - 1),
      RangeError,
    );
    map.unmap();
    fd.resize(4096);
    assertEquals(fd.size, 4096);
  }),
);
