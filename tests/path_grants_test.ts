/**
 * Calls that name a path need the grants Deno's own API for the same act
 * needs, checked in real `deno` children with real flag sets: granted, the
 * call works; denied, one `NotCapable` names every missing flag and
 * nothing is created, opened or sent.
 */

import { test } from "./support/leak_checked.ts";
import { assertEquals } from "@std/assert";
import { Memfd, MemfdListener } from "../mod.ts";
import {
  LIB,
  MOD,
  NET_SCOPES_UNIX,
  type Outcome,
  runDeno,
  tempDir,
} from "./support/run.ts";

/** The library grant every child gets, so only the path grants vary. */
const LIBRARY: [string, string] = [`--allow-ffi=${LIB}`, `--allow-read=${LIB}`];

/** What Deno.listen / Deno.connect need for `path`, flag by flag. */
function socketFlags(path: string) {
  return {
    read: `--allow-read=${path}`,
    write: `--allow-write=${path}`,
    net: NET_SCOPES_UNIX ? `--allow-net=unix:${path}` : undefined,
  };
}

/** The child's flags: the library's, plus `read` merged into its read. */
function withLibrary(flags: (string | undefined)[]): string[] {
  const given = flags.filter((f): f is string => f !== undefined);
  const read = given.find((f) => f.startsWith("--allow-read="));
  const rest = given.filter((f) => f !== read);
  return [
    LIBRARY[0],
    read ? `${LIBRARY[1]},${read.slice("--allow-read=".length)}` : LIBRARY[1],
    ...rest,
  ];
}

function lastLine(out: Outcome): string {
  assertEquals(out.code, 0, out.stderr);
  return out.stdout.trim().split("\n").at(-1)!;
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

/** Listens at argv[0] in a child; prints what happened. */
const LISTEN = `
import { MemfdListener } from "${MOD}";
try {
  using listener = MemfdListener.listen(Deno.args[0]);
  console.log("listening", Deno.statSync(listener.path).isSocket);
} catch (e) {
  console.log(\`\${e.name}: \${e.message}\`);
}
`;

/** The subsets of the three socket grants that leave something missing. */
const PARTIAL: (keyof ReturnType<typeof socketFlags>)[][] = [
  [],
  ["read"],
  ["write"],
  ["net"],
  ["read", "write"],
  ["read", "net"],
  ["write", "net"],
];

test("MemfdListener.listen: Deno.listen's grants for the path, exactly, are enough", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/in.sock`;
  const f = socketFlags(path);
  const out = await runDeno(LISTEN, withLibrary([f.read, f.write, f.net]), [
    path,
  ]);
  assertEquals(lastLine(out), "listening true");
  assertEquals(await exists(path), false); // closed and removed at exit
});

test("MemfdListener.listen: a relative path is checked (and named) as an absolute one", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/rel.sock`;
  const f = socketFlags(path);
  const code = LISTEN.replace("Deno.args[0]", '"rel.sock"');
  const granted = await runDeno(
    code,
    withLibrary([f.read, f.write, f.net]),
    [],
    {
      cwd: dir.path,
    },
  );
  assertEquals(lastLine(granted), "listening true");
  const denied = await runDeno(code, withLibrary([f.read]), [], {
    cwd: dir.path,
  });
  assertEquals(
    lastLine(denied),
    `NotCapable: MemfdListener.listen("rel.sock") needs permission: run with ` +
      [f.write, f.net].filter(Boolean).join(" ") +
      `. Deno.listen({ transport: "unix" }) needs the same grants`,
  );
  assertEquals(await exists(path), false);
});

test("MemfdListener.listen: any grant missing, one NotCapable names them all and no socket file appears", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/in.sock`;
  const f = socketFlags(path);
  for (const held of PARTIAL) {
    if (!NET_SCOPES_UNIX && held.includes("net")) continue;
    const missing = (["read", "write", "net"] as const)
      .filter((k) => !held.includes(k) && f[k] !== undefined)
      .map((k) => f[k]);
    if (missing.length === 0) continue;
    const out = await runDeno(LISTEN, withLibrary(held.map((k) => f[k])), [
      path,
    ]);
    assertEquals(
      lastLine(out),
      `NotCapable: MemfdListener.listen(${JSON.stringify(path)}) needs ` +
        `permission: run with ${missing.join(" ")}. Deno.listen({ ` +
        `transport: "unix" }) needs the same grants`,
      `holding ${held.join("+") || "nothing"}`,
    );
    assertEquals(await exists(path), false, `holding ${held.join("+")}`);
  }
});

test("MemfdListener.listen without any flag: the library's flags and the socket's in one message", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/in.sock`;
  const f = socketFlags(path);
  const out = await runDeno(LISTEN, [], [path]);
  const expected = [
    `--allow-ffi=${LIB}`,
    `--allow-read=${LIB},${path}`,
    f.write,
    f.net,
  ].filter(Boolean).join(" ");
  assertEquals(
    lastLine(out).split(". ")[0],
    `NotCapable: MemfdListener.listen(${JSON.stringify(path)}) needs ` +
      `permission, and deno_memfd to open its library ${LIB}: run with ` +
      expected,
  );
  assertEquals(await exists(path), false);
});

/** Sends a memfd named argv[1] to the socket at argv[0]; prints the outcome. */
const SEND = `
import { Memfd } from "${MOD}";
using fd = Memfd.create(Deno.args[1]);
try {
  await fd.sendTo(Deno.args[0]);
  console.log("sent");
} catch (e) {
  console.log(\`\${e.name}: \${e.message}\`);
}
`;

test("sendTo: Deno.connect's grants for the path are enough", async () => {
  await using dir = await tempDir();
  using listener = MemfdListener.listen(`${dir.path}/in.sock`);
  const f = socketFlags(listener.path);
  const out = await runDeno(SEND, withLibrary([f.read, f.write, f.net]), [
    listener.path,
    "granted",
  ]);
  assertEquals(lastLine(out), "sent");
  using received = await listener.receive();
  assertEquals(received.name, "granted");
});

test("sendTo: any grant missing, one NotCapable names them all and the listener receives nothing", async () => {
  await using dir = await tempDir();
  using listener = MemfdListener.listen(`${dir.path}/in.sock`);
  const path = listener.path;
  const f = socketFlags(path);
  for (const held of PARTIAL) {
    if (!NET_SCOPES_UNIX && held.includes("net")) continue;
    const missing = (["read", "write", "net"] as const)
      .filter((k) => !held.includes(k) && f[k] !== undefined)
      .map((k) => f[k]);
    if (missing.length === 0) continue;
    const out = await runDeno(SEND, withLibrary(held.map((k) => f[k])), [
      path,
      `refused-${held.join("+")}`,
    ]);
    assertEquals(
      lastLine(out),
      `NotCapable: sendTo(${JSON.stringify(path)}) needs permission: run ` +
        `with ${missing.join(" ")}. Deno.connect({ transport: "unix" }) ` +
        `needs the same grants`,
    );
  }
  // Every refused child has exited. Had any of them connected, its
  // connection would be first in the listener's queue; the first memfd to
  // arrive is the one sent now, with the grants.
  {
    using fd = Memfd.create("permitted");
    await fd.sendTo(path);
  }
  using first = await listener.receive();
  assertEquals(first.name, "permitted");
});

/** Opens argv[0] (write: argv[1] === "rw") in a child; prints the outcome. */
const OPEN = `
import { Memfd } from "${MOD}";
// The lowest free fd now; a refused open that left an fd behind would
// take it.
const before = Memfd.create("probe");
const lowest = before.fd;
before.close();
let result;
try {
  using fd = Memfd.open(Deno.args[0], { write: Deno.args[1] === "rw" });
  const bytes = new Uint8Array(fd.size);
  fd.read(bytes);
  if (Deno.args[1] === "rw") fd.write(new TextEncoder().encode("W"));
  result = "opened " + new TextDecoder().decode(bytes);
} catch (e) {
  result = \`\${e.name}: \${e.message}\`;
}
using after = Memfd.create("probe");
console.log(JSON.stringify({ result, leaked: after.fd !== lowest }));
`;

async function openIn(
  path: string,
  mode: "ro" | "rw",
  flags: string[],
): Promise<{ result: string; leaked: boolean }> {
  return JSON.parse(lastLine(await runDeno(OPEN, flags, [path, mode])));
}

test("Memfd.open: --allow-read for the path reads; --allow-write too writes", async () => {
  using fd = Memfd.create("shared");
  fd.write(new TextEncoder().encode("hello"));
  const ro = await openIn(
    fd.path,
    "ro",
    withLibrary([`--allow-read=${fd.path}`]),
  );
  assertEquals(ro, { result: "opened hello", leaked: false });
  const rw = await openIn(
    fd.path,
    "rw",
    withLibrary([`--allow-read=${fd.path}`, `--allow-write=${fd.path}`]),
  );
  assertEquals(rw, { result: "opened hello", leaked: false });
  const back = new Uint8Array(5);
  fd.read(back);
  assertEquals(new TextDecoder().decode(back), "Wello");
});

test("Memfd.open without read: the same refusal whether the path is a memfd, a file or nothing, and no fd left open", async () => {
  using fd = Memfd.create("secret");
  await using dir = await tempDir();
  const file = `${dir.path}/file`;
  await Deno.writeTextFile(file, "x");
  const missing = `/proc/${Deno.pid}/fd/1048575`;
  const targets = { memfd: fd.path, file, missing };
  for (const [mode, extra] of [["ro", ""], ["rw", ", { write: true }"]]) {
    for (const [what, path] of Object.entries(targets)) {
      const out = await openIn(path, mode as "ro" | "rw", LIBRARY);
      const flags = mode === "ro"
        ? `--allow-read=${path}`
        : `--allow-read=${path} --allow-write=${path}`;
      assertEquals(out, {
        result: `NotCapable: Memfd.open(${
          JSON.stringify(path)
        }${extra}) needs permission: run with ${flags}`,
        leaked: false,
      }, what);
    }
  }
});

test("Memfd.open with write: true and only read: names --allow-write, opens nothing", async () => {
  using fd = Memfd.create("kept");
  fd.write(new TextEncoder().encode("same"));
  const out = await openIn(
    fd.path,
    "rw",
    withLibrary([`--allow-read=${fd.path}`]),
  );
  assertEquals(out, {
    result: `NotCapable: Memfd.open(${
      JSON.stringify(fd.path)
    }, { write: true }) needs permission: run with --allow-write=${fd.path}`,
    leaked: false,
  });
  const back = new Uint8Array(4);
  fd.read(back);
  assertEquals(new TextDecoder().decode(back), "same");
});

test("Memfd.open is not Deno.open: /proc needs read (and write) for the path, not --allow-all", async () => {
  using fd = Memfd.create("proc");
  const code = `
    import { Memfd } from "${MOD}";
    let denoOpen;
    try { Deno.openSync(Deno.args[0]).close(); denoOpen = "opened"; }
    catch (e) { denoOpen = e.name; }
    using fd = Memfd.open(Deno.args[0], { write: true });
    console.log(denoOpen, fd.name);
  `;
  const out = await runDeno(code, [
    `--allow-ffi=${LIB}`,
    `--allow-read=${LIB},/proc`,
    "--allow-write=/proc",
  ], [fd.path]);
  assertEquals(lastLine(out), "NotCapable proc");
});
