/**
 * Where Deno keeps its cache, found the way the Deno CLI finds it
 * (`deno_cache_dir::resolve_deno_dir`) so downloads land next to Deno's own.
 * @module
 */

import { DENIED, type EnvReader } from "./grants.ts";

/** The directory, or the variables that must be readable to find it. */
export type CacheDirLookup = { dir: string } | { needEnv: string[] };

/**
 * Deno's cache directory on Linux: `$DENO_DIR`, else
 * `$XDG_CACHE_HOME/deno`, else `$HOME/.cache/deno`. A variable that may not
 * be read stops the search, since what follows depends on its value.
 */
export function denoCacheDir(env: EnvReader): CacheDirLookup {
  const chain = ["DENO_DIR", "XDG_CACHE_HOME", "HOME"] as const;
  const suffix = {
    DENO_DIR: "",
    XDG_CACHE_HOME: "/deno",
    HOME: "/.cache/deno",
  };
  for (const [i, name] of chain.entries()) {
    const value = env(name);
    if (value === DENIED) return { needEnv: chain.slice(i) };
    if (value) {
      return { dir: value.replace(/\/+$/, "") + suffix[name] };
    }
  }
  return { needEnv: [] };
}

/** Where the library pinned as `sha256` is cached under `cacheDir`. */
export function cachedLibraryPath(cacheDir: string, sha256: string): string {
  return `${cacheDir}/deno_memfd/${sha256}.so`;
}

/**
 * The variables {@linkcode denoCacheDir} reads to find the directory with
 * this environment: the chain up to the first one that is set (all three
 * when none is). A program that opens the cached library needs
 * `--allow-env` for exactly these.
 */
export function envConsulted(env: EnvReader): string[] {
  const chain = ["DENO_DIR", "XDG_CACHE_HOME", "HOME"];
  const set = chain.findIndex((name) => {
    const value = env(name);
    return value !== DENIED && value !== undefined;
  });
  return set < 0 ? chain : chain.slice(0, set + 1);
}
