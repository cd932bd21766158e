/**
 * Socket steps: listen (on fresh, reused, taken and impossible paths),
 * send memfds (sometimes closing them before the send settles), send to
 * paths where nobody listens, peers that connect without sending a memfd,
 * receive (several at once), and close listeners with receives pending.
 * @module
 */

import { type Memfd, MemfdListener } from "../../../mod.ts";
import { dm_cloexec } from "../../../src/native.ts";
import { type Expect, fails, mismatch, OK, okOr } from "../expect.ts";
import { fmt, q } from "../format.ts";
import { opClose, opCreate } from "../memfd/lifecycle.ts";
import { verifyFile } from "../memfd/verify.ts";
import { MAX_HANDLES } from "../memfd/world.ts";
import { later } from "../runner.ts";
import { verifyFds } from "./fds.ts";
import {
  type Listening,
  MAX_LISTENERS,
  MAX_QUEUED,
  type Message,
  type SocketWorld,
} from "./world.ts";

/** The inode behind an fd of this process. */
function inodeOf(fd: number): number {
  return Deno.statSync(`/proc/self/fd/${fd}`).ino!;
}

/** Paths nobody listens on: not there, not a socket, too long. */
function deadPaths(w: SocketWorld): [string, string][] {
  const live = new Set(w.listeners.map((l) => l.path));
  const gone = w.closedListeners.map((l) => l.path).filter((p) => !live.has(p));
  return [
    [`${w.dir}/missing.sock`, "ENOENT"],
    [`${w.dir}/nodir/x.sock`, "ENOENT"],
    [`${w.dir}/plain`, "ECONNREFUSED"],
    [w.dir, "ECONNREFUSED"],
    [`${w.dir}/plain/x.sock`, "ENOTDIR"],
    [`${w.dir}/${"x".repeat(120)}`, "ENAMETOOLONG"],
    ...gone.map((p): [string, string] => [p, "ENOENT"]),
  ];
}

export async function opListen(w: SocketWorld): Promise<void> {
  const r = w.rng;
  if (w.listeners.length >= MAX_LISTENERS) return await opCloseListener(w);
  const live = new Set(w.listeners.map((l) => l.path));
  const reusable = w.closedListeners.filter((l) => !live.has(l.path));
  const choice = r.weighted({
    fresh: 5,
    reused: reusable.length > 0 ? 1 : 0,
    taken: w.listeners.length > 0 ? 1 : 0,
    plain: 0.5,
    noDir: 0.5,
    long: 0.5,
    bad: 0.5,
  });
  let path: unknown = `${w.dir}/l${w.nextId++}.sock`;
  let expect: Expect = OK;
  switch (choice) {
    case "reused":
      path = r.pick(reusable).path;
      break;
    case "taken":
      path = r.pick(w.listeners).path;
      expect = fails("EADDRINUSE");
      break;
    case "plain":
      path = `${w.dir}/plain`;
      expect = fails("EADDRINUSE");
      break;
    case "noDir":
      path = `${w.dir}/nodir/l.sock`;
      expect = fails("ENOENT");
      break;
    case "long":
      path = `${w.dir}/${"l".repeat(110)}`;
      expect = fails("ENAMETOOLONG");
      break;
    case "bad":
      path = r.pick<unknown>([42, null, undefined, "", "a\0b"]);
      expect = fails("TypeError");
  }
  const out = w.call(
    `MemfdListener.listen(${fmt(path)})`,
    expect,
    () => MemfdListener.listen(path as string),
  );
  if (!out.ok) {
    if (expect.errors[0] !== "TypeError") {
      w.lastErrorSays(/^MemfdListener\.listen: cannot listen on /, "listen");
    }
    return;
  }
  const listener = out.value;
  if (listener.path !== path || listener.closed) {
    mismatch(`listen: path ${listener.path}, closed ${listener.closed}`);
  }
  w.listeners.push({
    id: w.nextId++,
    listener,
    path: path as string,
    queue: [],
    holdsConnection: false,
  });
}

export async function opSend(w: SocketWorld): Promise<void> {
  const r = w.rng;
  const h = w.pickHandle();
  if (h === undefined) return opCreate(w);
  const l = w.pickListener();
  if (l === undefined) return await opListen(w);
  if (l.queue.length >= MAX_QUEUED) return await receiveFrom(w, l);
  const closeFirst = r.chance(0.2);
  const ino = inodeOf(h.fd);
  const what = `sendTo(fd ${h.fd} ${q(h.file.name)} -> listener ${l.id}${
    closeFirst ? ", closed at once" : ""
  })`;
  const promise = h.memfd.sendTo(l.path);
  if (closeFirst) {
    // The fd was duplicated before sendTo returned.
    h.memfd.close();
    w.forgetHandle(h);
  }
  const out = await w.callAsync(what, OK, () => promise);
  if (out.ok) {
    l.queue.push({ kind: "memfd", file: h.file, writable: h.writable, ino });
  }
}

/** sendTo a path where nobody listens, a bad path, or from a closed memfd. */
export async function opSendBad(w: SocketWorld): Promise<void> {
  const r = w.rng;
  const h = w.pickHandle();
  if (h === undefined) return opCreate(w);
  const choice = r.weighted({ dead: 6, type: 1, closed: 1 });
  if (choice === "type") {
    const path = r.pick<unknown>([42, null, undefined, "", "a\0b", {}]);
    await w.callAsync(
      `sendTo(${fmt(path)})`,
      fails("TypeError"),
      () => h.memfd.sendTo(path as string),
    );
    return;
  }
  if (choice === "closed") {
    const closed = w.closed.length > 0 ? r.pick(w.closed) : undefined;
    const l = w.pickListener();
    if (closed === undefined) return;
    await w.callAsync(
      `closed ${q(closed.file.name)}.sendTo(${l ? `listener ${l.id}` : "-"})`,
      fails("EBADF"),
      () => closed.memfd.sendTo(l?.path ?? `${w.dir}/missing.sock`),
    );
    w.lastErrorSays(/ is closed/, "sendTo from a closed memfd");
    return;
  }
  const [path, code] = r.pick(deadPaths(w));
  await w.callAsync(
    `sendTo(fd ${h.fd} -> ${path.replace(w.dir, "<dir>")})`,
    fails(code),
    () => h.memfd.sendTo(path),
  );
  w.lastErrorSays(/^Memfd\.sendTo: cannot send memfd /, "sendTo a dead path");
}

/** A peer that connects and sends bytes without an fd, or nothing. */
export async function opPeer(w: SocketWorld): Promise<void> {
  const r = w.rng;
  const l = w.pickListener();
  if (l === undefined) return await opListen(w);
  if (l.queue.length >= MAX_QUEUED) return await receiveFrom(w, l);
  const kind = r.chance(0.5) ? "junk" : "empty";
  const bytes = r.bytes(r.range(1, 64));
  w.note(`a peer connects to listener ${l.id} and sends ${kind}`);
  const conn = await Deno.connect({ transport: "unix", path: l.path });
  if (kind === "junk") await conn.write(bytes);
  conn.close();
  l.queue.push({ kind });
}

/** A received memfd is the inode that was sent: name, flags, content. */
function checkReceived(
  w: SocketWorld,
  received: Memfd,
  sent: Extract<Message, { kind: "memfd" }>,
): void {
  const what = `received ${q(received.name)} (fd ${received.fd})`;
  if (received.name !== sent.file.name) {
    mismatch(`${what}: name is not ${q(sent.file.name)}`);
  }
  if (dm_cloexec(received.fd) !== 1) mismatch(`${what}: not close-on-exec`);
  if (inodeOf(received.fd) !== sent.ino) {
    mismatch(`${what}: inode ${inodeOf(received.fd)}, sent ${sent.ino}`);
  }
  w.adopt(received, sent.file, sent.writable);
  verifyFile(w, sent.file, `after ${what}`);
  if (w.handles.length > MAX_HANDLES) opClose(w);
}

/** Up to three receives at once on `l`, for messages queued there. */
async function receiveFrom(w: SocketWorld, l: Listening): Promise<void> {
  const k = w.rng.range(1, Math.min(3, l.queue.length));
  const receives = Array.from(
    { length: k },
    () => later(l.listener.receive()),
  );
  for (const receive of receives) {
    const message = l.queue.shift()!;
    const out = await w.callAsync(
      `receive() on listener ${l.id} (${
        message.kind === "memfd" ? q(message.file.name) : message.kind
      })`,
      message.kind === "memfd" ? OK : fails("EBADMSG"),
      () => receive,
    );
    l.holdsConnection = out.ok;
    if (out.ok && message.kind === "memfd") {
      checkReceived(w, out.value, message);
    }
  }
}

export async function opReceive(w: SocketWorld): Promise<void> {
  const ready = w.listeners.filter((l) => l.queue.length > 0);
  if (ready.length === 0) return await opSend(w);
  await receiveFrom(w, w.rng.pick(ready));
}

/**
 * Closes a listener while receives wait (with what was queued dropped, or
 * received first), sometimes with a send racing the close.
 */
export async function opCloseListener(w: SocketWorld): Promise<void> {
  const r = w.rng;
  const l = w.pickListener();
  if (l === undefined) return await opListen(w);
  const drain = r.chance(0.3);
  if (drain && l.queue.length > 0) await receiveFrom(w, l);
  const waiting = r.int(3);
  const receives = Array.from(
    { length: waiting },
    () => later(l.listener.receive()),
  );
  if (drain && l.queue.length === 0) {
    // Nothing is left to receive: let the receives start waiting.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  const h = r.chance(0.3) ? w.pickHandle() : undefined;
  const send = h && later(h.memfd.sendTo(l.path));
  w.call(
    `close(listener ${l.id}, ${waiting} receives waiting, ${l.queue.length} queued${
      h ? ", a send racing" : ""
    })`,
    OK,
    () => l.listener.close(),
  );
  w.forgetListener(l);
  for (const receive of receives) {
    await w.callAsync(`pending receive()`, fails("ECANCELED"), () => receive);
  }
  if (send !== undefined) {
    // Connected before the close or not: either way nothing is received.
    await w.callAsync(
      `sendTo racing close()`,
      okOr("ENOENT", "ECONNREFUSED", "ECONNRESET", "EPIPE"),
      () => send,
    );
  }
  l.queue = [];
  l.holdsConnection = false;
  if (!l.listener.closed) mismatch(`close: listener ${l.id} is not closed`);
  w.call(`close() again`, OK, () => l.listener.close());
  await w.callAsync(
    `receive() after close`,
    fails("EBADF"),
    () => l.listener.receive(),
  );
  w.lastErrorSays(/the listener is closed/, "receive() after close");
  try {
    Deno.lstatSync(l.path);
    mismatch(`close: the socket file ${l.path} is still there`);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  await verifyFds(w, `after closing listener ${l.id}`);
}
