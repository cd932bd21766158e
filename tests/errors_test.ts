/**
 * `MemfdError`: its shape (code, errno, syscall) and messages that say what
 * was attempted, why the kernel refused, and what to do instead.
 */

import { test } from "./support/leak_checked.ts";
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { Memfd, MemfdError } from "../mod.ts";
import { assertMemfdError } from "./support/assert.ts";
import { kernel } from "./support/kernel.ts";

const PAGE = 4096;

/** Hugetlb failures: a missing pool, a write; before 4.14, any hugetlb. */
function hugetlbHints(): Hint[] {
  if (!kernel.hugetlb) {
    return [[
      "hugetlb on a kernel without it",
      () => {
        Memfd.create("huge", { hugetlb: true });
      },
      "EINVAL",
      "hugetlb sizes need a kernel that knows them",
    ]];
  }
  return [
    [
      "a huge page size without a pool",
      () => {
        Memfd.create("huge", { hugetlb: "16GB" });
      },
      "ENODEV",
      "/sys/kernel/mm/hugepages",
    ],
    [
      "write() to a hugetlb memfd",
      () => {
        using fd = Memfd.create("huge", { hugetlb: "2MB", size: 2 << 20 });
        fd.write(new Uint8Array(1));
      },
      "EINVAL",
      "mapping",
    ],
  ];
}

test("MemfdError carries code, errno and syscall, and names them in the message", () => {
  using fd = Memfd.create("shape", { allowSealing: false });
  const e = assertThrows(() => fd.seal("grow"), MemfdError);
  assertInstanceOf(e, Error);
  assertEquals(e.name, "MemfdError");
  assertEquals(e.code, "EPERM");
  assertEquals(e.errno, 1);
  assertEquals(e.syscall, "fcntl(F_ADD_SEALS)");
  assert(e.message.endsWith("(EPERM, fcntl(F_ADD_SEALS))"), e.message);
  assertStringIncludes(e.message, "cannot add seals to 'shape'");
  assert(e.stack !== undefined);
});

test("MemfdError can be constructed, and names errnos it does not know", () => {
  const known = new MemfdError(16, "ftruncate", "cannot resize");
  assertEquals([known.code, known.errno, known.syscall], [
    "EBUSY",
    16,
    "ftruncate",
  ]);
  assertEquals(known.message, "cannot resize (EBUSY, ftruncate)");
  assertEquals(new MemfdError(4095, "x", "m").code, "E4095");
});

test("each refusal names the syscall the kernel refused", () => {
  using fd = Memfd.create("syscalls", { size: PAGE });
  using map = fd.map();
  assertEquals(
    assertMemfdError(() => fd.resize(0), "EBUSY").syscall,
    "ftruncate",
  );
  assertEquals(
    assertMemfdError(() => fd.map({ offset: 1, length: 1 }), "EINVAL").syscall,
    "mmap",
  );
  map.unmap();
  fd.seal("write");
  assertEquals(
    assertMemfdError(() => fd.write(new Uint8Array(1)), "EPERM").syscall,
    "pwrite",
  );
});

/** A refusal, the words its message must have, and how to provoke it. */
type Hint = [
  what: string,
  provoke: () => void,
  code: string,
  ...words: string[],
];

test("messages are actionable: they name the memfd and say what to do", async (t) => {
  const hints: Hint[] = [
    [
      "shared map of a write-sealed memfd",
      () => {
        using fd = Memfd.create("sealed", { size: PAGE });
        fd.seal("write");
        fd.map();
      },
      "EPERM",
      "'sealed'",
      "sealed against writes",
      "access: 'private'",
      "read()",
    ],
    [
      "write seal under a mapping",
      () => {
        using fd = Memfd.create("mapped", { size: PAGE });
        using _map = fd.map();
        fd.seal("write");
      },
      "EBUSY",
      "'mapped'",
      "shared mapping",
      "unmap it first",
    ],
    [
      "shrinking under a mapping",
      () => {
        using fd = Memfd.create("mapped", { size: PAGE });
        using _map = fd.map();
        fd.resize(0);
      },
      "EBUSY",
      "SIGBUS",
      "unmap it first",
    ],
    [
      "shrinking a shrink-sealed memfd",
      () => {
        using fd = Memfd.create("sealed", { size: PAGE });
        fd.seal("shrink");
        fd.resize(0);
      },
      "EPERM",
      "'shrink'",
    ],
    [
      "sealing with allowSealing: false",
      () => {
        using fd = Memfd.create("unsealable", { allowSealing: false });
        fd.seal("write");
      },
      "EPERM",
      "allowSealing: false",
    ],
    [
      "sealing through a read-only fd",
      () => {
        using fd = Memfd.create("ro", { size: PAGE });
        using ro = Memfd.open(fd.path);
        ro.seal("write");
      },
      "EPERM",
      "read-only",
    ],
    [
      "shared map through a read-only fd",
      () => {
        using fd = Memfd.create("ro", { size: PAGE });
        using ro = Memfd.open(fd.path);
        ro.map();
      },
      "EACCES",
      "read-only",
      "write: true",
      "access: 'private'",
    ],
    [
      "writing through a read-only fd",
      () => {
        using fd = Memfd.create("ro", { size: PAGE });
        using ro = Memfd.open(fd.path);
        ro.write(new Uint8Array(1));
      },
      "EBADF",
      "read-only",
    ],
    [
      "resizing through a read-only fd",
      () => {
        using fd = Memfd.create("ro", { size: PAGE });
        using ro = Memfd.open(fd.path);
        ro.resize(0);
      },
      "EINVAL",
      "read-only",
      "write: true",
    ],
    [
      "an unaligned map offset",
      () => {
        using fd = Memfd.create("offset", { size: 2 * PAGE });
        fd.map({ offset: 10, length: 10 });
      },
      "EINVAL",
      "multiple of the page size",
    ],
    [
      "a name too long",
      () => {
        Memfd.create("n".repeat(300));
      },
      "EINVAL",
      "249 UTF-8 bytes",
    ],
    ...hugetlbHints(),
    [
      "adopting a non-memfd",
      () => {
        Memfd.fromFd(0, { owned: false });
      },
      "EINVAL",
      "not a memfd",
    ],
    [
      "opening a path that is gone",
      () => {
        Memfd.open("/proc/self/fd/999999");
      },
      "ENOENT",
      "is the process alive and the fd open?",
    ],
    [
      "a missing seal",
      () => {
        using fd = Memfd.create("untrusted", { size: PAGE });
        fd.requireSeals("write");
      },
      "EPERM",
      "'untrusted'",
      "missing required seals: write",
    ],
  ];
  for (const [what, provoke, code, ...words] of hints) {
    await t.step(what, () => {
      assertMemfdError(provoke, code, ...words);
    });
  }
});

test("RangeErrors and TypeErrors name the parameter and the accepted values", () => {
  using fd = Memfd.create("params", { size: PAGE });
  assertThrows(
    () => fd.resize(-1),
    RangeError,
    "Memfd.resize: size must be a whole number from 0 to 2^53-1, got -1",
  );
  assertThrows(() => fd.write(new Uint8Array(1), 0.5), RangeError, "position");
  assertThrows(
    () => fd.map({ offset: "0" as never }),
    TypeError,
    'Memfd.map: offset must be a number, got "0"',
  );
  assertThrows(
    () => fd.map({ access: "rw" as never }),
    TypeError,
    `"shared" or "private"`,
  );
  assertThrows(
    () => fd.seal("wirte" as never),
    TypeError,
    "expected one of seal, shrink, grow, write, future-write, exec",
  );
  assertThrows(
    () => fd.map({ length: 2 * PAGE }),
    RangeError,
    "the file is 4096 bytes",
  );
  assertThrows(
    () => fd.mapRing({ length: 100 }),
    RangeError,
    "multiple of the page size (4096)",
  );
  assertThrows(
    () => Memfd.create("x", { hugetlb: "3MB" as never }),
    TypeError,
    "2MB",
  );
});

test("a ring wait the kernel refuses is a futex failure, not mmap's", async () => {
  // The kernel refuses the library's own futex waits only on a broken
  // mapping, which the public API cannot make: check the table instead.
  const { memfdFailure } = await import("../src/errors/failures.ts");
  const error = memfdFailure("ringWait", 22, "frames", {
    operation: "RingBuffer.waitReadable",
  });
  assertEquals([error.code, error.syscall], ["EINVAL", "futex"]);
  assertEquals(error.operation, "RingBuffer.waitReadable");
  assertStringIncludes(error.message, "cannot wait on ring buffer 'frames'");
});
