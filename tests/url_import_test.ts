/**
 * deno_memfd imported from a URL, end to end: a loopback server stands in
 * for the web (or JSR), each child gets a Deno cache directory of its own.
 */

import {
  assertEquals,
  assertMatch,
  assertNotEquals,
  assertStringIncludes,
} from "@std/assert";
import { ARTIFACTS } from "../src/loader/artifacts.ts";
import { sha256Hex } from "../src/loader/checksum.ts";
import {
  denoRun,
  isolatedEnv,
  type Outcome,
  run,
  runDeno,
} from "./support/run.ts";
import { deadPort, type RepoServer, serveRepo } from "./support/server.ts";

const PIN = ARTIFACTS[Deno.build.target]!; // release_test checks the pin exists
const LIBRARY_PATH = `/dist/${PIN.file}`;

/** Uses the library through a URL import and says where it came from. */
function useFrom(server: RepoServer): string {
  return `
    import { isSupported, Memfd } from "${server.origin}/mod.ts";
    import { isLoaded } from "${server.origin}/src/loader/library.ts";
    const loadedAtImport = isLoaded();
    try {
      using fd = Memfd.create("from-url", { size: 5 });
      fd.write(new TextEncoder().encode("hello"));
      const back = new Uint8Array(5);
      fd.read(back);
      console.log(loadedAtImport, isSupported(), new TextDecoder().decode(back));
    } catch (e) {
      console.log(loadedAtImport, isSupported(), \`\${(e as Error).name}: \${(e as Error).message}\`);
    }
  `;
}

/** A fresh Deno cache directory, removed after `body`. */
async function withDenoDir(body: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "deno_memfd_url_" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function paths(denoDir: string) {
  const cache = `${denoDir}/deno_memfd`;
  return { cache, library: `${cache}/${PIN.sha256}.so` };
}

/**
 * Fetch and run in one go: the narrowest flags for it. For trusted code
 * only, since it grants write and FFI on one directory (docs/security.md);
 * {@linkcode installFlags} then {@linkcode programFlags} never do.
 */
function firstRunFlags(server: RepoServer, denoDir: string): string[] {
  const { cache, library } = paths(denoDir);
  return [
    `--allow-import=${server.host}`,
    `--allow-net=${server.host}`,
    "--allow-env=DENO_DIR",
    `--allow-read=${cache}`,
    `--allow-write=${cache}`,
    `--allow-ffi=${library}`,
  ];
}

function child(
  code: string,
  flags: string[],
  denoDir: string,
  env: Record<string, string> = {},
): Promise<Outcome> {
  return runDeno(code, flags, [], isolatedEnv({ DENO_DIR: denoDir, ...env }));
}

function cacheEntries(denoDir: string): string[] {
  try {
    return [...Deno.readDirSync(paths(denoDir).cache)].map((e) => e.name);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
}

Deno.test("URL import: downloads once, verifies, then runs with the server gone", async () => {
  await withDenoDir(async (denoDir) => {
    const server = serveRepo();
    const code = useFrom(server);
    const first = await child(code, firstRunFlags(server, denoDir), denoDir);
    assertEquals(first.stderr, "");
    assertEquals(first.stdout.trim(), "true true hello");
    assertEquals(server.requests.filter((p) => p === LIBRARY_PATH).length, 1);
    assertEquals(cacheEntries(denoDir), [`${PIN.sha256}.so`]);
    const cached = Deno.readFileSync(paths(denoDir).library);
    assertEquals(sha256Hex(cached), PIN.sha256);
    await server.close();

    // Offline: modules from Deno's cache, the library from ours, checked
    // again; neither network nor write access.
    const { cache, library } = paths(denoDir);
    const offline = [
      "--cached-only",
      `--allow-import=${server.host}`,
      "--allow-env=DENO_DIR",
      `--allow-read=${cache}`,
      `--allow-ffi=${library}`,
    ];
    const second = await child(code, offline, denoDir);
    assertEquals(second.stderr, "");
    assertEquals(second.stdout.trim(), "true true hello");

    // Without FFI permission the import still works; the first call says
    // which flag opens the cached library.
    const lazy = await child(code, offline.slice(0, -1), denoDir);
    assertEquals(lazy.stderr, "");
    assertEquals(
      lazy.stdout.trim(),
      `false false NotCapable: deno_memfd needs permission to open its ` +
        `library ${library}: run with --allow-ffi=${library}. Plain ` +
        `--allow-ffi covers the library too, and map() needs that`,
    );
  });
});

Deno.test("URL import: without DENO_DIR the cache is under $HOME/.cache/deno", async () => {
  await withDenoDir(async (home) => {
    await using server = serveRepo();
    const cache = `${home}/.cache/deno/deno_memfd`;
    const out = await runDeno(
      useFrom(server),
      [
        `--allow-import=${server.host}`,
        `--allow-net=${server.host}`,
        "--allow-env=DENO_DIR,XDG_CACHE_HOME,HOME",
        `--allow-read=${cache}`,
        `--allow-write=${cache}`,
        `--allow-ffi=${cache}`,
      ],
      [],
      { clearEnv: true, env: { PATH: Deno.env.get("PATH")!, HOME: home } },
    );
    assertEquals(out.stderr, "");
    assertEquals(out.stdout.trim(), "true true hello");
    assertEquals([...Deno.readDirSync(cache)].map((e) => e.name), [
      `${PIN.sha256}.so`,
    ]);
  });
});

Deno.test("URL import: a changed byte is refused and nothing is cached", async () => {
  await withDenoDir(async (denoDir) => {
    await using server = serveRepo((path, bytes) => {
      if (path !== LIBRARY_PATH) return undefined;
      const flipped = bytes.slice();
      flipped[flipped.length >> 1]! ^= 0x01;
      return flipped;
    });
    const out = await child(
      useFrom(server),
      firstRunFlags(server, denoDir),
      denoDir,
    );
    assertEquals(out.signal, null);
    assertNotEquals(out.code, 0);
    assertStringIncludes(
      out.stderr,
      `deno_memfd refused the library downloaded from ${server.origin}` +
        `${LIBRARY_PATH}: checksum mismatch`,
    );
    assertStringIncludes(out.stderr, "Nothing was cached or opened");
    assertEquals(cacheEntries(denoDir), []);
  });
});

Deno.test("URL import: a truncated download is refused and nothing is cached", async () => {
  await withDenoDir(async (denoDir) => {
    await using server = serveRepo((path, bytes) =>
      path === LIBRARY_PATH ? bytes.slice(0, bytes.length - 4096) : undefined
    );
    const out = await child(
      useFrom(server),
      firstRunFlags(server, denoDir),
      denoDir,
    );
    assertNotEquals(out.code, 0);
    assertMatch(out.stderr, /refused the library .*: size mismatch/);
    assertEquals(cacheEntries(denoDir), []);
  });
});

Deno.test("URL import: a download with bytes appended is refused and nothing is cached", async () => {
  // The pinned bytes come first, so a loader that stopped reading at the
  // pinned size would see a matching checksum: it must read past it.
  await withDenoDir(async (denoDir) => {
    await using server = serveRepo((path, bytes) => {
      if (path !== LIBRARY_PATH) return undefined;
      const longer = new Uint8Array(bytes.length + 16);
      longer.set(bytes);
      return longer;
    });
    const out = await child(
      useFrom(server),
      firstRunFlags(server, denoDir),
      denoDir,
    );
    assertNotEquals(out.code, 0);
    assertMatch(out.stderr, /refused the library .*: size mismatch/);
    assertEquals(cacheEntries(denoDir), []);
  });
});

Deno.test("URL import: an unreachable library URL is named, with the ways around it", async () => {
  await withDenoDir(async (denoDir) => {
    await using server = serveRepo();
    const base = `http://127.0.0.1:${deadPort()}/mirror/`;
    const flags = firstRunFlags(server, denoDir).map((flag) =>
      flag.startsWith("--allow-env")
        ? "--allow-env=DENO_DIR,DENO_MEMFD_BASE_URL"
        : flag.startsWith("--allow-net")
        ? "--allow-net=127.0.0.1"
        : flag
    );
    const out = await child(useFrom(server), flags, denoDir, {
      DENO_MEMFD_BASE_URL: base,
    });
    assertNotEquals(out.code, 0);
    assertStringIncludes(
      out.stderr,
      `could not download its library from ${base}${PIN.file}`,
    );
    assertStringIncludes(out.stderr, "DENO_MEMFD_LIB=<path>");
    assertStringIncludes(out.stderr, "loadLibrary(path)");
    assertEquals(cacheEntries(denoDir), []);
  });
});

Deno.test("URL import before install: the import works, the first call says how to install; nothing is fetched", async () => {
  await withDenoDir(async (denoDir) => {
    await using server = serveRepo();
    const { cache, library } = paths(denoDir);
    const flags = programFlags(server, denoDir);
    const out = await child(useFrom(server), flags, denoDir);
    assertEquals(out.stderr, "");
    assertEquals(
      out.stdout.trim(),
      `false false NotFound: deno_memfd's library is not installed yet at ` +
        `${library}: run \`deno run --allow-net=${server.host} ` +
        `--allow-env=DENO_DIR --allow-read=${cache} --allow-write=${cache} ` +
        `${server.origin}/install.ts\` once, which downloads and verifies ` +
        `it. (Trusted code only: a program granted --allow-net=` +
        `${server.host} --allow-read=${cache} --allow-write=${cache} as ` +
        `well fetches it itself at import, but write and FFI access to one ` +
        `directory let any code in it load a library of its own)`,
    );
    assertEquals(server.requests.includes(LIBRARY_PATH), false);
    assertEquals(cacheEntries(denoDir), []);
  });
});

/** What a program needs once the library is installed: read+ffi on it. */
function programFlags(server: RepoServer, denoDir: string): string[] {
  const { library } = paths(denoDir);
  return [
    `--allow-import=${server.host}`,
    "--allow-env=DENO_DIR",
    `--allow-read=${library}`,
    `--allow-ffi=${library}`,
  ];
}

/** Runs `install.ts` from the server, as a user would run it once. */
function runInstall(
  server: RepoServer,
  flags: string[],
  env: Record<string, string>,
): Promise<Outcome> {
  const [deno, ...args] = denoRun(`${server.origin}/install.ts`, [
    `--allow-import=${server.host}`,
    ...flags,
  ]);
  return run(deno, args, isolatedEnv(env));
}

function installFlags(server: RepoServer, denoDir: string): string[] {
  const { cache } = paths(denoDir);
  return [
    `--allow-net=${server.host}`,
    "--allow-env=DENO_DIR",
    `--allow-read=${cache}`,
    `--allow-write=${cache}`,
  ];
}

Deno.test("install.ts: downloads, verifies and caches once; programs then need read+ffi on that file only", async () => {
  await withDenoDir(async (denoDir) => {
    await using server = serveRepo();
    const { library } = paths(denoDir);
    const flags = installFlags(server, denoDir);
    // No FFI grant at all, and none needed.
    assertEquals(flags.some((f) => f.startsWith("--allow-ffi")), false);
    const first = await runInstall(server, flags, { DENO_DIR: denoDir });
    assertEquals(first.stderr, "");
    const printed = programFlags(server, denoDir).slice(1);
    assertEquals(first.stdout.trim().split("\n").slice(0, 2), [
      `deno_memfd: library downloaded ${server.origin}${LIBRARY_PATH}, ` +
      `verified it and cached it: ${library}`,
      `Programs that import deno_memfd need: ${printed.join(" ")}`,
    ]);
    assertEquals(cacheEntries(denoDir), [`${PIN.sha256}.so`]);
    assertEquals(sha256Hex(Deno.readFileSync(library)), PIN.sha256);
    assertEquals(server.requests.filter((p) => p === LIBRARY_PATH).length, 1);

    // The program: no write, no net; the library from the cache.
    const program = programFlags(server, denoDir);
    assertEquals(program.some((f) => /^--allow-(write|net)/.test(f)), false);
    const used = await child(useFrom(server), program, denoDir);
    assertEquals(used.stderr, "");
    assertEquals(used.stdout.trim(), "true true hello");

    // Again: the cached copy is checked, nothing downloaded.
    const again = await runInstall(server, flags, { DENO_DIR: denoDir });
    assertEquals(again.stderr, "");
    assertStringIncludes(again.stdout, "already cached and verified");
    assertEquals(server.requests.filter((p) => p === LIBRARY_PATH).length, 1);
  });
});

Deno.test("install.ts: every missing grant named at once, before anything is fetched", async () => {
  await withDenoDir(async (denoDir) => {
    await using server = serveRepo();
    const { cache } = paths(denoDir);
    const out = await runInstall(server, ["--allow-env=DENO_DIR"], {
      DENO_DIR: denoDir,
    });
    assertNotEquals(out.code, 0);
    assertStringIncludes(
      out.stderr,
      `NotCapable: deno_memfd's install step needs permission to download ` +
        `${server.origin}${LIBRARY_PATH} into ${cache}: run with ` +
        `--allow-net=${server.host} --allow-read=${cache} ` +
        `--allow-write=${cache}`,
    );
    assertEquals(server.requests.includes(LIBRARY_PATH), false);
    assertEquals(cacheEntries(denoDir), []);

    const noEnv = await runInstall(server, [], { DENO_DIR: denoDir });
    assertNotEquals(noEnv.code, 0);
    assertStringIncludes(
      noEnv.stderr,
      "run with --allow-env=DENO_DIR,XDG_CACHE_HOME,HOME, plus --allow-net",
    );
    assertEquals(server.requests.includes(LIBRARY_PATH), false);
  });
});

Deno.test("install.ts: a changed byte is refused and nothing is cached", async () => {
  await withDenoDir(async (denoDir) => {
    await using server = serveRepo((path, bytes) => {
      if (path !== LIBRARY_PATH) return undefined;
      const flipped = bytes.slice();
      flipped[100]! ^= 0x80; // the library is far longer
      return flipped;
    });
    const out = await runInstall(server, installFlags(server, denoDir), {
      DENO_DIR: denoDir,
    });
    assertNotEquals(out.code, 0);
    assertStringIncludes(out.stderr, "checksum mismatch");
    assertStringIncludes(out.stderr, "Nothing was cached or opened");
    assertEquals(cacheEntries(denoDir), []);
  });
});

Deno.test("URL import without grants: each first call names every flag it still needs, in one message", async () => {
  await withDenoDir(async (denoDir) => {
    await using server = serveRepo();
    const { library } = paths(denoDir);
    const importOnly = [`--allow-import=${server.host}`];
    const bare = await child(useFrom(server), importOnly, denoDir);
    assertEquals(bare.stderr, "");
    assertStringIncludes(
      bare.stdout,
      "false false NotCapable: deno_memfd keeps its library in the Deno " +
        "cache directory and needs to know where that is: run with " +
        "--allow-env=DENO_DIR,XDG_CACHE_HOME,HOME. With it, the library " +
        "needs --allow-read and --allow-ffi for <deno cache>/deno_memfd/" +
        `${PIN.sha256}.so; \`deno run ${server.origin}/install.ts\``,
    );

    const withEnv = await child(
      useFrom(server),
      [...importOnly, "--allow-env=DENO_DIR"],
      denoDir,
    );
    assertEquals(withEnv.stderr, "");
    assertStringIncludes(
      withEnv.stdout,
      `false false NotCapable: deno_memfd needs permission to open its ` +
        `library ${library}: run with --allow-ffi=${library} ` +
        `--allow-read=${library}.`,
    );
    // Whether it is installed is unknown without read: the install step is
    // named in the same message.
    const { cache } = paths(denoDir);
    assertStringIncludes(
      withEnv.stdout,
      `Unless the library is installed already, install it first with ` +
        `\`deno run --allow-net=${server.host} --allow-env=DENO_DIR ` +
        `--allow-read=${cache} --allow-write=${cache} ` +
        `${server.origin}/install.ts\``,
    );
    assertEquals(server.requests.includes(LIBRARY_PATH), false);
  });
});
