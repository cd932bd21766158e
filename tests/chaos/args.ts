/**
 * `--name=<whole number>` and `--name=<word>` arguments, for the chaos
 * driver and the soak.
 * @module
 */

/** The whole number given as `--name=…`, or `fallback`. */
export function numberArg(name: string, fallback: number): number {
  const found = Deno.args.find((a) => a.startsWith(`--${name}=`));
  if (found === undefined) return fallback;
  const value = Number(found.slice(name.length + 3));
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`--${name} must be a whole number`);
  }
  return value;
}

/** The text given as `--name=…`, or `fallback`. */
export function textArg(name: string, fallback: string): string {
  const found = Deno.args.find((a) => a.startsWith(`--${name}=`));
  return found === undefined ? fallback : found.slice(name.length + 3);
}
