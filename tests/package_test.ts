/**
 * The package metadata agrees with itself: one version number in
 * `deno.json` (what JSR publishes), `Cargo.toml` (what the library is
 * built as) and `CHANGELOG.md` (what users read), and the MIT notice the
 * licence field promises.
 */

import { assertEquals, assertMatch } from "@std/assert";
import { ROOT } from "./support/run.ts";

const denoJson = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`));

/** The `version` of the `[package]` table, or undefined when it has none. */
function cargoVersion(toml: string): string | undefined {
  const table = toml.split(/^\[/m).find((t) => t.startsWith("package]"));
  return table?.match(/^version\s*=\s*"([^"]+)"/m)?.[1];
}

Deno.test("deno.json and Cargo.toml carry the same version", () => {
  const cargo = cargoVersion(Deno.readTextFileSync(`${ROOT}Cargo.toml`));
  assertMatch(denoJson.version, /^\d+\.\d+\.\d+(-[\w.]+)?$/);
  assertEquals(
    cargo,
    denoJson.version,
    "bump `version` in deno.json and Cargo.toml together",
  );
});

Deno.test("CHANGELOG.md has a section for the published version", () => {
  const changelog = Deno.readTextFileSync(`${ROOT}CHANGELOG.md`);
  const released = [...changelog.matchAll(/^## \[(\d[^\]]*)\]/gm)].map((m) =>
    m[1]
  );
  assertEquals(
    released[0],
    denoJson.version,
    "the newest released section of CHANGELOG.md names deno.json's version",
  );
});

Deno.test("LICENSE holds the MIT notice that deno.json declares", () => {
  assertEquals(denoJson.license, "MIT");
  const license = Deno.readTextFileSync(`${ROOT}LICENSE`);
  assertMatch(license, /^MIT License\n\nCopyright \(c\) \d{4} /);
  assertMatch(license, /The above copyright notice and this permission notice/);
});
