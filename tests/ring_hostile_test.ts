/**
 * Hostile ring peers (issue 18): a python3 peer attacks a ring while a
 * victim uses it. Where the attack could kill the process (SIGBUS from a
 * truncated memfd) the victim is a child `deno`, and its exit status
 * proves it survived; its output shows what each call gave. The attacks:
 * truncating the memfd, making an unsealed ring, flipping and corrupting
 * the indices, dying before attaching, lying about its pid's start time,
 * and stalling every request on a FUSE file it names in the header.
 */

import { test } from "./support/leak_checked.ts";
import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { Memfd, MemfdError, RingBuffer } from "../mod.ts";
import { MOD, runDeno, startDeno, startPython } from "./support/run.ts";

/** The page size: a one-byte ring is one page. */
const PAGE = (() => {
  using ring = RingBuffer.create(1);
  return ring.capacity;
})();

/** Flags of a victim that spawns python3 and opens `/proc` paths. */
const VICTIM_FLAGS = [
  "--allow-ffi",
  "--allow-read",
  "--allow-write=/proc",
  "--allow-run=python3",
];

/**
 * What a victim script starts with: the library, and `peer(code, args)`,
 * a python3 child it talks to by lines.
 */
const PRELUDE = `
import { Memfd, MemfdError, RingBuffer } from "${MOD}";
const encoder = new TextEncoder();
function peer(code, args = []) {
  const child = new Deno.Command("python3", {
    args: ["-u", "-c", code, ...args],
    stdin: "piped", stdout: "piped", stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const writer = child.stdin.getWriter();
  let pending = "";
  return {
    pid: child.pid,
    async line() {
      while (!pending.includes("\\n")) {
        const { value, done } = await reader.read();
        if (done) throw new Error("the peer ended: " + pending);
        pending += value;
      }
      const i = pending.indexOf("\\n");
      const line = pending.slice(0, i);
      pending = pending.slice(i + 1);
      return line;
    },
    send: (line) => writer.write(encoder.encode(line + "\\n")),
    async close() {
      await writer.close();
      await reader.cancel();
      return (await child.status).code;
    },
  };
}
/** How a call ended: its value, or the error's class, code and message. */
function outcome(f) {
  try {
    return "ok " + f();
  } catch (e) {
    return e instanceof MemfdError ? e.code + " " + e.message : e.name + " " + e.message;
  }
}
`;

/** Runs victim `code` (after the prelude); its stdout lines. */
async function victim(code: string): Promise<string[]> {
  const out = await runDeno(PRELUDE + code, VICTIM_FLAGS);
  assertEquals(
    [out.code, out.signal],
    [0, null],
    `the victim died or failed:\n${out.stdout}\n${out.stderr}`,
  );
  return out.stdout.trim().split("\n");
}

const TRUNCATE = `
import errno, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
for size in (4096, 0, 1 << 20):
    try:
        os.ftruncate(fd, size)
        print(f"ftruncate {size}: ok")
    except OSError as e:
        print(f"ftruncate {size}: {errno.errorcode[e.errno]}")
`;

test("a peer that truncates a ring's memfd is refused (EPERM); the victim reads on", async () => {
  const lines = await victim(`
    using ring = RingBuffer.create(${PAGE});
    ring.write(new Uint8Array([1, 2, 3]));
    const attacker = peer(${JSON.stringify(TRUNCATE)}, [ring.memfd.path]);
    for (let i = 0; i < 3; i++) console.log(await attacker.line());
    await attacker.close();
    console.log("size " + ring.memfd.size + ", available " + ring.available);
    const view = ring.readable();
    console.log("readable " + view.length + ", last " + view[2]);
    console.log("write " + ring.write(new Uint8Array(${PAGE})));
  `);
  assertEquals(lines, [
    "ftruncate 4096: EPERM",
    "ftruncate 0: EPERM",
    "ftruncate 1048576: EPERM",
    `size ${2 * PAGE}, available 3`,
    "readable 3, last 3",
    `write ${PAGE - 3}`,
  ]);
});

const UNSEALED_RING = `
import errno, os, struct, sys
page = int(sys.argv[1])
fd = os.memfd_create("pyring", os.MFD_ALLOW_SEALING)
os.ftruncate(fd, 2 * page)
os.pwrite(fd, struct.pack("<4i", 0x474e4952, 2, page, page), 0)
print(f"/proc/{os.getpid()}/fd/{fd}")
sys.stdin.readline()  # the victim opened it
try:
    os.ftruncate(fd, 0)
    print("ftruncate 0: ok")
except OSError as e:
    print(f"ftruncate 0: {errno.errorcode[e.errno]}")
sys.stdin.readline()
`;

test("open() of an unsealed ring a peer made adds the seals; the maker's truncate is then refused", async () => {
  const lines = await victim(`
    const maker = peer(${JSON.stringify(UNSEALED_RING)}, ["${PAGE}"]);
    using fd = Memfd.open(await maker.line(), { write: true });
    const sized = () => ["shrink", "grow"].filter((s) => fd.seals.has(s)).join(",");
    console.log("before: " + (sized() || "none"));
    using ring = RingBuffer.open(fd);
    console.log("after: " + sized());
    await maker.send("opened");
    console.log(await maker.line());
    console.log("write " + ring.write(new Uint8Array([9])) + ", available " + ring.available);
    await maker.close();
  `);
  assertEquals(lines, [
    "before: none",
    "after: shrink,grow",
    "ftruncate 0: EPERM",
    "write 1, available 1",
  ]);
});

/** A handmade ring's memfd (header of format version 2), unsealed. */
function handmadeRing(): Memfd {
  const memfd = Memfd.create("handmade", { size: 2 * PAGE });
  memfd.write(
    new Uint8Array(new Int32Array([0x474e4952, 2, PAGE, PAGE]).buffer),
  );
  return memfd;
}

test("open() refuses a ring it cannot seal, naming the missing seals; nothing is mapped", () => {
  using sealedShut = handmadeRing();
  sealedShut.seal("grow", "seal");
  const e = assertThrows(() => RingBuffer.open(sealedShut), MemfdError);
  assertEquals(e.code, "EPERM");
  assertStringIncludes(e.message, `missing the seals "shrink"`);
  assertStringIncludes(e.message, `"seal" seal`);
  assert(!e.message.includes(`"grow" that`), e.message);

  using unsealed = handmadeRing();
  using readOnly = Memfd.open(unsealed.path);
  const ro = assertThrows(() => RingBuffer.open(readOnly), MemfdError);
  assertEquals(ro.code, "EPERM");
  assertStringIncludes(ro.message, `"shrink" and "grow"`);
  assertStringIncludes(ro.message, "{ write: true }");
  assert(
    !unsealed.seals.has("shrink") && !unsealed.seals.has("grow"),
    "nothing was sealed",
  );
});

const FLIPPER = `
import mmap, os, struct, sys, threading
fd = os.open(sys.argv[1], os.O_RDWR)
cap = int(sys.argv[2])
m = mmap.mmap(fd, 4096)
stop = threading.Event()
def flip():
    n = 0
    while not stop.is_set():
        head, = struct.unpack_from("<i", m, 64)
        tail, = struct.unpack_from("<i", m, 128)
        struct.pack_into("<i", m, 64, tail)
        struct.pack_into("<i", m, 128, 2 * cap + n % 7 if n % 5 == 0 else head)
        n += 1
    print(f"flipped {n} times")
flipper = threading.Thread(target=flip)
flipper.start()
print("flipping")
sys.stdin.readline()
stop.set()
flipper.join()
`;

test("a peer flipping head and tail: every failure is EINVAL corrupt, and read() never filled into", async () => {
  const lines = await victim(`
    using ring = RingBuffer.create(${PAGE});
    const flipper = peer(${
    JSON.stringify(FLIPPER)
  }, [ring.memfd.path, "${PAGE}"]);
    console.log(await flipper.line());
    const data = new Uint8Array(100).fill(7);
    const into = new Uint8Array(100);
    const counts = { ok: 0, corrupt: 0, other: 0, filled: 0 };
    const calls = [
      () => ring.write(data),
      () => ring.read(into),
      () => ring.available,
      () => ring.free,
      () => ring.readable().length,
      () => ring.writable().length,
    ];
    for (let i = 0; i < 200000; i++) {
      into.fill(0xee);
      try {
        calls[i % calls.length]();
        counts.ok++;
      } catch (e) {
        if (e instanceof MemfdError && e.code === "EINVAL" && e.message.includes("is corrupt")) {
          counts.corrupt++;
        } else if (counts.other++ < 3) {
          console.log("unexpected: " + e);
        }
        if (into.some((b) => b !== 0xee)) counts.filled++;
      }
    }
    await flipper.send("stop");
    console.log((await flipper.line()).split(" ")[0]);
    await flipper.close();
    console.log("other " + counts.other + ", filled " + counts.filled);
    console.log("calls " + (counts.ok + counts.corrupt));
  `);
  assertEquals(lines, [
    "flipping",
    "flipped",
    "other 0, filled 0",
    "calls 200000",
  ]);
});

const CORRUPTER = `
import mmap, os, struct, sys
fd = os.open(sys.argv[1], os.O_RDWR)
m = mmap.mmap(fd, 4096)
for line in sys.stdin:
    slot, value = line.split()
    struct.pack_into("<i", m, {"head": 64, "tail": 128}[slot], int(value))
    print("set", slot, value)
`;

test("corrupt indices a peer holds in place: each call is EINVAL saying what it wrote, nothing copied or moved", async () => {
  const lines = await victim(`
    using ring = RingBuffer.create(${PAGE});
    const peerSide = peer(${JSON.stringify(CORRUPTER)}, [ring.memfd.path]);
    const set = async (slot, value) => {
      await peerSide.send(slot + " " + value);
      await peerSide.line();
    };
    const indices = () => {
      const words = new Int32Array(48);
      ring.memfd.read(new Uint8Array(words.buffer));
      return words[16] + "/" + words[32];
    };
    ring.write(new Uint8Array(10).fill(5));
    await set("head", ${2 * PAGE + 5});
    const into = new Uint8Array(8).fill(0xee);
    const data = new Uint8Array(8).fill(1);
    for (const [name, call] of [
      ["available", () => ring.available],
      ["free", () => ring.free],
      ["readable", () => ring.readable()],
      ["writable", () => ring.writable()],
      ["commit", () => ring.commit(1)],
      ["consume", () => ring.consume(1)],
      ["write", () => ring.write(data)],
      ["read", () => ring.read(into)],
    ]) {
      console.log(name + ": " + outcome(call).split(";")[0] + "; " + indices());
    }
    for (const name of ["waitReadable", "waitWritable"]) {
      const e = await ring[name]({ timeout: 1000 }).catch((e) => e);
      console.log(name + ": " + e.code + " " + e.message.split(";")[0]);
    }
    console.log("into " + into.every((b) => b === 0xee));
    // Moved back, not out of bounds: what readable() offered is gone.
    await set("head", 10);
    const view = ring.readable();
    await set("head", 4);
    console.log("consume: " + outcome(() => ring.consume(view.length)).split(";")[0]);
    await set("tail", 0);
    const space = ring.writable();
    await set("tail", ${2 * PAGE - 96});
    console.log("commit: " + outcome(() => ring.commit(space.length)).split(";")[0]);
    await peerSide.close();
  `);
  const bad = `head ${2 * PAGE + 5}, tail 0 (both must be from 0 to ${
    2 * PAGE - 1
  })`;
  const state = `${2 * PAGE + 5}/0`;
  // The message names the call, what the header held, and that nothing
  // was copied or moved.
  const corrupt = (name: string, what: string) =>
    `${name}: EINVAL RingBuffer.${name}: cannot use ring buffer 'ring': it ` +
    `is corrupt (another process wrote its header): ${what} (${name} ` +
    `copied nothing and moved no index) (EINVAL)`;
  assertEquals(lines, [
    ...[
      "available",
      "free",
      "readable",
      "writable",
      "commit",
      "consume",
      "write",
      "read",
    ].map((name) => `${corrupt(name, bad)}; ${state}`),
    corrupt("waitReadable", bad),
    corrupt("waitWritable", bad),
    "into true",
    corrupt(
      "consume",
      "head 4, tail 0 leave 4 bytes pending, but readable() offered 10 and " +
        "nothing was consumed since",
    ),
    corrupt(
      "commit",
      `head 4, tail ${2 * PAGE - 96} leave ${PAGE - 100} bytes free, but ` +
        `writable() offered ${PAGE - 4} and nothing was committed since`,
    ),
  ]);
});

test("a peer named with expectPeer that exits before attaching: the wait rejects ECONNRESET", async () => {
  using ring = RingBuffer.create(PAGE);
  await using child = startPython("import sys; sys.stdin.readline()");
  ring.expectPeer(child);
  const pid = child.pid;
  // Alive and not attached: the wait runs to its timeout.
  const timedOut = await assertRejects(
    () => ring.waitReadable({ timeout: 300 }),
    DOMException,
  );
  assertEquals(timedOut.name, "TimeoutError");
  assertEquals((await child.finish()).code, 0);
  const e = await assertRejects(() => ring.waitReadable(), MemfdError);
  assertEquals(e.code, "ECONNRESET");
  assertStringIncludes(
    e.message,
    `the producer named with expectPeer (pid ${pid}) exited before it made its first call`,
  );
  assertThrows(() => ring.expectPeer(0), RangeError);
  assertThrows(() => ring.expectPeer({ pid: "1" } as never), TypeError);
});

test("without expectPeer, a peer that never attaches is only ended by a timeout or a signal", async () => {
  using ring = RingBuffer.create(PAGE);
  {
    await using child = startPython("pass");
    await child.finish();
  }
  const e = await assertRejects(
    () => ring.waitReadable({ timeout: 300 }),
    DOMException,
  );
  assertEquals(e.name, "TimeoutError");
});

const LIAR = `
import mmap, os, struct, sys
fd = os.open(sys.argv[1], os.O_RDWR)
m = mmap.mmap(fd, 4096)
with open(f"/proc/self/stat") as f:
    start = int(f.read().rsplit(")", 1)[1].split()[19])
lie = int(sys.argv[2])
value = (start + lie) & 0xffffffff
if value >= 1 << 31:
    value -= 1 << 32
# producer_pid, producer_fd, producer_start, producer_closed
struct.pack_into("<4i", m, 76, os.getpid(), fd, value, 0)
print("claimed")
sys.stdin.readline()
`;

test("a pid whose start time is not the one recorded is a reused pid: the peer is gone", async () => {
  using ring = RingBuffer.create(PAGE);
  {
    await using honest = startPython(LIAR, [ring.memfd.path, "0"]);
    assertEquals(await honest.readLine(), "claimed");
    const e = await assertRejects(
      () => ring.waitReadable({ timeout: 300 }),
      DOMException,
    );
    assertEquals(e.name, "TimeoutError", "alive: the wait ran its course");
  }
  await using liar = startPython(LIAR, [ring.memfd.path, "1"]);
  assertEquals(await liar.readLine(), "claimed");
  const e = await assertRejects(() => ring.waitReadable(), MemfdError);
  assertEquals(e.code, "ECONNRESET");
  assertStringIncludes(e.message, `producer (pid ${liar.pid}) exited`);
});

/**
 * A peer that serves a FUSE file system of one file in a mount namespace
 * of its own, opens that file, names it in its header slots (pid and fd)
 * and then never answers a request again. Prints "armed" then, "stalled
 * <opcode>" for each request that arrives after, and "unavailable: …"
 * when it cannot mount (no /dev/fuse, no CAP_SYS_ADMIN).
 */
const FUSE_STALL = `
import ctypes, mmap, os, struct, sys, tempfile, threading
libc = ctypes.CDLL(None, use_errno=True)
def fail(what):
    print(f"unavailable: {what} (errno {ctypes.get_errno()})")
    sys.exit(0)
if libc.unshare(0x20000) != 0:  # CLONE_NEWNS
    fail("unshare")
if libc.mount(b"none", b"/", None, (1 << 14) | (1 << 18), None) != 0:  # MS_REC | MS_PRIVATE
    fail("mount --make-rprivate /")
where = tempfile.mkdtemp()
try:
    dev = os.open("/dev/fuse", os.O_RDWR)
except OSError as e:
    print(f"unavailable: /dev/fuse ({e})")
    sys.exit(0)
opts = f"fd={dev},rootmode=40000,user_id={os.getuid()},group_id={os.getgid()}"
if libc.mount(b"stall", where.encode(), b"fuse", 0, opts.encode()) != 0:
    fail("mount fuse")
armed = threading.Event()
def attr(node):
    mode = 0o40755 if node == 1 else 0o100644
    return struct.pack("<6Q10I", node, 0, 0, 0, 0, 0, 0, 0, 0, mode, 1, os.getuid(), os.getgid(), 0, 4096, 0)
def reply(unique, payload=b"", error=0):
    os.write(dev, struct.pack("<IiQ", 16 + len(payload), error, unique) + payload)
def serve():
    while True:
        try:
            req = os.read(dev, 1 << 17)
        except OSError:
            return
        _, op, unique, node = struct.unpack_from("<IIQQ", req)
        if op in (2, 42, 36):  # FORGET, BATCH_FORGET, INTERRUPT: no reply
            continue
        if armed.is_set():
            print(f"stalled {op}", flush=True)
            continue
        if op == 26:  # INIT
            reply(unique, struct.pack("<IIIIHHIIHHII6I", 7, 31, 0, 0, 16, 12, 4096, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0))
        elif op == 1:  # LOOKUP: one file, attributes never cached
            reply(unique, struct.pack("<QQQQII", 2, 0, 0, 0, 0, 0) + attr(2))
        elif op == 3:  # GETATTR
            reply(unique, struct.pack("<QII", 0, 0, 0) + attr(node))
        elif op == 14:  # OPEN, FOPEN_NOFLUSH: closing it asks nothing
            reply(unique, struct.pack("<QII", 0, 32, 0))
        elif op in (18, 25):  # RELEASE, FLUSH
            reply(unique)
        else:
            reply(unique, error=-38)  # ENOSYS
threading.Thread(target=serve, daemon=True).start()
stalled = os.open(where + "/f", os.O_RDONLY)
os.fstat(stalled)  # served: the file works until armed
ring = os.open(sys.argv[1], os.O_RDWR)
m = mmap.mmap(ring, 4096)
# producer_pid, producer_fd (the FUSE file), producer_start (unknown), closed
struct.pack_into("<4i", m, 76, os.getpid(), stalled, 0, 0)
armed.set()
print("armed", flush=True)
sys.stdin.readline()
os.close(dev)  # aborts the connection: nothing stays stuck on it
os._exit(0)
`;

/** Whether python3 can open /dev/fuse (Deno demands --allow-all for it). */
const fuseUnavailable = !new Deno.Command("python3", {
  args: ["-c", "import os; os.open('/dev/fuse', os.O_RDWR)"],
  stdout: "null",
  stderr: "null",
}).outputSync().success;

test(
  "a peer stalling every request on a FUSE file it names: waits settle by their timeout while it stalls",
  {
    ignore: fuseUnavailable,
  },
  async () => {
    await using waiter = startDeno(
      `
    import { RingBuffer } from "${MOD}";
    using ring = RingBuffer.create(${PAGE});
    console.log(ring.memfd.path);
    const words = new Int32Array(48);
    while (words[19] === 0) {
      await new Promise((go) => setTimeout(go, 10));
      ring.memfd.read(new Uint8Array(words.buffer));
    }
    const settled = async (wait) => {
      const began = performance.now();
      try {
        await wait();
        return "resolved";
      } catch (e) {
        return e.name + " after " + Math.round(performance.now() - began) + " ms";
      }
    };
    console.log("waitReadable " + await settled(() => ring.waitReadable({ timeout: 500 })));
    console.log("waitReadableSync " + await settled(() => ring.waitReadableSync({ timeout: 300 })));
    `,
      ["--allow-ffi", "--allow-read"],
    );
    const path = await waiter.readLine();
    await using staller = startPython(FUSE_STALL, [path]);
    const armed = await staller.readLine();
    if (armed.startsWith("unavailable")) {
      console.log(`skipped: ${armed}`);
      return;
    }
    assertEquals(armed, "armed");
    // Whichever comes first: the waiter settling, or a request of its
    // reaching the stalled file system (then it is stuck in the kernel).
    const stalled = staller.readLine().catch(() => "ended");
    const first = await Promise.race([
      waiter.readLine().then((line) => ({ waiter: line })),
      stalled.then((line) => ({ staller: line })),
    ]);
    assertEquals(Object.keys(first), ["waiter"], JSON.stringify(first));
    const async = (first as { waiter: string }).waiter;
    const sync = await waiter.readLine();
    console.log(`${async}; ${sync}`);
    assert(async.startsWith("waitReadable TimeoutError after "), async);
    assert(sync.startsWith("waitReadableSync TimeoutError after "), sync);
    // The waiter is done while the peer still stalls.
    assertEquals((await waiter.finish()).code, 0);
    await staller.send("release");
    const end = await staller.finish();
    assertEquals(end.code, 0, end.stderr);
    assertEquals(await stalled, "ended", "no request ever reached the peer");
  },
);
