/**
 * MemfdListener.receive({ signal, timeout }) and `for await` over a
 * listener: aborting leaves no native wait and no extra fd behind, the
 * listener goes on working, and iteration ends when it closes.
 */
import { test } from "./support/leak_checked.ts";
import { assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { Memfd, MemfdListener } from "../mod.ts";
import { openFds, startPython, tempDir } from "./support/run.ts";

const PY_SENDER = `
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
for line in sys.stdin:
    kind = line.strip()
    if kind == "memfd":
        fd = os.memfd_create("from-python")
        os.write(fd, b"hi")
    else:
        fd, _ = os.pipe()
    socket.send_fds(s, [b"m"], [fd])
    os.close(fd)
    print("sent", flush=True)
`;

test("receive({ timeout }) rejects TimeoutError; no fd is left behind and the listener goes on", async () => {
  await using dir = await tempDir();
  using listener = MemfdListener.listen(`${dir.path}/l.sock`);
  const before = await openFds();
  const e = await assertRejects(
    () => listener.receive({ timeout: 20 }),
    DOMException,
  );
  assertEquals(e.name, "TimeoutError");
  assertStringIncludes(
    e.message,
    "MemfdListener.receive timed out after 20 ms",
  );
  // The wake eventfd was replaced, not added to; nothing else stays open.
  assertEquals(await openFds(), before);
  using fd = Memfd.create("after-timeout");
  await fd.sendTo(listener.path);
  using received = await listener.receive({ timeout: 60_000 });
  assertEquals(received.name, "after-timeout");
});

test("aborting a receive waiting for a connection rejects with the reason", async () => {
  await using dir = await tempDir();
  using listener = MemfdListener.listen(`${dir.path}/l.sock`);
  const controller = new AbortController();
  const waiting = listener.receive({ signal: controller.signal });
  const reason = new Error("shutting down");
  controller.abort(reason);
  assertEquals(await waiting.catch((e) => e), reason);
  using fd = Memfd.create("next");
  await fd.sendTo(listener.path);
  using received = await listener.receive();
  assertEquals(received.name, "next");
});

test("aborting a receive inside a connection keeps the connection", async () => {
  await using dir = await tempDir();
  using listener = MemfdListener.listen(`${dir.path}/l.sock`);
  await using peer = startPython(PY_SENDER, [listener.path]);
  await peer.send("memfd");
  assertEquals(await peer.readLine(), "sent");
  using first = await listener.receive();
  assertEquals(first.name, "from-python");
  // Now waiting on the connection for its next message.
  const controller = new AbortController();
  const waiting = listener.receive({ signal: controller.signal });
  controller.abort("stop");
  assertEquals(await waiting.catch((e) => e), "stop");
  await peer.send("memfd");
  assertEquals(await peer.readLine(), "sent");
  using second = await listener.receive();
  assertEquals(second.size, 2);
});

test("a queued receive aborted behind a pending one rejects at once", async () => {
  await using dir = await tempDir();
  using listener = MemfdListener.listen(`${dir.path}/l.sock`);
  const first = listener.receive();
  const controller = new AbortController();
  const second = listener.receive({ signal: controller.signal });
  controller.abort("not this one");
  assertEquals(await second.catch((e) => e), "not this one");
  using fd = Memfd.create("for-the-first");
  await fd.sendTo(listener.path);
  using received = await first;
  assertEquals(received.name, "for-the-first");
});

test("an already aborted signal rejects at once, even with a memfd queued", async () => {
  await using dir = await tempDir();
  using listener = MemfdListener.listen(`${dir.path}/l.sock`);
  using fd = Memfd.create("queued");
  await fd.sendTo(listener.path);
  const signal = AbortSignal.abort("early");
  assertEquals(await listener.receive({ signal }).catch((e) => e), "early");
  using received = await listener.receive();
  assertEquals(received.name, "queued");
});

test("receive options are strict", async () => {
  await using dir = await tempDir();
  using listener = MemfdListener.listen(`${dir.path}/l.sock`);
  await assertRejects(
    () => listener.receive({ signl: AbortSignal.abort() } as never),
    TypeError,
    "did you mean 'signal'?",
  );
});

test("for await yields each memfd, skips a message without one, ends on close", async () => {
  await using dir = await tempDir();
  using listener = MemfdListener.listen(`${dir.path}/l.sock`);
  await using peer = startPython(PY_SENDER, [listener.path]);
  for (const kind of ["memfd", "pipe"]) {
    await peer.send(kind);
    assertEquals(await peer.readLine(), "sent");
  }
  // The pipe breaks the protocol: its connection is dropped. A new one:
  using fd = Memfd.create("from-deno", { size: 3 });
  await fd.sendTo(listener.path);
  const names: string[] = [];
  for await (const memfd of listener) {
    names.push(`${memfd.name}:${memfd.size}`);
    memfd.close();
    if (names.length === 2) listener.close();
  }
  assertEquals(names, ["from-python:2", "from-deno:3"]);
});

test("for await ends when the listener closes while it waits", async () => {
  await using dir = await tempDir();
  const listener = MemfdListener.listen(`${dir.path}/l.sock`);
  const seen: Memfd[] = [];
  const loop = (async () => {
    for await (const memfd of listener) seen.push(memfd);
  })();
  listener.close();
  await loop;
  assertEquals(seen.length, 0);
});
