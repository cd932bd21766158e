/**
 * Received and opened memfds are normalized (issue 18, item 6): a peer
 * that hands over an open file description with `O_APPEND` does not make
 * `write(data, 0)` append, and its own description keeps the flag (the
 * library reopens the file, it never clears a flag the two would share).
 * The peer is Python, holding a memfd of 2^53 − 3 bytes: appending there
 * used to grow it past 2^53, beyond what a JS number can address.
 */

import { test } from "./support/leak_checked.ts";
import { assertEquals } from "@std/assert";
import { Memfd, MemfdListener } from "../mod.ts";
import { startPython, tempDir } from "./support/run.ts";

const SIZE = 2 ** 53 - 3;

/**
 * Makes a sparse memfd of `SIZE` bytes starting "0123456789", opens a
 * second description of it with O_APPEND, prints its pid and that fd, sends
 * it to the socket in argv[1] (when given); then, on each line read,
 * prints whether that description still has O_APPEND, the size, and the
 * first ten bytes.
 */
const APPENDER = `
import fcntl, os, socket, sys
m = os.memfd_create("appending")
os.ftruncate(m, ${SIZE})
os.pwrite(m, b"0123456789", 0)
a = os.open(f"/proc/self/fd/{m}", os.O_RDWR | os.O_APPEND)
print(os.getpid(), a, flush=True)
if len(sys.argv) > 1:
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(sys.argv[1])
        socket.send_fds(s, [b"x"], [a])
for _ in sys.stdin:
    appending = fcntl.fcntl(a, fcntl.F_GETFL) & os.O_APPEND != 0
    print(appending, os.fstat(m).st_size, os.pread(m, 10, 0).decode(), flush=True)
`;

/** Writes "AB" at 0 and checks what the file and the peer then show. */
async function overwrites(memfd: Memfd, peer: ReturnType<typeof startPython>) {
  assertEquals(memfd.write(new TextEncoder().encode("AB"), 0), 2);
  assertEquals(memfd.size, SIZE);
  await peer.send("check");
  assertEquals(await peer.readLine(), `True ${SIZE} AB23456789`);
}

test("a memfd received with O_APPEND is written at the position asked, and the sender's fd keeps O_APPEND", async () => {
  await using dir = await tempDir();
  using listener = MemfdListener.listen(`${dir.path}/in.sock`);
  await using peer = startPython(APPENDER, [listener.path]);
  await peer.readLine();
  using received = await listener.receive();
  assertEquals(received.name, "appending");
  await overwrites(received, peer);
  const out = await peer.finish();
  assertEquals([out.code, out.signal], [0, null], out.stderr);
});

test("Memfd.open of a /proc path whose fd has O_APPEND gets a description without it", async () => {
  await using peer = startPython(APPENDER);
  const [pid, fd] = (await peer.readLine()).split(" ");
  using opened = Memfd.open(`/proc/${pid}/fd/${fd}`, { write: true });
  await overwrites(opened, peer);
  const out = await peer.finish();
  assertEquals([out.code, out.signal], [0, null], out.stderr);
});
