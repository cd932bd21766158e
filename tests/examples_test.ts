/**
 * The worker example shares a memfd by path (the worker maps the very
 * bytes the main thread wrote), and the example tasks' build step tells a
 * cold build from a stale and a current one.
 */
import { test } from "./support/leak_checked.ts";
import { assertEquals } from "@std/assert";
import { shareWithWorker } from "../examples/worker.ts";
import { ANNOUNCEMENTS, buildState } from "../scripts/build.ts";

test("examples/worker.ts: the worker reopens the path and sees the same sealed bytes", async () => {
  const { mine, reply } = await shareWithWorker();
  assertEquals(reply, {
    name: "worker-frames",
    size: 16 << 20,
    sealed: true,
    sum: mine,
  });
});

test("scripts/build.ts announces a cold or stale build, not a fresh one", async () => {
  const root = await Deno.makeTempDir({ prefix: "memfd-build-" });
  try {
    await Deno.mkdir(`${root}/src_rs`);
    await Deno.writeTextFile(`${root}/src_rs/lib.rs`, "");
    await Deno.writeTextFile(`${root}/Cargo.toml`, "");
    assertEquals(buildState(root), "cold");
    await Deno.mkdir(`${root}/target/release`, { recursive: true });
    const lib = `${root}/target/release/libdeno_memfd.so`;
    await Deno.writeTextFile(lib, "");
    const past = new Date(Date.now() - 60_000);
    for (const file of [`${root}/src_rs/lib.rs`, `${root}/Cargo.toml`]) {
      await Deno.utime(file, past, past);
    }
    assertEquals(buildState(root), "fresh");
    await Deno.utime(`${root}/src_rs/lib.rs`, new Date(), new Date());
    await Deno.utime(lib, past, past);
    assertEquals(buildState(root), "stale");
    assertEquals(ANNOUNCEMENTS.fresh, undefined);
    assertEquals(
      ANNOUNCEMENTS.cold?.startsWith("building the native library (first run"),
      true,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
