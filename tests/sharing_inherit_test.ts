/**
 * Giving a child process the memfd: as an inherited fd, or by its
 * `/proc/<pid>/fd/<n>` path; and which of them needs `cloexec: false`.
 */
import { test } from "./support/leak_checked.ts";
import { assertEquals, assertInstanceOf, assertMatch } from "@std/assert";
import { spawn } from "node:child_process";
import { Memfd } from "../mod.ts";
import { denoRun, MOD, ROOT, run, runDeno, runPython } from "./support/run.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function memfdWith(text: string, options: { cloexec?: boolean } = {}): Memfd {
  const fd = Memfd.create("inherited", options);
  fd.write(encoder.encode(text));
  return fd;
}

function textOf(fd: Memfd): string {
  const bytes = new Uint8Array(fd.size);
  fd.read(bytes);
  return decoder.decode(bytes);
}

/**
 * `node:child_process` `spawn` with `fd` as the child's fd 3; `input` goes
 * to its stdin.
 */
function spawnWithFd(
  command: string,
  args: string[],
  fd: number,
  input = "",
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(command, args, {
    stdio: ["pipe", "pipe", "pipe", fd],
    cwd: ROOT,
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (s: string) => stdout += s);
  child.stderr!.setEncoding("utf8").on("data", (s: string) => stderr += s);
  child.stdin!.end(input);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * The error `spawn` reports when this Deno's `node:child_process` cannot
 * put an fd number into a child's stdio (before Deno 2.8: a TypeError,
 * "serde_v8 error: invalid type; expected: enum, got: Number"), or
 * `undefined` when it can. Probed by spawning `true` with fd 0 as fd 3.
 */
const stdioFdRefusal: Error | undefined = await new Promise((resolve) => {
  const child = spawn("true", [], { stdio: ["ignore", "ignore", "ignore", 0] });
  child.on("error", (error) => resolve(error));
  child.on("close", () => resolve(undefined));
});
/** Tests that need an fd number in `stdio` (Deno 2.8+). */
const STDIO_FDS = { ignore: stdioFdRefusal !== undefined };

const PYTHON_FD3 = `
import mmap, os
print(os.readlink("/proc/self/fd/3"))
print(os.pread(3, 100, 0).decode())
with mmap.mmap(3, os.fstat(3).st_size) as m:
    m[0:5] = b"CHILD"
`;

test(
  "node:child_process spawn maps a close-on-exec memfd to the child's fd 3 (no cloexec: false needed)",
  STDIO_FDS,
  async () => {
    using fd = memfdWith("hello child");
    const out = await spawnWithFd("python3", ["-c", PYTHON_FD3], fd.fd);
    assertEquals(out.stderr, "");
    const [link, text] = out.stdout.trim().split("\n");
    assertMatch(link, /^\/memfd:inherited/);
    assertEquals(text, "hello child");
    // The child wrote through a shared mapping of the same memory.
    assertEquals(textOf(fd), "CHILD child");
  },
);

test(
  "a child deno adopts the inherited fd 3 with Memfd.fromFd",
  STDIO_FDS,
  async () => {
    using fd = memfdWith("from the parent");
    const [deno, ...args] = denoRun("-");
    const out = await spawnWithFd(
      deno,
      args,
      fd.fd,
      `
    import { Memfd } from "${MOD}";
    using fd = Memfd.fromFd(3);
    const bytes = new Uint8Array(fd.size);
    fd.read(bytes);
    console.log(fd.name, new TextDecoder().decode(bytes));
  `,
    );
    assertEquals(out.stderr, "");
    assertEquals(out.stdout.trim(), "inherited from the parent");
  },
);

test(
  "before Deno 2.8 an fd number in stdio is refused with an error event, not a crash",
  {
    ignore: stdioFdRefusal === undefined,
  },
  async () => {
    using fd = memfdWith("not inherited");
    const child = spawn("true", [], {
      stdio: ["ignore", "ignore", "ignore", fd.fd],
    });
    const error = await new Promise((resolve) => child.on("error", resolve));
    assertInstanceOf(error, TypeError);
    // The way that works on every Deno: the child opens memfd.path.
    const out = await run("cat", [fd.path]);
    assertEquals(out.stdout, "not inherited");
  },
);

test("without a stdio mapping a child inherits the fd number only with cloexec: false", async () => {
  const probe = (n: number) =>
    new Deno.Command("python3", {
      args: [
        "-c",
        `import os, sys
try:
    print(os.readlink(f"/proc/self/fd/{sys.argv[1]}"))
except FileNotFoundError:
    print("closed")`,
        String(n),
      ],
    }).output();
  {
    using open = memfdWith("kept", { cloexec: false });
    const out = await probe(open.fd);
    assertMatch(decoder.decode(out.stdout), /^\/memfd:inherited/);
  }
  {
    using closed = memfdWith("not kept");
    const out = await probe(closed.fd);
    // The number is closed in the child, or reused for something else.
    const seen = decoder.decode(out.stdout);
    assertEquals(seen.startsWith("/memfd:inherited"), false, seen);
  }
});

test("memfd.path opens in a child of any language, close-on-exec or not", async () => {
  using fd = memfdWith("by path"); // cloexec: true (the default)
  const py = await runPython(
    `
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
print(os.pread(fd, 100, 0).decode())
with mmap.mmap(fd, os.fstat(fd).st_size) as m:
    m[0:2] = b"BY"
`,
    [fd.path],
  );
  assertEquals(py.stderr, "");
  assertEquals(py.stdout.trim(), "by path");
  assertEquals(textOf(fd), "BY path");

  const deno = await runDeno(
    `
    import { Memfd } from "${MOD}";
    using fd = Memfd.open(Deno.args[0], { write: true });
    fd.write(new TextEncoder().encode("ok"), 3);
    console.log(fd.name);
    `,
    ["--allow-ffi", "--allow-read", `--allow-write=${fd.path}`],
    [fd.path],
  );
  assertEquals(deno.stderr, "");
  assertEquals(deno.stdout.trim(), "inherited");
  assertEquals(textOf(fd), "BY okth");

  const cat = await run("cat", [fd.path]);
  assertEquals(cat.stdout, "BY okth");
});
