/**
 * Huge page memfds (CONFORMANCE #9–#12; #43 is checked in Rust). Whether a
 * mapping can succeed depends on the machine: `.ci/run` reserves a few 2 MiB
 * pages, elsewhere the pool may be empty. Each test reads the pool first and
 * asserts the kernel's answer for that state (success, or ENOMEM).
 */

import { test } from "./support/leak_checked.ts";
import { assert, assertEquals } from "@std/assert";
import { type HugePageSize, Memfd } from "../mod.ts";
import {
  assertMemfdError,
  assertMemfdRejects,
  assertNoFdLeak,
  assertRefusedWithoutEffect,
  memfdError,
} from "./support/assert.ts";
import { hugePools, mappingsOf, statL } from "./support/proc.ts";
import { kernel } from "./support/kernel.ts";
import { skipWhenEmulated } from "./support/emulation.ts";

/** Before Linux 4.14 (probed) there is no MFD_HUGETLB: see the last test. */
const HUGETLB = { ignore: !kernel.hugetlb };

/**
 * Mapping a hugetlb memfd: qemu-user picks the address itself, at one that
 * is not huge-page aligned, so the kernel refuses with EINVAL what it maps
 * natively (or refuses with ENOMEM when the pool is empty).
 */
const HUGETLB_MAP = {
  ignore: !kernel.hugetlb ||
    skipWhenEmulated(
      "hugetlb mappings: qemu-user places them at addresses that are not " +
        "huge-page aligned (EINVAL where the kernel maps or answers ENOMEM)",
    ),
};

const MiB = 1 << 20;
const HUGE = 2 * MiB;

const SIZES_KB: Record<HugePageSize, number> = {
  "64KB": 64,
  "512KB": 512,
  "1MB": 1024,
  "2MB": 2048,
  "8MB": 8192,
  "16MB": 16384,
  "32MB": 32768,
  "256MB": 262144,
  "512MB": 524288,
  "1GB": 1048576,
  "2GB": 2097152,
  "16GB": 16777216,
};

test(
  "#9 every huge page size: created where the kernel has that pool, ENODEV where not",
  HUGETLB,
  async () => {
    const pools = await hugePools();
    assert(pools.has(2048), "this x86-64 kernel has a 2 MiB pool");
    for (const [size, kB] of Object.entries(SIZES_KB)) {
      if (pools.has(kB)) {
        using fd = Memfd.create(`huge-${size}`, {
          hugetlb: size as HugePageSize,
        });
        assertEquals(
          await statL(fd.path, "%o"),
          String(kB * 1024),
          `${size}: the block size is the huge page size`,
        );
      } else {
        await assertNoFdLeak(() => {
          assertMemfdError(
            () =>
              Memfd.create(`huge-${size}`, { hugetlb: size as HugePageSize }),
            "ENODEV",
            "/sys/kernel/mm/hugepages",
          );
        });
      }
    }
  },
);

test("#9 hugetlb: true uses the default huge page size", HUGETLB, async () => {
  using fd = Memfd.create("huge-default", { hugetlb: true });
  assertEquals(await statL(fd.path, "%o"), String(HUGE));
});

test(
  "#10 hugetlb sizes must be huge page multiples: 4096 is EINVAL, as an option too",
  HUGETLB,
  async () => {
    using fd = Memfd.create("huge-4k", { hugetlb: "2MB" });
    await assertRefusedWithoutEffect(
      fd,
      () => fd.resize(4096),
      memfdError("EINVAL", "huge page size"),
    );
    fd.resize(HUGE);
    assertEquals(fd.size, HUGE);
    await assertNoFdLeak(() => {
      assertMemfdError(
        () => Memfd.create("huge-4k-option", { hugetlb: "2MB", size: 4096 }),
        "EINVAL",
        // Named after the call made (create), not the ftruncate inside it.
        "cannot create memfd 'huge-4k-option' with size 4096",
        "multiple of its huge page size",
      );
    });
  },
);

test(
  "#11 hugetlb refuses write() (EINVAL, use a mapping) but read() works",
  HUGETLB,
  async () => {
    using fd = Memfd.create("huge-io", { hugetlb: "2MB", size: HUGE });
    await assertRefusedWithoutEffect(
      fd,
      () => fd.write(new Uint8Array([1]), 0),
      memfdError("EINVAL", "mapping"),
    );
    await assertMemfdRejects(
      () => fd.writeAsync(new Uint8Array([1]), 0),
      "EINVAL",
    );
    const out = new Uint8Array(4096).fill(9);
    assertEquals(fd.read(out, HUGE - 4096), 4096);
    assert(out.every((b) => b === 0));
  },
);

test(
  "#12 hugetlb mapping: works while the 2 MiB pool has a free page, ENOMEM when it has none",
  HUGETLB_MAP,
  async () => {
    using fd = Memfd.create("huge-map", { hugetlb: "2MB", size: HUGE });
    const available = (await hugePools()).get(2048)!.available;
    if (available < 1) {
      await assertRefusedWithoutEffect(
        fd,
        () => fd.map(),
        memfdError("ENOMEM", "nr_hugepages"),
      );
      return;
    }
    {
      using map = fd.map();
      assertEquals(map.byteLength, HUGE);
      map.bytes[0] = 1;
      map.bytes[HUGE - 1] = 2;
      map.sync();
      const out = new Uint8Array(1);
      fd.read(out, HUGE - 1);
      assertEquals(out[0], 2, "pread sees the mapping's write");
    }
    assertEquals(await mappingsOf("huge-map"), []);
  },
);

test(
  "#12 #43 a hugetlb mapping shorter than a huge page maps and unmaps cleanly",
  HUGETLB_MAP,
  async () => {
    // The kernel maps (and must unmap) whole huge pages; the library rounds
    // the length it hands to munmap, which would otherwise be EINVAL (#43).
    using fd = Memfd.create("huge-partial", { hugetlb: "2MB", size: 2 * HUGE });
    const available = (await hugePools()).get(2048)!.available;
    if (available < 1) {
      assertMemfdError(() => fd.map({ length: 4096 }), "ENOMEM");
      return;
    }
    const map = fd.map({ length: 4096 });
    assertEquals(map.byteLength, 4096);
    map.bytes[4095] = 5;
    map.unmap();
    assertEquals(await mappingsOf("huge-partial"), []);
    assertMemfdError(
      () => fd.map({ offset: 4096, length: 4096 }),
      "EINVAL",
      "huge page size",
    );
  },
);

test("a hugetlb ring needs huge page multiples", HUGETLB, async () => {
  using fd = Memfd.create("huge-ring", { hugetlb: "2MB", size: HUGE });
  await assertRefusedWithoutEffect(
    fd,
    () => fd.mapRing({ length: 4096 }),
    memfdError("EINVAL", "huge page size"),
  );
  const available = (await hugePools()).get(2048)!.available;
  if (available < 1) {
    assertMemfdError(() => fd.mapRing(), "ENOMEM");
    return;
  }
  using ring = fd.mapRing();
  assertEquals(ring.byteLength, 2 * HUGE);
  ring.bytes[HUGE + 3] = 8;
  assertEquals(ring.bytes[3], 8);
});

test(
  "#12 a 1 GiB hugetlb memfd maps only when that pool has a free page",
  HUGETLB_MAP,
  async () => {
    const pool = (await hugePools()).get(1048576);
    if (pool === undefined) return; // no 1 GiB pool: #9 covers the ENODEV
    using fd = Memfd.create("huge-1g", { hugetlb: "1GB", size: 1 << 30 });
    if (pool.available < 1) {
      assertMemfdError(() => fd.map(), "ENOMEM", "nr_hugepages");
      return;
    }
    using map = fd.map();
    map.bytes[(1 << 30) - 1] = 1;
  },
);

test("before 4.14 every hugetlb create is a typed EINVAL that leaks nothing", {
  ignore: kernel.hugetlb,
}, async () => {
  for (const hugetlb of [true, "2MB", "1GB"] as const) {
    await assertNoFdLeak(() => {
      assertMemfdError(
        () => Memfd.create("huge", { hugetlb }),
        "EINVAL",
        "hugetlb",
      );
    });
  }
});
