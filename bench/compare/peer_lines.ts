/**
 * The lines a child peer prints on its stdout (`ready`, `waiting`,
 * `done …`): how the parent knows where the child is, so that start-up is
 * never timed.
 * @module
 */

/** A function that resolves with the child's next line. */
export function lines(child: Deno.ChildProcess): () => Promise<string> {
  const reader = child.stdout.pipeThrough(new TextDecoderStream())
    .getReader();
  let buffered = "";
  return async () => {
    while (!buffered.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the peer exited before its next line");
      buffered += value;
    }
    const at = buffered.indexOf("\n");
    const line = buffered.slice(0, at);
    buffered = buffered.slice(at + 1);
    return line;
  };
}

/** Prints `line` on this process's stdout, for the parent to read. */
export function say(line: string): void {
  Deno.stdout.writeSync(new TextEncoder().encode(line + "\n"));
}
