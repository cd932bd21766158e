/**
 * The release pins: the libraries committed in dist/ (built by
 * `deno task release`, one per shipped target) are the bytes pinned in
 * src/loader/artifacts.ts, and the JSR package carries them. The local
 * build the other suites load (target/release) is not shipped;
 * `deno task release:check` checks that dist/ is what this source builds.
 */

import { assertEquals } from "@std/assert";
import { ARTIFACTS } from "../src/loader/artifacts.ts";
import { sha256Hex } from "../src/loader/checksum.ts";
import { ROOT, run } from "./support/run.ts";

Deno.test("dist/ holds the pinned libraries, one per shipped target", () => {
  assertEquals(Object.keys(ARTIFACTS).includes(Deno.build.target), true);
  for (const [target, pin] of Object.entries(ARTIFACTS)) {
    assertEquals(pin.file, `libdeno_memfd-${target}.so`);
    const shipped = Deno.readFileSync(`${ROOT}dist/${pin.file}`);
    assertEquals(
      { sha256: sha256Hex(shipped), size: shipped.length },
      { sha256: pin.sha256, size: pin.size },
      "run `deno task release` and commit dist/ and src/loader/artifacts.ts",
    );
  }
});

Deno.test("the JSR package builds offline and carries the libraries, testing.ts, install.ts and LICENSE", async () => {
  const out = await run(Deno.execPath(), [
    "publish",
    "--dry-run",
    "--allow-dirty",
  ], { cwd: ROOT });
  const said = out.stdout + out.stderr;
  assertEquals(out.code, 0, said);
  for (
    const file of [
      ...Object.values(ARTIFACTS).map((pin) => `dist/${pin.file}`),
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
