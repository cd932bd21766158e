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
import { isolatedEnv, type Outcome, runDeno } from "./support/run.ts";
import { deadPort, type RepoServer, serveRepo } from "./support/server.ts";

const PIN = ARTIFACTS[Deno.build.target];
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

/** The narrowest flags for a first run: fetch, cache, open. */
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
        `--allow-ffi covers it too, and map() needs that`,
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
      flipped[flipped.length >> 1] ^= 0x01;
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

Deno.test("URL import: missing download permissions are named, not prompted for", async () => {
  await withDenoDir(async (denoDir) => {
    await using server = serveRepo();
    const { cache } = paths(denoDir);
    const flags = firstRunFlags(server, denoDir).filter((flag) =>
      !flag.startsWith("--allow-net") && !flag.startsWith("--allow-write")
    );
    const out = await child(useFrom(server), flags, denoDir);
    assertNotEquals(out.code, 0);
    assertStringIncludes(
      out.stderr,
      `NotCapable: deno_memfd needs to download its library from ` +
        `${server.origin}${LIBRARY_PATH} into ${cache} once: run with ` +
        `--allow-net=${server.host} --allow-write=${cache}`,
    );
    assertEquals(server.requests.includes(LIBRARY_PATH), false);
  });
});
