/**
 * Short renderings of names and argument values for the chaos log and its
 * failure messages.
 * @module
 */

/** A memfd name for messages: quoted, long ones cut short. */
export function q(name: string): string {
  return name.length > 24
    ? `'${name.slice(0, 20)}…(${name.length})'`
    : `'${name}'`;
}

/** Any argument value, as a reader of the log would want to see it. */
export function fmt(v: unknown): string {
  if (typeof v === "string") {
    return v.length > 40
      ? `${JSON.stringify(v.slice(0, 40))}…`
      : JSON.stringify(v);
  }
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "symbol") return v.toString();
  if (v instanceof Uint8Array) return `Uint8Array(${v.length})`;
  if (Array.isArray(v)) return `[${v.map(fmt).join(", ")}]`;
  if (v !== null && typeof v === "object") {
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) {
      return proto.constructor?.name ?? "object";
    }
    return `{${
      Object.entries(v).map(([k, x]) => `${k}: ${fmt(x)}`).join(", ")
    }}`;
  }
  return String(v);
}
