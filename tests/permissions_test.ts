/**
 * Real `deno` children run with real flag sets against the local build:
 * what each grant allows, and what the refusals say.
 */

import {
  assertEquals,
  assertMatch,
  assertNotEquals,
  assertStringIncludes,
} from "@std/assert";
import {
  isolatedEnv,
  LIB,
  MOD,
  type Outcome,
  ROOT,
  runDeno,
} from "./support/run.ts";

/** Imports the module, tries every kind of operation, prints what happened. */
const PROBE = `
import { isSupported, Memfd } from "${MOD}";
import { ensureLoaded, isLoaded } from "${ROOT}src/loader/library.ts";
const out: Record<string, unknown> = { loadedAtImport: isLoaded() };
out.supported = isSupported();
const attempt = (name: string, f: () => unknown) => {
  try {
    out[name] = f();
  } catch (e) {
    out[name] = \`\${(e as Error).name}: \${(e as Error).message}\`;
  }
};
attempt("basics", () => {
  using fd = Memfd.create("perm", { size: 4096 });
  fd.resize(8192);
  fd.write(new Uint8Array([1, 2, 3]), 10);
  const back = new Uint8Array(3);
  fd.read(back, 10);
  fd.seal("shrink");
  using copy = fd.dup();
  return [fd.size, back.join(""), copy.seals.has("shrink")].join(" ");
});
attempt("open", () => {
  using fd = Memfd.create("open", { size: 16 });
  using reopened = Memfd.open(fd.path);
  return reopened.size;
});
attempt("from", () => ensureLoaded());
attempt("map", () => {
  using fd = Memfd.create("map", { size: 4096 });
  using map = fd.map();
  map.bytes[0] = 1;
  return "mapped";
});
attempt("mapRing", () => {
  using fd = Memfd.create("ring", { size: 4096 });
  using ring = fd.mapRing();
  return ring.byteLength;
});
console.log(JSON.stringify(out));
`;

/** Asks, after everything, whether a prompt was attempted (it would have been denied). */
const STATES = `
const states = Object.fromEntries(["ffi", "read", "env", "net", "write"].map(
  (name) => [name, Deno.permissions.querySync({ name } as Deno.PermissionDescriptor).state],
));
console.log(JSON.stringify(states));
`;

type Probe = Record<string, string | boolean | number>;

async function probe(
  flags: string[],
  env: Record<string, string> = {},
  extra = "",
): Promise<{ out: Outcome; result: Probe; states?: Record<string, string> }> {
  const out = await runDeno(PROBE + extra, flags, [], isolatedEnv(env));
  const lines = out.stdout.trim().split("\n");
  assertEquals(out.code, 0, out.stderr);
  return {
    out,
    result: JSON.parse(lines[0]!), // split gives one line at least
    states: lines[1] ? JSON.parse(lines[1]) : undefined,
  };
}

const BASICS = "8192 123 true";
/** What Memfd.open of the process's own memfd says without read for it. */
const OPEN_REFUSED =
  /^NotCapable: Memfd\.open\("\/proc\/\d+\/fd\/\d+"\) needs permission: run with --allow-read=\/proc\/\d+\/fd\/\d+$/;
const scoped = [`--allow-ffi=${LIB}`, `--allow-read=${LIB}`];

Deno.test("--allow-ffi=<lib> --allow-read=<lib>: everything but mappings", async () => {
  const { result } = await probe(scoped);
  assertEquals(result.loadedAtImport, true);
  assertEquals(result.supported, true);
  assertEquals(result.basics, BASICS);
  assertEquals(result.from, LIB);
  assertMatch(String(result.open), OPEN_REFUSED);
  for (const op of ["map", "mapRing"]) {
    assertMatch(String(result[op]), /^NotCapable: .*unscoped --allow-ffi/);
  }
});

Deno.test("--allow-ffi=<lib> --allow-read=<repo>: the same", async () => {
  const { result } = await probe([
    `--allow-ffi=${LIB}`,
    `--allow-read=${ROOT}`,
  ]);
  assertEquals(result.basics, BASICS);
  assertMatch(String(result.open), OPEN_REFUSED);
  assertMatch(String(result.map), /^NotCapable/);
});

Deno.test("--allow-ffi=<lib> --allow-read=<lib>,/proc: Memfd.open too", async () => {
  const { result } = await probe([
    `--allow-ffi=${LIB}`,
    `--allow-read=${LIB},/proc`,
  ]);
  assertEquals(result.basics, BASICS);
  assertEquals(result.open, 16);
});

Deno.test("--allow-ffi --allow-read=<lib>: mappings too", async () => {
  const { result } = await probe(["--allow-ffi", `--allow-read=${LIB}`]);
  assertEquals(result.basics, BASICS);
  assertMatch(String(result.open), OPEN_REFUSED);
  assertEquals(result.map, "mapped");
  assertEquals(result.mapRing, 8192);
});

Deno.test("no flags: import works, nothing prompts, the first call names both flags", async () => {
  const { result, states } = await probe([], {}, STATES);
  assertEquals(result.loadedAtImport, false);
  assertEquals(result.supported, false);
  assertEquals(
    result.basics,
    `NotCapable: deno_memfd needs permission to open its library ${LIB}: ` +
      `run with --allow-ffi=${LIB} --allow-read=${LIB}. Plain --allow-ffi ` +
      `covers the library too, and map() needs that. The library is read ` +
      `before it is opened: opening a truncated library would crash the ` +
      `process`,
  );
  // A prompt in a process without a terminal is answered "no", which would
  // show here as "denied".
  assertEquals(states, {
    ffi: "prompt",
    read: "prompt",
    env: "prompt",
    net: "prompt",
    write: "prompt",
  });
});

Deno.test("--allow-read only: the first call names --allow-ffi=<lib>", async () => {
  const { result } = await probe([`--allow-read=${ROOT}`]);
  assertEquals(result.loadedAtImport, false);
  assertStringIncludes(String(result.basics), `run with --allow-ffi=${LIB}.`);
});

for (const ffi of [`--allow-ffi=${LIB}`, "--allow-ffi"]) {
  Deno.test(`${ffi} alone: isSupported() is false, the first call names only --allow-read=<lib>`, async () => {
    const { result } = await probe([ffi]);
    assertEquals(result.loadedAtImport, false);
    assertEquals(result.supported, false);
    assertEquals(
      result.basics,
      `NotCapable: deno_memfd needs permission to open its library ${LIB}: ` +
        `run with --allow-read=${LIB}. The library is read before it is ` +
        `opened: opening a truncated library would crash the process`,
    );
  });
}

Deno.test("DENO_MEMFD_LIB: ignored unless readable, used when it is", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const copy = `${dir}/libdeno_memfd.so`;
    await Deno.copyFile(LIB, copy);
    const ignored = await probe(scoped, { DENO_MEMFD_LIB: copy }, STATES);
    assertEquals(ignored.result.from, LIB);
    assertEquals(ignored.states!.env, "prompt");

    const used = await probe(
      [
        "--allow-env=DENO_MEMFD_LIB",
        `--allow-ffi=${copy}`,
        `--allow-read=${copy}`,
      ],
      { DENO_MEMFD_LIB: copy },
    );
    assertEquals(used.result.loadedAtImport, true);
    assertEquals(used.result.from, copy);
    assertEquals(used.result.basics, BASICS);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("DENO_MEMFD_LIB naming a missing file: the error names it", async () => {
  const out = await runDeno(
    `import "${MOD}";`,
    ["--allow-env=DENO_MEMFD_LIB", "--allow-ffi", "--allow-read"],
    [],
    isolatedEnv({ DENO_MEMFD_LIB: "/nonexistent/libdeno_memfd.so" }),
  );
  assertEquals(out.code, 1);
  assertStringIncludes(
    out.stderr,
    "DENO_MEMFD_LIB names /nonexistent/libdeno_memfd.so, which does not exist",
  );
});

Deno.test("loadLibrary(path) comes first, and needs only that path", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const copy = `${dir}/libdeno_memfd.so`;
    await Deno.copyFile(LIB, copy);
    const { result } = await probe([
      `--allow-ffi=${copy}`,
      `--allow-read=${copy}`,
    ]);
    // Nothing opened at import: FFI is granted for this copy only.
    assertEquals(result.loadedAtImport, false);
    const out = await runDeno(
      `import { loadLibrary, Memfd } from "${MOD}";
       import { ensureLoaded } from "${ROOT}src/loader/library.ts";
       loadLibrary(${JSON.stringify(copy)});
       using fd = Memfd.create("explicit", { size: 3 });
       console.log(ensureLoaded(), fd.size);`,
      [`--allow-ffi=${copy}`, `--allow-read=${copy}`],
    );
    assertEquals(out.stderr, "");
    assertEquals(out.stdout.trim(), `${copy} 3`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("broken libraries are refused with a reason, never a crash", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const good = await Deno.readFile(LIB);
    const arm = good.slice();
    new DataView(arm.buffer).setUint16(
      18,
      Deno.build.arch === "aarch64" ? 62 : 183,
      true,
    );
    const files: Record<string, Uint8Array> = {
      truncated: good.subarray(0, good.length >> 1),
      tiny: good.subarray(0, 1000),
      empty: new Uint8Array(0),
      random: crypto.getRandomValues(new Uint8Array(65536)),
      "wrong-arch": arm,
    };
    for (const [name, bytes] of Object.entries(files)) {
      await Deno.writeFile(`${dir}/${name}.so`, bytes);
    }
    const good2 = `${dir}/good.so`;
    await Deno.copyFile(LIB, good2);
    const out = await runDeno(
      `import { loadLibrary, Memfd } from "${MOD}";
       for (const name of ${JSON.stringify(Object.keys(files))}) {
         try {
           loadLibrary(${JSON.stringify(dir)} + "/" + name + ".so");
           console.log(name, "LOADED");
         } catch (e) {
           console.log(name, (e as Error).message);
         }
       }
       loadLibrary(${JSON.stringify(good2)});
       using fd = Memfd.create("after", { size: 1 });
       console.log("still alive", fd.size);`,
      [`--allow-ffi=${dir}`, `--allow-read=${dir}`],
    );
    assertEquals(out.code, 0, out.stderr);
    const lines = out.stdout.trim().split("\n");
    const why = (name: string) => lines.find((l) => l.startsWith(`${name} `))!;
    const prefix = `deno_memfd cannot use the library ${dir}/`;
    assertStringIncludes(
      why("truncated"),
      `${prefix}truncated.so: it is truncated`,
    );
    assertStringIncludes(why("tiny"), "it is truncated");
    assertStringIncludes(why("empty"), "too short");
    assertStringIncludes(why("random"), "not an ELF");
    assertStringIncludes(why("wrong-arch"), `but this is ${Deno.build.arch}`);
    assertEquals(lines.at(-1), "still alive 1");

    // The same at import, through DENO_MEMFD_LIB: an error, not SIGBUS.
    const eager = await runDeno(
      `import "${MOD}";`,
      [
        "--allow-env=DENO_MEMFD_LIB",
        `--allow-ffi=${dir}`,
        `--allow-read=${dir}`,
      ],
      [],
      isolatedEnv({ DENO_MEMFD_LIB: `${dir}/truncated.so` }),
    );
    assertEquals(eager.signal, null);
    assertNotEquals(eager.code, 0);
    assertStringIncludes(
      eager.stderr,
      `${prefix}truncated.so: it is truncated`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
