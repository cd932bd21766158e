/**
 * The code blocks of CONTRIBUTING.md's worked example, read the way
 * `tests/contributing_test.ts` checks them and `tools/worked_path.ts`
 * applies them. A block is marked by the HTML comment before it:
 *
 * - `<!-- copied from FILE -->`: code that is in FILE as shown (each line,
 *   indentation aside, in order);
 * - `<!-- worked: FILE, before|after|replace `ANCHOR` -->`: new code for
 *   FILE, put before the line that starts with ANCHOR (above its doc
 *   comment), after it, or in its place.
 * @module
 */

/** A marked code block of CONTRIBUTING.md. */
export type Block =
  | { kind: "copied"; file: string; code: string }
  | {
    kind: "worked";
    file: string;
    where: "before" | "after" | "replace";
    anchor: string;
    code: string;
  };

const MARKED =
  /<!-- (copied from|worked:) ([^\s,]+)(?:, (before|after|replace) `(.+?)`)? -->\n\n(`{3,})[^\n]*\n([\s\S]*?)\n\5\n/g;

/** The marked blocks of `markdown`, in order. */
export function markedBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  for (const m of markdown.matchAll(MARKED)) {
    const [, kind, file, where, anchor, , code] = m;
    if (kind === "copied from") {
      blocks.push({ kind: "copied", file: file!, code: code! });
    } else if (where !== undefined && anchor !== undefined) {
      blocks.push({
        kind: "worked",
        file: file!,
        where: where as "before" | "after" | "replace",
        anchor,
        code: code!,
      });
    } else {
      throw new Error(`a worked block for ${file} says not where it goes`);
    }
  }
  return blocks;
}

const trimmed = (text: string) => text.split("\n").map((l) => l.trim());

/** Whether the lines of `code` appear in `source` in a row, indentation aside. */
export function containsCode(source: string, code: string): boolean {
  const lines = trimmed(source);
  const want = trimmed(code);
  return lines.some((_, i) => want.every((w, j) => lines[i + j] === w));
}

/** The indices of the lines of `source` that start with `anchor`, indentation aside. */
export function anchorLines(source: string, anchor: string): number[] {
  return trimmed(source).flatMap((l, i) => l.startsWith(anchor) ? [i] : []);
}

/** `source` with the worked block `block` applied at its one anchor. */
export function applyBlock(
  source: string,
  block: Extract<Block, { kind: "worked" }>,
): string {
  const at = anchorLines(source, block.anchor);
  if (at.length !== 1) {
    throw new Error(
      `${block.file}: \`${block.anchor}\` starts ${at.length} lines, not 1`,
    );
  }
  const lines = source.split("\n");
  let line = at[0]!;
  const indent = lines[line]!.match(/^\s*/)![0];
  const code = block.code.split("\n").map((l) => l === "" ? l : indent + l);
  if (block.where === "before") {
    // Above the anchor's doc comment (`///` lines or a `/** … */` block).
    if (lines[line - 1]?.trim() === "*/") {
      while (!lines[line - 1]!.trim().startsWith("/**")) line--;
      line--;
    } else {
      while (lines[line - 1]?.trim().startsWith("///")) line--;
    }
    lines.splice(line, 0, ...code, "");
  } else if (block.where === "after") {
    lines.splice(line + 1, 0, ...code);
  } else {
    lines.splice(line, 1, ...code);
  }
  return lines.join("\n");
}
