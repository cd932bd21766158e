/**
 * Permission questions asked without side effects: a query never prompts,
 * and a prompt answered "no" in a script without a terminal would leave the
 * permission denied for the rest of the process.
 * @module
 */

import { granted } from "../permissions/grants.ts";

/** Marks an environment variable this process may not read. */
export const DENIED: unique symbol = Symbol("denied");

/** Reads environment variables: a value, `undefined` when unset or empty. */
export type EnvReader = (name: string) => string | undefined | typeof DENIED;

/** An {@linkcode EnvReader} that reads only variables already granted. */
export const readGrantedEnv: EnvReader = (name) => {
  if (!granted({ name: "env", variable: name })) return DENIED;
  return Deno.env.get(name) || undefined;
};

/** What a candidate file is known to be, without asking for permission. */
export type Presence = "present" | "absent" | "unknown";

/** Whether `path` is a file, when read permission for it is granted. */
export function probeFile(path: string): Presence {
  if (!granted({ name: "read", path })) return "unknown";
  try {
    return Deno.statSync(path).isFile ? "present" : "absent";
  } catch {
    return "absent";
  }
}
