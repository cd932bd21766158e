/**
 * Bad input of every kind from issue 2 ("Bad input gets"): the right error,
 * and afterwards the memfd unchanged (size, seals, content) with no fd or
 * mapping leaked.
 */

import { test } from "./support/leak_checked.ts";
import { Memfd } from "../mod.ts";
import {
  assertRefusedWithoutEffect,
  memfdError,
  rangeError,
  typeError,
} from "./support/assert.ts";
import { runOk } from "./support/run.ts";
import { kernel } from "./support/kernel.ts";

const PAGE = 4096;

/** A memfd with content and a seal, so that any change would show. */
function subject(): Memfd {
  const fd = Memfd.create("subject", { size: 2 * PAGE });
  fd.write(new Uint8Array([1, 2, 3, 4]), PAGE - 2);
  // future-write where the kernel has it (5.1+, probed): a seal that leaves
  // writes through this fd refused but resizes allowed.
  fd.seal(kernel.futureWrite ? "future-write" : "shrink");
  return fd;
}

// Values JavaScript can hold but the kernel cannot take faithfully.
const NOT_INDEXES = [-1, -0.5, 1.5, NaN, Infinity, -Infinity, 2 ** 53, 1e300];
const NOT_NUMBERS = ["1", 1n, null, true, {}, [1]];

type Case = [
  label: string,
  call: (fd: Memfd) => unknown,
  check: (e: unknown) => void,
];

const CASES: Case[] = [
  // Memfd.create: names.
  ["name not a string", () => Memfd.create(5 as never), typeError("name")],
  ["name missing", () => Memfd.create(undefined as never), typeError("name")],
  ["NUL in name", () => Memfd.create("a\0b"), typeError("NUL")],
  ["NUL at end", () => Memfd.create("ab\0"), typeError("NUL")],
  [
    "250-byte name",
    () => Memfd.create("x".repeat(250)),
    memfdError("EINVAL", "249"),
  ],
  [
    "250-byte UTF-8 name",
    () => Memfd.create("€".repeat(83) + "x"),
    memfdError("EINVAL", "249"),
  ],
  // Memfd.create: options.
  ["options null", () => Memfd.create("x", null as never), typeError()],
  ["options string", () => Memfd.create("x", "big" as never), typeError()],
  ...NOT_NUMBERS.map((size): Case => [
    `size ${String(size)}`,
    () => Memfd.create("x", { size: size as never }),
    typeError("size"),
  ]),
  ...NOT_INDEXES.map((size): Case => [
    `size ${size}`,
    () => Memfd.create("x", { size }),
    rangeError("size"),
  ]),
  [
    "cloexec 'yes'",
    () => Memfd.create("x", { cloexec: "yes" as never }),
    typeError("cloexec"),
  ],
  [
    "allowSealing 1",
    () => Memfd.create("x", { allowSealing: 1 as never }),
    typeError("allowSealing"),
  ],
  [
    "executable null",
    () => Memfd.create("x", { executable: null as never }),
    typeError("executable"),
  ],
  [
    "hugetlb '3MB'",
    () => Memfd.create("x", { hugetlb: "3MB" as never }),
    typeError("hugetlb"),
  ],
  [
    "hugetlb 2",
    () => Memfd.create("x", { hugetlb: 2 as never }),
    typeError("hugetlb"),
  ],
  [
    "hugetlb 'toString'",
    () => Memfd.create("x", { hugetlb: "toString" as never }),
    typeError("hugetlb"),
  ],
  // write / read / async.
  ["write a string", (fd) => fd.write("abc" as never), typeError("Uint8Array")],
  [
    "write an array",
    (fd) => fd.write([1, 2] as never),
    typeError("Uint8Array"),
  ],
  [
    "write a Uint16Array",
    (fd) => fd.write(new Uint16Array(2) as never),
    typeError("Uint8Array"),
  ],
  [
    "write an ArrayBuffer",
    (fd) => fd.write(new ArrayBuffer(2) as never),
    typeError("Uint8Array"),
  ],
  ["read into null", (fd) => fd.read(null as never), typeError("Uint8Array")],
  [
    "writeAsync a string",
    (fd) => fd.writeAsync("abc" as never),
    typeError("Uint8Array"),
  ],
  [
    "readAsync a DataView",
    (fd) => fd.readAsync(new DataView(new ArrayBuffer(2)) as never),
    typeError(),
  ],
  ...NOT_INDEXES.flatMap((position): Case[] => [
    [
      `write at ${position}`,
      (fd) => fd.write(new Uint8Array(1), position),
      rangeError("position"),
    ],
    [
      `read at ${position}`,
      (fd) => fd.read(new Uint8Array(1), position),
      rangeError("position"),
    ],
    [
      `writeAsync at ${position}`,
      (fd) => fd.writeAsync(new Uint8Array(1), position),
      rangeError("position"),
    ],
  ]),
  ...NOT_NUMBERS.map((position): Case => [
    `write at ${String(position)}`,
    (fd) => fd.write(new Uint8Array(1), position as never),
    typeError("position"),
  ]),
  // resize.
  ...NOT_INDEXES.map((
    size,
  ): Case => [`resize ${size}`, (fd) => fd.resize(size), rangeError("size")]),
  ...NOT_NUMBERS.map((
    size,
  ): Case => [
    `resize ${String(size)}`,
    (fd) => fd.resize(size as never),
    typeError("size"),
  ]),
  // seal names.
  [
    "seal 'bogus'",
    (fd) => fd.seal("bogus" as never),
    typeError("unknown seal"),
  ],
  [
    "seal 'Write'",
    (fd) => fd.seal("Write" as never),
    typeError("unknown seal"),
  ],
  ["seal 8", (fd) => fd.seal(8 as never), typeError("unknown seal")],
  [
    "seal good then bad",
    (fd) => fd.seal("shrink", "nope" as never),
    typeError("unknown seal"),
  ],
  [
    "requireSeals 'x'",
    (fd) => fd.requireSeals("x" as never),
    typeError("unknown seal"),
  ],
  // map / mapRing options.
  ["map options null", (fd) => fd.map(null as never), typeError()],
  [
    "map access 'rw'",
    (fd) => fd.map({ access: "rw" as never }),
    typeError("access"),
  ],
  [
    "map populate 1",
    (fd) => fd.map({ populate: 1 as never }),
    typeError("populate"),
  ],
  ...NOT_INDEXES.flatMap((n): Case[] => [
    [`map offset ${n}`, (fd) => fd.map({ offset: n }), rangeError()],
    [`map length ${n}`, (fd) => fd.map({ length: n }), rangeError()],
    [`mapRing length ${n}`, (fd) => fd.mapRing({ length: n }), rangeError()],
  ]),
  [
    "map offset '0'",
    (fd) => fd.map({ offset: "0" as never }),
    typeError("offset"),
  ],
  [
    "map length '1'",
    (fd) => fd.map({ length: "1" as never }),
    typeError("length"),
  ],
  ["map length 0", (fd) => fd.map({ length: 0 }), rangeError("empty")],
  ["map past EOF", (fd) => fd.map({ length: 3 * PAGE }), rangeError("SIGBUS")],
  [
    "map offset at EOF",
    (fd) => fd.map({ offset: 2 * PAGE }),
    rangeError("SIGBUS"),
  ],
  [
    "map unaligned offset",
    (fd) => fd.map({ offset: 512, length: 8 }),
    memfdError("EINVAL", "page size"),
  ],
  [
    "mapRing 100 bytes",
    (fd) => fd.mapRing({ length: 100 }),
    rangeError("page size"),
  ],
  [
    "mapRing unaligned offset",
    (fd) => fd.mapRing({ offset: 8, length: PAGE }),
    memfdError("EINVAL"),
  ],
  [
    "mapRing past EOF",
    (fd) => fd.mapRing({ length: 4 * PAGE }),
    rangeError("SIGBUS"),
  ],
  // fromFd / open.
  ["fromFd '3'", () => Memfd.fromFd("3" as never), typeError("fd")],
  ["fromFd -1", () => Memfd.fromFd(-1), rangeError("fd")],
  ["fromFd 1.5", () => Memfd.fromFd(1.5), rangeError("fd")],
  [
    "fromFd not open",
    () => Memfd.fromFd(1 << 20),
    memfdError("EBADF", "not open"),
  ],
  [
    "fromFd stderr",
    () => Memfd.fromFd(2, { owned: false }),
    memfdError("EINVAL", "not a memfd"),
  ],
  [
    "fromFd owned 'no'",
    (fd) => Memfd.fromFd(fd.fd, { owned: "no" as never }),
    typeError("owned"),
  ],
  ["fromFd options 5", (fd) => Memfd.fromFd(fd.fd, 5 as never), typeError()],
  ["open 5", () => Memfd.open(5 as never), typeError("path")],
  ["open NUL", (fd) => Memfd.open(fd.path + "\0"), typeError("NUL")],
  [
    "open write 1",
    (fd) => Memfd.open(fd.path, { write: 1 as never }),
    typeError("write"),
  ],
  [
    "open a regular file",
    () => Memfd.open("/etc/hostname"),
    memfdError("EINVAL", "not a memfd"),
  ],
  [
    "open a directory",
    () => Memfd.open("/tmp"),
    memfdError("EINVAL", "not a memfd"),
  ],
  [
    "open /dev/null",
    () => Memfd.open("/dev/null"),
    memfdError("EINVAL"),
  ],
];

test("bad input: the documented error, and nothing changed, no fd or mapping leaked", async (t) => {
  using fd = subject();
  for (const [label, call, check] of CASES) {
    await t.step(label, async () => {
      await assertRefusedWithoutEffect(fd, () => call(fd), check);
    });
  }
});

test("open() of a FIFO is EINVAL at once, not a wait for a writer", async () => {
  const fifo = `/tmp/deno_memfd_fifo_${Deno.pid}_${crypto.randomUUID()}`;
  await runOk("mkfifo", [fifo]);
  try {
    using fd = subject();
    for (const write of [false, true]) {
      await assertRefusedWithoutEffect(
        fd,
        () => Memfd.open(fifo, { write }),
        memfdError("EINVAL", "not a memfd"),
      );
    }
  } finally {
    await Deno.remove(fifo);
  }
});
