/**
 * Mappings dropped without `unmap()`: the FinalizationRegistry releases
 * them once their buffer is garbage, never while any view or moved copy of
 * the buffer can still touch the memory. Run in a child deno with
 * `--expose-gc`, which reads its own `/proc/<pid>/maps` through `cat`.
 */

import { assertEquals } from "@std/assert";
import { Memfd } from "../mod.ts";
import { MOD, runDeno } from "./support/run.ts";

/** The child's helpers: collect garbage until `done()` or give up. */
const PRELUDE = `
  import { Memfd } from "${MOD}";
  const mapped = async (name) => {
    const out = await new Deno.Command("cat", { args: [\`/proc/\${Deno.pid}/maps\`] }).output();
    return new TextDecoder().decode(out.stdout).split("\\n")
      .filter((l) => l.endsWith(\`/memfd:\${name} (deleted)\`)).length;
  };
  // Finalizers run as tasks after a collection: collect and yield, a
  // bounded number of times (a count, not a clock).
  const collect = async (done) => {
    for (let i = 0; i < 50; i++) {
      globalThis.gc();
      await new Promise((r) => setTimeout(r, 0));
      if (await done()) return true;
    }
    return false;
  };
`;

async function child(code: string): Promise<Record<string, unknown>> {
  const out = await runDeno(PRELUDE + code, [
    "--allow-ffi",
    "--allow-read",
    "--allow-run=cat",
    "--v8-flags=--expose-gc",
  ]);
  assertEquals(out.code, 0, `exit ${out.code} ${out.signal}: ${out.stderr}`);
  return JSON.parse(out.stdout.trim().split("\n").at(-1)!);
}

Deno.test("a mapping dropped without unmap() is released after garbage collection", async () => {
  const result = await child(`
    const fd = Memfd.create("dropped", { size: 8192 });
    (() => { fd.map().bytes[0] = 1; fd.mapRing(); })();
    const before = await mapped("dropped");
    const released = await collect(async () => (await mapped("dropped")) === 0);
    // Released means the memfd is unmapped: a write seal is possible again.
    fd.seal("write");
    console.log(JSON.stringify({ before, released }));
  `);
  assertEquals(result, { before: 3, released: true });
});

Deno.test("a view that outlives its Mapping keeps the memory mapped and readable", async () => {
  const result = await child(`
    const fd = Memfd.create("kept-view", { size: 4096 });
    const view = (() => { const m = fd.map(); m.bytes[7] = 42; return m.bytes.subarray(4); })();
    await collect(async () => false);
    console.log(JSON.stringify({ mapped: await mapped("kept-view"), value: view[3] }));
  `);
  assertEquals(result, { mapped: 1, value: 42 });
});

Deno.test("a buffer moved out with transfer() stays safe after its Mapping is collected", async () => {
  const result = await child(`
    const fd = Memfd.create("moved", { size: 4096 });
    const moved = (() => { const m = fd.map(); m.bytes[0] = 42; return m.buffer.transfer(); })();
    const first = new Uint8Array(moved)[0];
    const released = await collect(async () => (await mapped("moved")) === 0);
    // Touching the moved buffer must not fault: it now reads zeros.
    const bytes = new Uint8Array(moved);
    bytes[1] = 5;
    console.log(JSON.stringify({ first, released, after: [bytes[0], bytes[1]] }));
  `);
  assertEquals(result, { first: 42, released: true, after: [0, 5] });
});

Deno.test("unmap() after transfer() or postMessage: no error, no fault, the memfd is released", async () => {
  const result = await child(`
    const fd = Memfd.create("moved-unmap", { size: 4096 });
    const m = fd.map();
    m.bytes[0] = 42;
    const moved = m.buffer.transfer();
    m.unmap();
    // The worker keeps the buffer it is sent and answers with its first byte.
    const worker = new Worker("data:text/javascript,let b; onmessage = (e) => { b ??= e.data; postMessage(new Uint8Array(b)[0]); };", { type: "module" });
    const ask = (message, transfer = []) => new Promise((r) => {
      worker.onmessage = (e) => r(e.data);
      worker.postMessage(message, transfer);
    });
    const posted = fd.map();
    posted.bytes[0] = 43;
    const fromWorker = [await ask(posted.buffer, [posted.buffer])];
    posted.unmap();
    fromWorker.push(await ask("again"));
    worker.terminate();
    fd.seal("write"); // only possible with no shared mapping left
    console.log(JSON.stringify({
      moved: new Uint8Array(moved)[0],
      mapped: await mapped("moved-unmap"),
      fromWorker,
      unmapped: [m.unmapped, m.byteLength, posted.unmapped],
    }));
  `);
  assertEquals(result, {
    moved: 0,
    mapped: 0,
    fromWorker: [43, 0],
    unmapped: [true, 0, true],
  });
});

Deno.test("in this process: unmap() after transfer() leaves the moved buffer readable", () => {
  using fd = Memfd.create("moved-here", { size: 4096 });
  const map = fd.map();
  map.bytes[0] = 1;
  const moved = map.buffer.transfer();
  map.unmap();
  assertEquals(new Uint8Array(moved).length, 4096);
  assertEquals(new Uint8Array(moved)[0], 0);
  fd.seal("write");
});
