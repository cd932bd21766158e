/**
 * `--busy N`: N busy loops (`sh -c 'while :; do :; done'`) competing for
 * the CPUs while the comparison runs, the "under load" run the performance
 * doc shows next to a quiet one.
 * @module
 */

/** Starts `count` busy loops; disposing the result stops them. */
export function busyLoops(count: number): AsyncDisposable {
  const loops = Array.from({ length: count }, () =>
    new Deno.Command("sh", {
      args: ["-c", "while :; do :; done"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn());
  return {
    async [Symbol.asyncDispose]() {
      for (const loop of loops) loop.kill("SIGKILL");
      await Promise.all(loops.map((loop) => loop.status));
    },
  };
}
