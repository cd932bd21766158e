/**
 * A peer that shrinks a memfd under this process's mapping cannot kill it
 * (issue 18, item 2): a child `deno` maps a memfd, `python3` truncates it
 * through its `/proc` path while the child waits for it, and the child then
 * touches the vanished pages from JavaScript. It must survive (exit 0, no
 * signal), read zeros there, and get a typed `MemfdError` from its next
 * call on the mapping and on the memfd. A SIGBUS at an address the library
 * does not own still kills as it did before the library was loaded.
 */

import { test } from "./support/leak_checked.ts";
import { assertEquals, assertStringIncludes } from "@std/assert";
import {
  FFI,
  MOD,
  NET_SCOPES_UNIX,
  runDeno,
  startDeno,
  startPython,
  tempDir,
} from "./support/run.ts";

const FLAGS = ["--allow-ffi", "--allow-read", "--allow-run"];

type Kind = "shared" | "private" | "populate" | "ring";

/**
 * The child: 4 pages mapped as `kind`, every byte 7, python truncates the
 * file to `to` bytes (the child blocks until python has exited), then the
 * child reads and writes page 2 (and, for a ring, its alias in the second
 * half), and reports what it saw and what its next calls threw.
 */
function victim(kind: Kind, to: number): string {
  return `
import { Memfd, MemfdError } from "${MOD}";
import { dm_live_mappings } from "${FFI}";
const PAGE = 4096;
const fd = Memfd.create("victim", { size: 4 * PAGE });
const map = ${
    kind === "ring"
      ? "fd.mapRing()"
      : `fd.map(${
        kind === "shared"
          ? ""
          : `{ access: "private"${
            kind === "populate" ? ", populate: true" : ""
          } }`
      })`
  };
map.bytes.fill(7);
const peer = new Deno.Command("python3", {
  args: ["-c", "import os, sys\\nos.truncate(sys.argv[1], int(sys.argv[2]))", fd.path, "${to}"],
}).outputSync();
if (!peer.success) throw new Error("python could not truncate");
const lost = 2 * PAGE + 5;
const report = {};
report.read = map.bytes[lost];            // SIGBUS without the handler
map.bytes[lost + 1] = 9;                  // a write into the lost range
report.back = map.bytes[lost + 1];
report.first = map.bytes[0];              // the file's own page while to > 0
${
    kind === "ring"
      ? "report.alias = map.bytes[lost + 1 + 4 * PAGE];"
      : "report.alias = 9;"
  }
report.truncated = map.truncated;
const thrown = (f) => {
  try { f(); return "no error"; } catch (e) {
    return e instanceof MemfdError ? [e.code, e.syscall, e.message] : String(e);
  }
};
report.sync = thrown(() => map.sync());
report.syncAgain = thrown(() => map.sync());
report.size = thrown(() => fd.size);
report.sizeAfter = fd.size;
map.unmap();
report.unmapped = map.unmapped && dm_live_mappings() === 0;
fd.close();
console.log(JSON.stringify(report));
`;
}

interface Report {
  read: number;
  back: number;
  first: number;
  alias: number;
  truncated: boolean;
  sync: [string, string, string];
  syncAgain: [string, string, string];
  size: [string, string, string];
  sizeAfter: number;
  unmapped: boolean;
}

for (const kind of ["shared", "private", "populate", "ring"] as const) {
  for (const to of [0, 4096]) {
    test(`a ${kind} mapping shrunk to ${to} by python survives, reads zeros and reports EFAULT`, async () => {
      const out = await runDeno(victim(kind, to), FLAGS);
      assertEquals([out.code, out.signal], [0, null], out.stderr);
      const r: Report = JSON.parse(out.stdout);
      assertEquals([r.read, r.back, r.alias], [0, 9, 9]);
      assertEquals(r.first, to === 0 ? 0 : 7, "page 0 is the file's until cut");
      assertEquals(r.truncated, true);
      assertEquals(r.sync.slice(0, 2), ["EFAULT", "msync"]);
      assertStringIncludes(r.sync[2], "another process shrank the file");
      assertStringIncludes(
        r.sync[2],
        "writes into the lost range were dropped",
      );
      assertEquals(r.syncAgain, r.sync, "the mapping stays repaired");
      assertEquals(r.size.slice(0, 2), ["EFAULT", "fstat"]);
      assertStringIncludes(r.size[2], "cannot read the size of 'victim'");
      assertEquals(r.sizeAfter, to, "told once, then the memfd works on");
      assertEquals(r.unmapped, true);
    });
  }
}

test("a mapping repaired and unmapped before any other call is still reported by its memfd", async () => {
  const out = await runDeno(
    `
import { Memfd, MemfdError } from "${MOD}";
const fd = Memfd.create("gone", { size: 8192 });
const map = fd.map();
new Deno.Command("python3", {
  args: ["-c", "import os, sys\\nos.truncate(sys.argv[1], 0)", fd.path],
}).outputSync();
const zero = map.bytes[4096];
map.unmap();
let error = "none";
try { fd.write(new Uint8Array([1])); } catch (e) { if (e instanceof MemfdError) error = e.code; }
console.log(zero, error, fd.write(new Uint8Array([1])), fd.size);
fd.close();
`,
    FLAGS,
  );
  assertEquals([out.code, out.signal], [0, null], out.stderr);
  assertEquals(out.stdout.trim(), "0 EFAULT 1 1");
});

test("read() into a mapping whose file shrank repairs it and throws EFAULT naming the cause", async () => {
  const out = await runDeno(
    `
import { Memfd, MemfdError } from "${MOD}";
const source = Memfd.create("source", { size: 8192 });
const fd = Memfd.create("other", { size: 8192 });
const map = source.map();
new Deno.Command("python3", {
  args: ["-c", "import os, sys\\nos.truncate(sys.argv[1], 0)", source.path],
}).outputSync();
let error = "none";
try { fd.read(map.bytes); } catch (e) { if (e instanceof MemfdError) error = e.code + " " + e.message; }
console.log(map.truncated, map.bytes[0], error);
map.unmap();
source.close();
fd.close();
`,
    FLAGS,
  );
  assertEquals([out.code, out.signal], [0, null], out.stderr);
  assertStringIncludes(
    out.stdout,
    "true 0 EFAULT Memfd.read: cannot read from 'other'",
  );
  assertStringIncludes(out.stdout, "whose file another process shrank");
});

test("a SIGBUS at an address the library does not own still kills the process", async () => {
  // A memfd mapped with libc's own mmap, not the library's: after a
  // library mapping installed the handler, its fault is passed on to the
  // handler Deno installed at startup, which leaves the default action.
  const out = await runDeno(
    `
import { Memfd } from "${MOD}";
const libc = Deno.dlopen("libc.so.6", {
  mmap: { parameters: ["pointer", "usize", "i32", "i32", "i32", "i64"], result: "pointer" },
  ftruncate: { parameters: ["i32", "i64"], result: "i32" },
});
const fd = Memfd.create("not-ours", { size: 4096 });
using ours = fd.map();
ours.bytes[0] = 1;
const raw = libc.symbols.mmap(null, 4096n, 3, 1, fd.fd, 0n);
console.log("ftruncate", libc.symbols.ftruncate(fd.fd, 0n));
console.log("ours", ours.bytes[0]);
console.log("raw", new Deno.UnsafePointerView(raw).getUint8(0));
`,
    FLAGS,
  );
  assertEquals(out.signal, "SIGBUS", out.stderr);
  assertEquals(out.stdout, "ftruncate 0\nours 0\n");
});

test("a memfd received from python, mapped private and populated, survives python truncating it", async () => {
  await using dir = await tempDir();
  const sock = `${dir.path}/s.sock`;
  // The victim tells when it mapped; the sender's second memfd tells the
  // victim that the first one was cut (a message, not a sleep).
  await using victim = startDeno(
    `
import { MemfdListener, MemfdError } from "${MOD}";
using listener = MemfdListener.listen(${JSON.stringify(sock)});
console.log("listening");
using fd = await listener.receive();
const map = fd.map({ access: "private", populate: true });
console.log("mapped", map.bytes[4096]);
using go = await listener.receive();
const zero = map.bytes[4096];
map.bytes[4096] = 3;
let error = "none";
try { fd.seals; } catch (e) { if (e instanceof MemfdError) error = e.code; }
console.log("touched", zero, map.bytes[4096], map.truncated, error, fd.size);
map.unmap();
`,
    [
      ...FLAGS,
      `--allow-write=${dir.path}`,
      // Deno before 2.8 has no unix: net scopes (nor needs one to listen).
      ...(NET_SCOPES_UNIX ? [`--allow-net=unix:${sock}`] : []),
    ],
  );
  assertEquals(await victim.readLine(), "listening");
  await using sender = startPython(
    `
import os, socket, sys
fd = os.memfd_create("sent")
os.write(fd, b"x" * 8192)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
socket.send_fds(s, [b"m"], [fd])
s.close()
sys.stdin.readline()
os.ftruncate(fd, 0)
go = os.memfd_create("go")
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
socket.send_fds(s, [b"g"], [go])
s.close()
print("cut")
sys.stdin.readline()
`,
    [sock],
  );
  assertEquals(await victim.readLine(), "mapped 120");
  await sender.send("cut it");
  assertEquals(await sender.readLine(), "cut");
  const out = await victim.finish();
  assertEquals([out.code, out.signal], [0, null], out.stderr);
  assertEquals(out.stdout.trim(), "touched 0 3 true EFAULT 0");
  assertEquals((await sender.finish()).code, 0);
});
