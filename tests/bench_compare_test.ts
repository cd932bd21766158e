import { assert, assertEquals } from "@std/assert";
import { STEMS } from "../bench/compare/row.ts";
import { ROOT } from "./support/run.ts";
import { skipWhenEmulated } from "./support/emulation.ts";

const KEYS = ["baseline", "baselineName", "name", "ours", "ratio", "unit"];

// Runs the harness for its shape only: timings on a shared machine say
// nothing in a test, so no ratio is checked against a target here.
Deno.test({
  name: "bench:compare --quick writes a well-formed results file",
  // The harness builds the library and its Rust baselines with the host's
  // cargo: under an emulator that is the host's architecture, which would
  // replace target/release with a library this deno cannot load.
  ignore: skipWhenEmulated(
    "bench:compare builds with the host's cargo, for the host's architecture",
  ),
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "bench-compare-" });
  try {
    const out = `${dir}/results.json`;
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["task", "--quiet", "bench:compare", "--quick", "--out", out],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(run.stderr);
    assert(run.success, `bench:compare --quick failed:\n${stderr}`);
    const stdout = new TextDecoder().decode(run.stdout);
    assert(stdout.includes("ratio"), "no table printed");

    const parsed: unknown = JSON.parse(await Deno.readTextFile(out));
    assert(Array.isArray(parsed), "results.json is not an array");
    const rows = parsed as Record<string, unknown>[];
    const names = new Set<string>();
    for (const row of rows) {
      assertEquals(Object.keys(row).sort(), KEYS);
      assert(typeof row.name === "string", "name is not a string");
      const name = String(row.name);
      assert(name.endsWith(":quick"), `${name} lacks :quick`);
      const stem = name.slice(0, -":quick".length);
      assert((STEMS as readonly string[]).includes(stem), `stem ${stem}`);
      assert(!names.has(name), `${name} twice`);
      names.add(name);
      assert(["ns/op", "µs", "GB/s"].includes(String(row.unit)), row.unit);
      assert(typeof row.baselineName === "string" && row.baselineName !== "");
      const [ours, baseline, ratio] = [row.ours, row.baseline, row.ratio];
      for (const value of [ours, baseline, ratio]) {
        assert(
          typeof value === "number" && value > 0 && Number.isFinite(value),
          `${name}: ${value} is not a positive number`,
        );
      }
      const expected = (ours as number) / (baseline as number);
      assert(
        Math.abs((ratio as number) - expected) <= 0.01 * expected + 0.001,
        `${name}: ratio ${ratio} is not ours/baseline`,
      );
    }
    // Every row runs in quick mode except `ring`, which needs RingBuffer.
    for (const stem of STEMS) {
      if (stem === "ring") continue;
      assert(names.has(`${stem}:quick`), `no ${stem} row`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
