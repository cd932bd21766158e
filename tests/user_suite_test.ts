/** A user's test suite, run as users run theirs: `deno test`, sanitizers on. */

import { assertEquals, assertMatch } from "@std/assert";
import { isolatedEnv, ROOT, run } from "./support/run.ts";

Deno.test("a user's deno test suite passes with no leaks", async () => {
  const out = await run(Deno.execPath(), [
    "test",
    "--no-config",
    "--no-lock",
    "--allow-ffi",
    `--allow-read=${ROOT}`,
    `${ROOT}tests/fixtures/user_suite_test.ts`,
  ], { ...isolatedEnv({ NO_COLOR: "1" }), cwd: ROOT });
  assertEquals(out.code, 0, out.stdout + out.stderr);
  assertMatch(out.stdout, /ok \| 3 passed \| 0 failed/);
});
