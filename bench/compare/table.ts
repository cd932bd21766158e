/**
 * The printed comparison: ratios first, then the medians they come from.
 * @module
 */

import type { Row, Skipped, Stem } from "./row.ts";
import { describe, meets, targetOf } from "./targets.ts";

/** A row's stem: its name without a `:quick` suffix. */
export function stemOf(name: string): Stem {
  return name.replace(/:quick$/, "") as Stem;
}

function number(value: number, unit: string): string {
  if (unit === "GB/s") return value.toFixed(2);
  if (unit === "% CPU") return value.toFixed(3);
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

function verdict(row: Row, loaded: boolean): string {
  const target = targetOf(stemOf(row.name), loaded);
  if (target === undefined) return "";
  return `${describe(target)} ${meets(row, target) ? "ok" : "MISSED"}`;
}

/**
 * The rows as an aligned plain-text table, skipped rows at the end;
 * `loaded` (a `--busy` or `--same-cpu` run) picks the targets under load.
 */
export function table(
  rows: readonly (Row | Skipped)[],
  loaded = false,
): string {
  const header = ["row", "ratio", "target", "ours", "baseline", "unit", "vs"];
  const lines = [header];
  const skipped: string[] = [];
  for (const r of rows) {
    if ("skipped" in r) {
      skipped.push(`${r.name}: ${r.skipped}`);
      continue;
    }
    lines.push([
      r.name,
      r.ratio.toFixed(3),
      verdict(r, loaded),
      number(r.ours, r.unit),
      number(r.baseline, r.unit),
      r.unit,
      r.baselineName,
    ]);
  }
  const widths = header.map((_, i) =>
    Math.max(...lines.map((l) => l[i]!.length)) // every row has header.length cells
  );
  const text = lines.map((l) =>
    l.map((cell, i) =>
      i === 0 || i >= 5 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)
    ).join("  ").trimEnd()
  );
  text.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  return [...text, ...skipped].join("\n");
}

/** Rows that miss their target (under load when `loaded`). */
export function missed(
  rows: readonly (Row | Skipped)[],
  loaded = false,
): Row[] {
  return rows.filter((r): r is Row => {
    if ("skipped" in r) return false;
    const target = targetOf(stemOf(r.name), loaded);
    return target !== undefined && !meets(r, target);
  });
}
