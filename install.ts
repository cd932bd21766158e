/**
 * The one-time install step for URL and JSR imports of deno_memfd: it
 * downloads the pinned native library for this machine, checks its size
 * and SHA-256 against the pin in the package, stores it atomically in the
 * Deno cache directory, and prints the flags programs then need: read and
 * FFI for that one file, never write.
 *
 * ```sh
 * deno run --allow-net=jsr.io --allow-env=DENO_DIR,XDG_CACHE_HOME,HOME \
 *   --allow-read=$HOME/.cache/deno/deno_memfd \
 *   --allow-write=$HOME/.cache/deno/deno_memfd jsr:@memfd/memfd/install
 * ```
 *
 * Run it with the same `DENO_DIR` (and `DENO_MEMFD_BASE_URL`, if any) as
 * the programs. It needs no FFI permission and opens no library. Missing
 * grants are named all at once; running it again checks the cached copy
 * and downloads nothing. See docs/permissions.md.
 * @module
 */

import { ARTIFACTS } from "./src/loader/artifacts.ts";
import { envConsulted } from "./src/loader/cache_dir.ts";
import { cacheDirOf, fetchIntoCache, fetchNeeds } from "./src/loader/fetch.ts";
import { probeFile, readGrantedEnv } from "./src/loader/grants.ts";
import { requireLinux } from "./src/loader/platform.ts";
import { releaseArtifact, type RemoteSource } from "./src/loader/resolve.ts";
import { requireAll } from "./src/permissions/messages.ts";

/** What {@linkcode install} did. */
export interface Installed {
  /** The cached library: the one file programs need read and FFI for. */
  path: string;
  /** Where it was (or would have been) downloaded from. */
  url: string;
  /** `false` when a copy matching the pin was already there. */
  downloaded: boolean;
  /** The flags a program importing deno_memfd from the same place needs. */
  flags: string[];
}

const ROOT = new URL("./", import.meta.url);

function sourceHere(): RemoteSource {
  requireLinux();
  try {
    return releaseArtifact({
      root: ROOT,
      target: Deno.build.target,
      env: readGrantedEnv,
      probe: probeFile,
      ffiGranted: () => false,
      artifacts: ARTIFACTS,
    });
  } catch (e) {
    if (!(e instanceof Deno.errors.NotCapable)) throw e;
    const env = envConsulted(readGrantedEnv).join(",");
    throw new Deno.errors.NotCapable(
      `deno_memfd's install step needs to know where the Deno cache ` +
        `directory is: run with --allow-env=${env}, plus --allow-net for ` +
        `the download's host and --allow-read and --allow-write for ` +
        `<deno cache>/deno_memfd`,
    );
  }
}

/**
 * Downloads, verifies and caches the native library for URL and JSR
 * imports, unless a copy matching the pin is cached already. Needs net
 * for the host, `--allow-env` to find the Deno cache directory, and read
 * and write for `<deno cache>/deno_memfd`; `NotCapable` names every one
 * missing, before anything is fetched.
 *
 * @example Install from the package's own origin
 * ```ts ignore
 * import { assertEquals } from "@std/assert";
 * import { install } from "@memfd/memfd/install";
 *
 * const installed = await install();
 * assertEquals(installed.flags.includes(`--allow-ffi=${installed.path}`), true);
 * ```
 */
export async function install(): Promise<Installed> {
  if (ROOT.protocol === "file:") {
    throw new Deno.errors.NotSupported(
      "deno_memfd's install step is for http(s) and JSR imports: a local " +
        "checkout opens target/release/libdeno_memfd.so (`deno task build`)",
    );
  }
  const source = sourceHere();
  const dir = cacheDirOf(source);
  requireAll(
    `deno_memfd's install step needs permission to download ${source.url} ` +
      `into ${dir}`,
    fetchNeeds(source),
  );
  const downloaded = await fetchIntoCache(source);
  const env = envConsulted(readGrantedEnv).join(",");
  return {
    path: source.path,
    url: source.url.href,
    downloaded,
    flags: [
      `--allow-env=${env}`,
      `--allow-read=${source.path}`,
      `--allow-ffi=${source.path}`,
    ],
  };
}

if (import.meta.main) {
  const installed = await install();
  const what = installed.downloaded
    ? `downloaded ${installed.url}, verified it and cached it`
    : "already cached and verified";
  console.log(`deno_memfd: library ${what}: ${installed.path}`);
  console.log(
    `Programs that import deno_memfd need: ${installed.flags.join(" ")}`,
  );
  console.log(
    "(map(), mapRing() and RingBuffer need plain --allow-ffi instead of " +
      "--allow-ffi=<path>)",
  );
}
