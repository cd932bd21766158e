/**
 * `Memfd.open` of a FIFO refuses it without opening it: a writer blocked on
 * the FIFO (waiting for a reader) stays blocked. Opening the FIFO for
 * reading, even for a moment, would have released it.
 */
import { assertEquals } from "@std/assert";
import { Memfd } from "@memfd/memfd";
import { assertMemfdError } from "./support/assert.ts";
import { runOk } from "./support/run.ts";

/** `state wchan` of process `pid`, e.g. `S wait_for_partner`. */
async function sleepState(pid: number): Promise<string> {
  const out = await runOk("sh", [
    "-c",
    `cut -d' ' -f3 /proc/${pid}/stat; cat /proc/${pid}/wchan`,
  ]);
  return out.split("\n").filter(Boolean).join(" ");
}

Deno.test("Memfd.open(fifo) is EINVAL and a blocked writer stays blocked", async () => {
  const dir = Deno.makeTempDirSync();
  const fifo = `${dir}/fifo`;
  await runOk("mkfifo", [fifo]);
  const writer = new Deno.Command("sh", {
    args: ["-c", `echo released > ${fifo}`],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    // However long it takes: the shell sleeps in open() until a reader comes.
    while (await sleepState(writer.pid) !== "S wait_for_partner") {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assertMemfdError(() => Memfd.open(fifo), "EINVAL");
    assertMemfdError(() => Memfd.open(fifo, { write: true }), "EINVAL");
    // A reader's open marks the writer runnable before that open returns,
    // so had one happened, the writer would no longer sleep there.
    assertEquals(await sleepState(writer.pid), "S wait_for_partner");
  } finally {
    // Release it: the line arrives, so it was still waiting to write it.
    assertEquals(await Deno.readTextFile(fifo), "released\n");
    assertEquals((await writer.status).code, 0);
    Deno.removeSync(dir, { recursive: true });
  }
});
