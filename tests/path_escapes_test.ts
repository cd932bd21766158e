/**
 * Paths that used to get around deny flags and per-process grants (issue
 * 18, item 5), each tried in a real `deno` child with a real flag set, and
 * each compared with what Deno's own `Deno.openSync` or `Deno.listen` does
 * with the same path under the same flags. The memfd aimed at belongs to
 * another process (a Python peer, "B"); a second peer ("A", running in
 * `/` and holding an fd to `/`) lends its `/proc` entry for the escapes.
 */

import { test } from "./support/leak_checked.ts";
import { assert, assertEquals } from "@std/assert";
import { Memfd, MemfdListener } from "../mod.ts";
import {
  denoRun,
  LIB,
  MOD,
  NET_SCOPES_UNIX,
  type Peer,
  runDeno,
  runOk,
  spawnPeer,
  tempDir,
} from "./support/run.ts";

/** B: a memfd holding "secret"; prints its pid and the memfd's fd. */
const HOLDER = `
import os, sys
m = os.memfd_create("b-secret", 0)
os.write(m, b"secret")
print(os.getpid(), m, flush=True)
sys.stdin.readline()
`;

/** A: an fd open on the directory "/"; prints its pid and that fd. */
const LENDER = `
import os, sys
d = os.open("/", os.O_RDONLY | os.O_DIRECTORY)
print(os.getpid(), d, flush=True)
sys.stdin.readline()
`;

interface Peers extends AsyncDisposable {
  /** B's pid and the fd of its memfd. */
  b: { pid: number; fd: number };
  /** A's pid and its fd on "/". */
  a: { pid: number; fd: number };
}

async function peers(): Promise<Peers> {
  const started: Peer[] = [];
  const ids = async (peer: Peer) => {
    started.push(peer);
    const [pid, fd] = (await peer.readLine()).split(" ").map(Number) as [
      number,
      number,
    ]; // each peer prints "<pid> <fd>"
    return { pid, fd };
  };
  const b = await ids(spawnPeer("python3", ["-u", "-c", HOLDER]));
  const a = await ids(
    spawnPeer("python3", ["-u", "-c", LENDER], { cwd: "/" }),
  );
  return {
    a,
    b,
    async [Symbol.asyncDispose]() {
      for (const peer of started) await peer.finish();
    },
  };
}

/**
 * For each path in argv: what `Memfd.open` does with it (`ok:<contents>`,
 * the error's name, and its code or first flag) and what `Deno.openSync`
 * does, one JSON line each.
 */
const TRY_OPEN = `
import { Memfd } from "${MOD}";
const outcome = (e) =>
  e.name === "NotCapable"
    ? \`NotCapable:\${e.message.match(/--allow-[a-z]+/)?.[0]}\`
    : \`\${e.name}:\${e.code ?? ""}\`;
for (const path of Deno.args) {
  let memfd, deno;
  try {
    using fd = Memfd.open(path);
    const bytes = new Uint8Array(fd.size);
    fd.read(bytes);
    memfd = \`ok:\${new TextDecoder().decode(bytes)}\`;
  } catch (e) {
    memfd = outcome(e);
  }
  try {
    Deno.openSync(path).close();
    deno = "ok";
  } catch (e) {
    deno = outcome(e);
  }
  console.log(JSON.stringify({ path, memfd, deno }));
}
`;

type Seen = Record<string, { memfd: string; deno: string }>;

/** {@linkcode TRY_OPEN} of `paths` with the library's grants and `flags`. */
async function tryOpen(
  flags: string[],
  paths: string[],
  cwd?: string,
): Promise<Seen> {
  const read = flags.filter((f) => f.startsWith("--allow-read="))
    .map((f) => f.slice("--allow-read=".length));
  const rest = flags.filter((f) => !f.startsWith("--allow-read="));
  const all = flags.includes("-A");
  const granted = all ? ["-A"] : [
    `--allow-ffi=${LIB}`,
    `--allow-read=${[LIB, ...read].join(",")}`,
    ...rest,
  ];
  const out = await runDeno(TRY_OPEN, granted, paths, cwd ? { cwd } : {});
  assertEquals(out.code, 0, out.stderr);
  assertEquals(out.signal, null);
  const seen: Seen = {};
  for (const line of out.stdout.trim().split("\n")) {
    const { path, memfd, deno } = JSON.parse(line);
    seen[path] = { memfd, deno };
  }
  return seen;
}

const ALL = { memfd: "NotCapable:--allow-all", deno: "NotCapable:--allow-all" };

test("/proc escapes through another process's root, cwd or directory fd need --allow-all, as Deno.openSync demands", async () => {
  await using p = await peers();
  const { a, b } = p;
  const paths = [
    `/proc/${a.pid}/root/proc/${b.pid}/fd/${b.fd}`,
    `/proc/${a.pid}/cwd/proc/${b.pid}/fd/${b.fd}`,
    `/proc/${a.pid}/fd/${a.fd}/proc/${b.pid}/fd/${b.fd}`,
  ];
  // A grant on A's /proc entry used to open B's memfd through each.
  const seen = await tryOpen([`--allow-read=/proc/${a.pid}`], paths);
  for (const path of paths) assertEquals(seen[path], ALL, path);
  // ..and `..` is collapsed before the check, so climbing out of A's
  // cwd lands on B's fd path, which A's grant does not cover.
  const climb = `/proc/${a.pid}/cwd/../../../proc/${b.pid}/fd/${b.fd}`;
  const climbed = await tryOpen([`--allow-read=/proc/${a.pid}`], [climb]);
  assertEquals(climbed[climb]?.memfd, "NotCapable:--allow-read");
  // With --allow-all both open them.
  const all = await tryOpen(["-A"], paths);
  for (const path of paths) {
    assertEquals(all[path], { memfd: "ok:secret", deno: "ok" }, path);
  }
});

test("/proc/self/root and /proc/thread-self/root do not get around --deny-read=/proc/<pid>", async () => {
  await using p = await peers();
  const { b } = p;
  const direct = `/proc/${b.pid}/fd/${b.fd}`;
  const paths = [
    `/proc/self/root${direct}`,
    `/proc/thread-self/root${direct}`,
  ];
  const seen = await tryOpen(
    ["--allow-read=/proc", `--deny-read=/proc/${b.pid}`],
    [...paths, direct],
  );
  for (const path of paths) assertEquals(seen[path], ALL, path);
  assertEquals(seen[direct]?.memfd, "NotCapable:--allow-read");
});

test("exactly /proc/<pid>/fd/<n> (however spelled) opens with --allow-read of that path alone; Deno.openSync wants --allow-all", async () => {
  await using p = await peers();
  const { b } = p;
  const direct = `/proc/${b.pid}/fd/${b.fd}`;
  const spelled = `/proc/${b.pid}/fd/../fd/./${b.fd}`;
  const seen = await tryOpen([`--allow-read=${direct}`], [direct, spelled]);
  assertEquals(seen[direct], {
    memfd: "ok:secret",
    deno: "NotCapable:--allow-all",
  });
  assertEquals(seen[spelled]?.memfd, "ok:secret");
});

/**
 * `D/private/sub` with `D/up` pointing at it; `D/private/m` and `D/link`
 * are symlinks to B's memfd.
 */
async function symlinkTree(dir: string, b: { pid: number; fd: number }) {
  await Deno.mkdir(`${dir}/private/sub`, { recursive: true });
  // Deno.symlink wants unscoped write; coreutils does not.
  const fdPath = `/proc/${b.pid}/fd/${b.fd}`;
  await runOk("ln", ["-s", "private/sub", `${dir}/up`]);
  await runOk("ln", ["-s", fdPath, `${dir}/private/m`]);
  await runOk("ln", ["-s", fdPath, `${dir}/link`]);
}

test("`..` after a directory symlink: the path checked is the path opened, as with Deno.openSync", async () => {
  await using p = await peers();
  await using dir = await tempDir();
  const d = dir.path;
  await symlinkTree(d, p.b);
  const flags = [`--allow-read=${d}`, `--deny-read=${d}/private`];
  // The kernel would take D/up/.. to D/private; the check sees D/m.
  const escape = `${d}/up/../m`;
  const seen = await tryOpen(flags, [escape, "up/../m"], d);
  assertEquals(seen[escape], {
    memfd: "MemfdError:ENOENT",
    deno: "NotFound:ENOENT",
  });
  assertEquals(seen["up/../m"], seen[escape], "relative, from D");
  // A symlink to a /proc fd path inside a granted directory is a magic
  // link on the way: Deno.openSync does not follow it either.
  const link = (await tryOpen(flags, [`${d}/link`]))[`${d}/link`];
  assertEquals(link?.memfd, "NotCapable:--allow-all");
  // Deno refuses it too: NotFound on 2.9, FilesystemLoop (ELOOP) on 2.5.
  assert(
    ["NotFound:ENOENT", "FilesystemLoop:ELOOP"].includes(link?.deno ?? ""),
    `Deno.openSync opened the link: ${link?.deno}`,
  );
});

/**
 * Listens on argv[0] with the library, on argv[1] with Deno; holds both
 * until its stdin ends. Run from a file, so stdin is free for that.
 */
const LISTEN_BOTH = `
import { MemfdListener } from "${MOD}";
using ours = MemfdListener.listen(Deno.args[0]);
using deno = Deno.listen({ transport: "unix", path: Deno.args[1] });
console.log("listening");
await new Response(Deno.stdin.readable).text();
`;

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

test("listen(D/up/../l.sock) makes its socket where Deno.listen does, not in a denied directory", async () => {
  await using p = await peers();
  await using dir = await tempDir();
  const d = dir.path;
  await symlinkTree(d, p.b);
  const grant = [
    `--allow-ffi=${LIB}`,
    `--allow-read=${LIB},${d}`,
    `--allow-write=${d}`,
    `--deny-read=${d}/private`,
    `--deny-write=${d}/private`,
    NET_SCOPES_UNIX ? "--allow-net" : "",
  ].filter(Boolean);
  await Deno.writeTextFile(`${d}/listen.ts`, LISTEN_BOTH);
  const [deno, ...argv] = denoRun(`${d}/listen.ts`, grant);
  await using child = spawnPeer(deno, [
    ...argv,
    `${d}/up/../l.sock`,
    `${d}/up/../deno.sock`,
  ]);
  assertEquals(await child.readLine(), "listening");
  assertEquals(
    [await exists(`${d}/l.sock`), await exists(`${d}/deno.sock`)],
    [true, true],
  );
  assertEquals(await exists(`${d}/private/l.sock`), false);
  assertEquals(await exists(`${d}/private/deno.sock`), false);
  const out = await child.finish();
  assertEquals([out.code, out.signal], [0, null], out.stderr);
});

const SEND = `
import { Memfd } from "${MOD}";
using fd = Memfd.create("sneaked");
try {
  await fd.sendTo(Deno.args[0]);
  console.log("sent");
} catch (e) {
  console.log(\`\${e.name}: \${e.code ?? e.message}\`);
}
try {
  (await Deno.connect({ transport: "unix", path: Deno.args[0] })).close();
  console.log("connected");
} catch (e) {
  console.log(\`\${e.name}: \${e.code ?? e.message}\`);
}
`;

test("sendTo(D/up/../x.sock) does not reach a listener in a denied directory, as Deno.connect does not", async () => {
  await using p = await peers();
  await using dir = await tempDir();
  const d = dir.path;
  await symlinkTree(d, p.b);
  using listener = MemfdListener.listen(`${d}/private/x.sock`);
  const out = await runDeno(SEND, [
    `--allow-ffi=${LIB}`,
    `--allow-read=${LIB},${d}`,
    `--allow-write=${d}`,
    `--deny-read=${d}/private`,
    `--deny-write=${d}/private`,
    "--allow-net",
  ], [`${d}/up/../x.sock`]);
  assertEquals([out.code, out.signal], [0, null], out.stderr);
  assertEquals(out.stdout.trim().split("\n"), [
    "MemfdError: ENOENT",
    "NotFound: ENOENT",
  ]);
  // Nothing arrived before this one.
  using control = Memfd.create("control");
  await control.sendTo(listener.path);
  using first = await listener.receive();
  assertEquals(first.name, "control");
  assert(!listener.closed);
});
