/**
 * Handing a sealed buffer to a receiver that trusts nobody, over a Unix
 * domain socket (SCM_RIGHTS).
 *
 * The receiver (this process) listens on a socket and starts a sender
 * (this file again, in a child `deno`). The sender hands over two memfds:
 * one sealed against every change, one that it could still rewrite after
 * the receiver checked it. The receiver takes a memfd only when
 * `requireSeals("write", "shrink", "grow")` passes, then reads it through a
 * private mapping (or `read()`): no copy, and no way for the sender to
 * change or cut it under the receiver's feet.
 *
 * Run with `deno task example:handoff`.
 * @module
 */

import { Memfd, MemfdError, MemfdListener } from "../mod.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

if (Deno.args[0] === "send") {
  // The sender: another process, perhaps another user's program.
  const socketPath = Deno.args[1]!; // the receiver below passes it
  {
    using frame = Memfd.create("sealed-frame");
    frame.write(encoder.encode("a frame nobody can change any more"));
    frame.seal("shrink", "grow", "write");
    await frame.sendTo(socketPath);
  }
  {
    using sneaky = Memfd.create("unsealed-frame");
    sneaky.write(encoder.encode("this could change after you looked"));
    await sneaky.sendTo(socketPath);
  }
} else {
  const dir = await Deno.makeTempDir({ prefix: "memfd-handoff-" });
  try {
    using listener = MemfdListener.listen(`${dir}/frames.sock`);
    console.log(`listening on ${listener.path}`);
    const sender = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-ffi",
        "--allow-read",
        // What Deno.connect would need for this socket, and nothing more.
        `--allow-write=${listener.path}`,
        `--allow-net=unix:${listener.path}`,
        new URL(import.meta.url).pathname,
        "send",
        listener.path,
      ],
    }).spawn();

    for (let i = 0; i < 2; i++) {
      using frame = await listener.receive();
      try {
        frame.requireSeals("write", "shrink", "grow");
      } catch (e) {
        if (!(e instanceof MemfdError) || e.code !== "EPERM") throw e;
        console.log(`refused '${frame.name}': ${e.message}`);
        continue;
      }
      // Sealed: the contents and size are fixed for good. A private
      // mapping works on a write-sealed memfd (a shared writable one
      // cannot exist any more), and costs no copy.
      using view = frame.map({ access: "private" });
      const text = decoder.decode(view.bytes);
      console.log(`accepted '${frame.name}' (${[...frame.seals]}): ${text}`);
    }
    const status = await sender.status;
    if (!status.success) throw new Error(`the sender failed: ${status.code}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
