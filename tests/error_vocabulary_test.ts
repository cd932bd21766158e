/**
 * One error vocabulary (issue 20, item 4): every `MemfdError` names the
 * public call in `operation` and at the start of its message, `syscall` is
 * only ever a real system call (or `""`, none, for what the library
 * detects itself), and every `TypeError` and `RangeError` of bad input
 * names the call and echoes the value. Each inconsistency a new user met
 * is pinned here.
 */
import { test } from "./support/leak_checked.ts";
import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { Memfd, MemfdError, MemfdListener, RingBuffer } from "../mod.ts";
import { SLOT_HEAD } from "../src/ring/header.ts";
import { isolatedEnv, LIB, MOD, runDeno } from "./support/run.ts";

/** Every system call the library names, and "" for none. */
const SYSCALLS = new Set([
  "",
  "memfd_create",
  "open",
  "readlink",
  "fstat",
  "ftruncate",
  "pwrite",
  "pread",
  "fcntl(F_ADD_SEALS)",
  "fcntl(F_GET_SEALS)",
  "fcntl(F_DUPFD_CLOEXEC)",
  "mmap",
  "munmap",
  "msync",
  "futex",
  "close",
  "connect",
  "sendmsg",
  "bind",
  "listen",
  "poll",
  "recvmsg",
]);

/** `e` as the vocabulary has it: the call first, a real syscall last. */
function assertSpoken(e: MemfdError, operation: string, syscall: string) {
  assertEquals([e.operation, e.syscall], [operation, syscall], e.message);
  assert(SYSCALLS.has(e.syscall), e.syscall);
  assert(e.message.startsWith(`${operation}: `), e.message);
  const tail = syscall === "" ? `(${e.code})` : `(${e.code}, ${syscall})`;
  assert(e.message.endsWith(tail), e.message);
}

test("create({ size: -1 }) names Memfd.create and echoes -1", () => {
  assertThrows(
    () => Memfd.create("x", { size: -1 }),
    RangeError,
    "Memfd.create: size must be a whole number from 0 to 2^53-1, got -1",
  );
  assertThrows(
    () => Memfd.create("x", { size: "1" as never }),
    TypeError,
    'Memfd.create: size must be a number, got "1"',
  );
});

test("receive's timeout says its one real limit, for -1 and for 2^31 alike", async () => {
  const dir = await Deno.makeTempDir();
  using listener = MemfdListener.listen(`${dir}/s.sock`);
  const bound =
    "MemfdListener.receive: timeout must be a whole number from 0 to " +
    "2^31-1 ms (about 24 days), got";
  for (const timeout of [-1, 2 ** 31, 0.5]) {
    const e = await assertRejects(
      () => listener.receive({ timeout }),
      RangeError,
    );
    assertEquals(e.message, `${bound} ${timeout}`);
  }
  await Deno.remove(dir, { recursive: true });
});

test("a ring wait's timeout is worded the same", async () => {
  using ring = RingBuffer.create(4096);
  await assertRejects(
    () => ring.waitReadable({ timeout: 2 ** 31 }),
    RangeError,
    "RingBuffer.waitReadable: timeout must be a whole number from 0 to " +
      "2^31-1 ms (about 24 days), got 2147483648",
  );
  assertThrows(
    () => ring.waitReadableSync({ timeout: -1 }),
    RangeError,
    "RingBuffer.waitReadableSync: timeout must be a whole number from 0 to " +
      "2^31-1 ms (about 24 days), got -1",
  );
});

test("the path getter after close says so, not 'cannot open memfd'", () => {
  const fd = Memfd.create("closed-path");
  fd.close();
  const e = assertThrows(() => fd.path, MemfdError);
  assertEquals(e.code, "EBADF");
  assertSpoken(e, "Memfd.path", "");
  assert(!e.message.includes("cannot open"), e.message);
  assertStringIncludes(e.message, "'closed-path'");
});

test("fromFd(0) names fd 0 once, unquoted, and Memfd.fromFd", () => {
  const e = assertThrows(() => Memfd.fromFd(0), MemfdError);
  assertSpoken(e, "Memfd.fromFd", "readlink");
  assertStringIncludes(e.message, "cannot adopt fd 0: ");
  assert(!e.message.includes("'fd 0'"), e.message);
  const big = assertThrows(() => Memfd.fromFd(2 ** 31), MemfdError);
  assertStringIncludes(big.message, "cannot adopt fd 2147483648: ");
  assertThrows(
    () => Memfd.fromFd(-1),
    RangeError,
    "Memfd.fromFd: fd must be a whole number from 0 to 2^53-1, got -1",
  );
});

test("map() under scoped --allow-ffi names the call", async () => {
  const out = await runDeno(
    `import { Memfd } from "${MOD}";
for (const op of ["map", "mapRing"] as const) {
  using fd = Memfd.create("scoped", { size: 4096 });
  try { fd[op](); } catch (e) { console.log(\`\${(e as Error).name}: \${(e as Error).message}\`); }
}`,
    [`--allow-ffi=${LIB}`, `--allow-read=${LIB}`],
    [],
    isolatedEnv({}),
  );
  assertEquals(out.code, 0, out.stderr);
  const [map, mapRing] = out.stdout.trim().split("\n");
  assertMatch(map, /^NotCapable: Memfd\.map: .*unscoped --allow-ffi/);
  assertMatch(mapRing, /^NotCapable: Memfd\.mapRing: .*unscoped --allow-ffi/);
});

test("the hugetlb and access TypeErrors echo the bad value", () => {
  assertThrows(
    () => Memfd.create("x", { hugetlb: "3MB" as never }),
    TypeError,
    'Memfd.create: hugetlb must be a boolean or one of 64KB, 512KB, 1MB, 2MB, 8MB, 16MB, 32MB, 256MB, 512MB, 1GB, 2GB, 16GB, got "3MB"',
  );
  using fd = Memfd.create("access", { size: 4096 });
  assertThrows(
    () => fd.map({ access: "rw" as never }),
    TypeError,
    'Memfd.map: access must be "shared" or "private", got "rw"',
  );
});

test("input errors name the call and echo the value", async () => {
  using fd = Memfd.create("inputs", { size: 4096 });
  const cases: [() => unknown, string][] = [
    [
      () => fd.resize(-2),
      "Memfd.resize: size must be a whole number from 0 to 2^53-1, got -2",
    ],
    [
      () => fd.write(new Uint8Array(1), -3),
      "Memfd.write: position must be a whole number from 0 to 2^53-1, got -3",
    ],
    [
      () => fd.write([1] as never),
      "Memfd.write: data must be a Uint8Array, got an array",
    ],
    [
      () => fd.read(new Uint16Array(1) as never),
      "Memfd.read: into must be a Uint8Array, got a Uint16Array",
    ],
    [
      () => fd.map({ offset: -1 }),
      "Memfd.map: offset must be a whole number from 0 to 2^53-1, got -1",
    ],
    [
      () => fd.map({ length: 0 }),
      "Memfd.map: cannot map an empty range (length 0)",
    ],
    [
      () => fd.map({ populate: 1 as never }),
      "Memfd.map: populate must be a boolean, got 1",
    ],
    [
      () => fd.mapRing({ length: 100 }),
      "Memfd.mapRing: length must be a multiple of the page size",
    ],
    [() => fd.seal("wirte" as never), 'Memfd.seal: unknown seal "wirte"'],
    [
      () => fd.requireSeals("x" as never),
      'Memfd.requireSeals: unknown seal "x"',
    ],
    [
      () => Memfd.create(7 as never),
      "Memfd.create: name must be a string, got 7",
    ],
    [
      () => Memfd.create("a\0b"),
      'Memfd.create: name must not contain NUL, got "a\\u0000b"',
    ],
    [
      () => Memfd.create("x", { cloexec: "yes" as never }),
      'Memfd.create: cloexec must be a boolean, got "yes"',
    ],
    [() => Memfd.open(5 as never), "Memfd.open: path must be a string, got 5"],
    [
      () => Memfd.fromFd(3, { owned: 0 as never }),
      "Memfd.fromFd: owned must be a boolean, got 0",
    ],
    [
      () => fd.readableStream({ chunkSize: 0 }),
      "Memfd.readableStream: chunkSize must be a whole number from 1 to 2^53-1, got 0",
    ],
    [
      () => MemfdListener.listen(""),
      'MemfdListener.listen: socketPath must not be empty, got ""',
    ],
    [
      () => RingBuffer.create(0),
      "RingBuffer.create: capacity must be a whole number from 1 to",
    ],
    [
      () => RingBuffer.open({} as never),
      "RingBuffer.open: memfd must be a Memfd, got an object",
    ],
  ];
  for (const [call, message] of cases) {
    const e = assertThrows(call);
    assert(e instanceof TypeError || e instanceof RangeError, String(e));
    assertStringIncludes(e.message, message);
  }
  await assertRejects(
    () => fd.sendTo(3 as never),
    TypeError,
    "Memfd.sendTo: socketPath must be a string, got 3",
  );
  await assertRejects(
    () => fd.readAsync(new Uint8Array(1), -1),
    RangeError,
    "Memfd.readAsync: position must be a whole number from 0 to 2^53-1, got -1",
  );
  using ring = RingBuffer.create(4096);
  assertThrows(
    () => ring.commit(5000),
    RangeError,
    "RingBuffer.commit: n must be a whole number from 0 to free (4096), got 5000",
  );
});

test("MemfdErrors carry the public call; syscall is a real one or none", async () => {
  using fd = Memfd.create("calls", { size: 4096 });
  fd.seal("shrink");
  assertSpoken(
    assertThrows(() => fd.resize(0), MemfdError),
    "Memfd.resize",
    "ftruncate",
  );
  assertSpoken(
    assertThrows(() => fd.requireSeals("grow"), MemfdError),
    "Memfd.requireSeals",
    "fcntl(F_GET_SEALS)",
  );
  const closed = Memfd.create("closed");
  closed.close();
  assertSpoken(
    assertThrows(() => closed.size, MemfdError),
    "Memfd.size",
    "fstat",
  );
  assertSpoken(
    await assertRejects(() => closed.readAsync(new Uint8Array(1)), MemfdError),
    "Memfd.readAsync",
    "pread",
  );
  assertSpoken(
    assertThrows(() => Memfd.create("x".repeat(300)), MemfdError),
    "Memfd.create",
    "memfd_create",
  );
  // A ring: closed, ended and corrupt are the library's own findings.
  const ring = RingBuffer.create(4096);
  ring.end();
  assertSpoken(
    assertThrows(() => ring.write(new Uint8Array(1)), MemfdError),
    "RingBuffer.write",
    "",
  );
  ring.close();
  assertSpoken(
    assertThrows(() => ring.available, MemfdError),
    "RingBuffer.available",
    "",
  );
  using live = RingBuffer.create(4096);
  const head = new Uint8Array(new Int32Array([3 * 4096]).buffer);
  live.memfd.write(head, 4 * SLOT_HEAD);
  const corrupt = assertThrows(() => live.read(new Uint8Array(1)), MemfdError);
  assertEquals(corrupt.code, "EINVAL");
  assertSpoken(corrupt, "RingBuffer.read", "");
  assertStringIncludes(corrupt.message, "is corrupt");
  live.memfd.write(new Uint8Array(4), 4 * SLOT_HEAD); // repair for close
  // Not a ring: the header was read with pread.
  using plain = Memfd.create("plain", { size: 8192 });
  const notRing = assertThrows(() => RingBuffer.open(plain), MemfdError);
  assertSpoken(notRing, "RingBuffer.open", "pread");
  assertStringIncludes(notRing.message, "is not a ring buffer");
  // A socket: the listener's own calls.
  const dir = await Deno.makeTempDir();
  const listener = MemfdListener.listen(`${dir}/s.sock`);
  listener.close();
  assertSpoken(
    await assertRejects(() => listener.receive(), MemfdError),
    "MemfdListener.receive",
    "poll",
  );
  assertSpoken(
    await assertRejects(() => fd.sendTo(`${dir}/none.sock`), MemfdError),
    "Memfd.sendTo",
    "connect",
  );
  await Deno.remove(dir, { recursive: true });
});

test("the three-argument constructor still works, with no operation", () => {
  const e = new MemfdError(1, "ftruncate", "cannot resize 'x': sealed");
  assertEquals([e.code, e.errno, e.syscall, e.operation], [
    "EPERM",
    1,
    "ftruncate",
    "",
  ]);
  assertEquals(e.message, "cannot resize 'x': sealed (EPERM, ftruncate)");
  const none = new MemfdError(22, "", "corrupt", "RingBuffer.read");
  assertEquals(none.message, "RingBuffer.read: corrupt (EINVAL)");
});
