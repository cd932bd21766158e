/**
 * Which library to open, decided in the documented order: `DENO_MEMFD_LIB`,
 * a local build next to `mod.ts` for `file:` imports, the pinned release
 * artifact for `http(s):` imports. (`loadLibrary(path)` bypasses all this.)
 * Everything it looks at is passed in, so the order is testable.
 * @module
 */

import type { Artifact } from "./artifacts.ts";
import { cachedLibraryPath, denoCacheDir } from "./cache_dir.ts";
import { DENIED, type EnvReader, type Presence } from "./grants.ts";
import { noPrebuiltReason } from "./platform.ts";

/** The library file name `cargo build` produces. */
export const LIBRARY_FILE = "libdeno_memfd.so";

/** A library on disk, used as it is. */
export interface FileSource {
  kind: "file";
  path: string;
  /** Where the path came from, for error messages. */
  origin: "DENO_MEMFD_LIB" | "local build";
}

/** A pinned artifact, downloaded into the cache unless already there. */
export interface RemoteSource {
  kind: "remote";
  url: URL;
  /** The cache entry: the only file ever opened for this source. */
  path: string;
  artifact: Artifact;
}

/** Where the library comes from. */
export type Source = FileSource | RemoteSource;

/** What resolution may look at. */
export interface ResolveInput {
  /** The directory holding `mod.ts`. */
  root: URL;
  /** `Deno.build.target`. */
  target: string;
  /** Environment variables, as far as they may be read. */
  env: EnvReader;
  /** Whether a file exists, as far as that may be asked. */
  probe: (path: string) => Presence;
  /** Whether `--allow-ffi` covers a path. */
  ffiGranted: (path: string) => boolean;
  /** The pinned release artifacts, by target. */
  artifacts: Readonly<Record<string, Artifact>>;
}

/** Decides which library to open. Throws when there is none to open. */
export function resolveSource(input: ResolveInput): Source {
  const fromEnv = input.env("DENO_MEMFD_LIB");
  if (fromEnv !== DENIED && fromEnv !== undefined) {
    if (input.probe(fromEnv) === "absent") {
      throw new Deno.errors.NotFound(
        `DENO_MEMFD_LIB names ${fromEnv}, which does not exist: point it at ` +
          `a libdeno_memfd.so (\`deno task build\` makes one)`,
      );
    }
    return { kind: "file", path: fromEnv, origin: "DENO_MEMFD_LIB" };
  }
  if (input.root.protocol === "file:") return localBuild(input);
  if (input.root.protocol === "http:" || input.root.protocol === "https:") {
    return releaseArtifact(input);
  }
  throw new Deno.errors.NotSupported(
    `deno_memfd cannot find its library when imported from ` +
      `${input.root.protocol} URLs: call loadLibrary(path) or set DENO_MEMFD_LIB`,
  );
}

/** `target/release`, then `target/debug`, next to `mod.ts`. */
export function localCandidates(root: URL): string[] {
  return ["release", "debug"].map((profile) =>
    decodeURIComponent(
      new URL(`target/${profile}/${LIBRARY_FILE}`, root).pathname,
    )
  );
}

function localBuild(input: ResolveInput): FileSource {
  const candidates = localCandidates(input.root);
  const presence = candidates.map(input.probe);
  // A file we may not stat could still exist: prefer one the user granted
  // FFI for by name, since that says which build they mean.
  const pick = candidates[presence.indexOf("present")] ??
    candidates.find((c, i) =>
      presence[i] === "unknown" && input.ffiGranted(c)
    ) ??
    candidates[presence.indexOf("unknown")];
  if (pick === undefined) {
    throw new Deno.errors.NotFound(
      `deno_memfd could not find its library: neither ` +
        `${
          candidates.join(" nor ")
        } exists. Build it with \`deno task build\`, ` +
        `or point DENO_MEMFD_LIB (or loadLibrary(path)) at a libdeno_memfd.so`,
    );
  }
  return { kind: "file", path: pick, origin: "local build" };
}

/**
 * The pinned release artifact for `input.target`, from `dist/` next to
 * `input.root` (or `DENO_MEMFD_BASE_URL`), cached in Deno's cache
 * directory; what an `http(s):` import uses, and what `install.ts` fetches.
 */
export function releaseArtifact(input: ResolveInput): RemoteSource {
  const artifact = input.artifacts[input.target];
  if (artifact === undefined) {
    throw new Deno.errors.NotSupported(
      noPrebuiltReason(input.target, Object.keys(input.artifacts)),
    );
  }
  const base = baseUrl(input);
  const cache = denoCacheDir(input.env);
  if ("needEnv" in cache) {
    if (cache.needEnv.length === 0) {
      throw new Deno.errors.NotFound(
        "deno_memfd could not find the Deno cache directory to keep its " +
          "library in: DENO_DIR, XDG_CACHE_HOME and HOME are all unset; set DENO_DIR",
      );
    }
    const library = cachedLibraryPath("<deno cache>", artifact.sha256);
    throw new Deno.errors.NotCapable(
      `deno_memfd keeps its library in the Deno cache directory and needs to ` +
        `know where that is: run with --allow-env=${cache.needEnv.join(",")}` +
        `. With it, the library needs --allow-read and --allow-ffi for ` +
        `${library}; \`deno run ${new URL("install.ts", input.root)}\` ` +
        `downloads it once and prints the exact flags. (Or set ` +
        `DENO_MEMFD_LIB=<path of a libdeno_memfd.so>, readable with ` +
        `--allow-env=DENO_MEMFD_LIB)`,
    );
  }
  return {
    kind: "remote",
    url: new URL(artifact.file, base),
    path: cachedLibraryPath(cache.dir, artifact.sha256),
    artifact,
  };
}

function baseUrl(input: ResolveInput): URL {
  const override = input.env("DENO_MEMFD_BASE_URL");
  if (override === DENIED || override === undefined) {
    return new URL("dist/", input.root);
  }
  const withSlash = override.endsWith("/") ? override : `${override}/`;
  if (!URL.canParse(withSlash)) {
    throw new TypeError(
      `DENO_MEMFD_BASE_URL is not a URL: ${JSON.stringify(override)}`,
    );
  }
  return new URL(withSlash);
}
