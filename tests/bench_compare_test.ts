import { assert, assertEquals } from "@std/assert";
import { STEMS } from "../bench/compare/row.ts";
import { meets, targetOf } from "../bench/compare/targets.ts";
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
      assert(
        ["ns/op", "µs", "GB/s", "% CPU"].includes(String(row.unit)),
        row.unit,
      );
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

Deno.test("bench:compare --same-cpu runs the ring row with every process on one CPU", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bench-compare-" });
  try {
    const out = `${dir}/results.json`;
    const run = await new Deno.Command(Deno.execPath(), {
      args: [
        "task",
        "--quiet",
        "bench:compare",
        "--quick",
        "--same-cpu",
        "--only",
        "ring",
        "--out",
        out,
      ],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(run.stderr);
    assert(run.success, `bench:compare --same-cpu failed:\n${stderr}`);
    const stdout = new TextDecoder().decode(run.stdout);
    assert(stdout.includes("on one CPU"), "no one-CPU header");
    // The note names the CPUs the run could use: one, not a range.
    assert(/\(this run on \d+\)/.test(stdout), `not pinned:\n${stdout}`);
    const rows = JSON.parse(await Deno.readTextFile(out));
    assertEquals(rows.map((r: { name: string }) => r.name), ["ring:quick"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("targets under load differ from the quiet ones where issue 19 says", () => {
  const row = (ratio: number, ours = 1) => ({
    name: "x",
    unit: "µs" as const,
    ours,
    baseline: 1,
    baselineName: "b",
    ratio,
  });
  const quiet = targetOf("ring-latency", false)!;
  const loaded = targetOf("ring-latency", true)!;
  assertEquals([meets(row(0.5), quiet), meets(row(0.5), loaded)], [
    false,
    true,
  ]);
  assertEquals(targetOf("ring-latency-spin", true), undefined);
  assertEquals(targetOf("ring", true), targetOf("ring", false));
  // ring-idle-cpu bounds the row's own value, not its ratio.
  const idle = targetOf("ring-idle-cpu", false)!;
  assertEquals([meets(row(500, 1.5), idle), meets(row(0.5, 3), idle)], [
    true,
    false,
  ]);
});
