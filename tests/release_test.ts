/**
 * The release pin: `deno task test` copies the release build into dist/
 * (never rewriting the pin), so the artifact in dist/, the pin in
 * src/loader/artifacts.ts and the library the tests load must all be the
 * same bytes; `deno task release` re-pins after a Rust change.
 */

import { assertEquals } from "@std/assert";
import { ARTIFACTS } from "../src/loader/artifacts.ts";
import { sha256Hex } from "../src/loader/checksum.ts";
import { LIB, ROOT, run } from "./support/run.ts";

Deno.test("dist/ holds the pinned build of this checkout", () => {
  const pin = ARTIFACTS[Deno.build.target];
  assertEquals(pin?.file, `libdeno_memfd-${Deno.build.target}.so`);
  const shipped = Deno.readFileSync(`${ROOT}dist/${pin.file}`);
  assertEquals(
    { sha256: sha256Hex(shipped), size: shipped.length },
    { sha256: pin.sha256, size: pin.size },
    "run `deno task release` (and commit src/loader/artifacts.ts)",
  );
  assertEquals(sha256Hex(Deno.readFileSync(LIB)), pin.sha256);
});

Deno.test("the JSR package builds offline and carries the library, testing.ts, install.ts and LICENSE", async () => {
  const out = await run(Deno.execPath(), [
    "publish",
    "--dry-run",
    "--allow-dirty",
  ], { cwd: ROOT });
  const said = out.stdout + out.stderr;
  assertEquals(out.code, 0, said);
  const pin = ARTIFACTS[Deno.build.target];
  for (
    const file of [
      `dist/${pin.file}`,
      "testing.ts",
      "mod.ts",
      "ffi/mod.ts",
      "LICENSE",
      "CHANGELOG.md",
      "README.md",
      "install.ts",
    ]
  ) {
    assertEquals(
      said.includes(`${ROOT}${file}`),
      true,
      `${file} not in:\n${said}`,
    );
  }
});
