/**
 * Interop with python3 as a real peer: it opens `memfd.path`, maps it, and
 * both sides see each other's writes (CONFORMANCE #41); it sees our seals;
 * and we open a memfd python made.
 */

import { test } from "./support/leak_checked.ts";
import { assert, assertEquals } from "@std/assert";
import { Memfd } from "../mod.ts";
import { assertSeals } from "./support/assert.ts";
import { runPython, spawnPeer } from "./support/run.ts";

const PAGE = 4096;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function python(code: string, ...args: string[]): Promise<string> {
  const out = await runPython(code, args);
  assertEquals(out.code, 0, out.stderr);
  return out.stdout.trim();
}

test("#41 python opens the path read-write and reads what we wrote, by read() and by mmap", async () => {
  using fd = Memfd.create("to-python", { size: PAGE });
  fd.write(encoder.encode("from deno"), 100);
  const out = await python(
    `
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
print(os.pread(fd, 9, 100).decode())
m = mmap.mmap(fd, 0)
print(len(m), m[100:109].decode())
`,
    fd.path,
  );
  assertEquals(out, `from deno\n${PAGE} from deno`);
});

test("python sees bytes written through our mapping", async () => {
  using fd = Memfd.create("map-to-python", { size: 2 * PAGE });
  using map = fd.map();
  map.bytes.set(encoder.encode("mapped"), PAGE + 1);
  const out = await python(
    `
import mmap, os, sys
m = mmap.mmap(os.open(sys.argv[1], os.O_RDONLY), 0, prot=mmap.PROT_READ)
print(m[4097:4103].decode())
`,
    fd.path,
  );
  assertEquals(out, "mapped");
});

test("python's writes (mmap and pwrite) reach our read() and our live mapping", async () => {
  using fd = Memfd.create("from-python", { size: PAGE });
  using map = fd.map(); // mapped before python runs
  await python(
    `
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
m = mmap.mmap(fd, 0)
m[0:6] = b"by map"
m.flush()
os.pwrite(fd, b"by pwrite", 200)
`,
    fd.path,
  );
  assertEquals(decoder.decode(map.bytes.subarray(0, 6)), "by map");
  assertEquals(decoder.decode(map.bytes.subarray(200, 209)), "by pwrite");
  const out = new Uint8Array(9);
  fd.read(out, 200);
  assertEquals(decoder.decode(out), "by pwrite");
});

test("python grows the file; we see the new size and can map it", async () => {
  using fd = Memfd.create("grown-by-python");
  await python(
    `
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
os.ftruncate(fd, 3 * 4096)
os.pwrite(fd, b"end", 3 * 4096 - 3)
`,
    fd.path,
  );
  assertEquals(fd.size, 3 * PAGE);
  using map = fd.map();
  assertEquals(decoder.decode(map.bytes.subarray(3 * PAGE - 3)), "end");
});

test("python sees our seals and is held to them", async () => {
  using fd = Memfd.create("sealed-for-python", { size: PAGE });
  fd.write(encoder.encode("frozen"));
  fd.seal("shrink", "grow", "write", "seal");
  const out = await python(
    `
import errno, fcntl, mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
seals = fcntl.fcntl(fd, fcntl.F_GET_SEALS)
print(seals & 0xf == 0xf)
for attempt in (lambda: os.pwrite(fd, b"x", 0),
                lambda: os.ftruncate(fd, 0),
                lambda: mmap.mmap(fd, 0)):
    try:
        attempt()
        print("allowed")
    except OSError as e:
        print(errno.errorcode[e.errno])
print(os.pread(fd, 6, 0).decode())
`,
    fd.path,
  );
  assertEquals(out.split("\n"), ["True", "EPERM", "EPERM", "EPERM", "frozen"]);
});

test("we open, read, check seals of, and write into a memfd python created", async () => {
  await using peer = spawnPeer("python3", [
    "-c",
    `
import fcntl, mmap, os, sys
fd = os.memfd_create("py-made", os.MFD_ALLOW_SEALING)
os.ftruncate(fd, 4096)
m = mmap.mmap(fd, 4096)
m[0:9] = b"from py!\\n"
fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW)
print(f"/proc/{os.getpid()}/fd/{fd}", flush=True)
sys.stdin.readline()
print(m[100:106].decode(), flush=True)
`,
  ]);
  const path = await peer.readLine();
  using theirs = Memfd.open(path, { write: true });
  assertEquals(theirs.name, "py-made");
  assertEquals(theirs.size, PAGE);
  assertSeals(theirs.seals, ["shrink", "grow"]);
  const out = new Uint8Array(9);
  theirs.read(out);
  assertEquals(decoder.decode(out), "from py!\n");
  {
    using map = theirs.map();
    map.bytes.set(encoder.encode("hi py!"), 100);
  }
  await peer.send("go");
  assertEquals(await peer.readLine(), "hi py!");
  const end = await peer.finish();
  assertEquals(end.code, 0, end.stderr);
  assert(!theirs.closed, "our fd outlives the process that made the memfd");
  assertEquals(theirs.size, PAGE);
});
