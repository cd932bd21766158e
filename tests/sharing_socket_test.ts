/**
 * Passing memfds over Unix domain sockets (SCM_RIGHTS): within a process,
 * between two deno processes, with Python's socket.send_fds / recv_fds in
 * both directions, and what bad peers and bad paths get.
 */
import { test } from "./support/leak_checked.ts";
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertMatch,
  assertNotEquals,
  assertRejects,
  assertThrows,
} from "@std/assert";
import { Memfd, MemfdError, MemfdListener } from "../mod.ts";
import { dm_cloexec } from "../src/native.ts";
import {
  DENO_FLAGS,
  fdTargets,
  MOD,
  NET_SCOPES_UNIX,
  openFds,
  runDeno,
  runPython,
  startDeno,
  startPython,
  tempDir,
} from "./support/run.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function memfdWith(name: string, text: string): Memfd {
  const fd = Memfd.create(name);
  fd.write(encoder.encode(text));
  return fd;
}

function textOf(fd: Memfd): string {
  const bytes = new Uint8Array(fd.size);
  fd.read(bytes);
  return decoder.decode(bytes);
}

/**
 * A child's flags: FFI, reads, and what Deno.connect/listen need for
 * `path` (net for `unix:<path>` only where this Deno scopes sockets so).
 */
function socketGrants(path: string): string[] {
  // An older Deno: Deno.listen asks for read and write only.
  const net = NET_SCOPES_UNIX ? [`--allow-net=unix:${path}`] : [];
  return [...DENO_FLAGS, `--allow-write=${path}`, ...net];
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Python: connect to argv[1] and send `messages` (payload, fd list). */
function pythonSender(messages: string): string {
  return `
import os, socket, sys
def memfd(name, text):
    fd = os.memfd_create(name)
    os.write(fd, text)
    return fd
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
for payload, fds in ${messages}:
    socket.send_fds(s, [payload], fds)
s.close()
`;
}

async function expectCode(promise: Promise<unknown>, code: string) {
  const e = await assertRejects(() => promise, MemfdError);
  assertEquals(e.code, code, e.message);
  return e;
}

test("a memfd sent within the process arrives as a new close-on-exec fd of the same file", async () => {
  await using dir = await tempDir();
  using listener = MemfdListener.listen(`${dir.path}/s.sock`);
  using sent = memfdWith("same-file", "hello");
  const pending = listener.receive();
  await sent.sendTo(listener.path);
  using got = await pending;
  assertNotEquals(got.fd, sent.fd);
  assertEquals(got.name, "same-file");
  assertEquals(textOf(got), "hello");
  assertEquals(dm_cloexec(got.fd), 1);
  got.write(encoder.encode("J"));
  assertEquals(textOf(sent), "Jello");
});

test("sendTo duplicates the fd first: closing the memfd right after the call is fine", async () => {
  await using dir = await tempDir();
  using listener = MemfdListener.listen(`${dir.path}/s.sock`);
  const sent = memfdWith("closed-at-once", "still here");
  const sending = sent.sendTo(listener.path);
  sent.close();
  await sending;
  using got = await listener.receive();
  assertEquals(textOf(got), "still here");
  await expectCode(sent.sendTo(listener.path), "EBADF");
});

test("receive() waits off the event loop: timers run while it is pending", async () => {
  await using dir = await tempDir();
  using listener = MemfdListener.listen(`${dir.path}/s.sock`);
  let settled = false;
  const pending = listener.receive().finally(() => settled = true);
  let ticks = 0;
  while (ticks < 3) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    ticks++;
  }
  assertEquals(settled, false);
  using sent = memfdWith("late", "x");
  await sent.sendTo(listener.path);
  using got = await pending;
  assertEquals(got.name, "late");
});

test("receive() calls queue up and resolve in order", async () => {
  await using dir = await tempDir();
  using listener = MemfdListener.listen(`${dir.path}/s.sock`);
  const first = listener.receive();
  const second = listener.receive();
  for (const name of ["one", "two"]) {
    using fd = Memfd.create(name);
    await fd.sendTo(listener.path);
  }
  using a = await first;
  using b = await second;
  assertEquals([a.name, b.name], ["one", "two"]);
});

test("closing the listener rejects a pending receive, removes the socket, refuses new ones", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/s.sock`;
  const listener = MemfdListener.listen(path);
  const pending = listener.receive();
  // Let the wait reach the native side before closing.
  await new Promise((resolve) => setTimeout(resolve, 1));
  listener.close();
  const e = await expectCode(pending, "ECANCELED");
  assert(e.message.includes(path), e.message);
  assert(listener.closed);
  assertEquals(await exists(path), false);
  await expectCode(listener.receive(), "EBADF");
  listener.close();
  using fd = Memfd.create("nobody");
  await expectCode(fd.sendTo(path), "ENOENT");
});

test("listen: an existing path is EADDRINUSE, bad paths are refused before any syscall", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/s.sock`;
  using listener = MemfdListener.listen(path);
  const taken = assertThrows(() => MemfdListener.listen(path), MemfdError);
  assertEquals(taken.code, "EADDRINUSE");
  assert(taken.message.includes(path));
  const long = `${dir.path}/${"x".repeat(120)}`;
  assertEquals(
    assertThrows(() => MemfdListener.listen(long), MemfdError).code,
    "ENAMETOOLONG",
  );
  assertThrows(() => MemfdListener.listen(""), TypeError);
  assertThrows(() => MemfdListener.listen("a\0b"), TypeError);
  // deno-lint-ignore no-explicit-any
  assertThrows(() => MemfdListener.listen(42 as any), TypeError);
  assertEquals(
    assertThrows(
      () => MemfdListener.listen(`${dir.path}/missing/s.sock`),
      MemfdError,
    ).code,
    "ENOENT",
  );
  assert(await exists(listener.path));
});

test("sendTo: a missing path is ENOENT, one nobody listens on ECONNREFUSED, both naming the path", async () => {
  await using dir = await tempDir();
  using fd = Memfd.create("lost");
  const missing = `${dir.path}/missing.sock`;
  const e1 = await expectCode(fd.sendTo(missing), "ENOENT");
  assertEquals(e1.syscall, "connect");
  assert(e1.message.includes(missing), e1.message);
  // A socket file left behind by a process that bound it and exited.
  const stale = `${dir.path}/stale.sock`;
  const py = await runPython(
    "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])",
    [stale],
  );
  assertEquals(py.stderr, "");
  const e2 = await expectCode(fd.sendTo(stale), "ECONNREFUSED");
  assert(e2.message.includes(stale), e2.message);
  await Deno.writeTextFile(`${dir.path}/plain`, "not a socket");
  await expectCode(fd.sendTo(`${dir.path}/plain`), "ECONNREFUSED");
  await expectCode(fd.sendTo(`/${"y".repeat(200)}`), "ENAMETOOLONG");
  await assertRejects(() => fd.sendTo(""), TypeError);
});

test("python sends with socket.send_fds; deno receives and checks the seals", async () => {
  await using dir = await tempDir();
  using listener = MemfdListener.listen(`${dir.path}/s.sock`);
  const pending = listener.receive();
  const py = await runPython(
    `
import fcntl, os, socket, sys
fd = os.memfd_create("from-python", os.MFD_ALLOW_SEALING)
os.write(fd, b"sealed by python")
fcntl.fcntl(fd, fcntl.F_ADD_SEALS,
            fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
socket.send_fds(s, [b"memfd"], [fd])
`,
    [listener.path],
  );
  assertEquals(py.stderr, "");
  using got = await pending;
  assertEquals(got.name, "from-python");
  got.requireSeals("write", "shrink", "grow");
  assertEquals(textOf(got), "sealed by python");
});

test("deno sends; python receives with socket.recv_fds", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/py.sock`;
  const peer = startPython(
    `
import mmap, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen()
print("ready")
conn, _ = s.accept()
msg, fds, flags, addr = socket.recv_fds(conn, 64, 4)
fd = fds[0]
print(os.readlink(f"/proc/self/fd/{fd}"))
print(os.pread(fd, 64, 0).decode())
with mmap.mmap(fd, os.fstat(fd).st_size) as m:
    m[0:4] = b"PONG"
print(len(fds), len(msg))
`,
    [path],
  );
  assertEquals(await peer.readLine(), "ready");
  using fd = memfdWith("to-python", "ping from deno");
  await fd.sendTo(path);
  const out = await peer.finish();
  assertEquals(out.stderr, "");
  const [link, text, counts] = out.stdout.trim().split("\n");
  assertMatch(link, /^\/memfd:to-python/);
  assertEquals(text, "ping from deno");
  assertEquals(counts, "1 1");
  assertEquals(textOf(fd), "PONG from deno");
});

test("between two deno processes, both directions", async () => {
  await using dir = await tempDir();
  // A child sends to this process.
  using listener = MemfdListener.listen(`${dir.path}/parent.sock`);
  const pending = listener.receive();
  const sender = await runDeno(
    `
    import { Memfd } from "${MOD}";
    using fd = Memfd.create("from-child");
    fd.write(new TextEncoder().encode("child data"));
    fd.seal("shrink", "grow", "write");
    await fd.sendTo(Deno.args[0]);
    `,
    socketGrants(listener.path),
    [listener.path],
  );
  assertEquals(sender.stderr, "");
  using got = await pending;
  got.requireSeals("shrink", "grow", "write");
  assertEquals(textOf(got), "child data");

  // A child receives from this process.
  const path = `${dir.path}/child.sock`;
  const receiver = startDeno(
    `
    import { MemfdListener } from "${MOD}";
    using listener = MemfdListener.listen(Deno.args[0]);
    console.log("ready");
    using fd = await listener.receive();
    fd.requireSeals("write");
    const bytes = new Uint8Array(fd.size);
    fd.read(bytes);
    console.log(fd.name, new TextDecoder().decode(bytes));
    `,
    socketGrants(path),
    [path],
  );
  assertEquals(await receiver.readLine(), "ready");
  using fd = memfdWith("from-parent", "parent data");
  fd.seal("write");
  await fd.sendTo(path);
  const out = await receiver.finish();
  assertEquals(out.stderr, "");
  assertEquals(out.stdout.trim(), "from-parent parent data");
});

test("one connection may carry several memfds; extra fds in one message are closed", async () => {
  await using dir = await tempDir();
  using listener = MemfdListener.listen(`${dir.path}/s.sock`);
  // Warm up: the first round trip may open fds of the runtime's own.
  {
    using fd = Memfd.create("warm-up");
    await fd.sendTo(listener.path);
    (await listener.receive()).close();
  }
  const before = await openFds();
  const py = await runPython(
    pythonSender(`[
    (b"a", [memfd("first", b"1")]),
    (b"b", [memfd("second", b"2"), memfd("extra", b"x"), os.open("/proc/self/status", os.O_RDONLY)]),
    (b"c", [memfd("third", b"3")]),
  ]`),
    [listener.path],
  );
  assertEquals(py.stderr, "");
  const names = [];
  for (let i = 0; i < 3; i++) {
    using fd = await listener.receive();
    names.push(`${fd.name}=${textOf(fd)}`);
  }
  assertEquals(names, ["first=1", "second=2", "third=3"]);
  assertEquals(await openFds(), before);
});

test("a peer that sends no fd, or an fd that is not a memfd, gets an error and leaks nothing", async () => {
  await using dir = await tempDir();
  using listener = MemfdListener.listen(`${dir.path}/s.sock`);
  {
    using fd = Memfd.create("warm-up");
    await fd.sendTo(listener.path);
    (await listener.receive()).close();
  }
  const before = await openFds();

  await runPython(pythonSender(`[(b"no fd here", [])]`), [listener.path]);
  const noFd = await expectCode(listener.receive(), "EBADMSG");
  assertEquals(noFd.syscall, "recvmsg");
  assert(noFd.message.includes(listener.path), noFd.message);

  await runPython(
    pythonSender(`[(b"x", [os.open("/proc/self/status", os.O_RDONLY)])]`),
    [listener.path],
  );
  const notMemfd = await expectCode(listener.receive(), "EINVAL");
  assertMatch(notMemfd.message, /not a memfd/);

  // A pipe, then a memfd after it in the same message: all closed.
  const piped = await runPython(
    pythonSender(`[(b"x", [*pipe, memfd("late", b"")])]`).replace(
      "s = socket",
      "pipe = os.pipe()\nprint(os.fstat(pipe[0]).st_ino)\ns = socket",
    ),
    [listener.path],
  );
  await expectCode(listener.receive(), "EINVAL");
  const pipe = `pipe:[${piped.stdout.trim()}]`;
  assertEquals((await fdTargets()).filter((t) => t === pipe), []);

  // Connecting and hanging up without a word.
  await runPython(
    "import socket, sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])",
    [listener.path],
  );
  await expectCode(listener.receive(), "EBADMSG");

  // Python's own tmpfs file is not a memfd either (the F_GET_SEALS check
  // alone would accept it).
  await runPython(
    pythonSender(
      `[(b"x", [os.open("/dev/shm", os.O_TMPFILE | os.O_RDWR, 0o600)])]`,
    ),
    [listener.path],
  );
  await expectCode(listener.receive(), "EINVAL");

  // The listener still works. (After a good message it holds the
  // connection open for more, as it did when `before` was taken.)
  {
    using good = Memfd.create("after");
    await good.sendTo(listener.path);
    using got = await listener.receive();
    assertEquals(got.name, "after");
  }
  assertEquals(await openFds(), before);
});

test("requireSeals: EPERM naming the missing seals; passes when all are set", () => {
  using fd = Memfd.create("untrusted", { size: 16 });
  fd.seal("shrink");
  const e = assertThrows(
    () => fd.requireSeals("write", "shrink", "grow"),
    MemfdError,
  );
  assertEquals(e.code, "EPERM");
  assertMatch(e.message, /missing required seals: grow, write/);
  fd.seal("grow", "write");
  fd.requireSeals("write", "shrink", "grow");
  fd.requireSeals();
  assertThrows(() => fd.requireSeals("bogus" as "write"), TypeError);
  fd.close();
  assertInstanceOf(
    assertThrows(() => fd.requireSeals("write")),
    MemfdError,
  );
});
